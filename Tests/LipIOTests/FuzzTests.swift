import Foundation
import Testing
@testable import LipIO
import LipIOFuzz

/// The short fuzz run (the long one: `swift run -c release lipio-fuzz --seconds 600`): every
/// reader gets 1,500 mutated inputs of its seed files (at most 8 s each); each must end in a
/// value or an error. A trap would end the test process.
@Suite struct FuzzTests {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus/seeds").path

    @Test(arguments: Fuzzer.Reader.allCases) func mutatedFilesGiveValuesOrErrors(_ reader: Fuzzer.Reader) throws {
        let seeds = try Fuzzer.seeds(reader, in: Self.seeds)
        #expect(!seeds.isEmpty)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).gz").path
        let r = Fuzzer.run(reader, seeds: seeds, iterations: 1500, seed: 20261201, seconds: 8, scratch: scratch)
        print(r)
        #expect(r.inputs >= 200)
        // the unmutated seeds load (the corpus is real), and most mutants are refused
        #expect(r.accepted >= seeds.count)
        #expect(r.refused.values.reduce(0, +) > 0)
        #expect(r.refused["other (\(String.self))"] == nil)
    }
}
