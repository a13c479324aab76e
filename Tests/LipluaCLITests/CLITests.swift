import Foundation
import Testing
import LipTestSupport

/// The built `liplua` sits next to the test bundle in the build products directory.
let lipluaBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("liplua").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("liplua").path
}()

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Runs liplua (or `/bin/sh` with `shell`) with a clean Lua environment; a run that outlives
/// `timeout` seconds is killed and reported as a failure.
func liplua(_ args: [String], stdin: String? = nil, environment: [String: String] = [:], cwd: String? = nil,
            shell: Bool = false, timeout: Double = 300) throws -> ProcessRun {
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "LUA_INIT"); env.removeValue(forKey: "LUA_INIT_5_4"); env.removeValue(forKey: "LIPLUA_STDLIB")
    for (k, v) in environment { env[k] = v }
    let r = try Subprocess.run(shell ? "/bin/sh" : lipluaBinary, args, stdin: stdin, environment: env, cwd: cwd, timeout: timeout)
    if r.timedOut { Issue.record("liplua \(args.joined(separator: " ")) was killed after \(timeout) s") }
    return r
}

/// Runs a python3 driver script (its own time limits inside; killed after 300 s).
func pythonDriver(_ args: [String]) throws -> ProcessRun {
    let r = try Subprocess.run("/usr/bin/env", ["python3"] + args, timeout: 300)
    if r.timedOut { Issue.record("python3 \(args.first ?? "") was killed after 300 s") }
    return r
}

