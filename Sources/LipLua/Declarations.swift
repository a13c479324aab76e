import CLua
import CLuaShims

// Native functions from declarations (in the manner of hslua's documented functions): every
// function exported to Lua is one `NativeFunction` value — name, typed parameters with docs,
// results, description — from which the argument checks, the `help()` text and the editor
// stubs (stdlib/_meta/lip.lua) are all generated. Bodies receive decoded, checked values.

/// How one argument (or one field of an options table) is read from Lua: a decoder that
/// checks the value and converts it, plus what docs and stubs say about it.
public struct ArgType: Sendable {
    /// The LuaLS annotation for stubs: "integer", "number[]", "lip.Network", "string|lip.Activation".
    public var annotation: String
    /// A phrase for help texts and error messages: "a finite number ≥ 0".
    public var phrase: String
    /// Decodes the value at a stack index (never raises a Lua error; throws `LuaRead.Problem`).
    public var decode: @Sendable (LuaCall, Int32) throws -> Any
    /// For options tables: the fields (nil for other types).
    public var fields: [Field]?

    public init(annotation: String, phrase: String, fields: [Field]? = nil,
                decode: @escaping @Sendable (LuaCall, Int32) throws -> Any) {
        self.annotation = annotation; self.phrase = phrase; self.fields = fields; self.decode = decode
    }
}

/// A named field of an options table.
public struct Field: Sendable {
    public var name: String
    public var type: ArgType
    public var doc: String
    public var required: Bool
    /// How the default reads in docs ("3", "by_input", "none").
    public var defaultText: String?

    public init(_ name: String, _ type: ArgType, _ doc: String, required: Bool = false, default defaultText: String? = nil) {
        self.name = name; self.type = type; self.doc = doc; self.required = required; self.defaultText = defaultText
    }
}

/// A positional parameter.
public struct Parameter {
    public var name: String
    public var type: ArgType
    public var doc: String
    public var optional: Bool

    public init(_ name: String, _ type: ArgType, _ doc: String = "", optional: Bool = false) {
        self.name = name; self.type = type; self.doc = doc; self.optional = optional
    }
}

/// A documented result.
public struct Result {
    public var name: String
    public var annotation: String
    public var doc: String
    public init(_ name: String, _ annotation: String, _ doc: String = "") {
        self.name = name; self.annotation = annotation; self.doc = doc
    }
}

/// Decoded arguments of one call. Positional parameters and the fields of options tables
/// share one namespace (declarations keep names unique).
public struct Arguments {
    public let call: LuaCall
    var values: [String: Any] = [:]
    var present: Set<String> = []

    /// The decoded value of a parameter or option, nil when absent.
    public func get<T>(_ name: String, as _: T.Type = T.self) -> T? {
        guard let v = values[name] else { return nil }
        guard let t = v as? T else {
            preconditionFailure("declaration of '\(call.function)': '\(name)' decodes to \(type(of: v)), not \(T.self)")
        }
        return t
    }

    /// The decoded value, or `fallback` when absent.
    public func get<T>(_ name: String, default fallback: T) -> T { get(name) ?? fallback }

    /// Whether the caller gave `name`.
    public func has(_ name: String) -> Bool { present.contains(name) }

    /// The names of the options the caller gave (sorted), for records of options used.
    public var givenNames: [String] { present.sorted() }

    public var vm: LuaVM { call.vm }
}

/// One exported Swift function.
public struct NativeFunction {
    public var module: String
    public var name: String
    public var parameters: [Parameter]
    public var results: [Result]
    public var summary: String
    /// Extra free text after the generated parameter list (examples, maths).
    public var notes: String
    /// Called with the decoded arguments; pushes results and returns how many.
    public var body: (Arguments) throws -> Int
    /// True for methods (`obj:name(...)`): docs show `obj:name(...)`, argument 1 is self.
    public var isMethod: Bool = false

    public init(module: String, name: String, summary: String, parameters: [Parameter] = [], results: [Result] = [],
                notes: String = "", body: @escaping (Arguments) throws -> Int) {
        self.module = module; self.name = name; self.summary = summary; self.parameters = parameters
        self.results = results; self.notes = notes; self.body = body
    }

    public var fullName: String { module.isEmpty ? name : module + "." + name }

