import Foundation
import LipLP
import LipGLPK
import Testing
import LipTestSupport

/// Timing run for a large sparse LP (≥ 100,000 columns, ≥ 1,000,000 nonzeros): a packing LP
///     maximize Σ c_j x_j  s.t.  Σ_j a_ij x_j ≤ 1 (every row),  0 ≤ x ≤ 1,
/// feasible (x = 0) and bounded (box). Column j has `perColumn` entries in rows near j·m/n
/// (banded) or anywhere (random). Off by default; run with
///     LIPLUA_GLPK_BENCH=1 swift test --filter Benchmark
/// Optional: LIPLUA_GLPK_BENCH_LIMIT (seconds per method, default 120), LIPLUA_GLPK_BENCH_RANDOM=1.
@Suite struct Benchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LIPLUA_GLPK_BENCH"] != nil))
    func largeSparsePacking() throws {
        let env = ProcessInfo.processInfo.environment
        let limit = Double(env["LIPLUA_GLPK_BENCH_LIMIT"] ?? "") ?? 120
        let random = env["LIPLUA_GLPK_BENCH_RANDOM"] != nil
        let n = 100_000, m = 10_000, perColumn = 10
        let clock = ContinuousClock()
        let t0 = clock.now
        var g = SplitMix(state: 42)
        var lp = LinearProgram(sense: .maximize, columns: n, name: "packing")
        lp.entryRow.reserveCapacity(n * perColumn); lp.entryColumn.reserveCapacity(n * perColumn)
        lp.entryValue.reserveCapacity(n * perColumn)
        lp.rowLower = Array(repeating: -.infinity, count: m)
        lp.rowUpper = Array(repeating: 1, count: m)
        var rows = Set<Int>()
        for j in 0..<n {
            lp.objective[j] = Double.random(in: 0.5...1.5, using: &g)
            lp.columnUpper[j] = 1
            rows.removeAll(keepingCapacity: true)
            let base = j * m / n
            while rows.count < perColumn {
                rows.insert(random ? Int.random(in: 0..<m, using: &g) : (base + Int.random(in: 0..<(3 * perColumn), using: &g)) % m)
            }
            for i in rows {
                lp.entryRow.append(Int32(i)); lp.entryColumn.append(Int32(j))
                lp.entryValue.append(Double.random(in: 0.01...1, using: &g))
            }
        }
        let tBuild = clock.now - t0
        let t1 = clock.now
        try lp.validate()
        let tValidate = clock.now - t1
        print("packing LP (\(random ? "random" : "banded")): \(lp.rowCount) rows × \(lp.columnCount) columns, \(lp.nonzeroCount) nonzeros, ~\(lp.memoryEstimate / 1_000_000) MB; Swift build \(tBuild), validate \(tValidate)")
        var objectives: [Double] = []
        for method in [LPMethod.interiorPoint, .dualSimplex, .primalSimplex] {
            var o = LPOptions(); o.method = method; o.timeLimit = limit
            let t = clock.now
            let r = try GLPKSolver().solve(lp, options: o)
            print("  \(method.rawValue): \(r.status.rawValue) objective \(r.objective) iterations \(r.iterations) solver \(String(format: "%.2f", r.seconds)) s, wall \(clock.now - t)")
            print("    \(r.message)")
            if r.status == .optimal { objectives.append(r.objective) }
        }
        if let first = objectives.first {
            for o in objectives { #expect(abs(o - first) <= 1e-6 * max(1, abs(first))) }
        }
    }
}
