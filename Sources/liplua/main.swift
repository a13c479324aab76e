// liplua: Lua 5.4 with the lip standard library and GLPK, with lua's command line.
//
//   liplua [options] [script [args]]
//
// Options, arguments, `arg`, exit codes and the interactive loop follow lua.c (Lua 5.4).

import CEdit
import Foundation
import LipClp
import LipControl
import LipDSDP
import LipGLPK
import LipLP
import LipLua

let version = "0.1.0"
let progname = "liplua"

func usage(_ badOption: String?) -> String {
    var s = ""
    if let badOption { s += "\(progname): \(badOption)\n" }
    s += """
        usage: \(progname) [options] [script [args]]
        Available options are:
          -e stat       execute string 'stat'
          -i            enter interactive mode after executing 'script'
          -l mod        require library 'mod' into global 'mod'
          -l g=mod      require library 'mod' into global 'g'
          -v            show version information
          -E            ignore environment variables (LIPLUA_STDLIB, LUA_INIT)
          -W            turn warnings on
          --stdlib DIR  use DIR as the lip standard library (the directory holding lip/init.lua)
          --version     same as -v
          --help        show this message
          --            stop handling options
          -             stop handling options and execute stdin

        """
    return s
}

func writeError(_ s: String) {
    fflush(nil)
    // The throwing write: a full disk or a file-size limit on stderr must not trap (the
    // non-throwing FileHandle.write does), the exit code already tells the failure.
    try? FileHandle.standardError.write(contentsOf: Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
}

func finish(_ code: Int32) -> Never {
    fflush(nil)
    exit(code)
}

/// Exit code of a run ended by Ctrl-C (128 + SIGINT, as a shell reports a process killed by it).
let interruptedExitCode: Int32 = 130

/// A failed chunk, -e or script: 130 when an interrupt (Ctrl-C) is pending, else 1. What was
/// printed before is flushed by `finish`.
func failureExit() -> Never {
    finish(Interrupt.isRequested ? interruptedExitCode : 1)
}

LuaVM.resetSignals()

// MARK: collect arguments (lua.c's collectargs)

let argv = CommandLine.arguments
var actions: [(kind: Character, value: String)] = []   // -e, -l, -W in order
var hasI = false, hasV = false, hasE = false, ignoreEnv = false
var stdlibOption: String? = nil
var scriptIndex: Int? = nil
var i = 1
optionLoop: while i < argv.count {
    let a = argv[i]
    if !a.hasPrefix("-") { scriptIndex = i; break }
    switch a {
    case "-":
        scriptIndex = i; break optionLoop
    case "--":
        if i + 1 < argv.count { scriptIndex = i + 1 }
        break optionLoop
    case "--help", "-h":
        print(usage(nil), terminator: "")
        finish(0)
    case "--version", "-v":
        hasV = true
    case "-i":
        hasI = true; hasV = true
    case "-E":
        ignoreEnv = true
    case "-W":
        actions.append(("W", ""))
    case "--stdlib":
        guard i + 1 < argv.count else { writeError(usage("'--stdlib' needs argument")); finish(1) }
        stdlibOption = argv[i + 1]; i += 1
    default:
        if a.hasPrefix("--stdlib=") { stdlibOption = String(a.dropFirst("--stdlib=".count)); break }
        if a.hasPrefix("-e") || a.hasPrefix("-l") {
            let kind = a.dropFirst().first!
            var value = String(a.dropFirst(2))
            if value.isEmpty {
                guard i + 1 < argv.count, !argv[i + 1].hasPrefix("-") || kind == "e" else {
                    writeError(usage("'\(a)' needs argument")); finish(1)
                }
                value = argv[i + 1]; i += 1
            }
            if kind == "e" { hasE = true }
            actions.append((kind, value))
            break
        }
        writeError(usage("unrecognized option '\(a)'"))
        finish(1)
    }
    i += 1
}

// MARK: the VM

let executablePath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? argv[0]
let stdlib: LuaStdlib.Location?
do {
    stdlib = try LuaStdlib.find(explicit: stdlibOption, ignoreEnvironment: ignoreEnv, executablePath: executablePath)
} catch {
    writeError("\(progname): \(error)")
    finish(1)
}

func versionLine(_ vm: LuaVM?) -> String {
    let lua = LuaVM.luaRelease
    var s = "\(progname) \(version)  (\(lua), GLPK \(glpkVersion()))"
    if let stdlib { s += "\n  stdlib: \(stdlib.directory) (\(stdlib.origin))" } else { s += "\n  stdlib: not found (use --stdlib DIR or $LIPLUA_STDLIB)" }
    return s
}

let vm: LuaVM
do {
    vm = try LuaVM(stdlib: stdlib)
} catch {
    writeError("\(progname): \(error)")
    finish(1)
}
vm.setSolver(GLPKSolver())
// COIN-OR Clp runs as a separate program (its licence keeps it out of this binary); "auto"
// picks it by the measured rule when it is installed, GLPK otherwise. GLPK stays the default.
vm.registerSolver(ClpSolver())
vm.registerSolver(AutomaticLPSolver(builtIn: GLPKSolver()))
// SDP solvers: "lowrank" and "auto" are built in; DSDP (libdsdp) is linked here.
vm.registerSDPSolver(DSDPSolver())
vm.lpWriter = writeLP
vm.versionText = versionLine(vm)

/// Runs `body`; on a Lua error prints "liplua: message\ntraceback" and returns false. A run
/// that ended because of Ctrl-C reports "interrupted" (false) even if the code caught the error.
func report(_ body: () throws -> Void) -> Bool {
    do {
        try body()
        if Interrupt.isRequested { writeError("\(progname): interrupted"); return false }
        return true
    } catch let e as LuaError {
        writeError("\(progname): \(e.description)")
        return false
    } catch {
        writeError("\(progname): \(error)")
        return false
    }
}

// `arg` as lua.c: arg[0] = script, negative indices = interpreter arguments.
if let s = scriptIndex {
    vm.setArgTable(argv, scriptIndex: s)
} else {
    vm.setArgTable(argv, scriptIndex: 0)
}

if hasV { print(vm.versionText); fflush(nil) }

// LUA_INIT_5_4 / LUA_INIT as lua.c ("@file" runs a file)
if !ignoreEnv {
    let env = ProcessInfo.processInfo.environment
    if let initCode = env["LUA_INIT_5_4"] ?? env["LUA_INIT"] {
        let ok = report {
            if initCode.hasPrefix("@") { try vm.run(file: String(initCode.dropFirst())) }
            else { try vm.run(string: initCode, chunkName: "=LUA_INIT") }
        }
        if !ok { finish(1) }
    }
}

for action in actions {
    let ok = report {
        switch action.kind {
        case "e":
            try vm.interruptible { try vm.run(string: action.value, chunkName: "=(command line)") }
        case "l":
            var global = action.value, module = action.value
            if let eq = action.value.firstIndex(of: "=") {
                global = String(action.value[..<eq]); module = String(action.value[action.value.index(after: eq)...])
            } else if let dash = module.firstIndex(of: "-") {
                global = String(module[..<dash])   // lua.c: "mod-v2" loads into "mod"
            }
            try vm.run(string: "local g, m = ...; _G[g] = require(m)", chunkName: "=(command line)", arguments: [global, module])
        default:
            try vm.run(string: "warn('@on')", chunkName: "=(command line)")
        }
    }
    if !ok { failureExit() }
}

if let s = scriptIndex {
    let name = argv[s]
    let fromStdin = name == "-" && argv[s - 1] != "--"
    let ok = report {
        if !fromStdin, !FileManager.default.isReadableFile(atPath: name) {
            throw LuaError(message: "cannot open \(name)")
        }
        try vm.interruptible { try vm.run(file: fromStdin ? "-" : name, arguments: Array(argv[(s + 1)...])) }
    }
    if !ok { failureExit() }
}

// MARK: the interactive loop

func historyPath() -> String {
    let env = ProcessInfo.processInfo.environment
    if let p = env["LIPLUA_HISTORY"], !p.isEmpty { return p }
    return (env["HOME"] ?? NSHomeDirectory()) + "/.liplua_history"
}

func runREPL(_ vm: LuaVM) -> Never {
    let feed: LuaFunction
    do {
        // the umbrella is lazy, so having `lip` at hand in the REPL costs nothing
        try vm.run(string: "if lip == nil then lip = require 'lip' end", chunkName: "=(repl)")
        guard case .function(let f)? = try vm.run(string: "return require('lip.repl').feed", chunkName: "=(repl)").first else {
            throw LuaError(message: "lip.repl.feed is not a function")
        }
        feed = f
    } catch {
        writeError("\(progname): cannot start the interactive loop: \(error)")
        finish(1)
    }
    let terminal = isatty(0) != 0
    let history = historyPath()
    if terminal {
        using_history()
        _ = read_history(history)
        stifle_history(1000)
    }
    var more = false
    while true {
        let prompt = more ? ">> " : "> "
        let line: String?
        if terminal {
            fflush(nil)
            if let c = readline(prompt) {
                line = String(cString: c)
                free(c)
            } else {
                line = nil
            }
        } else {
            line = readLine(strippingNewline: true)
        }
        guard let line else { break }
        if terminal, !line.trimmingCharacters(in: .whitespaces).isEmpty {
            add_history(line)
            _ = write_history(history)
        }
        // Ctrl-C cancels the running command only: the flag is cleared before each command
        // (a Ctrl-C that arrived while the prompt was shown does not stop the next one).
        Interrupt.clear()
        do {
            let r = try vm.interruptible { try feed.call([line]) }
            more = r.first?.stringValue == "more"
        } catch {
            writeError(Interrupt.isRequested ? "interrupted" : "\(error)")
            more = false
        }
        if Interrupt.isRequested {
            // The command was cancelled (its error, if any, was printed above or by the
            // REPL's own handler); drop a half-typed chunk and carry on.
            fflush(nil)
            _ = try? vm.run(string: "require('lip.repl').reset()", chunkName: "=(repl)")
            Interrupt.clear()
            more = false
        }
    }
    if terminal { print() }
    finish(0)
}

if hasI {
    runREPL(vm)
} else if scriptIndex == nil && !hasE && !hasV {
    if isatty(0) != 0 {
        print(vm.versionText)
        runREPL(vm)
    } else {
        let ok = report { _ = try vm.interruptible { try vm.run(file: "-") } }
        if !ok { failureExit() }
        finish(0)
    }
}
finish(0)

/// lip.lp.write: free MPS by liplua's exact writer (shortest round-trip numbers, the
/// CPLEX/Clp convention for the objective constant, stated in the header), CPLEX LP by GLPK.
func writeLP(_ lp: LinearProgram, _ path: String, _ format: String) throws {
    if format == "lp" { try GLPKSolver().write(lp, to: path, format: .cplexLP) } else { _ = try lp.writeMPS(to: path) }
}
