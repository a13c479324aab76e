import Foundation
import LipControl
import LipCore
import LipIO

/// A deterministic mutation fuzzer for LipIO's readers. Each reader gets its seed files
/// (Tests/LipIOTests/corpus/seeds: small real files written by numpy, safetensors and onnx),
/// mutated 1–4 times per input (bit flips, interesting bytes and 16/32/64-bit integers, range
/// deletion/duplication/insertion, truncation, splicing with another seed, and for text
/// formats replacing numbers with hostile ones: -1, 1e300, 2⁶⁴, 2³², NaN), then read through
/// the reader's own parser and through `NetworkFile.load`. Every input must end in a value or
/// a thrown error; a trap ends the process (the test fails, and `lipio-fuzz --save-current`
/// leaves the input that did it on disk). Seeded with xoshiro256**: the same seed gives the
/// same inputs on every machine.
public enum Fuzzer {
    public enum Reader: String, CaseIterable, Sendable {
        case safetensors, npz, json, idx, onnx
        /// Seed files of this reader, by extension.
        public func accepts(_ file: String) -> Bool {
            switch self {
            case .safetensors: return file.hasSuffix(".safetensors")
            case .npz: return file.hasSuffix(".npz")
            case .json: return file.hasSuffix(".json")
            case .idx: return file.hasSuffix(".idx") || file.hasSuffix(".idx.gz")
            case .onnx: return file.hasSuffix(".onnx")
            }
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var reader: Reader
        public var inputs = 0
        /// Inputs that loaded (a network, tensors or an IDX array).
        public var accepted = 0
        /// Inputs refused with an error, by error kind ("malformed", "size", "IDX truncated", ...).
        public var refused: [String: Int] = [:]
        public var seconds = 0.0
        public var description: String {
            let kinds = refused.keys.sorted().map { "\($0) \(refused[$0]!)" }.joined(separator: ", ")
            return "\(reader.rawValue): \(inputs) inputs in \(String(format: "%.1f", seconds)) s, \(accepted) loaded, \(inputs - accepted) refused (\(kinds)), 0 crashes"
        }
    }

    /// The seed files of `reader` in `directory` (sorted by name).
    public static func seeds(_ reader: Reader, in directory: String) throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter(reader.accepts).sorted()
        return try names.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
    }