    /// Reads and checks every argument; unknown option keys, wrong types, missing required
    /// values raise "bad argument #i to 'f' (...)" at the caller's line.
    func decode(_ call: LuaCall) throws -> Arguments {
        var a = Arguments(call: call)
        let given = call.argumentCount
        if given > parameters.count {
            throw LuaArgumentError(argument: parameters.count + 1,
                                   detail: "\(fullName) takes \(parameters.count) argument\(parameters.count == 1 ? "" : "s")\(parameters.isEmpty ? "" : " (" + parameters.map(\.name).joined(separator: ", ") + ")"), got \(given)")
        }
        for (k, p) in parameters.enumerated() {
            let i = Int32(k + 1)
            if lua_type(call.state, i) <= LUA_TNIL {
                if p.type.fields != nil, !p.optional {
                    // a required options table: its required fields are reported by name
                    if let req = p.type.fields?.first(where: \.required) {
                        throw LuaArgumentError(argument: k + 1, detail: "table of options expected with \(req.name) = \(req.type.phrase), got \(k < given ? "nil" : "no value")")
                    }
                }
                if p.type.fields == nil && !p.optional {
                    throw LuaArgumentError(argument: k + 1, detail: "\(p.type.phrase) expected for '\(p.name)', got \(k < given ? "nil" : "no value")")
                }
                continue
            }
            if let fields = p.type.fields {
                try decodeOptions(call, index: i, argument: k + 1, fields: fields, into: &a)
            } else {
                do { a.values[p.name] = try p.type.decode(call, i); a.present.insert(p.name) }
                catch let e as LuaRead.Problem { throw LuaArgumentError(argument: k + 1, detail: "\(p.name): \(e.text)") }
            }
        }
        return a
    }

    func decodeOptions(_ call: LuaCall, index t: Int32, argument: Int, fields: [Field], into a: inout Arguments) throws {
        let L = call.state
        guard lua_type(L, t) == LUA_TTABLE else {
            throw LuaArgumentError(argument: argument, detail: "table of options expected, got \(LuaCall.typeName(L, t))")
        }
        let allowed = fields.map(\.name)
        lua_pushnil(L)
        while lua_next(L, t) != 0 {
            lua_settop(L, -2)
            guard lua_type(L, -1) == LUA_TSTRING else {
                let k = lua_type(L, -1) == LUA_TNUMBER ? "[\(LuaValue(L, -1))]" : LuaCall.typeName(L, -1)
                lua_settop(L, -2)
                throw LuaArgumentError(argument: argument, detail: "option keys must be names, got \(k); allowed: \(allowed.sorted().joined(separator: ", "))")
            }
            let key = LuaCall.stringAt(L, -1)
            if !allowed.contains(key) {
                lua_settop(L, -2)
                var text = "unknown option '\(key)'"
                if let near = closest(key, in: allowed) { text += "; did you mean '\(near)'?" } else { text += ";" }
                throw LuaArgumentError(argument: argument, detail: text + " allowed: \(allowed.sorted().joined(separator: ", "))")
            }
        }
        for f in fields {
            lua_pushstring(L, f.name)
            let ty = lua_rawget(L, t)
            defer { lua_settop(L, -2) }
            if ty == LUA_TNIL {
                if f.required { throw LuaArgumentError(argument: argument, detail: "option '\(f.name)' is required (\(f.type.phrase)): \(f.doc)") }
                continue
            }
            do {
                if let sub = f.type.fields {
                    try decodeOptions(call, index: lua_gettop(L), argument: argument, fields: sub, into: &a)
                    a.present.insert(f.name)
                } else {
                    a.values[f.name] = try f.type.decode(call, lua_gettop(L)); a.present.insert(f.name)
                }
            } catch let e as LuaRead.Problem {
                throw LuaArgumentError(argument: argument, detail: "option '\(f.name)': \(e.text)")
            }
        }
    }

    // MARK: documentation

    /// The signature line: `lip.nn.random{ sizes = , ... } -> network`.
    var signature: String {
        let prefix = isMethod ? "obj:" + name : "lip." + fullName
        let params = parameters.dropFirst(isMethod ? 1 : 0)
        var s: String
        if params.count == 1, let only = params.first, only.type.fields != nil, !only.optional {
            s = prefix + "{ " + only.type.fields!.map { $0.name + " = " }.joined(separator: ", ") + "}"
        } else {
            s = prefix + "(" + params.map { $0.optional ? "[" + $0.name + "]" : $0.name }.joined(separator: ", ") + ")"
        }
        if !results.isEmpty { s += " -> " + results.map(\.name).joined(separator: ", ") }
        return s
    }

