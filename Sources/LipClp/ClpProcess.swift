import CLipSpawn
import Foundation
import LipControl

/// One run of an external program, watched from the calling thread: its output goes to a log
/// file that is read as it grows; the run ends when the program exits, when `interrupted()`
/// (by default `LipControl.Interrupt.isRequested`) turns true, or when the watchdog deadline
/// passes (then the whole process group is killed); at `softStop` the group gets SIGINT once.
/// The child is always reaped before `run` returns, and it is started with a parent-death
/// signal, so it never outlives the thread that started it.
struct ChildRun {
    enum End: Equatable {
        case exited(Int32)
        case signaled(Int32)
        case interrupted          // killed because Interrupt.isRequested
        case watchdog             // killed because the deadline passed
        case spawnFailed(Int32)   // errno
        case waitFailed(Int32)
    }
    var end: End
    var seconds: Double
    /// The whole log (stdout and stderr).
    var log: String
    var pid: Int32
    /// CPU seconds (user + system) and peak resident memory of the child (0 if it never ran).
    var cpuSeconds: Double = 0
    var peakBytes: Double = 0
    /// True when the child was sent SIGINT at `softStop`.
    var softStopped = false
}

enum ChildProcess {
    /// Runs `executable` with `arguments`, output to `logPath`. `onLine` is called with every
    /// complete line while the program runs. `watchdog` is an absolute monotonic time (seconds,
    /// `monotonicSeconds()`) after which the program is killed.
    static func run(executable: String, arguments: [String], logPath: String, watchdog: Double?,
                    interrupted: () -> Bool = { Interrupt.isRequested }, softStop: Double? = nil,
                    onLine: (Substring) -> Void) -> ChildRun {
        let start = monotonicSeconds()
        let out = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if out < 0 { return ChildRun(end: .spawnFailed(errno), seconds: 0, log: "", pid: -1) }
        let reader = open(logPath, O_RDONLY | O_CLOEXEC)
        defer { if reader >= 0 { close(reader) } }

        // argv as C strings that live until the spawn returns.
        let all = [executable] + arguments
        var cStrings: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) }
        cStrings.append(nil)
        defer { for p in cStrings { free(p) } }
        var err: Int32 = 0
        let pid = cStrings.withUnsafeMutableBufferPointer { argv in
            liplua_spawn(executable, argv.baseAddress, out, &err)
        }
        close(out)
        if pid < 0 { return ChildRun(end: .spawnFailed(err), seconds: monotonicSeconds() - start, log: "", pid: -1) }

        var log = [UInt8]()
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        func drain() {
            guard reader >= 0 else { return }
            while true {
                let n = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                log.append(contentsOf: chunk[0..<n])
                pending.append(contentsOf: chunk[0..<n])
            }
            if let last = pending.lastIndex(of: 10) {
                let text = String(decoding: pending[0..<last], as: UTF8.self)
                for line in text.split(separator: "\n", omittingEmptySubsequences: true) { onLine(line) }
                pending.removeSubrange(0...last)
            }
        }

        var end: ChildRun.End
        var pause: useconds_t = 2_000
        var usage = liplua_child_usage()
        var softStopped = false
        while true {
            var code: Int32 = 0
            let r = liplua_spawn_poll(pid, &code, &usage)
            if r == 1 { end = .exited(code); break }
            if r == 2 { end = .signaled(code); break }
            if r < 0 { _ = liplua_spawn_kill(pid, &code, &usage); end = .waitFailed(code); break }
            if interrupted() {
                _ = liplua_spawn_kill(pid, &code, &usage); end = .interrupted; break
            }
            if let w = watchdog, monotonicSeconds() >= w {
                _ = liplua_spawn_kill(pid, &code, &usage); end = .watchdog; break
            }
            if !softStopped, let s = softStop, monotonicSeconds() >= s {
                kill(-pid, SIGINT); softStopped = true
            }
            drain()
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        drain()
        if !pending.isEmpty { onLine(Substring(String(decoding: pending, as: UTF8.self))) }
        return ChildRun(end: end, seconds: monotonicSeconds() - start, log: String(decoding: log, as: UTF8.self), pid: pid,
                        cpuSeconds: usage.cpu_seconds, peakBytes: usage.peak_bytes, softStopped: softStopped)
    }

    /// True when a process with this pid exists and is not a zombie (for tests: no child is
    /// left behind).
    static func isRunning(_ pid: Int32) -> Bool {
        guard liplua_process_exists(pid) != 0 else { return false }
        #if os(Linux)
        // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            return state != "Z" && state != "X"
        }
        #endif
        return true
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGSEGV: return "SIGSEGV"; case SIGABRT: return "SIGABRT"; case SIGKILL: return "SIGKILL"
        case SIGBUS: return "SIGBUS"; case SIGFPE: return "SIGFPE"; case SIGILL: return "SIGILL"
        case SIGTERM: return "SIGTERM"; case SIGINT: return "SIGINT"
        default: return "signal \(s)"
        }
    }
}

/// A private directory (mode 0700, unique per process and call) removed with everything in it
/// when `remove()` runs.
struct PrivateDirectory {
    let path: String
    init(parent: String?) throws {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/liplua-clp-\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw ClpTemporaryError(message: "cannot create a private directory in '\(base)': \(String(cString: strerror(errno))); set TMPDIR or ClpSolver.temporaryDirectory to a writable directory")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
    func file(_ name: String) -> String { path + "/" + name }

    /// Removes directories `liplua-clp-<pid>-*` in `parent` left by a liplua that was killed
    /// (SIGKILL leaves no chance to clean up): only when process <pid> no longer exists and
    /// nothing in the directory changed for `quietSeconds` (another PID namespace sharing the
    /// directory may have the same pid numbers). Returns the paths removed.
    @discardableResult
    static func removeStale(parent: String?, quietSeconds: Double = 3600) -> [String] {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: base) else { return [] }
        var removed: [String] = []
        let now = Date()
        for name in names where name.hasPrefix("liplua-clp-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = Int32(parts[2]), pid > 0, pid != getpid(),
                  liplua_process_exists(pid) == 0 else { continue }
            let dir = base + "/" + name
            var newest = (try? fm.attributesOfItem(atPath: dir))?[.modificationDate] as? Date ?? now
            for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
                if let d = (try? fm.attributesOfItem(atPath: dir + "/" + f))?[.modificationDate] as? Date, d > newest { newest = d }
            }
            if now.timeIntervalSince(newest) >= quietSeconds, (try? fm.removeItem(atPath: dir)) != nil { removed.append(dir) }
        }
        return removed
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ClpTemporaryError: Error { var message: String }
