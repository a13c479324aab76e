import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a child process did.
public struct ProcessRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the child outlived its time limit and was killed (SIGKILL).
    public var timedOut: Bool
    /// A one-line summary for expectation messages.
    public var summary: String { "exit \(status)\(timedOut ? " (killed after its time limit)" : ""); stderr: \(stderr.suffix(2000))" }
}

/// Child processes for tests, safe to start from tests running in parallel: every wait has a
/// time limit (a stuck child is killed, the test fails instead of hanging the suite), and
/// output goes to files, not pipes, so a chatty child cannot fill a pipe and a pipe end held by
/// some other process cannot keep a reader waiting for end-of-file.
public enum Subprocess {
    /// Runs `executable` with `arguments`. `stdin` is given through a pipe that is closed after
    /// the text (none: end-of-file at once). Throws only when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                           environment: [String: String]? = nil, cwd: String? = nil,
                           timeout: Double = 300) throws -> ProcessRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("stdout").path, errPath = dir.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let input = Pipe()
        p.standardInput = input; p.standardOutput = out; p.standardError = err
        try p.run()
        try? out.close(); try? err.close()
        // Large input is written beside the wait so a child that does not read cannot block us.
        let writer = input.fileHandleForWriting
        let text = Data((stdin ?? "").utf8)
        let written = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            signal(SIGPIPE, SIG_IGN)
            if !text.isEmpty { try? writer.write(contentsOf: text) }
            try? writer.close()
            written.signal()
        }
        let timedOut = !waitForExit(p, timeout: timeout)
        _ = written.wait(timeout: .now() + 5)
        let o = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let e = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return ProcessRun(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                          stderr: String(decoding: e, as: UTF8.self), timedOut: timedOut)
    }

    /// Waits until `p` exits; after `timeout` seconds it is killed (SIGKILL) and reaped, and the
    /// answer is false.
    @discardableResult
    public static func waitForExit(_ p: Process, timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < end { usleep(5_000) }
        let inTime = !p.isRunning
        if !inTime { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return inTime
    }

    /// Reads from `handle` until the text read so far contains `marker` (nil: none), end-of-file,
    /// or `timeout` seconds; returns what was read. Never blocks longer than the time limit.
    public static func read(_ handle: FileHandle, until marker: String?, timeout: Double) -> Data {
        var seen = Data()
        let fd = handle.fileDescriptor
        let end = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while marker.map({ !String(decoding: seen, as: UTF8.self).contains($0) }) ?? true {
            let left = end.timeIntervalSinceNow
            if left <= 0 { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            seen.append(contentsOf: buffer[0..<n])
        }
        return seen
    }

    /// Runs python3 with `arguments` (a script path or `-c` text and its arguments); nil when
    /// python3 cannot be started or one of its modules is missing (the caller says which
    /// tests skip: scripts/tools/setup --python installs them).
    public static func python(_ arguments: [String], timeout: Double = 300) throws -> ProcessRun? {
        guard let r = try? run("/usr/bin/env", ["python3"] + arguments, timeout: timeout) else { return nil }
        if r.status == 127 || r.stderr.contains("No module named") { return nil }
        return r
    }
}