    /// The help text: signature, summary, parameters and options, results, notes.
    public var helpText: String {
        var lines = [signature, summary]
        let params = Array(parameters.dropFirst(isMethod ? 1 : 0))
        for p in params {
            if let fields = p.type.fields {
                lines.append("\(p.name)\(p.optional ? " (optional)" : ""): options (unknown keys are an error)\(p.doc.isEmpty ? "" : " — " + p.doc)")
                for f in fields { lines.append(Self.fieldLine(f, indent: "  ")) }
            } else {
                lines.append("\(p.name)\(p.optional ? " (optional)" : ""): \(p.type.phrase)\(p.doc.isEmpty ? "" : " — " + p.doc)")
            }
        }
        for r in results { lines.append("returns \(r.name): \(r.annotation)\(r.doc.isEmpty ? "" : " — " + r.doc)") }
        if !notes.isEmpty { lines.append(notes) }
        return lines.joined(separator: "\n")
    }

    static func fieldLine(_ f: Field, indent: String) -> String {
        var s = indent + f.name + " (" + f.type.phrase + (f.required ? ", required" : "") +
            (f.defaultText.map { ", default " + $0 } ?? "") + ")"
        if !f.doc.isEmpty { s += ": " + f.doc }
        if let sub = f.type.fields { for g in sub { s += "\n" + fieldLine(g, indent: indent + "  ") } }
        return s
    }
}

extension LuaVM {
    /// Exports a declared function as `_lip.<module>.<name>` with its documentation and its
    /// parameter/result declarations (for help() and the editor stubs).
    public func define(_ f: NativeFunction) {
        guard let L = state else { return }
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        pushDeclared(f)
        let fn = base + 1
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(libraryRef))
        if !f.module.isEmpty { Self.rawSubtable(L, -1, f.module) }
        lua_pushstring(L, f.name)
        lua_pushvalue(L, fn)
        lua_rawset(L, -3)
        recordDoc(fn: fn, f, name: f.fullName)
    }

    /// Pushes the Lua function of a declaration (decode, then the body).
    func pushDeclared(_ f: NativeFunction) {
        pushFunction(named: f.fullName) { call in
            let args = try f.decode(call)
            return try f.body(args)
        }
    }

    /// _lip._doc[fn] = { name, text, params = {{name, type, doc, optional}...}, returns = {...},
    /// options = {{name, type, doc, default, required}...} }
    func recordDoc(fn: Int32, _ f: NativeFunction, name: String) {
        guard let L = state else { return }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(libraryRef))
        Self.rawSubtable(L, -1, "_doc")
        lua_pushvalue(L, fn)
        lua_createtable(L, 0, 6)
        func set(_ k: String, _ v: some LuaPushable) { v.push(onto: L); lua_setfield(L, -2, k) }
        set("name", name)
        set("text", f.helpText)
        set("method", f.isMethod)
        lua_createtable(L, Int32(f.parameters.count), 0)
        for (k, p) in f.parameters.enumerated() {
            lua_createtable(L, 0, 4)
            set("name", p.name); set("type", p.type.fields != nil ? "table" : p.type.annotation)
            set("doc", p.doc); set("optional", p.optional)
            if let fields = p.type.fields { pushFieldList(L, fields) ; lua_setfield(L, -2, "fields") }
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        lua_setfield(L, -2, "params")
        lua_createtable(L, Int32(f.results.count), 0)
        for (k, r) in f.results.enumerated() {
            lua_createtable(L, 0, 3)
            set("name", r.name); set("type", r.annotation); set("doc", r.doc)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
        lua_setfield(L, -2, "returns")
        lua_rawset(L, -3)
        documentation[name] = f.helpText
    }

    func pushFieldList(_ L: OpaquePointer, _ fields: [Field]) {
        lua_createtable(L, Int32(fields.count), 0)
        for (k, f) in fields.enumerated() {
            lua_createtable(L, 0, 5)
            f.name.push(onto: L); lua_setfield(L, -2, "name")
            (f.type.fields != nil ? "table" : f.type.annotation).push(onto: L); lua_setfield(L, -2, "type")
            f.doc.push(onto: L); lua_setfield(L, -2, "doc")
            f.required.push(onto: L); lua_setfield(L, -2, "required")
            f.defaultText.push(onto: L); lua_setfield(L, -2, "default")
            if let sub = f.type.fields { pushFieldList(L, sub); lua_setfield(L, -2, "fields") }
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}
