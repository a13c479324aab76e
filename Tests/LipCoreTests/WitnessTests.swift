import Foundation
import Testing
import LipTestSupport
import LipControl
import LipGLPK
import LipLP
import LipIO
@testable import LipCore

// Certified witnesses, the witness search and exact values, each against an independent oracle:
// hand-computed gradients, extended-precision (Float80) arithmetic, vertex enumeration of p,
// the certified LiPopt bound, brute-force enumeration of activation patterns with one LP each,
// and finite differences of the forward pass computed by numpy in python3.

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func box(_ n: Int, _ lo: Double, _ hi: Double) throws -> WitnessDomain {
    try WitnessDomain.global(inputs: n, box: ([Double](repeating: lo, count: n), [Double](repeating: hi, count: n)))
}

func witnessNorm(_ w: WitnessNorm) -> Norm { w == .linf ? .linf : (w == .l1 ? .l1 : .l2) }

/// The pruned Fashion-MNIST network of models/ and image k (0-based) of the committed images.
func committedNetwork(_ activation: String) throws -> Network {
    try NetworkFile.load(repoRoot + "/models/fashion-mnist-300-100-\(activation)-pruned.safetensors",
                         activation: activation == "relu" ? .relu : .elu(), output: .index(1))
}
func committedImage(_ k: Int) throws -> [Double] {
    let a = try IDXFile.read(repoRoot + "/models/fashion-mnist-t10k-first16-images-idx3-ubyte")
    let bytes = a.uint8Values!
    return (0..<784).map { Double(bytes[k * 784 + $0]) / 255 }
}

/// A small search budget for debug-build tests.
func quickOptions(seed: UInt64 = 0) -> WitnessSearchOptions {
    var o = WitnessSearchOptions()
    o.seed = seed; o.samples = 300; o.ascentStarts = 2; o.ascentSteps = 30
    o.patternStarts = 2; o.patternMoves = 8; o.flipCandidates = 8; o.polishFlips = 20; o.kicks = false
    return o
}

@Suite("Witness: certification")
struct WitnessCertificationTests {
    // W1 = [[1,2,3],[−1,0,1]], cᵀW2 = [1,2] (METHOD §2's unit example). At x = (1,1,1):
    // z = (6, 0)… take x = (1, 1, 2): z = (9, 1), both active, ∇f = W1ᵀ(1, 2) = (−1, 2, 5).
    let net = try! Network(weights: [[[1, 2, 3], [-1, 0, 1]], [[1, 2]]], activation: .relu)

    @Test func handComputedGradient() throws {
        let dom = try box(3, -5, 5)
        for (norm, exact) in [(WitnessNorm.linf, 8.0), (.l1, 5.0), (.l2, 30.0.squareRoot())] {
            let w = try certifyWitness(net, norm: norm, domain: dom, point: [1, 1, 2]).get()
            #expect(w.lower <= exact && w.lower >= exact * (1 - 1e-14), "\(norm): lower \(w.lower) vs \(exact)")
            #expect(w.upper >= exact && w.upper <= exact * (1 + 1e-14))
            #expect(w.pattern == [[1, 1]])
            #expect(w.smallestMargin <= 1 && w.smallestMargin >= 1 - 1e-12)   // z₂ = 1 is the closest to the kink
            #expect(zip(w.gradient, [-1.0, 2, 5]).allSatisfy { abs($0 - $1) <= 1e-14 })
        }
        // Second neuron inactive: x = (1, 1, 0): z = (3, −1), ∇f = W1ᵀ(1, 0) = (1, 2, 3).
        let w = try certifyWitness(net, norm: .linf, domain: dom, point: [1, 1, 0]).get()
        #expect(w.pattern == [[1, 0]])
        #expect(w.lower <= 6 && w.lower >= 6 * (1 - 1e-14))
    }

