import Foundation
import LipLP
import LipSDP

/// A name resolved in a registry that does not hold it.
public struct RegistryError: Error, CustomStringConvertible, Equatable {
    public var kind: String
    public var name: String
    public var known: [String]
    public var hint: String
    public init(kind: String, name: String, known: [String], hint: String = "") {
        self.kind = kind; self.name = name; self.known = known; self.hint = hint
    }
    public var description: String {
        "unknown \(kind) '\(name)'; registered: \(known.joined(separator: ", "))\(hint.isEmpty ? "" : "; " + hint)"
    }
}

/// One table of named extension points (activations, norms, product families, sparsity
/// patterns, relaxations, solvers). Built-ins and user definitions (from Lua) are registered
/// the same way, and a name means one thing everywhere it is resolved: loading and saving
/// networks, problems, scripts, reports.
///
/// Names are case-sensitive; aliases resolve to the same entry. Listing order is registration
/// order (deterministic). Thread-safe.
public final class Registry<Entry>: @unchecked Sendable {
    public let kind: String
    public let hint: String
    private let lock = NSLock()
    private var order: [String] = []
    private var entries: [String: Entry] = [:]
    private var aliasOf: [String: String] = [:]

    public init(kind: String, hint: String = "") {
        self.kind = kind
        self.hint = hint
    }

    /// Registers `entry` under `name` (and `aliases`). A name that is already registered is
    /// replaced only with `replacing: true` (Lua scripts redefine their own entries when rerun);
    /// otherwise it is an error, so a user definition cannot shadow a built-in by accident.
    public func register(_ name: String, _ entry: Entry, aliases: [String] = [], replacing: Bool = false) throws {
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
            throw RegistryError(kind: kind, name: name, known: names, hint: "a \(kind) name must be non-empty without blanks")
        }
        lock.lock(); defer { lock.unlock() }
        for n in [name] + aliases {
            if let owner = aliasOf[n] ?? (entries[n] != nil ? n : nil), !(replacing && owner == name) {
                throw RegistryError(kind: kind, name: n, known: order,
                                    hint: "the name is already registered (as '\(owner)'); choose another name")
            }
        }
        if entries[name] == nil { order.append(name) }
        entries[name] = entry
        for a in aliases { aliasOf[a] = name }
    }

    /// The entry called `name` (or an alias of it).
    public func resolve(_ name: String) throws -> Entry {
        if let e = lookup(name) { return e }
        throw RegistryError(kind: kind, name: name, known: names, hint: hint)
    }

    /// The entry called `name`, or nil.
    /// Exact names win; otherwise a case-insensitive match ("ReLU", "ELU") is accepted when it
    /// is unique.
    public func lookup(_ name: String) -> Entry? {
        lock.lock(); defer { lock.unlock() }
        if let owner = resolveName(name) { return entries[owner] }
        return nil
    }

    private func resolveName(_ name: String) -> String? {
        if entries[name] != nil { return name }
        if let owner = aliasOf[name] { return owner }
        let lower = name.lowercased()
        let matches = Set(order.filter { $0.lowercased() == lower } + aliasOf.keys.filter { $0.lowercased() == lower }.map { aliasOf[$0]! })
        return matches.count == 1 ? matches.first : nil
    }

    /// The canonical name of `name` (itself, or the entry an alias points to).
    public func canonicalName(_ name: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        return resolveName(name)
    }

    public func contains(_ name: String) -> Bool { lookup(name) != nil }

    /// Registered names in registration order.
    public var names: [String] {
        lock.lock(); defer { lock.unlock() }
        return order
    }

    /// A copy holding the same entries (a Lua state starts from a copy of the built-ins).
    public func copy() -> Registry<Entry> {
        lock.lock(); defer { lock.unlock() }
        let r = Registry(kind: kind, hint: hint)
        r.order = order; r.entries = entries; r.aliasOf = aliasOf
        return r
    }
}

/// Every registry of the toolkit. `Registries.builtin()` holds the built-ins; a Lua state owns
/// a copy to which `define` calls add. Solver registries are filled by the host (the command
/// line registers GLPK and the SDP solvers; tests may register mocks).
public final class Registries: @unchecked Sendable {
    public let activations: Registry<ActivationMaker>
    public let norms: Registry<Norm>
    public let families: Registry<ProductFamily>
    public let patterns: Registry<SparsityPattern>
    public let relaxations: Registry<any Relaxation>
    public let lpSolvers: Registry<any LPSolver>
    /// The solver used when a call names none (the first one registered, unless set).
    public var defaultLPSolver: String?
    /// SDP solvers: "lowrank" and "auto" built in; the host adds "dsdp" (see `SDPSolvers.swift`).
    public let sdpSolvers: Registry<any SDPSolver>

