import CLua
import Foundation

// `_lip.fsync`: durable appends for sweep scripts (lip.shard, lip.report). Lua's io library
// can flush a file but not ask the kernel to put it on disk; a shard file's rows should
// survive a machine crash, not only a killed process.
extension LuaVM {
    /// An open Lua file handle (from io.open), as its C stream.
    static let fileHandle = ArgType(annotation: "file*", phrase: "an open file handle (from io.open)") { c, i in
        let L = c.state
        guard let p = luaL_testudata(L, i, "FILE*") else { throw LuaRead.Problem(expected: "file handle", L, i) }
        let stream = p.assumingMemoryBound(to: luaL_Stream.self)
        guard stream.pointee.closef != nil, let f = stream.pointee.f else { throw LuaRead.Problem("attempt to use a closed file") }
        return FileStream(file: f)
    }
    struct FileStream { let file: UnsafeMutablePointer<FILE> }

    func installFiles() {
        define(NativeFunction(
            module: "", name: "fsync",
            summary: "Flushes a Lua file handle and asks the kernel to write it to disk (fflush, then fsync). A failure (no space, a file-size limit, an I/O error) returns nil and the reason, like file:write does.",
            parameters: [Parameter("file", Self.fileHandle)],
            results: [Result("ok", "boolean|nil"), Result("message", "string|nil")]) { a in
            let f = a.get("file", as: FileStream.self)!.file
            if fflush(f) != 0 || fsync(fileno(f)) != 0 {
                let message = String(cString: strerror(errno))
                a.call.pushNil()
                return a.push(message) + 1
            }
            return a.push(true)
        })
    }
}