    @Test func rejectionsSayWhy() throws {
        let dom = try box(3, -5, 5)
        func reason(_ x: [Double], margin: Double = 1e-9, on d: WitnessDomain? = nil, net n: Network? = nil) throws -> WitnessRejection? {
            if case .failure(let r) = try certifyWitness(n ?? net, norm: .linf, domain: d ?? dom, point: x, margin: margin) { return r }
            return nil
        }
        #expect(try reason([1, 1, 6]) == .outsideDomain)
        #expect(try reason([1, 1]) == .wrongSize)
        #expect(try reason([1, .nan, 1]) == .nonFinite)
        #expect(try reason([1, 1, 1]) == .marginTooSmall)          // z₂ = 0: on the kink
        #expect(try reason([1, 1, 1 + 1e-12]) == .marginTooSmall)  // 1e-12 from the kink < 1e-9
        #expect(try reason([1, 1, 1 + 1e-12], margin: 1e-13) == nil)
        #expect(try reason([1, 1, 1.5], margin: 0.6) == .marginTooSmall)  // z₂ = 0.5
        let user = Activation.custom(name: "mine", value: { max($0, 0) }, derivative: { $0 >= 0 ? 1 : 0 }, derivativeRange: 0...1)
        #expect(try reason([1, 1, 2], net: net.withActivation(user)) == .unsupportedActivation)
        // A local box: the centre ± radius, rounded inward. The double nearest 1.1 exceeds the real
        // 1 + 0.1 (0.1 as a double is 0.1000000000000000055…, 1.1 is 1.1000000000000000888…).
        let local = try WitnessDomain.local(center: [1, 1, 2], radius: 0.1)
        #expect(Float80(Double(1.1)) > Float80(Double(1)) + Float80(Double(0.1)))
        #expect(try reason([1.1, 1, 2], on: local) == .outsideDomain)
        #expect(try reason([1.05, 1, 2], on: local) == nil)
    }

    /// No hidden layer: ∇f = W₁ᵀc everywhere; every search must certify exactly that.
    @Test func linearNetwork() throws {
        let net = try Network(layers: [try Layer(rows: [[1, -2, 0.5], [3, 1, -1]])], output: .vector([1, -1]))
        let r = try searchWitness(net, norm: .linf, domain: try box(3, -1, 1), lpSolver: GLPKSolver(), options: quickOptions())
        // ∇f = (1 − 3, −2 − 1, 0.5 + 1) = (−2, −3, 1.5): ‖·‖₁ = 6.5
        #expect(r.lower! <= 6.5 && r.lower! >= 6.5 * (1 - 1e-15))
    }

    @Test func localDomainRoundsInward() throws {
        let c = [0.1, 0.7, 1e-300, 0.9]
        let d = try WitnessDomain.local(center: c, radius: 0.3, clip: (0, 1))
        for i in c.indices {
            // Float80 has 11 more bits: the exact ends x ± r are representable there.
            let r = Float80(Double(0.3))
            let lo = max(Float80(c[i]) - r, 0), hi = min(Float80(c[i]) + r, 1)
            #expect(Float80(d.lower[i]) >= lo && Float80(d.upper[i]) <= hi, "coordinate \(i)")
        }
        #expect(d.lower[2] == 0 && d.upper[3] == 1)
        #expect(throws: WitnessError.self) { try WitnessDomain.local(center: [2], radius: 0.5, clip: (0, 1)) }
    }

    /// Outward-rounded dot products contain the Float80 value (64-bit significand: its own error
    /// is 2¹¹ times smaller than a double's ulp on these sums).
    @Test func intervalDotProductsContainExtendedPrecision() {
        var rng = Xoshiro256StarStar(seed: 3)
        for trial in 0..<300 {
            let n = 1 + rng.below(400)
            let w = (0..<n).map { _ in rng.uniform(-1, 1) * Foundation.pow(10, Double(rng.below(7)) - 3) }
            let x = (0..<n).map { _ in rng.uniform(-1, 1) }
            var acc = Interval(0), exact: Float80 = 0
            for i in 0..<n { acc = acc + w[i] * Interval(x[i]); exact += Float80(w[i]) * Float80(x[i]) }
            #expect(Float80(acc.lo) <= exact && exact <= Float80(acc.hi), "trial \(trial)")
            // Interval × interval.
            let a = Interval(min(x[0], w[0]), max(x[0], w[0])), b = Interval(-0.3, 0.7)
            let p = a * b
            for s in [a.lo, a.hi] { for t in [b.lo, b.hi] {
                let e = Float80(s) * Float80(t)
                #expect(Float80(p.lo) <= e && e <= Float80(p.hi))
            } }
        }
    }