    init(activations: Registry<ActivationMaker>, norms: Registry<Norm>, families: Registry<ProductFamily>,
         patterns: Registry<SparsityPattern>, relaxations: Registry<any Relaxation>, lpSolvers: Registry<any LPSolver>,
         defaultLPSolver: String?, sdpSolvers: Registry<any SDPSolver> = SDPSolvers.builtinRegistry()) {
        self.activations = activations; self.norms = norms; self.families = families
        self.patterns = patterns; self.relaxations = relaxations; self.lpSolvers = lpSolvers
        self.defaultLPSolver = defaultLPSolver
        self.sdpSolvers = sdpSolvers
    }

    /// A fresh set of registries holding the built-ins of LipCore (no solvers).
    public static func builtin() -> Registries {
        let acts = Registry<ActivationMaker>(kind: "activation", hint: "define your own with lip.act.define{...}")
        for m in ActivationMaker.builtins { try! acts.register(m.name, m, aliases: m.aliases) }
        let norms = Registry<Norm>(kind: "norm", hint: "define your own with lip.norm.define{...}")
        try! norms.register("linf", .linf, aliases: ["inf", "l_inf", "linfty", "max"])
        try! norms.register("l1", .l1, aliases: ["l_1"])
        try! norms.register("l2", .l2, aliases: ["l_2", "euclidean"])
        let fams = Registry<ProductFamily>(kind: "product family", hint: "define your own with lip.hierarchy.define_family{...}")
        try! fams.register("by_input", .byInput, aliases: ["byInput", "published", "multi_layers"])
        try! fams.register("path", .path)
        try! fams.register("multilinear", .multilinear)
        try! fams.register("dense", .dense, aliases: ["full"])
        let pats = Registry<SparsityPattern>(kind: "sparsity pattern", hint: "define your own with lip.sparsity.define{...}, or pass a list of variable sets")
        try! pats.register("dense", .dense)
        try! pats.register("by_input", .byInput, aliases: ["byInput", "input"])
        try! pats.register("by_last_hidden", .byLastHidden, aliases: ["byLastHidden", "last_hidden"])
        try! pats.register("chordal", .chordal)
        let rels = Registry<any Relaxation>(kind: "relaxation", hint: "define your own with lip.relaxation.define{...}")
        try! rels.register(KrivineRelaxation.name, KrivineRelaxation(), aliases: ["krivine", "lipopt"])
        let solvers = Registry<any LPSolver>(kind: "LP solver", hint: "the host registers its solvers (liplua: glpk)")
        return Registries(activations: acts, norms: norms, families: fams, patterns: pats, relaxations: rels,
                          lpSolvers: solvers, defaultLPSolver: nil)
    }

    /// Copies of every registry (user definitions added to the copy stay there).
    public func copy() -> Registries {
        Registries(activations: activations.copy(), norms: norms.copy(), families: families.copy(),
                   patterns: patterns.copy(), relaxations: relaxations.copy(), lpSolvers: lpSolvers.copy(),
                   defaultLPSolver: defaultLPSolver, sdpSolvers: sdpSolvers.copy())
    }

    /// Resolves an activation by its full name: a registered name ("relu", "leaky0.1") or a
    /// parameterised built-in ("leaky_relu(0.1)", "elu(0.5)").
    public func activation(_ name: String) throws -> Activation {
        if let m = activations.lookup(name) { return try m.make([]) }
        if let open = name.firstIndex(of: "("), name.hasSuffix(")") {
            let base = String(name[..<open])
            let inner = name[name.index(after: open)..<name.index(before: name.endIndex)]
            if let m = activations.lookup(base) {
                var params: [Double] = []
                for part in inner.split(separator: ",") {
                    let text = part.trimmingCharacters(in: .whitespaces)
                    guard let x = Double(text) else {
                        throw RegistryError(kind: "activation", name: name, known: activations.names,
                                            hint: "'\(text)' is not a number; write e.g. leaky_relu(0.1)")
                    }
                    params.append(x)
                }
                return try m.make(params)
            }
        }
        throw RegistryError(kind: "activation", name: name, known: activations.names, hint: activations.hint)
    }

    /// The LP solver called `name`, or the default one.
    public func lpSolver(_ name: String?) throws -> any LPSolver {
        guard let key = name ?? defaultLPSolver ?? lpSolvers.names.first else {
            throw RegistryError(kind: "LP solver", name: "(default)", known: [], hint: "no LP solver is registered; the liplua host registers GLPK (from Swift: registries.lpSolvers.register(\"glpk\", GLPKSolver()))")
        }
        return try lpSolvers.resolve(key)
    }
}
