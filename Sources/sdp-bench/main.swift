// sdp-bench: timings of the Shor SDP relaxation (no Lua). One case per process so that the
// peak RSS printed is that case's. Run through scripts/tools/sdp_bench, or directly:
//
//   swift run -c release sdp-bench shor --sizes 784,500 --activation relu --solver lowrank
//   swift run -c release sdp-bench maxcut --order 1000 --density 0.1 --solver dsdp
//
// Prints one line of key=value pairs per case.
import Foundation
import LipControl
import LipCore
import LipDSDP
import LipSDP

func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: "/") ?? "?"
}

struct Args {
    var values: [String: String] = [:]
    init(_ a: ArraySlice<String>) {
        var it = a.makeIterator()
        while let k = it.next() {
            guard k.hasPrefix("--") else { continue }
            values[String(k.dropFirst(2))] = it.next() ?? ""
        }
    }
    func string(_ k: String, _ d: String) -> String { values[k] ?? d }
    func int(_ k: String, _ d: Int) -> Int { values[k].flatMap { Int($0) } ?? d }
    func double(_ k: String, _ d: Double?) -> Double? { values[k].flatMap { Double($0) } ?? d }
}

func solver(_ name: String) -> SDPSolver {
    switch name {
    case "dsdp": return DSDPSolver()
    default: return LowRankSolver()
    }
}