    /// σ' enclosures of the smooth built-ins contain σ' at interior points, computed in Float80
    /// from other formulas (tanh' = 4e/(1 + e)², e = exp(−2|x|), sigmoid' = e^{−x}/(1 + e^{−x})², ELU' = αeˣ).
    @Test func smoothDerivativeEnclosures() {
        func f80tanh(_ x: Float80) -> Float80 { let e = Foundation.exp(-2 * Swift.abs(x)); let t = (1 - e) / (1 + e); return x < 0 ? -t : t }
        // tanh' = 1 − tanh² = 4e/(1 + e)² with e = exp(−2|x|) (no cancellation for large |x|).
        func f80dtanh(_ x: Float80) -> Float80 { let e = Foundation.exp(-2 * Swift.abs(x)); return 4 * e / ((1 + e) * (1 + e)) }
        let cases: [(Activation, (Float80) -> Float80, (Float80) -> Float80)] = [
            (.tanh, { f80dtanh($0) }, { f80tanh($0) }),
            (.sigmoid, { let e = Foundation.exp(-$0); return e / ((1 + e) * (1 + e)) }, { 1 / (1 + Foundation.exp(-$0)) }),
            (.softplus, { 1 / (1 + Foundation.exp(-$0)) }, { Foundation.log(1 + Foundation.exp($0)) }),
            (.elu(alpha: 0.7), { $0 > 0 ? 1 : 0.7 * Foundation.exp($0) }, { $0 > 0 ? $0 : 0.7 * (Foundation.exp($0) - 1) }),
        ]
        var rng = Xoshiro256StarStar(seed: 5)
        for (act, d80, v80) in cases {
            let prof = WitnessActivationProfile.builtin(act)!
            for _ in 0..<400 {
                let l = rng.uniform(-8, 8), u = l + rng.uniform(0, 2) * (rng.below(2) == 0 ? 1e-6 : 1)
                if !prof.kinks.isEmpty && l <= 0 && u >= 0 { continue }
                let d = prof.derivativeEnclosure(l, u), v = prof.valueEnclosure(l, u)
                for p in [l, (l + u) / 2, u] {
                    let e = d80(Float80(p)), ev = v80(Float80(p))
                    #expect(Float80(d.lo) <= e && e <= Float80(d.hi), "\(act.name)' on [\(l), \(u)] at \(p): \(e) outside \(d)")
                    #expect(Float80(v.lo) <= ev && ev <= Float80(v.hi), "\(act.name) on [\(l), \(u)] at \(p)")
                }
            }
        }
        #expect(WitnessActivationProfile.builtin(.relu)!.kinks == [0])
        #expect(WitnessActivationProfile.builtin(.leakyReLU(0.2))!.slopes == [0.2, 1])
        #expect(WitnessActivationProfile.builtin(.elu())!.kinks.isEmpty)          // α = 1: C¹
        #expect(WitnessActivationProfile.builtin(.elu(alpha: 0.5))!.kinks == [0])
    }
}

