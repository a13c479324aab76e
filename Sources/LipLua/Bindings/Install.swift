import Dispatch
extension LuaVM {
    /// Installs every native module into `_lip` when a state is created. Each binding file
    /// adds one `installX()` line here (Core*, Hierarchy* bindings come next to LP).
    func installBindings() {
        register(module: "", name: "version", doc: """
            _lip.version() -> string
            The host's version line: liplua, Lua and LP solver versions, and where the stdlib is.
            """) { call in call.push(call.vm.versionText) }
        register(module: "", name: "clock", doc: """
            _lip.clock() -> seconds
            Monotonic wall-clock time in seconds (for timing; os.clock() is CPU time).
            """) { call in call.push(Double(DispatchTime.now().uptimeNanoseconds) / 1e9) }
        installLP()
        installCore()
        installHierarchy()
        installWitness()
    }
}
