import Foundation
import Testing
@testable import LipCore

/// Values of the derivative variables s at an input point: s_{l,j} = σ'(z_{l,j}(x)).
func derivativePoint(_ problem: LipschitzProblem, _ net: Network, _ x: [Double]) throws -> [Double] {
    let zs = try net.preActivations(x)
    var p = problem.lower
    for (v, k) in problem.kinds.enumerated() {
        if case .derivative(let l, let j) = k { p[v] = net.layers[l - 1].activation!.derivative(zs[l - 1][j]) }
    }
    return p
}

func randomPoint(_ rng: inout Xoshiro256StarStar, _ n: Int, _ r: Double) -> [Double] { (0..<n).map { _ in rng.uniform(-r, r) } }

@Suite struct PolynomialTests {
    @Test func unitExampleOfMethodSection2() throws {
        // W1 = [[1,2,3],[−1,0,1]], cᵀW2 = [1,2]
        let net = try Network(weights: [[[1, 2, 3], [-1, 0, 1]], [[1, 2]]], activation: .relu)
        let p = try makeLipschitzProblem(net, norm: .linf)
        #expect(p.variableNames == ["t1", "t2", "t3", "s1_1", "s1_2"])
        let P = p.polynomial
        func c(_ t: Int32, _ s: Int32) -> Double { P.coefficient(of: Monomial([t, s])) }
        #expect(c(0, 3) == 1); #expect(c(0, 4) == -2)
        #expect(c(1, 3) == 2); #expect(c(1, 4) == 0)
        #expect(c(2, 3) == 3); #expect(c(2, 4) == 2)
        #expect(P.termCount == 5)
        #expect(p.lower == [-1, -1, -1, 0, 0]); #expect(p.upper == [1, 1, 1, 1, 1])
        #expect(p.kinds[3] == .derivative(layer: 1, neuron: 0))
        // by-input reach: t2 only meets s1_1 (W1[1][1] = 0)
        #expect(p.inputReach == [[3, 4], [3], [3, 4]])
        #expect(p.lastHiddenReach.map(\.neuron) == [0, 1])
        #expect(p.lastHiddenReach[1].inputs == [0, 2])
        // max over the box by hand: s = (1,0): |1|+|2|+|3| = 6; s=(0,1): 2+0+1=3... s=(1,1): |-1|+2+5 = 8
        let (v, _) = try exactMaximum(p)
        #expect(v == 8)
    }

    @Test func ell1AndEll2Structure() throws {
        let net = try Network(weights: [[[1, 2, 3], [-1, 0, 1]], [[1, 2]]], activation: .elu())
        let p1 = try makeLipschitzProblem(net, norm: .l1)
        #expect(p1.variableNames == ["u1", "u2", "u3", "v1", "v2", "v3", "s1_1", "s1_2"])
        #expect(p1.polynomial.coefficient(of: Monomial([3, 7])) == 2)   // v1·s1_2: −(−2)
        #expect(p1.constraints.count == 1)
        #expect(abs(p1.constraints[0].evaluate([0.1, 0.2, 0, 0.3, 0, 0, 5, 5]) - 0.4) < 1e-15)
        let p2 = try makeLipschitzProblem(net, norm: .l2)
        #expect(abs(p2.constraints[0].evaluate([0.5, 0.5, 0.5, 9, 9]) - 0.25) < 1e-15)
        // exact maxima by hand: ℓ1 input ⇒ max over s of max_i |g_i|: s=(1,1) g=(-1,2,5) ⇒ 5
        #expect(try exactMaximum(p1).value == 5)
        // ℓ2: max over vertices of ‖g‖₂: s=(1,1): √30, s=(1,0): √14 ⇒ √30
        #expect(abs(try exactMaximum(p2).value - 30.0.squareRoot()) < 1e-12)
    }