@Suite("Witness: search")
struct WitnessSearchTests {
    /// lower (witness) ≤ exact maximum of p (vertex enumeration) ≤ certified LiPopt bound, and
    /// lower ≥ LBS (up to LBS's own rounding), on tiny networks, global and local.
    @Test(arguments: [("relu", [3, 4, 1]), ("relu", [3, 3, 3, 1]), ("elu", [3, 4, 1]), ("tanh", [2, 4, 1]),
                      ("leaky_relu", [3, 4, 1]), ("sigmoid", [3, 3, 1])])
    func chainOnTinyNetworks(_ act: String, _ sizes: [Int]) throws {
        for seed in UInt64(0)..<3 {
            let net = try Network.random(sizes: sizes, activation: Activation.named(act)!, bias: true, seed: seed)
            for local in [false, true] {
                let n = sizes[0]
                let dom = local ? try WitnessDomain.local(center: (0..<n).map { Double($0) * 0.3 - 0.2 }, radius: 0.4)
                                : try box(n, -5, 5)
                let r = try searchWitness(net, norm: .linf, domain: dom, lpSolver: GLPKSolver(), options: quickOptions(seed: seed))
                let lower = try #require(r.lower)
                let problem = try makeLipschitzProblem(net, norm: .linf, inputBox: local ? (dom.lower, dom.upper) : nil)
                let maxP = try exactMaximum(problem).value
                var ko = KrivineOptions(degree: 3, family: .dense, solver: GLPKSolver())
                ko.certificateSize = 0
                let lipopt = try KrivineHierarchy.solve(problem, options: ko)
                let certified = try #require(lipopt.certifiedBound)
                #expect(lower <= maxP * (1 + 1e-12) + 1e-12, "\(act) \(sizes) seed \(seed) local \(local): witness \(lower) > max p \(maxP)")
                #expect(maxP <= certified * (1 + 1e-9) + 1e-12, "max p \(maxP) > certified \(certified)")
                #expect(lower >= r.lbs! * (1 - 1e-12), "witness \(lower) < LBS \(r.lbs!)")
                #expect(dom.contains(r.witness!.point))
            }
        }
    }

    /// The witness search never reports what failed its proof; drops are counted by reason.
    @Test func droppedCandidatesAreCountedNeverReported() throws {
        let net = try Network(weights: [[[1, 2, 3], [-1, 0, 1]], [[1, 2]]], activation: .relu)
        let dom = try box(3, -1, 1)
        var o = WitnessSearchOptions()
        o.samples = 0; o.ascentStarts = 0; o.patternStarts = 0
        // Outside, on the kink (z₂ = 0: repaired by the margin LP), NaN, wrong size; a good point
        // (z = (1.2, 0.2)).
        o.points = [[2, 0, 0], [0.5, 0, 0.5], [.nan, 0, 0], [1, 1], [0.1, 0.1, 0.3]]
        o.patterns = [[[1, 1], [0]], [[0, 1]]]   // wrong shape; z₁ < 0 with z₂ > 0: realisable
        let r = try searchWitness(net, norm: .linf, domain: dom, lpSolver: GLPKSolver(), options: o)
        #expect(r.drops[.outsideDomain] == 1)
        #expect(r.drops[.nonFinite] == 1)
        #expect(r.drops[.wrongSize] == 2)
        #expect(r.drops[.marginTooSmall] >= 1)
        let w = try #require(r.witness)
        #expect(dom.contains(w.point))
        #expect(w.smallestMargin >= 1e-9)
        // The best is pattern (1, 1): ∇f = (−1, 2, 5), ‖·‖₁ = 8 (the user point), not (0, 1) with
        // ∇f = 2·(−1, 0, 1), ‖·‖₁ = 4.
        #expect(w.pattern == [[1, 1]] && w.lower >= 8 * (1 - 1e-14) && w.lower <= 8)
        #expect(r.bestBySource.first { $0.source == .userPattern }?.lower.map { abs($0 - 4) < 1e-12 } == true)
    }

