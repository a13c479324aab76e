// lipio-fuzz: the long fuzz run of LipIO's readers (the test suite runs a short one).
//
//   swift run -c release lipio-fuzz [--seconds 600] [--seed 1] [--reader onnx] [--corpus DIR] [--save-current DIR]
//
// --seconds is per reader. With --save-current, each input is written to DIR/current-<reader>.bin
// before it is read, so after a crash that file is the reproducer. Exit 0 when every input
// ended in a value or an error (a crash cannot report: the process dies).
import Foundation
import LipIOFuzz

var seconds = 60.0, seed: UInt64 = 1, readers = Fuzzer.Reader.allCases, save: String? = nil
var corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/LipIOTests/corpus/seeds").path
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    guard let v = args.first else { FileHandle.standardError.write("lipio-fuzz: \(a) needs a value\n".data(using: .utf8)!); exit(2) }
    args.removeFirst()
    switch a {
    case "--seconds": seconds = Double(v) ?? seconds
    case "--seed": seed = UInt64(v) ?? seed
    case "--reader": readers = v.split(separator: ",").compactMap { Fuzzer.Reader(rawValue: String($0)) }
    case "--corpus": corpus = v
    case "--save-current": save = v
    default: FileHandle.standardError.write("lipio-fuzz: unknown option \(a)\n".data(using: .utf8)!); exit(2)
    }
}
var total = 0
for r in readers {
    let seeds = try Fuzzer.seeds(r, in: corpus)
    let scratch = NSTemporaryDirectory() + "lipio-fuzz-\(ProcessInfo.processInfo.processIdentifier).gz"
    let report = Fuzzer.run(r, seeds: seeds, iterations: Int.max, seed: seed, seconds: seconds, scratch: scratch) { input in
        if let d = save { try? Data(input).write(to: URL(fileURLWithPath: "\(d)/current-\(r.rawValue).bin")) }
    }
    total += report.inputs
    print(report)
}
print("lipio-fuzz: \(total) inputs, 0 crashes (seed \(seed))")
