import Foundation
import LipLP
import LipGLPK
import LipCore
@testable import LipClp
import Testing
import LipTestSupport

/// GLPK against Clp's methods on the Krivine LPs of the hierarchy benchmark (not a timed test;
/// it only runs with LIPLUA_CLP_BENCH set):
///
///     LIPLUA_CLP_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter ClpBenchmark
///
/// LIPLUA_CLP_BENCH_CASES=0,2 picks cases (see `cases`), LIPLUA_CLP_BENCH_SEEDS=n seeds 0..<n
/// (default 1), LIPLUA_CLP_BENCH_LIMIT seconds per solve (default 300),
/// LIPLUA_CLP_BENCH_SOLVERS=glpk-interior,glpk-primal,glpk-dual,clp-dual,clp-primal,clp-barrier,clp-barrier-nox
/// (default: all but glpk-primal and glpk-dual), LIPLUA_CLP_BENCH_WRITE=dir also writes each LP
/// there as free MPS. Prints one line per solve: wall and CPU seconds
/// (GLPK: this thread; Clp: the child, from getrusage), MPS hand-over, the load average, the
/// certified bound and certified − λ*.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LIPLUA_CLP_BENCH"] != nil))
struct ClpBenchmark {
    struct Case { var sizes: [Int]; var sparsity: Int; var degree: Int; var family: ProductFamily }
    static let cases: [Case] = [
        Case(sizes: [80, 80, 1], sparsity: 10, degree: 3, family: .byInput),   // 0
        Case(sizes: [80, 80, 1], sparsity: 20, degree: 3, family: .byInput),   // 1
        Case(sizes: [80, 80, 1], sparsity: 10, degree: 3, family: .path),      // 2
        Case(sizes: [80, 80, 1], sparsity: 20, degree: 3, family: .path),      // 3
        Case(sizes: [40, 40, 1], sparsity: 21, degree: 4, family: .path),      // 4
        Case(sizes: [40, 40, 1], sparsity: 21, degree: 4, family: .byInput),   // 5
        Case(sizes: [40, 40, 1], sparsity: 10, degree: 3, family: .byInput),   // 6
        Case(sizes: [20, 20, 1], sparsity: 20, degree: 3, family: .byInput),   // 7
    ]

    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    static func childCPU() -> (Double, Double) {
        var ru = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &ru)
        let t = Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) / 1e6 + Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) / 1e6
        return (t, Double(ru.ru_maxrss) * 1024)
    }
    static func load() -> Double {
        var l = [Double](repeating: 0, count: 3)
        return getloadavg(&l, 3) > 0 ? l[0] : .nan
    }

    @Test func krivineLPs() throws {
        let env = ProcessInfo.processInfo.environment
        let pick = env["LIPLUA_CLP_BENCH_CASES"].map { $0.split(separator: ",").compactMap { Int($0) } }
        let seeds = UInt64(Int(env["LIPLUA_CLP_BENCH_SEEDS"] ?? "1") ?? 1)
        let limit = Double(env["LIPLUA_CLP_BENCH_LIMIT"] ?? "300") ?? 300
        let solvers = (env["LIPLUA_CLP_BENCH_SOLVERS"] ?? "glpk-interior,clp-dual,clp-primal,clp-barrier,clp-barrier-nox")
            .split(separator: ",").map(String.init)
        print("case | seed | rows x cols (nnz) | solver | status | wall s | cpu s | mps s | load | certified | certified - lambda")
        for (ci, c) in Self.cases.enumerated() where pick?.contains(ci) ?? true {
            for seed in 0..<seeds {
                let net = try Network.random(sizes: c.sizes, sparsity: c.sparsity, seed: seed)
                let problem = try makeLipschitzProblem(net, norm: .linf)
                var ko = KrivineOptions(degree: c.degree, family: c.family)
                ko.limits = .unlimited
                let tb = Date()
                let (lp, inverse) = try KrivineHierarchy.apply(problem, options: ko)
                let build = Date().timeIntervalSince(tb)
                let label = "\(c.sizes.map(String.init).joined(separator: "-")) s=\(c.sparsity) k=\(c.degree) \(c.family.name)"
                print("# \(label) seed \(seed): \(lp.rowCount) x \(lp.columnCount) (\(lp.nonzeroCount) nnz), built in \(String(format: "%.2f", build)) s")
                if let dir = env["LIPLUA_CLP_BENCH_WRITE"] {
                    // For other programs (clp, glpsol, highs): decimal numbers, standard constant convention.
                    let path = "\(dir)/\(label.replacingOccurrences(of: " ", with: "_"))-seed\(seed).mps"
                    let tw = Date()
                    let summary = try lp.writeMPS(to: path)
                    print(String(format: "# wrote %@ (%.0f MB) in %.2f s", path, Double(summary.bytes) / 1e6, Date().timeIntervalSince(tw)))
                }
                for name in solvers {
                    var o = LPOptions(); o.timeLimit = limit
                    let l0 = Self.load()
                    let solver: any LPSolver
                    var isClp = false
                    switch name {
                    case "glpk-interior": solver = GLPKSolver(); o.method = .interiorPoint
                    case "glpk-primal": solver = GLPKSolver(); o.method = .primalSimplex
                    case "glpk-dual": solver = GLPKSolver(); o.method = .dualSimplex
                    case "clp-dual": solver = ClpSolver(); o.method = .dualSimplex; isClp = true
                    case "clp-primal": solver = ClpSolver(); o.method = .primalSimplex; isClp = true
                    case "clp-barrier": solver = ClpSolver(); o.method = .interiorPoint; isClp = true
                    case "clp-barrier-nox":
                        var s = ClpSolver(); s.crossover = false; solver = s; o.method = .interiorPoint; isClp = true
                    default: Issue.record("unknown solver \(name)"); continue
                    }
                    let (c0, _) = Self.childCPU()
                    let cpu0 = Self.threadCPU()
                    let t0 = Date()
                    let r = try solver.solve(lp, options: o)
                    let wall = Date().timeIntervalSince(t0)
                    let (c1, _) = Self.childCPU()
                    let cpu = isClp ? c1 - c0 : Self.threadCPU() - cpu0
                    var mps = Double.nan, peak = ""
                    if isClp, let range = r.message.range(of: "MPS write ") {
                        mps = Double(r.message[range.upperBound...].prefix { $0 != " " }) ?? .nan
                    }
                    if isClp, let range = r.message.range(of: "peak memory ") {
                        peak = String(r.message[range.upperBound...].prefix { $0 != ";" })
                    }
                    let b = inverse.invert(r)
                    // What the certificate would add if the point had only the 8 significant
                    // digits of clp's text solution file (%15.8g) instead of the exact doubles.
                    var rounded = Double.nan
                    if r.primal.count == lp.columnCount,
                       let c = inverse.certify(r.primal.map { Double(String(format: "%.8g", $0)) ?? .nan }) {
                        rounded = c.bound - c.lambda
                    }
                    print(String(format: "%@ | %d | %d x %d (%d) | %@ | %@ | %.2f | %.2f | %.2f | %.1f | %.10f | %.3g | 8 digits: %.3g%@",
                                 label, Int(seed), lp.rowCount, lp.columnCount, lp.nonzeroCount, name, r.status.rawValue,
                                 wall, cpu, mps, l0, b.certifiedBound ?? .nan, b.correction ?? .nan, rounded,
                                 isClp ? " | clp peak " + peak : ""))
                    if r.status != .optimal { print("  message: \(r.message)") }
                }
            }
        }
    }
}
