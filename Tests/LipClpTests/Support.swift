import Foundation
import LipLP
@testable import LipClp
import Testing
import LipTestSupport

// The LP catalogue (hand optima, random LPs, the optimality check) is shared with the GLPK
// tests in Tests/LipTestSupport, so Clp is checked against GLPK and against the hand values.

/// The Clp tests run when the `clp` program is installed (scripts/tools/setup --clp, which
/// scripts/tools/test runs, installs Debian's coinor-clp); otherwise they are skipped with this reason.
let clpPath = ClpSolver.locate()
let clpMissing = "COIN-OR Clp is not installed (no 'clp' in PATH or LIPLUA_CLP): run scripts/tools/setup --clp (apt-get install coinor-clp)"

let clpMethods: [LPMethod] = [.dualSimplex, .primalSimplex, .interiorPoint, .automatic]

/// The root of this process's scratch directories, `$TMPDIR/liplua-clptest-<pid>`; made once,
/// after removing the roots of earlier test runs whose process is gone.
let scratchRoot: String = {
    let fm = FileManager.default
    let tmp = fm.temporaryDirectory.path
    for name in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("liplua-clptest-") {
        if let pid = Int32(name.dropFirst("liplua-clptest-".count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
            try? fm.removeItem(atPath: tmp + "/" + name)
        }
    }
    let root = tmp + "/liplua-clptest-\(getpid())"
    try? fm.createDirectory(atPath: root, withIntermediateDirectories: true)
    return root
}()

/// A fresh empty directory for one test (Clp's private directories go below it, so a test can
/// check that nothing is left behind).
func scratchDirectory(_ tag: String) -> String {
    let dir = scratchRoot + "/\(tag)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func contents(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? ["<unreadable>"] }

/// A thread-safe flag for `ClpSolver.interruptRequested` (the process-wide Ctrl-C flag would
/// disturb tests running at the same time).
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [LPProgress] = []
    func add(_ p: LPProgress) { lock.withLock { items.append(p) } }
    var all: [LPProgress] { lock.withLock { items } }
}

/// Clp with a private scratch directory.
func clp(_ tag: String) -> (ClpSolver, String) {
    var s = ClpSolver()
    let dir = scratchDirectory(tag)
    s.temporaryDirectory = dir
    return (s, dir)
}
