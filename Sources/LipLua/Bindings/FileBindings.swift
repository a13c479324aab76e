import CLua
import Foundation

// `_lip.fsync`: durable appends for sweep scripts (lip.shard, lip.report). Lua's io library
// can flush a file but not ask the kernel to put it on disk; a shard file's rows should
// survive a machine crash, not only a killed process.
extension LuaVM {
    func installFiles() {
        register(module: "", name: "fsync", doc: """
            _lip.fsync(file) -> true | nil, message
            Flushes a Lua file handle (from io.open) and asks the kernel to write it to disk
            (fflush, then fsync). A failure (no space, a file-size limit, an I/O error) returns
            nil and the reason, like file:write does.
            """) { c in
            let L = c.state
            guard let p = luaL_testudata(L, 1, "FILE*") else {
                throw LuaArgumentError(argument: 1, detail: "file handle expected, got \(LuaCall.typeName(L, 1))")
            }
            let stream = p.assumingMemoryBound(to: luaL_Stream.self)
            guard stream.pointee.closef != nil, let f = stream.pointee.f else {
                throw LuaArgumentError(argument: 1, detail: "attempt to use a closed file")
            }
            if fflush(f) != 0 || fsync(fileno(f)) != 0 {
                let message = String(cString: strerror(errno))
                c.pushNil()
                return c.push(message) + 1
            }
            return c.push(true)
        }
    }
}