    /// The witness is at least LBS on the benchmark networks (it starts from LBS's best point)
    /// and lies in the domain: the pruned Fashion-MNIST networks (global on [0,1]^784, local
    /// around a test image) and a dense random 784-500 ReLU network. Small budgets (debug build).
    @Test(arguments: ["relu", "elu", "dense"])
    func witnessAtLeastLBSOnBenchmarkNetworks(_ which: String) throws {
        let net = which == "dense"
            ? try Network.random(sizes: [784, 500, 10], activation: .relu, bias: true, seed: 0, output: .index(1))
            : try committedNetwork(which)
        let image = try committedImage(0)
        for dom in [try box(784, 0, 1), try WitnessDomain.local(center: image, radius: 0.02, clip: (0, 1))] {
            // Debug-build budget: LBS, a short ascent, and (pruned ReLU only) a short pattern climb.
            var o = quickOptions()
            o.samples = which == "dense" ? 25 : 100; o.ascentSteps = 8; o.ascentStarts = 1; o.patternStarts = which == "relu" ? 1 : 0
            o.patternMoves = 2; o.flipCandidates = 4; o.lpMaxNonzeros = 0; o.polishFlips = 2; o.timeLimit = 60
            let r = try searchWitness(net, norm: .linf, domain: dom, lpSolver: GLPKSolver(), options: o)
            // The search's LBS is LBS: the same points as sampledLowerBound with the seed.
            let lbs = which == "dense" ? (value: r.lbs!, argmax: r.lbsPoint!)
                : try sampledLowerBound(net, norm: .linf, samples: o.samples, box: (dom.lower, dom.upper), seed: 0)
            #expect(r.lbs == lbs.value)
            #expect(try #require(r.lower) >= lbs.value * (1 - 1e-12), "\(which) \(dom.kind): witness \(r.lower!) < LBS \(lbs.value)")
            #expect(dom.contains(r.witness!.point))
        }
    }

    @Test func deterministicForASeed() throws {
        let net = try Network.random(sizes: [6, 8, 8, 1], activation: .relu, bias: true, seed: 4)
        let dom = try box(6, -2, 2)
        let a = try searchWitness(net, norm: .l1, domain: dom, lpSolver: GLPKSolver(), options: quickOptions(seed: 9))
        let b = try searchWitness(net, norm: .l1, domain: dom, lpSolver: GLPKSolver(), options: quickOptions(seed: 9))
        #expect(a.lower == b.lower && a.witness?.point == b.witness?.point && a.checked == b.checked)
    }

    @Test func interruptStopsTheSearch() throws {
        let net = try Network.random(sizes: [6, 8, 1], activation: .relu, bias: true, seed: 4)
        var o = quickOptions()
        o.interrupted = { true }   // injected: the process-wide flag would stop parallel tests too
        let r = try searchWitness(net, norm: .linf, domain: try box(6, -1, 1), lpSolver: GLPKSolver(), options: o)
        #expect(r.stopReason == .interrupted)
        #expect(r.witness == nil)
    }

    @Test func userActivationsAreRefused() throws {
        let user = Activation.custom(name: "mine", value: { max($0, 0) }, derivative: { $0 >= 0 ? 1 : 0 }, derivativeRange: 0...1)
        let net = try Network.random(sizes: [3, 4, 1], activation: user, bias: true, seed: 0)
        let r = try searchWitness(net, norm: .linf, domain: try box(3, -1, 1), lpSolver: GLPKSolver(), options: quickOptions())
        #expect(r.witness == nil && r.drops[.unsupportedActivation] == 1)
        // With a declared profile it works.
        var o = quickOptions()
        o.profiles = [try WitnessActivationProfile.custom(name: "mine", kinks: [0], slopes: [0, 1],
                                                          value: { l, u in (max(l, 0), max(u, 0)) },
                                                          derivative: { l, u in l > 0 ? (1, 1) : (u < 0 ? (0, 0) : (0, 1)) })]
        let r2 = try searchWitness(net, norm: .linf, domain: try box(3, -1, 1), lpSolver: GLPKSolver(), options: o)
        #expect(r2.witness != nil)
    }