    @Test(arguments: ["linf", "l1", "l2"])
    func dualMaximumEqualsGradientDualNorm(normName: String) throws {
        let norm = Norm.named(normName)!
        var rng = Xoshiro256StarStar(seed: 11)
        for trial in 0..<6 {
            let acts: [Activation] = [.elu(), .tanh, .sigmoid, .softplus, .leakyReLU(0.1), .relu]
            let net = try Network.random(sizes: [5, 6, 4, 2], sparsity: trial % 2 == 0 ? nil : 3,
                                         activation: acts[trial], bias: true, seed: UInt64(trial),
                                         output: .margin(0, 1, outputs: 2))
            let prob = try makeLipschitzProblem(net, norm: norm)
            for _ in 0..<10 {
                let x = randomPoint(&rng, 5, 3)
                let g = try net.gradient(x)
                let m = try dualMaximum(prob, at: try derivativePoint(prob, net, x))
                #expect(abs(m.value - norm.dualNorm(g)) <= 1e-12 * max(1, norm.dualNorm(g)), "trial \(trial)")
                // the argmax is feasible and attains the value
                #expect(abs(prob.polynomial.evaluate(m.argmax) - m.value) <= 1e-12 * max(1, m.value))
            }
        }
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        var rng = Xoshiro256StarStar(seed: 3)
        let net = try Network.random(sizes: [4, 7, 5, 3], activation: .tanh, bias: true, seed: 5, output: .index(2))
        for _ in 0..<5 {
            let x = randomPoint(&rng, 4, 2)
            let g = try net.gradient(x)
            for i in 0..<4 {
                let h = 1e-6
                var a = x, b = x; a[i] += h; b[i] -= h
                let fd = (try net.forward(a) - net.forward(b)) / (2 * h)
                #expect(abs(fd - g[i]) < 1e-7)
            }
        }
    }

    @Test func boundChainOnRandomNetworks() throws {
        // LBS ≤ exact max of p ≤ UBP, for every norm and many random small networks.
        for seed in 0..<20 {
            let sizes = seed % 3 == 0 ? [4, 5, 1] : [3, 4, 3, 1]
            let act: Activation = [.elu(), .relu, .tanh, .sigmoid][seed % 4]
            let net = try Network.random(sizes: sizes, sparsity: seed % 2 == 0 ? 3 : nil, activation: act,
                                         bias: seed % 5 == 0, seed: UInt64(100 + seed))
            let box = ([Double](repeating: -5, count: sizes[0]), [Double](repeating: 5, count: sizes[0]))
            for norm in [Norm.linf, .l1, .l2] {
                let lbs = try sampledLowerBound(net, norm: norm, samples: 300, box: box, seed: UInt64(seed)).value
                let ex = try exactMaximum(try makeLipschitzProblem(net, norm: norm)).value
                let ubp = try productBound(net, norm: norm)
                #expect(lbs <= ex * (1 + 1e-12), "seed \(seed) \(norm)")
                #expect(ex <= ubp * (1 + 1e-12), "seed \(seed) \(norm)")
                #expect(lbs > 0)
            }
        }
    }

    @Test func localRangesContainObservedDerivatives() throws {
        var rng = Xoshiro256StarStar(seed: 77)
        for (k, act) in [Activation.relu, .elu(), .tanh, .sigmoid, .softplus, .leakyReLU(0.2)].enumerated() {
            let net = try Network.random(sizes: [6, 6, 5, 1], activation: act, bias: true, seed: UInt64(k))
            let x0 = randomPoint(&rng, 6, 1)
            let eps = 0.15
            let box = (x0.map { $0 - eps }, x0.map { $0 + eps })
            let ranges = try derivativeRanges(net, inputBox: box)
            let prob = try makeLipschitzProblem(net, norm: .linf, inputBox: box)
            #expect(prob.isLocal)
            for _ in 0..<200 {
                let x = x0.map { $0 + rng.uniform(-eps, eps) }
                let zs = try net.preActivations(x)
                for l in 1..<net.depth {
                    for j in 0..<zs[l - 1].count {
                        let d = act.derivative(zs[l - 1][j])
                        #expect(d >= ranges[l - 1].lo[j] && d <= ranges[l - 1].hi[j], "\(act.name) layer \(l) neuron \(j)")
                    }
                }
                // constants substituted: p at the observed derivatives still gives the gradient norm
                let g = try net.gradient(x)
                let m = try dualMaximum(prob, at: try derivativePoint(prob, net, x))
                #expect(abs(m.value - Norm.linf.dualNorm(g)) <= 1e-12 * max(1, m.value))
            }
            // local maximum ≤ global maximum; local UBP ≤ global UBP
            if prob.variableCount - 6 <= 16 {
                let loc = try exactMaximum(prob).value
                let glob = try exactMaximum(try makeLipschitzProblem(net, norm: .linf)).value
                #expect(loc <= glob * (1 + 1e-12))
            }
            #expect(try productBound(net, norm: .linf, inputBox: box) <= productBound(net, norm: .linf) * (1 + 1e-12))
        }
    }