func tempFile(_ name: String, _ text: String) throws -> String {
    let dir = URL(fileURLWithPath: "/tmp/lc-\(UUID().uuidString.prefix(8))")   // short: Lua abbreviates long chunk names
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite struct CLITests {
    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: lipluaBinary), "liplua not found at \(lipluaBinary)")
    }

    @Test func scriptSeesArgAndVarargs() throws {
        let script = try tempFile("args.lua", "print(arg[0], arg[1], arg[2], #arg, select('#', ...), ..., arg[-1] ~= nil)\n")
        let r = try liplua([script, "a", "b c"])
        #expect(r.status == 0)
        #expect(r.stdout == "\(script)\ta\tb c\t2\t2\ta\ttrue\n")   // `...` mid-list gives one value
        // interpreter options before the script get negative indices
        let r2 = try liplua(["-e", "x=1", "-e", "print(arg[-1], arg[-2], arg[-3], arg[-5] ~= nil, arg[0])", script, "z"])
        #expect(r2.stdout.hasPrefix("print(arg[-1], arg[-2], arg[-3], arg[-5] ~= nil, arg[0])\t-e\tx=1\ttrue\t\(script)\n"))
    }

    @Test func executeStringAndRequire() throws {
        let r = try liplua(["-e", "print(1 + 1)", "-e", "io.write(math.pi > 3 and 'yes' or 'no', '\\n')"])
        #expect(r.status == 0)
        #expect(r.stdout == "2\nyes\n")
        let r2 = try liplua(["-l", "L=lip", "-e", "print(type(L.lp.solve))"], cwd: "/")
        #expect(r2.stdout == "function\n")
        let r3 = try liplua(["-l", "lip", "-e", "print(type(lip.lp))"], cwd: "/tmp")
        #expect(r3.stdout == "table\n")
    }

    @Test func scriptErrorExitsOneWithPositionAndTraceback() throws {
        let script = try tempFile("boom.lua", "local x = 1\nerror('boom')\n")
        let r = try liplua([script])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("liplua: \(script):2: boom\nstack traceback:"))
        let r2 = try liplua(["-e", "require('lip').lp.solve{objective = {1}, degre = 3}"])
        #expect(r2.status == 1)
        #expect(r2.stderr.hasPrefix("liplua: (command line):1: bad argument #1 to 'solve' (unknown option 'degre'"))
    }

    @Test func missingScriptAndBadOption() throws {
        let r = try liplua(["/nonexistent/x.lua"])
        #expect(r.status == 1)
        #expect(r.stderr == "liplua: cannot open /nonexistent/x.lua\n")
        let r2 = try liplua(["-z"])
        #expect(r2.status == 1)
        #expect(r2.stderr.hasPrefix("liplua: unrecognized option '-z'\nusage: liplua [options] [script [args]]"))
        let r3 = try liplua(["-e"])
        #expect(r3.status == 1)
        #expect(r3.stderr.hasPrefix("liplua: '-e' needs argument"))
        let r4 = try liplua(["--stdlib", "/nonexistent", "-e", "print(1)"])
        #expect(r4.status == 1)
        #expect(r4.stderr.contains("has no lip/init.lua"))
    }

    @Test func stdinScripts() throws {
        let r = try liplua(["-", "x", "y"], stdin: "print('from stdin', ...)\n")
        #expect(r.stdout == "from stdin\tx\ty\n")
        // no arguments and stdin not a terminal: run stdin as a script, like lua
        let r2 = try liplua([], stdin: "print(6 * 7)\n")
        #expect(r2.status == 0)
        #expect(r2.stdout == "42\n")
    }

    @Test func versionNamesLuaAndGLPKAndStdlib() throws {
        let r = try liplua(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Lua 5.4."))
        #expect(r.stdout.range(of: #"GLPK \d+\.\d+"#, options: .regularExpression) != nil)
        #expect(r.stdout.contains("stdlib: "))
        let r2 = try liplua(["-v"], environment: ["LIPLUA_STDLIB": packageRoot + "/stdlib"])
        #expect(r2.stdout.contains("($LIPLUA_STDLIB)"))
    }

    @Test func osExitFlushesAndKeepsCode() throws {
        let r = try liplua(["-e", "io.write('partial'); print(' line'); os.exit(3)"])
        #expect(r.status == 3)
        #expect(r.stdout == "partial line\n")
        let r2 = try liplua(["-e", "os.exit(false)"])
        #expect(r2.status == 1)
    }

    @Test func replThroughAPipe() throws {
        let r = try liplua(["-i"], stdin: "1 + 1\nerror('oops')\nt = {b = 2, a = {1, 2}}\nt\nfor i = 1, 2 do\nprint(i * 10)\nend\n")
        #expect(r.status == 0)
        #expect(r.stdout.contains("2\n{a = {1, 2}, b = 2}\n10\n20\n"))
        #expect(r.stderr.contains("stdin:1: oops"))
    }

    @Test func replOnAPseudoTerminalWritesHistory() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let driver = """
            import os, pty, sys, time, select, termios
            def editing(fd, timeout=10):
                # libedit switches the terminal to raw mode after printing its prompt; a control
                # key sent before that is handled by the cooked tty instead (a race on loaded machines)
                end = time.time() + timeout
                while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
                    time.sleep(0.01)
            pid, fd = pty.fork()
            if pid == 0:
                os.environ['HOME'] = sys.argv[2]
                os.environ.pop('LIPLUA_HISTORY', None)
                os.execv(sys.argv[1], [sys.argv[1]])
            out = b''
            def read_until(pred, timeout=10):
                global out
                end = time.time() + timeout
                while not pred() and time.time() < end:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if r:
                        try: out += os.read(fd, 4096)
                        except OSError: break
                return pred()
            ok1 = read_until(lambda: b'> ' in out)
            os.write(fd, b'6 * 7\\r')
            # the answer, then the next prompt (so ^D reaches readline, not the cooked tty)
            ok2 = read_until(lambda: b'42' in out and out.rfind(b'> ') > out.find(b'42'))
            editing(fd)   # ^D must reach the line editor, not the cooked tty
            os.write(fd, b'\\x04')
            deadline = time.time() + 30   # a loaded CI machine is slow to tear down
            while time.time() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done: break
                read_until(lambda: False, 0.05)
                time.sleep(0.02)   # read_until returns at once once the pty is closed
            else:
                os.kill(pid, 9); done, status = os.waitpid(pid, 0)
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 'killed'
            print(ok1, ok2, code)
            """
        let py = try tempFile("drive.py", driver)
        let run = try pythonDriver([py, lipluaBinary, home])
        #expect(run.stdout == "True True 0\n", "\(run.summary)")
        let history = (try? String(contentsOfFile: home + "/.liplua_history", encoding: .utf8)) ?? ""
        #expect(history.replacingOccurrences(of: "\\040", with: " ").contains("6 * 7"))   // libedit encodes blanks
    }

    @Test func ctrlCInterruptsRunningLua() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: lipluaBinary)
        p.arguments = ["-e", "io.write('looping\\n'); io.stdout:flush(); while true do end"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        _ = Subprocess.read(out.fileHandleForReading, until: "looping", timeout: 60)   // the loop runs
        p.interrupt()                                  // SIGINT
        if !Subprocess.waitForExit(p, timeout: 10) { Issue.record("SIGINT did not stop liplua") }
        let e = Subprocess.read(err.fileHandleForReading, until: nil, timeout: 10)
        #expect(p.terminationStatus == 130)   // 128 + SIGINT: a run ended by Ctrl-C says so
        let text = String(decoding: e, as: UTF8.self)
        #expect(text.hasPrefix("liplua: ") && text.contains("interrupted!"))
    }

    @Test func lpDemoRuns() throws {
        let r = try liplua([packageRoot + "/scripts/examples/lp_demo.lua"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("status     optimal"))
        #expect(r.stdout.contains("objective  11"))
    }
}