    /// Every reported witness, re-evaluated by numpy (central finite differences of a float64
    /// forward pass written independently in the script), agrees with `lower` to 1e-6 and lies in
    /// the domain; the step is chosen below the witness's margin so no kink is crossed (checked).
    @Test func finiteDifferencesInPython() throws {
        var cases: [[String: Any]] = []
        func add(_ net: Network, _ act: String, alpha: Double? = nil, _ norm: WitnessNorm, _ dom: WitnessDomain, _ ws: [CertifiedWitness]) {
            var layers: [[String: Any]] = []
            for L in net.layers {
                layers.append(["W": (0..<L.matrix.rows).map { i in (0..<L.matrix.cols).map { L.matrix[i, $0] } },
                               "b": L.bias ?? [Double](repeating: 0, count: L.matrix.rows)])
            }
            cases.append(["layers": layers, "activation": act, "alpha": alpha ?? 0, "c": net.c, "norm": norm.rawValue,
                          "lower": dom.lower, "upper": dom.upper,
                          "witnesses": ws.map { ["point": $0.point, "lower": $0.lower, "margin": $0.smallestMargin.isFinite ? $0.smallestMargin : 1.0] }])
        }
        for (act, a, sizes) in [("relu", nil, [4, 6, 1]), ("relu", nil, [5, 6, 6, 2]), ("leaky_relu", 0.01, [4, 6, 1]),
                                ("elu", 1.0, [4, 6, 1]), ("tanh", nil, [3, 5, 4, 1]), ("sigmoid", nil, [3, 5, 1]),
                                ("softplus", nil, [3, 5, 1])] as [(String, Double?, [Int])] {
            let net = try Network.random(sizes: sizes, activation: Activation.named(act)!, bias: true, seed: 2,
                                         output: .index(sizes.last! - 1))
            for norm in WitnessNorm.allCases {
                let dom = try box(sizes[0], -3, 3)
                let r = try searchWitness(net, norm: norm, domain: dom, lpSolver: GLPKSolver(), options: quickOptions())
                add(net, act, alpha: a, norm, dom, [r.witness!])
            }
        }
        // A committed MNIST network, local around a test image (784 finite differences).
        let mnist = try committedNetwork("relu")
        let dom = try WitnessDomain.local(center: try committedImage(3), radius: 0.05, clip: (0, 1))
        var o = quickOptions(); o.samples = 50; o.ascentStarts = 1; o.ascentSteps = 10; o.patternStarts = 1; o.patternMoves = 2
        o.polishFlips = 2
        let r = try searchWitness(mnist, norm: .linf, domain: dom, lpSolver: GLPKSolver(), options: o)
        add(mnist, "relu", .linf, dom, [r.witness!])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liplua-witness-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("cases.json")
        try JSONSerialization.data(withJSONObject: ["cases": cases]).write(to: file)
        let script = """
        import json, sys, numpy as np
        d = json.load(open(sys.argv[1]))
        out = []
        for case in d["cases"]:
            Ws = [np.array(L["W"], dtype=np.float64) for L in case["layers"]]
            bs = [np.array(L["b"], dtype=np.float64) for L in case["layers"]]
            act, alpha, c = case["activation"], case["alpha"], np.array(case["c"])
            def sigma(z):
                if act == "relu": return np.maximum(z, 0)
                if act == "leaky_relu": return np.where(z >= 0, z, alpha * z)
                if act == "elu": return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))
                if act == "tanh": return np.tanh(z)
                if act == "sigmoid": return 1 / (1 + np.exp(-z))
                if act == "softplus": return np.logaddexp(0, z)
            def forward(X):
                A, pre = X, []
                for k, (W, b) in enumerate(zip(Ws, bs)):
                    Z = A @ W.T + b
                    if k < len(Ws) - 1:
                        pre.append(Z); A = sigma(Z)
                    else:
                        A = Z
                return A @ c, pre
            # |change of any pre-activation| <= h * prod of max row-l1 norms
            grow = 1.0; bound = 0.0
            for W in Ws[:-1]:
                grow *= np.abs(W).sum(1).max(); bound = max(bound, grow)
            for w in case["witnesses"]:
                x = np.array(w["point"]); n = x.size
                lo, hi = np.array(case["lower"]), np.array(case["upper"])
                h = min(1e-5, 0.25 * w["margin"] / bound)
                X = np.vstack([x + h * np.eye(n), x - h * np.eye(n)])
                fx, pre = forward(X)
                _, pre0 = forward(x[None, :])
                same = all(np.array_equal(np.sign(P), np.repeat(np.sign(P0), 2 * n, 0)) for P, P0 in zip(pre, pre0)) if act in ("relu", "leaky_relu") else True
                g = (fx[:n] - fx[n:]) / (2 * h)
                val = {"linf": np.abs(g).sum(), "l1": np.abs(g).max(), "l2": np.sqrt((g * g).sum())}[case["norm"]]
                inside = bool(np.all(x >= lo) and np.all(x <= hi))
                out.append([inside, bool(same), float(val), w["lower"]])
        print(json.dumps(out))
        """
        guard let run = try Subprocess.python(["-c", script, file.path]) else {
            Issue.record("python3 with numpy is needed for the finite-difference oracle"); return
        }
        guard run.status == 0, !run.timedOut else { Issue.record("the numpy oracle failed: \(run.summary)"); return }
        let text = run.stdout
        let rows = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[Any]]
        #expect(rows.count == cases.count)
        for (k, row) in rows.enumerated() {
            let inside = row[0] as! Bool, same = row[1] as! Bool, fd = (row[2] as! NSNumber).doubleValue, lower = (row[3] as! NSNumber).doubleValue
            #expect(inside, "witness \(k) outside its domain (numpy)")
            #expect(same, "witness \(k): a finite-difference step crossed a kink")
            #expect(abs(fd - lower) <= 1e-6 * max(1, abs(fd)), "witness \(k): numpy finite differences \(fd) vs lower \(lower)")
        }
    }
}

