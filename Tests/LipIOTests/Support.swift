import Foundation
import Testing
import LipTestSupport
@testable import LipCore
@testable import LipIO

/// Runs python3 with a script file or `-c` text; nil when python3 or a module is missing
/// (the caller records an issue: scripts/tools/setup --python installs them). A failing or
/// stuck script (killed after 300 s) throws with its stderr.
func runPython(_ args: [String]) throws -> String? {
    guard let r = try Subprocess.python(args) else { return nil }
    guard r.status == 0, !r.timedOut else { throw NetworkFileError.io("python failed: \(r.summary)") }
    return r.stdout
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