func report(_ fields: [(String, String)]) {
    print(fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
}

/// Stored entries of the cost and all constraint matrices.
func dataNonzeros(_ p: SDPProblem) -> Int {
    switch p {
    case .maxCut(let m): return m.q.entryCount + m.order
    case .block(let b): return b.objective.reduce(0) { $0 + $1.entryCount } + b.constraints.reduce(0) { $0 + $1.terms.reduce(0) { $0 + $1.matrix.entryCount } }
    }
}

func runShor(_ a: Args) throws {
    let sizes = a.string("sizes", "784,500").split(separator: ",").map { Int($0)! }
    let act = Activation.named(a.string("activation", "relu"))!
    let sparsity = a.values["sparsity"].flatMap { Int($0) }
    let seed = UInt64(a.int("seed", 0))
    var net = try Network.random(sizes: sizes + [1].prefix(sizes.last == 1 ? 0 : 1), sparsity: sparsity, activation: act,
                                 bias: a.values["bias"] != nil, seed: seed)
    if sizes.last != 1 { net = try net.withOutput(.index(0)) }
    var box: (lower: [Double], upper: [Double])? = nil
    if let r = a.double("radius", nil) {
        var rng = Xoshiro256StarStar(seed: seed &+ 99)
        let x = (0..<net.inputSize).map { _ in rng.uniform(0, 1) }
        box = (x.map { $0 - r }, x.map { $0 + r })
    }
    let shape: DualBallShape = a.string("shape", "box") == "ball" ? .ball : .box
    let form = a.values["formulation"].flatMap { ShorProblem.Formulation(rawValue: $0) }
    let t0 = monotonicSeconds(), c0 = cpuSeconds()
    let problem = try ShorSDP.build(network: net, shape: shape, inputBox: box, domain: box == nil ? nil : (0, 1), formulation: form)
    let tBuild = monotonicSeconds() - t0
    if let path = a.values["write-sdpa"], case .maxCut(let mc) = problem.sdp {
        // SDPA sparse format of the dual: min Σ d_i s.t. Σ d_i e_ieᵢᵀ − Q ⪰ 0
        var out = "\(mc.order)\n1\n\(mc.order)\n" + Array(repeating: "1", count: mc.order).joined(separator: " ") + "\n"
        for k in mc.q.values.indices { out += "0 1 \(mc.q.rows[k] + 1) \(mc.q.columns[k] + 1) \(mc.q.values[k])\n" }
        for i in 1...mc.order { out += "\(i) 1 \(i) \(i) 1\n" }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
    if let path = a.values["write-sdpa"], case .block(let blk) = problem.sdp {
        // SDPA: min Σ u_k y_k s.t. Σ y_k A_k − C ⪰ 0 (block 1) and y_k ≥ 0 for ≤ rows (LP block 2)
        let P = blk.maximizationForm
        let ineq = P.constraints.indices.filter { P.constraints[$0].lower != P.constraints[$0].upper }
        var out = "\(P.constraints.count)\n2\n\(P.blockSizes[0]) -\(ineq.count)\n"
        out += P.constraints.map { "\($0.upper)" }.joined(separator: " ") + "\n"
        let C = P.objective[0]
        for k in C.values.indices { out += "0 1 \(C.rows[k] + 1) \(C.columns[k] + 1) \(C.values[k])\n" }
        var lp = [Int: Int]()
        for (q, k) in ineq.enumerated() { lp[k] = q + 1 }
        for (k, c) in P.constraints.enumerated() {
            for t in c.terms { let A = t.matrix; for e in A.values.indices { out += "\(k + 1) 1 \(A.rows[e] + 1) \(A.columns[e] + 1) \(A.values[e])\n" } }
            if let q = lp[k] { out += "\(k + 1) 2 \(q) \(q) 1\n" }
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
    var o = SDPOptions()
    o.deadline = Deadline(seconds: a.double("time", 600))
    o.tolerance = a.double("tol", nil)
    o.verbosity = a.int("verbosity", 0)
    o.rank = a.values["rank"].flatMap { Int($0) }
    let sname = a.string("solver", "lowrank")
    let t1 = monotonicSeconds()
    let r = try solver(sname).solve(problem.sdp, options: o)
    let tSolve = monotonicSeconds() - t1
    let t2 = monotonicSeconds()
    let cert = problem.certify(r)
    let tCert = monotonicSeconds() - t2
    let ubp = try productBound(net, norm: shape == .box ? .linf : .l2, inputBox: box, domain: box == nil ? nil : (0, 1))
    let sizesText = net.sizes.map(String.init).joined(separator: "-")
    report([("case", "shor"), ("net", sizesText), ("act", act.name), ("s", sparsity.map(String.init) ?? "dense"),
            ("box", a.values["radius"] ?? "global"), ("shape", shape.rawValue), ("form", problem.formulation.rawValue),
            ("order", "\(problem.order)"), ("constraints", "\(problem.constraintCount)"), ("data_nnz", "\(dataNonzeros(problem.sdp))"),
            ("free", problem.neuronCounts.map { "\($0.free)" }.joined(separator: "/")),
            ("solver", sname), ("status", r.status.rawValue), ("iters", "\(r.iterations)"),
            ("primal", String(format: "%.9g", r.primalObjective)), ("solver_value", String(format: "%.9g", cert.solverValue)),
            ("certified", cert.certified.map { String(format: "%.9g", $0) } ?? "none"), ("cert", cert.status.rawValue),
            ("shift", cert.certificate.shifts.map { String(format: "%.3e", $0) }.joined(separator: ",")), ("attempts", "\(cert.certificate.attempts)"),
            ("rel_correction", cert.correction.map { String(format: "%.2e", $0 / Swift.abs(cert.solverValue)) } ?? "none"),
            ("ubp", String(format: "%.6g", ubp)),
            ("build_s", String(format: "%.2f", tBuild)), ("solve_s", String(format: "%.2f", tSolve)), ("cert_s", String(format: "%.2f", tCert)),
            ("cpu_s", String(format: "%.1f", cpuSeconds() - c0)), ("peak_rss_mb", String(format: "%.0f", Double(peakResidentSetBytes()) / 1e6)),
            ("load", loadAverage()), ("msg", "\"\(r.message)\"")])
}

func runMaxCut(_ a: Args) throws {
    let n = a.int("order", 500)
    let density = a.double("density", 0.1)!
    var rng = Xoshiro256StarStar(seed: UInt64(a.int("seed", 0)))
    var e: [(Int, Int, Double)] = []
    for i in 0..<n { for j in (i + 1)..<n where rng.nextDouble() < density { e.append((i, j, rng.uniform(-1, 1))) } }
    let p = try MaxCutProblem(q: SymmetricMatrix(order: n, entries: e))
    var o = SDPOptions()
    o.tolerance = a.double("tol", nil)
    o.verbosity = a.int("verbosity", 0)
    let sname = a.string("solver", "lowrank")
    let t0 = monotonicSeconds(), c0 = cpuSeconds()
    let r = try solver(sname).solve(.maxCut(p), options: o)
    let ts = monotonicSeconds() - t0
    let c = p.certify(dual: r.dual)
    report([("case", "maxcut"), ("order", "\(n)"), ("density", "\(density)"), ("solver", sname), ("status", r.status.rawValue),
            ("iters", "\(r.iterations)"), ("primal", String(format: "%.10g", r.primalObjective)),
            ("dual", String(format: "%.10g", r.dualObjective)), ("certified", c.bound.map { String(format: "%.10g", $0) } ?? "none"),
            ("cert", c.status.rawValue), ("attempts", "\(c.attempts)"), ("solve_s", String(format: "%.2f", ts)),
            ("cert_s", String(format: "%.2f", c.seconds)), ("cpu_s", String(format: "%.1f", cpuSeconds() - c0)),
            ("peak_rss_mb", String(format: "%.0f", Double(peakResidentSetBytes()) / 1e6)), ("load", loadAverage())])
}

/// The certificate alone on a random dense-ish MAXCUT problem with a feasible dual (row sums):
/// the time of the verified Cholesky at a given order.
func runCertify(_ a: Args) throws {
    let n = a.int("order", 2000)
    let density = a.double("density", 1)!
    var rng = Xoshiro256StarStar(seed: UInt64(a.int("seed", 0)))
    var e: [(Int, Int, Double)] = []
    var rows = [Double](repeating: 0, count: n)
    for i in 0..<n { for j in (i + 1)..<n where rng.nextDouble() < density {
        let v = rng.uniform(-1, 1); e.append((i, j, v)); rows[i] += Swift.abs(v); rows[j] += Swift.abs(v) } }
    let p = try MaxCutProblem(q: SymmetricMatrix(order: n, entries: e))
    let d = rows.map { $0 * 0.3 }                      // not feasible: the shift search has work to do
    let c0 = cpuSeconds()
    let c = p.certify(dual: d)
    report([("case", "certify"), ("order", "\(n)"), ("density", "\(density)"), ("cert", c.status.rawValue),
            ("attempts", "\(c.attempts)"), ("shift", String(format: "%.4e", c.shifts.first ?? .nan)), ("cert_s", String(format: "%.2f", c.seconds)),
            ("cpu_s", String(format: "%.1f", cpuSeconds() - c0)), ("peak_rss_mb", String(format: "%.0f", Double(peakResidentSetBytes()) / 1e6)),
            ("load", loadAverage())])
}

let argv = CommandLine.arguments
guard argv.count >= 2 else {
    print("usage: sdp-bench shor|maxcut|certify [--key value ...]")
    exit(2)
}
do {
    switch argv[1] {
    case "shor": try runShor(Args(argv.dropFirst(2)))
    case "maxcut": try runMaxCut(Args(argv.dropFirst(2)))
    case "certify": try runCertify(Args(argv.dropFirst(2)))
    default: print("unknown case \(argv[1])"); exit(2)
    }
} catch {
    print("error: \(error)")
    exit(1)
}