/// Same input, same output: two processes (each with its own hash seed) build the same LP byte
/// for byte and print the same digits of the certified bound.
@Suite struct DeterminismTests {
    @Test(arguments: ["by_input", "path", "multilinear"])
    func twoProcessesWriteTheSameLP(family: String) throws {
        let dir = "/tmp/lc-det-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var outputs: [String] = []
        var files: [Data] = []
        for run in 0..<2 {
            let path = "\(dir)/lp\(run).mps"
            let sparsity = family == "multilinear" ? ", sparsity = \"chordal\"" : ""
            let r = try liplua(["-e", """
                local net = lip.nn.random { sizes = { 12, 10, 6, 1 }, sparsity = 5, bias = true, seed = 11 }
                local p = lip.lipschitz_problem { network = net, norm = "l1", input_box = { center = { 0.1, 0.2, -0.3, 0, 0.5, 0.1, 0.2, -0.3, 0, 0.5, 1, -1 }, radius = 0.7 } }
                local r = lip.hierarchy.krivine(p, { degree = 3, products = "\(family)"\(sparsity), write_lp = "\(path)", quiet = true })
                print(string.format("%.17g %.17g %d %d", r.certified, r.solver_value, r.rows, r.columns))
                """])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(r.stdout)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(outputs[0] == outputs[1])
        #expect(files[0] == files[1], "the two LP files differ")
        #expect(files[0].count > 1000)
    }
}

/// A Lua script that builds a 3,000 × 30,000 packing LP (GLPK's primal simplex needs over a
/// minute for it, its interior point many seconds per factorisation), prints "solving",
/// solves it with `method` and prints the status.
func slowSolveScript(method: String) -> String {
    """
    local lip = require "lip"
    local m, n, k = 3000, 30000, 10
    local seed = 7
    local function rand()
      seed = (seed * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
      return (seed >> 11) / 4503599627370496.0
    end
    local ia, ja, ar, sum, obj = {}, {}, {}, {}, {}
    for i = 1, m do sum[i] = 0 end
    local z = 0
    for j = 1, n do
      obj[j] = 0.5 + rand()
      local used = {}
      local placed = 0
      while placed < k do
        local i = 1 + math.floor(rand() * m)
        if not used[i] then
          used[i] = true; placed = placed + 1; z = z + 1
          ia[z], ja[z], ar[z] = i, j, 0.1 + rand(); sum[i] = sum[i] + ar[z]
        end
      end
    end
    local up = {}
    for i = 1, m do up[i] = 0.25 * sum[i] end
    print("solving"); io.stdout:flush()
    local r = lip.lp.solve { sense = "max", objective = obj, ia = ia, ja = ja, ar = ar, row_upper = up,
                             num_rows = m, columns = { upper = 1 }, method = "\(method)", verbosity = verbosity or 0 }
    print("status", r.status)
    """
}

@Suite struct InterruptCLITests {
    /// A script interrupted (SIGINT) during a GLPK solve ends at once with exit code 130, its
    /// earlier output flushed; for interior point the solver's child process goes too.
    @Test(arguments: ["primal", "interior"]) func scriptInterruptedDuringSolveExits130(method: String) throws {
        let script = try tempFile("slow-\(method).lua", slowSolveScript(method: method))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: lipluaBinary)
        p.arguments = ["-e", "verbosity = 2", script]     // GLPK's log on stdout: we see it start
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let started = method == "interior" ? "Original LP has" : "GLPK Simplex Optimizer"
        var seen = Subprocess.read(out.fileHandleForReading, until: started, timeout: 120)
        #expect(String(decoding: seen, as: UTF8.self).contains(started), "GLPK's log (verbosity 2) never showed '\(started)'")
        Thread.sleep(forTimeInterval: 1)           // inside GLPK
        let pid = p.processIdentifier
        let children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if method == "interior" { #expect(children.count == 1, "the interior point should run in a child process") }
        let sent = Date()
        p.interrupt()
        Subprocess.waitForExit(p, timeout: 30)
        let latency = Date().timeIntervalSince(sent)
        seen.append(Subprocess.read(out.fileHandleForReading, until: nil, timeout: 30))
        let stderr = String(decoding: Subprocess.read(err.fileHandleForReading, until: nil, timeout: 30), as: UTF8.self)
        #expect(p.terminationStatus == 130, "\(stderr)")
        #expect(latency < 2, "exited \(latency) s after SIGINT")
        #expect(String(decoding: seen, as: UTF8.self).hasPrefix("solving\n"))
        #expect(!String(decoding: seen, as: UTF8.self).contains("status"))
        #expect(stderr.contains("interrupted"), "\(stderr)")
        // No GLPK child process is left behind: gone, or a zombie about to be reaped.
        for child in children {
            var alive = true
            for _ in 0..<100 {
                let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
                if stat.isEmpty || stat.contains(") Z ") { alive = false; break }
                usleep(20_000)
            }
            #expect(!alive, "the solver's child process \(child) outlived liplua")
        }
    }

