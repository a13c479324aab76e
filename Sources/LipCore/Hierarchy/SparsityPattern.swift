/// A sparsity pattern: sets I_1..I_q of variables (docs/METHOD.md §3). Product families that use a
/// pattern keep only products whose variables lie inside one set. A pattern is a value (a name
/// and a function from the problem to its sets); the built-ins live one per file in
/// `Patterns/`, user patterns come from Lua (`lip.sparsity.define`) or as explicit sets, and
/// all are registered by name in `Registries.patterns`.
public struct SparsityPattern: Sendable, CustomStringConvertible {
    public let name: String
    public let summary: String
    let body: @Sendable (LipschitzProblem) throws -> [[Int]]

    public init(name: String, summary: String = "", sets: @escaping @Sendable (LipschitzProblem) throws -> [[Int]]) {
        self.name = name; self.summary = summary; self.body = sets
    }

    public var description: String { name }

    /// The sets of this pattern for `problem`, each ascending and without repeats; indices are
    /// checked against the problem's variables.
    public func sets(for problem: LipschitzProblem) throws -> [[Int]] {
        let n = problem.variableCount
        return try body(problem).map { s in
            for v in s where v < 0 || v >= n {
                throw HierarchyError.badInput("sparsity pattern '\(name)': a set names variable \(v + 1), but the problem has \(n) variables")
            }
            return Array(Set(s)).sorted()
        }
    }

    /// Explicit sets of variable indices (0-based).
    public static func sets(_ sets: [[Int]], name: String = "user") -> SparsityPattern {
        SparsityPattern(name: name, summary: "user sets") { _ in sets }
    }
}

/// Dual-ball variables grouped by input coordinate (ℓ1 gives two per coordinate: u_i, v_i).
func dualVariablesByInput(_ problem: LipschitzProblem) -> [Int: [Int]] {
    var out: [Int: [Int]] = [:]
    for (i, k) in problem.kinds.enumerated() {
        if case .dual(let input) = k { out[input, default: []].append(i) }
    }
    return out
}