@Suite("Exact values: MIP against brute force")
struct ExactValueTests {
    /// Tiny ReLU / leaky-ReLU networks: the MIP's exact Lipschitz constant equals the maximum of
    /// ‖∇f‖_* over all activation patterns that are realisable in the box (each checked by an LP),
    /// to 1e-7, globally on a box and locally, for the ℓ∞ and ℓ1 input norms.
    @Test(arguments: [("relu", [3, 5, 1], 0), ("relu", [4, 4, 3, 1], 1), ("relu", [2, 6, 1], 2),
                      ("leaky_relu", [3, 4, 1], 3), ("relu", [3, 3, 3, 2], 5)] as [(String, [Int], UInt64)])
    func mipEqualsPatternEnumeration(_ act: String, _ sizes: [Int], _ seed: UInt64) throws {
        let net = try Network.random(sizes: sizes, activation: Activation.named(act)!, bias: true, seed: seed,
                                     output: .index(sizes.last! - 1))
        let n = sizes[0]
        let domains = [try box(n, -2, 2), try WitnessDomain.local(center: (0..<n).map { 0.1 * Double($0) }, radius: 0.5)]
        for dom in domains {
            for norm in [WitnessNorm.linf, .l1] {
                let brute = try enumerateRealisablePatterns(net, norm: norm, domain: dom, lpSolver: GLPKSolver())
                let truth = try #require(brute.maxValue)
                var o = ExactOptions(); o.method = .mip; o.witness = quickOptions()
                let r = try exactLipschitz(net, norm: norm, domain: dom, lpSolver: GLPKSolver(), mipSolver: GLPKSolver(), options: o)
                #expect(r.isExact && r.status == "exact", "\(act) \(sizes) \(dom.kind) \(norm): \(r.status) \(r.message)")
                #expect(r.method == .mip && r.quantity == .lipschitz)
                let v = try #require(r.value)
                #expect(abs(v - truth) <= 1e-7 * max(1, truth), "\(act) \(sizes) \(dom.kind) \(norm): MIP \(v) vs brute force \(truth) (\(brute.realisable)/\(brute.enumerated) realisable)")
                #expect(v <= truth * (1 + 1e-12))   // lower is proven
                #expect(dom.contains(r.witness!.point))
                // The automatic method enumerates for so few unstable neurons, and agrees.
                o.method = nil
                let auto = try exactLipschitz(net, norm: norm, domain: dom, lpSolver: GLPKSolver(), mipSolver: GLPKSolver(), options: o)
                #expect(auto.method == .patternEnumeration && auto.isExact)
                #expect(abs(auto.value! - truth) <= 1e-7 * max(1, truth))
            }
        }
    }