    /// Ctrl-C on the terminal during a long solve at the REPL cancels that command; the
    /// session goes on (no second Ctrl-C, nothing lost) and the prompt is back within 2 s.
    @Test(arguments: ["primal", "interior"]) func replKeepsItsSessionAfterCtrlC(method: String) throws {
        let script = try tempFile("slow-\(method).lua", slowSolveScript(method: method))
        let driver = """
            import os, pty, sys, time, select, termios
            def editing(fd, timeout=10):
                # libedit switches the terminal to raw mode after printing its prompt; a control
                # key sent before that is handled by the cooked tty instead (a race on loaded machines)
                end = time.time() + timeout
                while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
                    time.sleep(0.01)
            pid, fd = pty.fork()
            if pid == 0:
                os.environ['LIPLUA_HISTORY'] = '/dev/null'
                os.execv(sys.argv[1], [sys.argv[1]])
            out = b''
            def read_until(pred, timeout=120):
                global out
                end = time.time() + timeout
                while not pred() and time.time() < end:
                    r, _, _ = select.select([fd], [], [], 0.02)
                    if r:
                        try: out += os.read(fd, 65536)
                        except OSError: break
                return pred()
            ok1 = read_until(lambda: b'> ' in out)
            os.write(fd, b'x = 1; dofile(' + repr(sys.argv[2]).encode() + b')\\r')
            ok2 = read_until(lambda: b'solving' in out)
            time.sleep(2)
            mark = len(out)
            t = time.time()
            os.write(fd, b'\\x03')
            ok3 = read_until(lambda: b'> ' in out[mark:], 30)
            latency = time.time() - t
            mark = len(out)
            os.write(fd, b'print("alive", x + 41)\\r')
            ok4 = read_until(lambda: b'alive\\t42' in out[mark:], 30)
            editing(fd)   # ^D must reach the line editor, not the cooked tty
            os.write(fd, b'\\x04')
            deadline = time.time() + 30
            while time.time() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done: break
                read_until(lambda: False, 0.05)
                time.sleep(0.02)
            else:
                os.kill(pid, 9); done, status = os.waitpid(pid, 0)
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 'killed'
            print(ok1, ok2, ok3, ok4, code, '%.3f' % latency)
            sys.stderr.write(out.decode(errors='replace')[-600:])
            """
        let py = try tempFile("ctrlc.py", driver)
        let run = try pythonDriver([py, lipluaBinary, script])
        let log = run.stderr
        let fields = run.stdout.split(separator: " ").map(String.init)
        #expect(fields.count == 6, "\(fields) \(log)")
        guard fields.count == 6 else { return }
        #expect(fields[0...3] == ["True", "True", "True", "True"], "\(log)")
        #expect(fields[4] == "0", "\(log)")
        let latency = Double(fields[5].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99
        #expect(latency < 2, "prompt back \(latency) s after Ctrl-C")
        print("ctrl-c to prompt (\(method)): \(latency) s")
    }
}

@Suite struct MemoryLimitCLITests {
    /// Under `ulimit -v` a solve that cannot fit is refused before allocating, with the LP's
    /// sizes, the estimate and the limit — no crash, no "invalid data reached GLPK".
    @Test func solveUnderAddressSpaceLimitIsOutOfMemory() throws {
        let build = """
            local lip = require "lip"
            local net = lip.nn.random { sizes = { 80, 80, 1 }, sparsity = 20, activation = "elu", seed = 0 }
            problem = lip.lipschitz_problem { network = net }
            local function status(k)
              for line in io.lines("/proc/self/status") do
                local v = line:match("^" .. k .. ":%s*(%d+)")
                if v then return tonumber(v) end
              end
            end
            vmsize = status("VmSize")

            """
        let probe = try liplua(["-e", build + "print(vmsize)"])
        guard let vm = Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Issue.record("no VmSize: \(probe.stdout) \(probe.stderr)"); return
        }
        // Room for building the 25,462 × 180,818 LP (~55 MB at its peak) but not for GLPK's
        // simplex on it (~190 MB).
        let script = try tempFile("oom.lua", build + """
            local r = lip.hierarchy.krivine(problem, { degree = 3, products = "by_input", quiet = true, method = "primal", time_limit = 60 })
            print(r.status)
            print(r.message)
            """)
        let r = try liplua(["-c", "ulimit -v \(vm + 160_000); exec \"$0\" \"$1\"", lipluaBinary, script], shell: true)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "solver_error", "\(r.stdout) \(r.stderr)")
        let message = lines.dropFirst().joined(separator: "\n")
        #expect(message.contains("out of memory"), "\(message)")
        #expect(message.contains("25462 rows, 180818 columns, 610256 nonzeros"), "\(message)")
        #expect(message.contains("ulimit -v") && !message.contains("invalid data"), "\(message)")
    }
}
