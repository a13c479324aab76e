/// A monomial: the sorted list of its variable indices, a variable repeated once per power
/// (x₀²x₃ is [0, 0, 3]). The constant monomial is [].
public struct Monomial: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var variables: [Int32]

    public init(_ variables: [Int32]) { self.variables = variables.sorted() }
    public init(sorted variables: [Int32]) { self.variables = variables }
    public static let one = Monomial(sorted: [])

    public var degree: Int { variables.count }
    /// True when no variable appears twice.
    public var isMultilinear: Bool {
        var i = 1
        while i < variables.count { if variables[i] == variables[i - 1] { return false }; i += 1 }
        return true
    }

    public static func < (a: Monomial, b: Monomial) -> Bool {
        if a.variables.count != b.variables.count { return a.variables.count < b.variables.count }
        return a.variables.lexicographicallyPrecedes(b.variables)
    }

    public static func * (a: Monomial, b: Monomial) -> Monomial {
        var out = [Int32](); out.reserveCapacity(a.degree + b.degree)
        var i = 0, j = 0
        while i < a.variables.count || j < b.variables.count {
            if j == b.variables.count || (i < a.variables.count && a.variables[i] <= b.variables[j]) {
                out.append(a.variables[i]); i += 1
            } else { out.append(b.variables[j]); j += 1 }
        }
        return Monomial(sorted: out)
    }

    public var description: String { format(names: nil) }

    /// "x1^2*x4" style, with the given names (or x<i+1>).
    public func format(names: [String]?) -> String {
        if variables.isEmpty { return "1" }
        var parts: [String] = []
        var i = 0
        while i < variables.count {
            var j = i
            while j < variables.count && variables[j] == variables[i] { j += 1 }
            let v = Int(variables[i])
            let name = (names != nil && v < names!.count) ? names![v] : "x\(v + 1)"
            parts.append(j - i == 1 ? name : "\(name)^\(j - i)")
            i = j
        }
        return parts.joined(separator: "*")
    }
}

/// A sparse multivariate polynomial with real coefficients over named variables.
/// Terms with coefficient exactly zero are not stored.
///
/// Iteration order is deterministic: `orderedTerms` lists the terms in the order they were
/// first added (the dictionary initialisers add them in canonical order: by degree, then
/// variable indices). Code whose result depends on order — LP assembly, sums whose rounding
/// must not change between runs — iterates `orderedTerms`, never the dictionary `terms`.
public struct Polynomial: Sendable, CustomStringConvertible {
    public var variableNames: [String]
    public private(set) var terms: [Monomial: Double]
    /// The keys of `terms`, each once, in first-insertion order.
    private var order: [Monomial]

    public init(variableNames: [String], terms: [Monomial: Double] = [:]) {
        self.variableNames = variableNames
        self.terms = terms.filter { $0.value != 0 }
        self.order = self.terms.keys.sorted()
    }

    /// Adopts `terms` in the given order; the caller guarantees distinct monomials and no zero
    /// coefficient (skips filtering and sorting, for large builders).
    public init(variableNames: [String], orderedNonzeroTerms list: [(Monomial, Double)]) {
        self.variableNames = variableNames
        var d = [Monomial: Double](minimumCapacity: list.count)
        for (m, c) in list { d[m] = c }
        precondition(d.count == list.count, "orderedNonzeroTerms: repeated monomial")
        self.terms = d
        self.order = list.map(\.0)
    }

    public static func constant(_ c: Double, variableNames: [String]) -> Polynomial {
        Polynomial(variableNames: variableNames, terms: c == 0 ? [:] : [.one: c])
    }

    public static func variable(_ i: Int, variableNames: [String]) -> Polynomial {
        Polynomial(variableNames: variableNames, terms: [Monomial(sorted: [Int32(i)]): 1])
    }

    public var variableCount: Int { variableNames.count }
    public var termCount: Int { terms.count }
    public var degree: Int { order.reduce(0) { Swift.max($0, $1.degree) } }
    public var isZero: Bool { terms.isEmpty }

    public func coefficient(of m: Monomial) -> Double { terms[m] ?? 0 }

    /// The terms in deterministic (first-insertion) order.
    public var orderedTerms: [(monomial: Monomial, coefficient: Double)] { order.map { ($0, terms[$0]!) } }
    /// The monomials in deterministic (first-insertion) order.
    public var monomials: [Monomial] { order }

    /// Adds c·m, dropping the term if it cancels to zero.
    public mutating func add(_ c: Double, _ m: Monomial) {
        if c == 0 { return }
        if let old = terms[m] {
            let v = old + c
            if v == 0 { terms[m] = nil; order.removeAll { $0 == m } } else { terms[m] = v }
        } else {
            terms[m] = c; order.append(m)
        }
    }

    public func evaluate(_ x: [Double]) -> Double {
        var s = 0.0
        for m in order {
            var v = terms[m]!
            for i in m.variables { v *= x[Int(i)] }
            s += v
        }
        return s
    }

    /// Terms sorted by degree, then variable indices (a stable order for printing and tests).
    public var sortedTerms: [(monomial: Monomial, coefficient: Double)] {
        order.sorted().map { ($0, terms[$0]!) }
    }

    public static func + (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = a
        for (m, c) in b.orderedTerms { r.add(c, m) }
        return r
    }

    public static prefix func - (a: Polynomial) -> Polynomial {
        Polynomial(variableNames: a.variableNames, orderedNonzeroTerms: a.orderedTerms.map { ($0.monomial, -$0.coefficient) })
    }

    public static func - (a: Polynomial, b: Polynomial) -> Polynomial { a + (-b) }

    public static func * (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = Polynomial(variableNames: a.variableNames.count >= b.variableNames.count ? a.variableNames : b.variableNames)
        for (ma, ca) in a.orderedTerms { for (mb, cb) in b.orderedTerms { r.add(ca * cb, ma * mb) } }
        return r
    }

    public static func * (c: Double, a: Polynomial) -> Polynomial {
        if c == 0 { return Polynomial(variableNames: a.variableNames) }
        var r = Polynomial(variableNames: a.variableNames)
        for (m, x) in a.orderedTerms { r.add(c * x, m) }
        return r
    }

    public var description: String {
        if terms.isEmpty { return "0" }
        var s = ""
        for (k, (m, c)) in sortedTerms.enumerated() {
            let mag = Swift.abs(c)
            let sign = c < 0 ? (k == 0 ? "-" : " - ") : (k == 0 ? "" : " + ")
            let coef = m.degree == 0 ? "\(mag)" : (mag == 1 ? "" : "\(mag)*")
            s += sign + coef + (m.degree == 0 ? "" : m.format(names: variableNames))
        }
        return s
    }
}