    /// max p by the MIP equals vertex enumeration (`exactMaximum`) to 1e-7, global and local.
    @Test(arguments: [([3, 5, 1], 0), ([3, 4, 4, 1], 1), ([4, 6, 2], 2)] as [([Int], UInt64)])
    func maxPByMIPEqualsVertexEnumeration(_ sizes: [Int], _ seed: UInt64) throws {
        let net = try Network.random(sizes: sizes, activation: .relu, bias: true, seed: seed)
        let n = sizes[0]
        for inputBox in [nil, ((0..<n).map { 0.2 * Double($0) - 0.6 }, (0..<n).map { 0.2 * Double($0) + 0.3 })] as [([Double], [Double])?] {
            for norm in [WitnessNorm.linf, .l1] {
                let problem = try makeLipschitzProblem(net, norm: witnessNorm(norm), inputBox: inputBox.map { ($0.0, $0.1) })
                let truth = try exactMaximum(problem).value
                var o = ExactOptions(); o.method = .mip
                let r = try exactPolynomialMaximum(net, norm: norm, inputBox: inputBox.map { ($0.0, $0.1) }, mipSolver: GLPKSolver(), options: o)
                #expect(r.isExact, "\(r.message)")
                #expect(abs(r.value! - truth) <= 1e-7 * max(1, truth), "\(sizes) \(norm) local \(inputBox != nil): MIP \(r.value!) vs vertices \(truth)")
                let auto = try exactPolynomialMaximum(net, norm: norm, inputBox: inputBox.map { ($0.0, $0.1) }, mipSolver: GLPKSolver())
                // (the same enumeration; the sum order of p's terms may differ between two builds)
                #expect(auto.method == .vertexEnumeration && abs(auto.value! - truth) <= 1e-12 * max(1, truth))
            }
        }
    }

    /// A network too hard for the time limit: the interval [proven witness, solver bound].
    @Test func timeLimitReturnsTheInterval() throws {
        let net = try Network.random(sizes: [20, 30, 30, 1], activation: .relu, bias: true, seed: 7)
        var o = ExactOptions(); o.method = .mip; o.timeLimit = 2; o.witness = quickOptions()
        let r = try exactLipschitz(net, norm: .linf, domain: try box(20, -1, 1), lpSolver: GLPKSolver(), mipSolver: GLPKSolver(), options: o)
        if r.isExact { return }   // a fast machine may finish: then nothing to check here
        #expect(r.status == "time_limit")
        let lo = try #require(r.lower), up = try #require(r.upper)
        #expect(lo <= up * (1 + 1e-9))
        #expect(!r.upperIsProof)
        #expect(r.witness.map { w in abs(w.lower - lo) == 0 } == true)
    }

    @Test func tooManyBinariesGivesTheWitnessOnly() throws {
        let net = try Network.random(sizes: [4, 8, 1], activation: .relu, bias: true, seed: 1)
        var o = ExactOptions(); o.method = .mip; o.maxBinaries = 2; o.witness = quickOptions()
        let r = try exactLipschitz(net, norm: .linf, domain: try box(4, -1, 1), lpSolver: GLPKSolver(), mipSolver: GLPKSolver(), options: o)
        #expect(r.status == "too_large" && !r.isExact && r.lower != nil && r.upper == nil)
    }
}
