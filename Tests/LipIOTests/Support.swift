import Foundation
import Testing
@testable import LipCore
@testable import LipIO

/// Runs python3 with a script file or `-c` text; nil when python3 or a module is missing
/// (the caller records an issue: scripts/tools/setup --python installs them).
func runPython(_ args: [String]) throws -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    do { try p.run() } catch { return nil }
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let es = String(decoding: e, as: UTF8.self)
    if p.terminationStatus != 0 {
        if es.contains("No module named") { return nil }
        throw NetworkFileError.io("python failed: \(es)")
    }
    return String(decoding: o, as: UTF8.self)
}

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func freshDir(_ tag: String) throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-io-\(tag)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// The ONNX oracle directory, written once per test process by scripts/tools/tests/onnx_models.py.
let onnxOracle: String? = {
    guard let d = try? freshDir("onnx") else { return nil }
    guard let out = try? runPython([repoRoot + "/scripts/tools/tests/onnx_models.py", d]), out.contains("mlp_relu") else { return nil }
    return d
}()

func message(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "no error" } catch { return "\(error)" }
}

/// Rows of a 2-D npz array.
func rows(_ t: NamedTensor) -> [[Double]] {
    let n = t.shape[0], m = t.shape.count > 1 ? t.shape[1] : 1
    return (0..<n).map { Array(t.values[($0 * m)..<(($0 + 1) * m)]) }
}
