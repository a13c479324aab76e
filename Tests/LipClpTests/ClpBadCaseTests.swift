import Foundation
import LipLP
@testable import LipClp
import Testing
import LipTestSupport

/// A fake `clp`: a shell script that finds the solution file names on its command line like the
/// real program, records its pid (and any helper's) in `pids`, then runs `body`.
struct FakeClp {
    let path: String
    let pids: String
    let dir: String

    init(_ tag: String, _ body: String) throws {
        dir = scratchDirectory("fake-\(tag)")
        path = dir + "/clp"
        pids = dir + "/pids"
        let script = """
            #!/bin/sh
            sol=""; bin=""
            while [ $# -gt 0 ]; do
              case "$1" in
                -solution) sol="$2"; shift ;;
                -saveSolution) bin="$2"; shift ;;
              esac
              shift
            done
            echo $$ >> '\(pids)'
            echo "Coin LP version 0.0 fake"
            \(body)

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    /// The solver with this fake program and a private scratch directory for its files.
    func solver() -> (ClpSolver, String) {
        var s = ClpSolver(executable: path)
        let work = scratchDirectory("work")
        s.temporaryDirectory = work
        return (s, work)
    }

    var recordedPids: [Int32] {
        ((try? String(contentsOfFile: pids, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// After a solve: nothing the fake started is still running and the work directory is empty.
    func expectCleanedUp(_ work: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!recordedPids.isEmpty, "the fake clp never ran", sourceLocation: sourceLocation)
        // The child itself was reaped before solve returned; a helper it started was killed
        // with its process group (SIGKILL is delivered asynchronously, and the reparented
        // helper is reaped by init: allow a moment, and count a zombie as gone).
        for pid in recordedPids {
            let until = Date().addingTimeInterval(3)
            while ChildProcess.isRunning(pid) && Date() < until { usleep(10_000) }
            #expect(!ChildProcess.isRunning(pid), "process \(pid) is still running", sourceLocation: sourceLocation)
        }
        #expect(contents(work).isEmpty, "left behind: \(contents(work))", sourceLocation: sourceLocation)
    }
}

/// `python3 -c` writing Clp's binary solution layout: Int32 m, Int32 n, objective, then
/// row activities, row duals, column values, reduced costs.
func binary(m: Int, n: Int, values: String) -> String {
    "python3 -c \"import struct,sys; v=\(values); open(sys.argv[1],'wb').write(struct.pack('<ii',\(m),\(n))+struct.pack('<%dd'%len(v),*v))\" \"$bin\""
}

/// Failures of the external program become statuses with messages; no child and no file is
/// left behind. These run with or without Clp installed (the program is a fake).
@Suite struct ClpBadCases {
    let lp = smallMax()     // 2 rows, 2 columns: the binary file has 16 + 16·4 = 80 bytes

    @Test func missingProgram() throws {
        for exe in ["/nonexistent/dir/clp", "no-such-clp-program-\(getpid())"] {
            let r = try ClpSolver(executable: exe).solve(lp, options: LPOptions())
            #expect(r.status == .solverError)
            #expect(r.message.contains("not found") && r.message.contains("coinor-clp") && r.message.contains(exe), "\(r.message)")
            #expect(r.primal.isEmpty && r.objective.isNaN)
        }
        // A file that is not executable is not a program.
        let dir = scratchDirectory("noexec")
        let plain = dir + "/clp"
        try "not a program".write(toFile: plain, atomically: true, encoding: .utf8)
        let r = try ClpSolver(executable: plain).solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("not found or is not executable"))
        #expect(ClpSolver.locate(plain) == nil)
    }

    @Test func crash() throws {
        let fake = try FakeClp("crash", "kill -SEGV $$")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError)
        #expect(r.message.contains("crashed (SIGSEGV)"), "\(r.message)")
        #expect(r.message.contains("Coin LP version 0.0 fake"))   // its last output is quoted
        #expect(r.primal.isEmpty)
        fake.expectCleanedUp(work)
    }

    @Test func nonzeroExit() throws {
        let fake = try FakeClp("exit", "echo 'something went wrong' >&2; exit 3")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("status 3") && r.message.contains("something went wrong"), "\(r.message)")
        fake.expectCleanedUp(work)
    }

    @Test func noSolutionFiles() throws {
        let fake = try FakeClp("nofiles", "echo '** Current model not valid'; exit 0")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("no solution file") && r.message.contains("model not valid"), "\(r.message)")
        fake.expectCleanedUp(work)
    }

    @Test func malformedStatusLine() throws {
        let fake = try FakeClp("status", "head -c 300 /dev/urandom; echo 'Gibberish 42' > \"$sol\"; \(binary(m: 2, n: 2, values: "[0]*9"))")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("unknown status line 'Gibberish 42'"), "\(r.message)")
        fake.expectCleanedUp(work)
    }

    @Test func truncatedAndOversizedBinary() throws {
        for (tag, cmd, word) in [("trunc", "head -c 20 /dev/zero > \"$bin\"", "truncated"),
                                 ("big", "head -c 50000000 /dev/zero > \"$bin\"", "trailing data"),
                                 ("empty", ": > \"$bin\"", "truncated")] {
            let fake = try FakeClp(tag, "echo 'Optimal - objective value 11' > \"$sol\"; \(cmd)")
            let (s, work) = fake.solver()
            let r = try s.solve(lp, options: LPOptions())
            #expect(r.status == .solverError && r.message.contains(word), "\(tag): \(r.message)")
            #expect(r.primal.isEmpty && r.objective.isNaN)
            fake.expectCleanedUp(work)
        }
    }

    @Test func binaryForAnotherLP() throws {
        // Right length (80 bytes) but the header claims 7 rows and 9 columns.
        let fake = try FakeClp("sizes", "echo 'Optimal - objective value 11' > \"$sol\"; python3 -c \"import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<iid',7,9,0)+bytes(64))\" \"$bin\"")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("7 rows and 9 columns"), "\(r.message)")
        fake.expectCleanedUp(work)
    }

    @Test func nonFiniteValuesAreNoPoint() throws {
        let fake = try FakeClp("nan", "echo 'Optimal - objective value 11' > \"$sol\"; \(binary(m: 2, n: 2, values: "[-11,4,6,-2,0,3,float('nan'),-1,0]"))")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .numericalError && r.message.contains("non-finite"), "\(r.message)")
        #expect(r.primal.isEmpty && r.objective.isNaN)
        fake.expectCleanedUp(work)
    }

    @Test func anInfeasiblePointCalledOptimalIsNotOptimal() throws {
        // x = (1000, 1000) violates x + y ≤ 4 and x ≤ 3: never reported as an optimum.
        let fake = try FakeClp("wrong", "echo 'Optimal - objective value -5000' > \"$sol\"; \(binary(m: 2, n: 2, values: "[-5000,2000,4000,0,0,1000,1000,0,0]"))")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .numericalError && r.message.contains("violates"), "\(r.message)")
        fake.expectCleanedUp(work)
    }

    @Test func aCorrectFakeAnswerIsReadExactly() throws {
        // The binary layout, hand-written: smallMax's optimum in the negated file (min −3x − 2y):
        // objective −11, activities (4, 6), duals (−2, 0), x = (3, 1), d = (−1, 0). Mapped back:
        // objective 11, y = (2, 0), d = (1, 0) (the maximisation's own sense).
        let fake = try FakeClp("right", "echo 'Optimal - objective value -11' > \"$sol\"; \(binary(m: 2, n: 2, values: "[-11,4,6,-2,0,3,1,-1,0]"))")
        let (s, work) = fake.solver()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .optimal, "\(r.message)")
        #expect(r.objective == 11 && r.primal == [3, 1] && r.rowDuals == [2, 0] && r.reducedCosts == [1, 0])
        #expect(r.message.contains("Clp 0.0"))
        fake.expectCleanedUp(work)
    }

    @Test(arguments: [false, true]) func hangIsStoppedAtTheTimeLimit(ignoresSIGINT: Bool) throws {
        // The fake starts a helper (sleep) and waits: stopping the process group stops both.
        // Plain, it dies of the SIGINT sent halfway through the grace period; ignoring SIGINT,
        // it is killed with SIGKILL at the end of it.
        let fake = try FakeClp("hang\(ignoresSIGINT)", (ignoresSIGINT ? "trap '' INT; " : "") + "sleep 600 & echo $! >> \"$(dirname \"$0\")/pids\"; wait")
        let (s0, work) = fake.solver()
        var s = s0
        s.killGrace = 0.6; s.killGraceFraction = 0
        let t0 = Date()
        let r = try s.solve(lp, options: options(.dualSimplex, timeLimit: 0.3))
        let took = Date().timeIntervalSince(t0)
        #expect(r.status == .timeLimit && r.primal.isEmpty, "\(r.message)")
        #expect(r.message.contains(ignoresSIGINT ? "was killed" : "SIGINT"), "\(r.message)")
        #expect(took >= (ignoresSIGINT ? 0.85 : 0.55) && took < 5, "took \(took) s")
        #expect(fake.recordedPids.count == 2)
        fake.expectCleanedUp(work)
    }

    @Test func overrunGetsSIGINTAndKeepsThePoint() throws {
        // Like clp past its -seconds: it ignores the limit until SIGINT, then writes its point
        // (prepared beforehand, so the trap is quick even on a loaded machine).
        let prepare = "echo 'Stopped on ctrl-c - objective value -11' > \"$sol.ready\"; " + binary(m: 2, n: 2, values: "[-11,4,6,-2,0,3,1,-1,0]").replacingOccurrences(of: "\"$bin\"", with: "\"$bin.ready\"")
        let fake = try FakeClp("overrun", prepare + "; trap 'mv \"$sol.ready\" \"$sol\"; mv \"$bin.ready\" \"$bin\"; exit 0' INT; sleep 600 & echo $! >> \"$(dirname \"$0\")/pids\"; wait")
        let (s0, work) = fake.solver()
        var s = s0
        s.killGrace = 6; s.killGraceFraction = 0
        let t0 = Date()
        let r = try s.solve(lp, options: options(.dualSimplex, timeLimit: 0.3))
        let took = Date().timeIntervalSince(t0)
        #expect(r.status == .timeLimit && r.message.contains("SIGINT"), "\(r.message)")
        #expect(r.primal == [3, 1] && r.objective == 11)
        #expect(took >= 3.2 && took < 6.3, "took \(took) s (SIGINT is due 3 s after the limit, SIGKILL 6 s after)")
        fake.expectCleanedUp(work)
    }

    @Test func hangIsKilledOnInterrupt() throws {
        let fake = try FakeClp("hangint", "sleep 600 & echo $! >> \"$(dirname \"$0\")/pids\"; wait")
        let (s0, work) = fake.solver()
        var s = s0
        let flag = Flag()
        s.interruptRequested = { flag.isSet }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { flag.set() }
        let t0 = Date()
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .interrupted && r.message.contains("was killed"), "\(r.message)")
        #expect(Date().timeIntervalSince(t0) < 5)
        #expect(fake.recordedPids.count == 2)
        fake.expectCleanedUp(work)
    }

    @Test func unwritableTemporaryDirectory() throws {
        var s = ClpSolver(executable: "/bin/true")
        s.temporaryDirectory = "/nonexistent-liplua-dir"
        let r = try s.solve(lp, options: LPOptions())
        #expect(r.status == .solverError && r.message.contains("private directory") && r.message.contains("/nonexistent-liplua-dir"), "\(r.message)")
    }
}

@Suite struct StaleDirectories {
    @Test func onlyDirectoriesOfDeadProcessesLeftQuietAreRemoved() throws {
        let parent = scratchDirectory("stale")
        // A pid that is certainly not running: a child that has been reaped.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run(); p.waitUntilExit()
        let dead = p.processIdentifier
        let fm = FileManager.default
        let old = Date().addingTimeInterval(-7200)
        func make(_ name: String, age: Date?) throws -> String {
            let d = parent + "/" + name
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
            try "x".write(toFile: d + "/lp.mps", atomically: false, encoding: .utf8)
            if let age {
                try fm.setAttributes([.modificationDate: age], ofItemAtPath: d + "/lp.mps")
                try fm.setAttributes([.modificationDate: age], ofItemAtPath: d)
            }
            return d
        }
        let stale = try make("liplua-clp-\(dead)-AAAAAA", age: old)
        let recent = try make("liplua-clp-\(dead)-BBBBBB", age: nil)            // dead but touched just now
        let alive = try make("liplua-clp-1-CCCCCC", age: old)                   // pid 1 exists
        let mine = try make("liplua-clp-\(getpid())-DDDDDD", age: old)          // this process
        let other = try make("something-else-\(dead)", age: old)
        let removed = PrivateDirectory.removeStale(parent: parent)
        #expect(removed == [stale])
        for d in [recent, alive, mine, other] { #expect(fm.fileExists(atPath: d), "\(d) was removed") }
        #expect(!fm.fileExists(atPath: stale))
    }
}