    @Test func stableReluNeuronsAreSubstituted() throws {
        // W1 rows: neuron 1 always active (bias 10), neuron 2 always inactive (bias −10), neuron 3 unstable.
        let l1 = try Layer(rows: [[1, 1], [1, -1], [2, 1]], bias: [10, -10, 0], activation: .relu)
        let l2 = try Layer(rows: [[1, 3, -1]])
        let net = try Network(layers: [l1, l2])
        let prob = try makeLipschitzProblem(net, norm: .linf, inputBox: ([-1, -1], [1, 1]))
        #expect(prob.variableNames == ["t1", "t2", "s1_3"])
        // p = t1 + t2 (neuron 1, s = 1)  − (2 t1 + t2) s1_3
        #expect(prob.polynomial.coefficient(of: Monomial([0])) == 1)
        #expect(prob.polynomial.coefficient(of: Monomial([1])) == 1)
        #expect(prob.polynomial.coefficient(of: Monomial([0, 2])) == -2)
        #expect(prob.polynomial.coefficient(of: Monomial([1, 2])) == -1)
        #expect(prob.polynomial.termCount == 4)
        // max: s = 0 → |1|+|1| = 2; s = 1 → |−1| + |0| = 1
        #expect(try exactMaximum(prob).value == 2)
        #expect(prob.lastHiddenReach.map(\.neuron) == [0, 2])
    }

    @Test func exactMaximumRefusesLargeProblems() throws {
        let net = try Network.random(sizes: [3, 30, 1], seed: 1)
        let p = try makeLipschitzProblem(net, norm: .linf)
        #expect(throws: ProblemError.self) { try exactMaximum(p) }
        do { _ = try exactMaximum(p); Issue.record("no error") } catch { #expect("\(error)".contains("30 derivative variables")) }
    }

    @Test func reachSetsCoverEveryMonomial() throws {
        let net = try Network.random(sizes: [12, 10, 9, 1], sparsity: 3, seed: 9)
        let p = try makeLipschitzProblem(net, norm: .linf)
        for (m, _) in p.polynomial.terms {
            let t = Int(m.variables[0])
            let rest = Set(m.variables.dropFirst().map(Int.init))
            #expect(rest.isSubset(of: Set(p.inputReach[t])))
            // some last-hidden set contains the whole monomial
            #expect(p.lastHiddenReach.contains { rest.isSubset(of: Set($0.derivatives)) && $0.inputs.contains(t) })
        }
        // every monomial has exactly one variable per layer: degree d
        #expect(p.polynomial.terms.keys.allSatisfy { $0.degree == 3 && $0.isMultilinear })
    }
}

@Suite struct NetworkAndActivationTests {
    @Test func randomNetworksAreReproducibleAndBanded() throws {
        let a = try Network.random(sizes: [20, 20, 1], sparsity: 5, seed: 42)
        let b = try Network.random(sizes: [20, 20, 1], sparsity: 5, seed: 42)
        let c = try Network.random(sizes: [20, 20, 1], sparsity: 5, seed: 43)
        #expect(a.layers[0].matrix == b.layers[0].matrix)
        #expect(a.layers[0].matrix != c.layers[0].matrix)
        // Band of the reference file ref-20-20-1-s5: neuron 0 sees 0..2, neuron 10 sees 8..12
        let M = a.layers[0].matrix
        #expect(Array(M.columns[M.rowStart[0]..<M.rowStart[1]]) == [0, 1, 2])
        #expect(Array(M.columns[M.rowStart[10]..<M.rowStart[11]]) == [8, 9, 10, 11, 12])
        #expect(M.nonzeroCount == 20 * 5 - 2 * (2 + 1))
        #expect(a.layers[1].matrix.nonzeroCount == 20)   // last layer dense
        // PyTorch init range
        #expect(M.values.allSatisfy { abs($0) <= 1 / 20.0.squareRoot() })
        // First draws of the documented generator (pins the stream across machines)
        var r = Xoshiro256StarStar(seed: 0)
        let first = (0..<3).map { _ in r.next() }
        var r2 = Xoshiro256StarStar(seed: 0)
        #expect(first == (0..<3).map { _ in r2.next() })
        #expect(first[0] != first[1])
        // Band variants
        #expect(Network.Band.exactWidth.contains(input: 12, neuron: 10, inputs: 20, outputs: 20, sparsity: 4))
        #expect(!Network.Band.centered.contains(input: 12, neuron: 10, inputs: 20, outputs: 20, sparsity: 4))
        #expect(Network.Band.center(99, inputs: 784, outputs: 100) == 783)
    }

