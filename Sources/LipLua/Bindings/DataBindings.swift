import CLua
import Foundation
import LipControl
import LipCore
import LipIO

// `_lip.data` and small host facts (version, clock, peak memory, terminals).

extension LuaVM {
    func installData() {
        define(NativeFunction(
            module: "data", name: "idx",
            summary: "Reads an MNIST-format IDX file (gzip-compressed or not). Used by lip.data.idx.",
            parameters: [Parameter("path", .string)],
            results: [Result("array", "table", "{shape = {...}, type = \"uint8\", bytes = <string>} or {shape, type, values = {...}}")]) { a in
            let arr = try IDXFile.read(a.get("path")!)
            let L = a.call.state
            lua_createtable(L, 0, 3)
            arr.shape.push(onto: L); lua_setfield(L, -2, "shape")
            if let bytes = arr.uint8Values {
                "uint8".push(onto: L); lua_setfield(L, -2, "type")
                bytes.withUnsafeBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { _ = lua_pushlstring(L, $0, b.count) }
                }
                lua_setfield(L, -2, "bytes")
            } else {
                "\(arr.elementType)".push(onto: L); lua_setfield(L, -2, "type")
                arr.values.push(onto: L); lua_setfield(L, -2, "values")
            }
            return 1
        })
        define(NativeFunction(module: "", name: "version", summary: "The host's version line: liplua, Lua and solver versions, and where the stdlib is.",
                              results: [Result("text", "string")]) { a in a.push(a.vm.versionText) })
        define(NativeFunction(module: "", name: "clock", summary: "Monotonic wall-clock time in seconds (for timing; os.clock() is CPU time).",
                              results: [Result("seconds", "number")]) { a in a.push(monotonicSeconds()) })
        define(NativeFunction(module: "", name: "peak_rss", summary: "The peak resident memory of this process so far (getrusage), for benchmarks.",
                              results: [Result("bytes", "integer")]) { a in a.push(peakResidentSetBytes()) })
        define(NativeFunction(module: "", name: "isatty", summary: "Whether file descriptor fd (0 stdin, 1 stdout, 2 stderr) is a terminal.",
                              parameters: [Parameter("fd", .integer(min: 0, max: 1023))], results: [Result("tty", "boolean")]) { a in
            a.push(isatty(Int32(a.get("fd", as: Int.self)!)) != 0)
        })
    }
}
