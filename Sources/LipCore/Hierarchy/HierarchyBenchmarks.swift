import Foundation
import LipLP

/// Benchmarks of LiPopt-k (not timed tests): random banded ELU networks as in the paper and a
/// pruned MNIST-shaped network. The solver is passed in (LipCore does not link GLPK).
public enum HierarchyBenchmarks {
    public struct Row: Sendable, CustomStringConvertible {
        public var label: String
        public var seed: UInt64
        public var bound: LipschitzBound
        public var ubp: Double
        public var description: String {
            let b = bound
            return String(format: "%@ seed %2d: certified %.10f  lp %.10f  UBP %.4f  %d x %d (%d nnz)  build %.3f s  solve %.3f s  certify %.3f s  [%@]",
                          label, Int(seed), b.certifiedBound ?? .nan, b.lpValue ?? .nan, ubp, b.rows, b.columns, b.nonzeros,
                          b.buildSeconds, b.solveSeconds, b.certifySeconds, b.status.rawValue)
        }
    }

    /// LiPopt-k on the ℓ∞ problem of `net` without size limits; the polynomial's build time is
    /// counted in `buildSeconds`.
    static func solveTimed(_ net: Network, degree: Int, family: ProductFamily, solver: any LPSolver,
                           method: LPMethod) throws -> (LipschitzProblem, LipschitzBound) {
        let t0 = Date()
        let problem = try makeLipschitzProblem(net, norm: .linf)
        let polySeconds = Date().timeIntervalSince(t0)
        var o = KrivineOptions(degree: degree, family: family, solver: solver, method: method)
        o.limits = .unlimited
        var b = try KrivineHierarchy.solve(problem, options: o)
        b.buildSeconds += polySeconds
        return (problem, b)
    }

    /// Random ELU networks `Network.random(sizes:sparsity:seed:)` for each seed, ℓ∞, global
    /// ranges, LiPopt-k with the given family.
    public static func random(sizes: [Int], sparsity: Int, degree: Int, family: ProductFamily,
                              seeds: Range<UInt64>, solver: any LPSolver, method: LPMethod = .automatic,
                              report: ((Row) -> Void)? = nil) throws -> [Row] {
        var rows: [Row] = []
        for seed in seeds {
            let net = try Network.random(sizes: sizes, sparsity: sparsity, seed: seed)
            let (_, b) = try solveTimed(net, degree: degree, family: family, solver: solver, method: method)
            let label = "\(sizes.map(String.init).joined(separator: "-")) s=\(sparsity) k=\(degree) \(family.name)"
            let row = Row(label: label, seed: seed, bound: b, ubp: try productBound(net, norm: .linf))
            report?(row)
            rows.append(row)
        }
        return rows
    }

    /// (784, 300, 100, 1) with a fraction of the weights kept at random and the W1 columns of
    /// the MNIST border pixels (28×28 image, `border` pixels wide) set to zero.
    public static func mnistShaped(keep: Double = 0.05, border: Int = 2, degree: Int = 3, family: ProductFamily = .path,
                                   seed: UInt64 = 0, solver: any LPSolver, method: LPMethod = .automatic) throws -> (row: Row, peakMemoryBytes: Double) {
        let dense = try Network.random(sizes: [784, 300, 100, 1], seed: seed)
        let pruned = try dense.pruned(keep: keep, seed: seed)
        func isBorder(_ i: Int) -> Bool { let r = i / 28, c = i % 28; return r < border || r >= 28 - border || c < border || c >= 28 - border }
        var layers = pruned.layers
        let m = layers[0].matrix
        var trip: [(Int, Int, Double)] = []
        for r in 0..<m.rows { for p in m.rowStart[r]..<m.rowStart[r + 1] where !isBorder(m.columns[p]) { trip.append((r, m.columns[p], m.values[p])) } }
        layers[0] = try Layer(weights: .sparse(try SparseMatrix(rows: m.rows, cols: m.cols, triplets: trip)),
                              bias: layers[0].bias, activation: layers[0].activation)
        let net = try Network(layers: layers, output: pruned.output)
        let (problem, b) = try solveTimed(net, degree: degree, family: family, solver: solver, method: method)
        let row = Row(label: "784-300-100-1 keep \(keep) k=\(degree) \(family.name) (\(problem.polynomial.termCount) terms, \(problem.variableCount) vars)",
                      seed: seed, bound: b, ubp: try productBound(net, norm: .linf))
        return (row, peakMemoryBytes())
    }

    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        if s.isEmpty { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// One line of medians over rows.
    public static func summary(_ rows: [Row]) -> String {
        guard let first = rows.first else { return "(no rows)" }
        let b = rows.map(\.bound)
        return String(format: "%@: median certified %.6f, UBP %.4f, LP %.0f x %.0f (%.0f nnz), build %.3f s, solve %.3f s, certify %.3f s, total %.3f s",
                      first.label, median(b.compactMap(\.certifiedBound)), median(rows.map(\.ubp)),
                      median(b.map { Double($0.rows) }), median(b.map { Double($0.columns) }), median(b.map { Double($0.nonzeros) }),
                      median(b.map(\.buildSeconds)), median(b.map(\.solveSeconds)), median(b.map(\.certifySeconds)), median(b.map(\.totalSeconds)))
    }

    /// Peak resident memory of this process (VmHWM), in bytes; NaN where unavailable.
    public static func peakMemoryBytes() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1024 }
        }
        return .nan
    }
}