    @Test func prunedKeepsTheRequestedFraction() throws {
        let net = try Network.random(sizes: [100, 50, 10], seed: 1)
        let p = try net.pruned(keep: 0.05, seed: 2)
        #expect(p.layers[0].matrix.nonzeroCount == 250)
        #expect(p.layers[1].matrix.nonzeroCount == 25)
        // kept weights are original weights
        let M = p.layers[0].matrix, O = net.layers[0].matrix
        for i in 0..<M.rows { for q in M.rowStart[i]..<M.rowStart[i + 1] { #expect(O[i, M.columns[q]] == M.values[q]) } }
    }

    @Test func validationNamesTheLayer() throws {
        do { _ = try Network(weights: [[[1, 2]], [[1], [2]], [[1, 1, 1]]], activation: .relu); Issue.record("no error") }
        catch { #expect("\(error)".contains("layer 3 (W3)")) }
        do { _ = try Network(weights: [[[1, .nan]], [[1]]], activation: .relu); Issue.record("no error") }
        catch { #expect("\(error)".contains("layer 1 (W1)") && "\(error)".contains("nan")) }
        do { _ = try Network(weights: [[[1, 2]], [[1]]], activation: .relu, output: .index(1)); Issue.record("no error") }
        catch { #expect("\(error)".contains("output 2 is out of range")) }
        do { _ = try Network(weights: [[[1, 2]], [[1]]], activation: .relu, output: .vector([1, 2])); Issue.record("no error") }
        catch { #expect("\(error)".contains("2 entries")) }
        do { _ = try Network(layers: [try Layer(rows: [[1, 2]]), try Layer(rows: [[1]])]); Issue.record("no error") }
        catch { #expect("\(error)".contains("no activation")) }
    }

    @Test func intervalBoundsAreSound() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let net = try Network.random(sizes: [5, 9, 7, 3], activation: .tanh, bias: true, seed: 8)
        let lo = [Double](repeating: -0.5, count: 5), hi = [Double](repeating: 0.7, count: 5)
        let ibp = try net.intervalBounds(lower: lo, upper: hi)
        for _ in 0..<300 {
            let x = (0..<5).map { rng.uniform(lo[$0], hi[$0]) }
            let zs = try net.preActivations(x)
            for l in zs.indices { for j in zs[l].indices { #expect(zs[l][j] >= ibp[l].l[j] && zs[l][j] <= ibp[l].u[j]) } }
        }
        #expect(throws: NetworkError.self) { try net.intervalBounds(lower: hi, upper: lo) }
    }

    @Test func builtinDerivativeBoundsContainTheDerivative() throws {
        var rng = Xoshiro256StarStar(seed: 1)
        for act in [Activation.relu, .leakyReLU(0.1), .elu(), .elu(alpha: 0.5), .tanh, .sigmoid, .softplus, .identity] {
            try validateUserActivation(act)
            for _ in 0..<300 {
                let a = rng.uniform(-6, 6), b = a + rng.uniform(0, 3)
                let (lo, hi) = act.derivativeBounds(a, b)
                #expect(lo <= hi)
                for k in 0...20 {
                    let x = a + (b - a) * Double(k) / 20
                    let d = act.derivative(x)
                    #expect(d >= lo && d <= hi, "\(act.name) on [\(a), \(b)] at \(x)")
                    #expect(act.derivativeRange.contains(d))
                }
            }
            // derivative by central differences, away from kinks
            for x in [-2.3, -0.7, 0.4, 1.9] {
                let h = 1e-6, fd = (act.value(x + h) - act.value(x - h)) / (2 * h)
                #expect(abs(fd - act.derivative(x)) < 1e-6, "\(act.name) at \(x)")
            }
        }
        #expect(Activation.relu.derivative(0) == 1)
        #expect(Activation.relu.derivativeBounds(0, 0) == (0, 1))
        #expect(Activation.relu.derivativeBounds(0.1, 2) == (1, 1))
        #expect(Activation.named("ELU")?.name == "elu")
        #expect(Activation.named("nope") == nil)
    }

    @Test func userActivationValidation() throws {
        let good = Activation.custom(name: "leaky0.1", value: { $0 >= 0 ? $0 : 0.1 * $0 }, derivative: { $0 >= 0 ? 1 : 0.1 },
                                     derivativeRange: 0.1...1,
                                     derivativeBounds: { l, u in l >= 0 ? (1, 1) : (u < 0 ? (0.1, 0.1) : (0.1, 1)) })
        try validateUserActivation(good)
        let wrongRange = Activation.custom(name: "bad-range", value: { Foundation.tanh($0) }, derivative: { 1 - Foundation.tanh($0) * Foundation.tanh($0) },
                                           derivativeRange: 0.5...1)
        #expect { try validateUserActivation(wrongRange) } throws: { "\($0)".contains("outside the claimed derivative_range") }
        let swapped = Activation.custom(name: "swapped", value: { $0 }, derivative: { _ in 1 }, derivativeRange: 0...1,
                                        derivativeBounds: { _, _ in (1, 0) })
        #expect { try validateUserActivation(swapped) } throws: { "\($0)".contains("lo = 1.0 > hi = 0.0") }
        let forgetsKink = Activation.custom(name: "kinkless", value: { max($0, 0) }, derivative: { $0 >= 0 ? 1 : 0 }, derivativeRange: 0...1,
                                            derivativeBounds: { l, _ in l >= 0 ? (1, 1) : (0, 0) })
        #expect { try validateUserActivation(forgetsKink) } throws: { "\($0)".contains("kinkless") && "\($0)".contains("not inside derivative_bounds") }
        let nanValue = Activation.custom(name: "nan", value: { $0 > 3 ? .nan : $0 }, derivative: { _ in 1 }, derivativeRange: 1...1)
        #expect { try validateUserActivation(nanValue) } throws: { "\($0)".contains("not finite") }
    }

    @Test func spectralUpperBoundIsTightAndAbove() throws {
        var rng = Xoshiro256StarStar(seed: 4)
        for (r, c) in [(5, 8), (30, 12), (40, 40)] {
            let v = (0..<(r * c)).map { _ in rng.uniform(-1, 1) }
            let A = try SparseMatrix(rows: r, cols: c, dense: v)
            // power iteration lower estimate
            var x = [Double](repeating: 1, count: c), est = 0.0
            for _ in 0..<500 {
                let y = A.transposeMultiply(A.multiply(x))
                let n = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
                est = n.squareRoot() / max(1e-300, x.reduce(0) { $0 + $1 * $1 }.squareRoot()).squareRoot()
                x = y.map { $0 / n }
            }
            let ub = spectralNormUpperBound(A)
            #expect(ub >= est * (1 - 1e-12))
            #expect(ub <= est * 1.05)
        }
    }
}

@Suite struct PolynomialSizeTests {
    /// Term counts of the paper's (80, 80, 1) networks: dense has 80·80 paths; the band of
    /// width 21 keeps 21 inputs per interior neuron and 11..20 for the 10 neurons at each edge.
    @Test func paperNetworkTermCounts() throws {
        let net = try Network.random(sizes: [80, 80, 1], seed: 0)
        let p = try makeLipschitzProblem(net, norm: .linf)
        #expect(p.polynomial.termCount == 80 * 80)
        #expect(p.variableCount == 160)
        let band = try Network.random(sizes: [80, 80, 1], sparsity: 21, seed: 0)
        #expect(try makeLipschitzProblem(band, norm: .linf).polynomial.termCount == 80 * 21 - 2 * (10 * 11 / 2))
    }
}
