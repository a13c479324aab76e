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
public struct Polynomial: Sendable, CustomStringConvertible {
    public var variableNames: [String]
    public private(set) var terms: [Monomial: Double]

    public init(variableNames: [String], terms: [Monomial: Double] = [:]) {
        self.variableNames = variableNames
        self.terms = terms.filter { $0.value != 0 }
    }

    /// Adopts `terms` as they are; the caller guarantees that no coefficient is zero
    /// (skips the filtering copy of `init(variableNames:terms:)`, for large builders).
    public init(variableNames: [String], nonzeroTerms terms: [Monomial: Double]) {
        self.variableNames = variableNames
        self.terms = terms
    }

    public static func constant(_ c: Double, variableNames: [String]) -> Polynomial {
        Polynomial(variableNames: variableNames, terms: c == 0 ? [:] : [.one: c])
    }

    public static func variable(_ i: Int, variableNames: [String]) -> Polynomial {
        Polynomial(variableNames: variableNames, terms: [Monomial(sorted: [Int32(i)]): 1])
    }

    public var variableCount: Int { variableNames.count }
    public var termCount: Int { terms.count }
    public var degree: Int { terms.keys.map(\.degree).max() ?? 0 }
    public var isZero: Bool { terms.isEmpty }

    public func coefficient(of m: Monomial) -> Double { terms[m] ?? 0 }

    /// Adds c·m, dropping the term if it cancels to zero.
    public mutating func add(_ c: Double, _ m: Monomial) {
        if c == 0 { return }
        let v = (terms[m] ?? 0) + c
        if v == 0 { terms[m] = nil } else { terms[m] = v }
    }

    public func evaluate(_ x: [Double]) -> Double {
        var s = 0.0
        for (m, c) in terms {
            var v = c
            for i in m.variables { v *= x[Int(i)] }
            s += v
        }
        return s
    }

    /// Terms sorted by degree, then variable indices (a stable order for printing and tests).
    public var sortedTerms: [(monomial: Monomial, coefficient: Double)] {
        terms.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public static func + (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = a
        for (m, c) in b.terms { r.add(c, m) }
        return r
    }

    public static prefix func - (a: Polynomial) -> Polynomial {
        Polynomial(variableNames: a.variableNames, terms: a.terms.mapValues { -$0 })
    }

    public static func - (a: Polynomial, b: Polynomial) -> Polynomial { a + (-b) }

    public static func * (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = Polynomial(variableNames: a.variableNames.count >= b.variableNames.count ? a.variableNames : b.variableNames)
        for (ma, ca) in a.terms { for (mb, cb) in b.terms { r.add(ca * cb, ma * mb) } }
        return r
    }

    public static func * (c: Double, a: Polynomial) -> Polynomial {
        if c == 0 { return Polynomial(variableNames: a.variableNames) }
        return Polynomial(variableNames: a.variableNames, terms: a.terms.mapValues { c * $0 })
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
