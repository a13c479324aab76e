import CLua
import CLuaShims

/// `__gc` of every Swift object userdata: releases the retained object once and clears the
/// slot, so a second `__gc` (or a method call after `close`) is harmless. Cannot fail.
let userdataGC: lua_CFunction = { state in
    guard let L = state, let slot = lua_touserdata(L, 1) else { return 0 }
    if let raw = slot.load(as: UnsafeMutableRawPointer?.self) {
        slot.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<AnyObject>.fromOpaque(raw).release()
    }
    return 0
}

extension LuaVM {
    static func metatableKey(_ name: String) -> String { "lip." + name }

    /// Declares a Swift class as a Lua userdata type named `name` ("Network"): instances
    /// pushed with `LuaCall.push(object:)` get a metatable with `__gc` (releases the Swift
    /// object), `__tostring` (`describe`, default "Name: 0x..."), `__name`, and `__index` =
    /// the methods table. Methods are declarations (argument 1 is the object, `obj:method(...)`);
    /// their documentation is recorded like every native's, so `help(net.forward)` finds it.
    public func registerType<T: AnyObject>(_ type: T.Type, name: String,
                                           methods: [NativeFunction] = [],
                                           describe: ((T) -> String)? = nil) {
        guard let L = state else { return }
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        userdataTypes[ObjectIdentifier(type)] = name
        _ = luaL_newmetatable(L, Self.metatableKey(name))
        let mt = lua_gettop(L)
        lua_pushstring(L, name); lua_setfield(L, mt, "__name")
        lua_pushcclosure(L, userdataGC, 0); lua_setfield(L, mt, "__gc")
        pushFunction(named: name + ":__tostring") { call in
            let object = try call.object(1, as: T.self)
            return call.push(describe?(object) ?? "\(name): \(Unmanaged.passUnretained(object).toOpaque())")
        }
        lua_setfield(L, mt, "__tostring")
        lua_createtable(L, 0, Int32(methods.count))
        let methodsTable = lua_gettop(L)
        for var m in methods.sorted(by: { $0.name < $1.name }) {
            m.isMethod = true
            m.module = name
            if m.parameters.first?.name != "self" {
                m.parameters.insert(Parameter("self", .object(type, name), "the \(name)"), at: 0)
            }
            pushDeclared(m)
            let fn = lua_gettop(L)
            recordDoc(fn: fn, m, name: name + ":" + m.name)
            lua_setfield(L, methodsTable, m.name)
        }
        lua_setfield(L, mt, "__index")
    }

    /// The low-level form: methods as raw native functions reading their own arguments (for
    /// tests of the bridge; the bindings use declarations).
    public func registerType<T: AnyObject>(_ type: T.Type, name: String, rawMethods: [String: LuaNativeFunction],
                                           describe: ((T) -> String)? = nil) {
        registerType(type, name: name, methods: [], describe: describe)
        guard let L = state else { return }
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        _ = luaL_getmetatable(L, Self.metatableKey(name))
        lua_getfield(L, -1, "__index")
        for (methodName, body) in rawMethods.sorted(by: { $0.key < $1.key }) {
            pushFunction(named: methodName, body)
            lua_setfield(L, -2, methodName)
        }
    }

    /// Live userdata count is not tracked here; Swift objects are released by `__gc` or `close()`.
    func userdataName(for object: AnyObject) -> String? {
        userdataTypes[ObjectIdentifier(Swift.type(of: object))]
    }
}

extension LuaCall {
    /// Pushes a Swift object (of a type declared with `registerType`) as a full userdata
    /// that retains it until collected.
    @discardableResult
    public func push(object: AnyObject) -> Int {
        let L = state
        guard let name = vm.userdataName(for: object) else {
            preconditionFailure("push(object:): \(Swift.type(of: object)) was not declared with LuaVM.registerType")
        }
        let slot = lua_newuserdatauv(L, MemoryLayout<UnsafeMutableRawPointer?>.size, 0)!
        slot.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer?.self)
        luaL_setmetatable(L, LuaVM.metatableKey(name))
        return 1
    }

    /// The Swift object in argument `i`; "bad argument #1 to 'f' (Network expected, got table)".
    public func object<T: AnyObject>(_ i: Int, as type: T.Type) throws -> T {
        do { return try LuaRead.object(state, Int32(i), as: type) } catch let e as LuaRead.Problem { throw bad(i, e.text) }
    }
    public func optionalObject<T: AnyObject>(_ i: Int, as type: T.Type) throws -> T? {
        isNoneOrNil(i) ? nil : try object(i, as: type)
    }
}

extension LuaOptions {
    public func object<T: AnyObject>(_ key: String, as type: T.Type) throws -> T? {
        try field(key) { L, i in try LuaRead.object(L, i, as: type) }
    }
}

extension LuaRead {
    public static func object<T: AnyObject>(_ L: OpaquePointer, _ i: Int32, as type: T.Type) throws -> T {
        guard let vm = LuaVM.from(L), let name = vm.userdataTypes[ObjectIdentifier(type)] else {
            throw Problem("\(type) is not a Lua userdata type (declare it with registerType)")
        }
        guard let slot = luaL_testudata(L, i, LuaVM.metatableKey(name)) else {
            throw Problem(expected: name, L, i)
        }
        guard let raw = slot.load(as: UnsafeMutableRawPointer?.self),
              let object = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as? T else {
            throw Problem("\(name) was already released")
        }
        return object
    }
}