    static let bytes8: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x7B, 0x22, 0x2C, 0x30]
    static let words: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x1_0000_0000,
                                  1 << 62, 1 << 63, UInt64.max, UInt64.max - 1, 0x10_0000_0000]
    static let numbers = ["-1", "1e300", "18446744073709551616", "9223372036854775807", "4294967296", "NaN", "-0", "0.5", "1e-320", "99999999999999999999999"]

    /// One mutated input.
    public static func mutate(_ input: [UInt8], other: [UInt8], rng: inout Xoshiro256StarStar) -> [UInt8] {
        var b = input
        func r(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }
        for _ in 0...r(4) {
            switch r(11) {
            case 0: if !b.isEmpty { b[r(b.count)] ^= UInt8(1 << r(8)) }
            case 1: if !b.isEmpty { b[r(b.count)] = bytes8[r(bytes8.count)] }
            case 2, 3:
                let w = words[r(words.count)], width = [2, 4, 8][r(3)], big = r(4) == 0
                if b.count >= width {
                    let at = r(b.count - width + 1)
                    for k in 0..<width { b[at + k] = UInt8(truncatingIfNeeded: w >> (8 * UInt64(big ? width - 1 - k : k))) }
                }
            case 4: if b.count > 1 { let a = r(b.count), n = 1 + r(Swift.min(64, b.count - a)); b.removeSubrange(a..<Swift.min(b.count, a + n)) }
            case 5: if !b.isEmpty { let a = r(b.count), n = 1 + r(Swift.min(64, b.count - a)); b.insert(contentsOf: b[a..<Swift.min(b.count, a + n)], at: r(b.count)) }
            case 6: b = Array(b.prefix(r(b.count + 1)))
            case 7: if !other.isEmpty { b = Array(b.prefix(r(b.count + 1))) + Array(other.suffix(r(other.count + 1))) }
            case 8: b.insert(contentsOf: (0..<(1 + r(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: r(b.count + 1))
            default:
                // replace a run of digits (a size, offset, index or weight in text) by a hostile number
                let digits = b.indices.filter { b[$0] >= 0x30 && b[$0] <= 0x39 }
                if let start = digits.isEmpty ? nil : digits[r(digits.count)] {
                    var end = start
                    while end < b.count, (b[end] >= 0x30 && b[end] <= 0x39) || b[end] == 0x2E || b[end] == 0x65 || b[end] == 0x2D { end += 1 }
                    b.replaceSubrange(start..<end, with: Array(numbers[r(numbers.count)].utf8))
                }
            }
        }
        return b
    }

    /// Reads `bytes` as `reader` would; returns true when it loaded.
    public static func exercise(_ reader: Reader, _ bytes: [UInt8], limits: ReadLimits, scratch: String?) throws -> Bool {
        let options = LoadOptions(limits: limits)
        switch reader {
        case .safetensors:
            _ = try SafeTensors.parse(bytes, source: "fuzz", limits: limits)
            _ = try NetworkFile.load(bytes: bytes, source: "fuzz", options: options)
        case .npz:
            _ = try NPZ.parseArchive(bytes, source: "fuzz", limits: limits)
            _ = try NetworkFile.load(bytes: bytes, source: "fuzz", options: options)
        case .json, .onnx:
            _ = try NetworkFile.load(bytes: bytes, source: "fuzz", options: options)
        case .idx:
            if bytes.first == 0x1F, let s = scratch {
                try Data(bytes).write(to: URL(fileURLWithPath: s))
                _ = try IDXFile.read(s, limits: limits)
            } else {
                _ = try IDXFile.parse(bytes, path: "fuzz")
            }
        }
        return true
    }

    static func kind(_ e: Error) -> String {
        switch e {
        case let f as NetworkFileError:
            switch f {
            case .io: return "io"; case .malformed: return "malformed"; case .unsupportedDType: return "dtype"
            case .missingTensor: return "missing"; case .unexpectedTensor: return "unexpected"; case .shape: return "shape"
            case .nonFinite: return "non-finite"; case .unknownFormat: return "format"; case .size: return "size"
            case .unsupported: return "unsupported"; case .order: return "order"; case .activation: return "activation"
            }
        case let i as IDXError: return "IDX " + String("\(i)".prefix(0)) + {
            switch i { case .truncated: return "truncated"; case .trailingBytes: return "trailing"; case .notIDX: return "not IDX"
            case .unsupportedType: return "type"; case .tooLarge: return "too large"; case .gzip: return "gzip"; default: return "other" } }()
        default: return "other (\(type(of: e)))"
        }
    }

    /// Runs `iterations` mutated inputs (or until `seconds` pass). `onInput` sees each input
    /// before it is read (the executable saves it, so a trap leaves its reproducer behind).
    public static func run(_ reader: Reader, seeds: [[UInt8]], iterations: Int, seed: UInt64, seconds: Double? = nil,
                           limits: ReadLimits = ReadLimits(budget: MemoryBudget(bytes: 256e6)), scratch: String? = nil,
                           onInput: (([UInt8]) -> Void)? = nil) -> Report {
        var report = Report(reader: reader)
        guard !seeds.isEmpty else { return report }
        var rng = Xoshiro256StarStar(seed: seed ^ UInt64(Reader.allCases.firstIndex(of: reader)! + 1) &* 0x9E37_79B9_7F4A_7C15)
        let t0 = monotonicSeconds()
        for i in 0..<iterations {
            if let s = seconds, monotonicSeconds() - t0 > s { break }
            if Interrupt.isRequested { break }
            let base = seeds[i % seeds.count], other = seeds[Int(rng.next() % UInt64(seeds.count))]
            let input = i < seeds.count ? base : mutate(base, other: other, rng: &rng)
            onInput?(input)
            report.inputs += 1
            do { if try exercise(reader, input, limits: limits, scratch: scratch) { report.accepted += 1 } }
            catch { report.refused[kind(error), default: 0] += 1 }
        }
        report.seconds = monotonicSeconds() - t0
        return report
    }
}
