import Foundation
import LipControl
import Testing
@testable import LipCore
import LipDSDP
import LipSDP

/// Shor SDP relaxations of the norm-gradient polynomial, each against an oracle: the exact
/// maximum of p by vertex enumeration (`exactMaximum`), the sampled lower bound LBS, the
/// product bound UBP, hand-computed matrices and values, and a second formulation/solver.
@Suite struct ShorTests {
    func solve(_ p: ShorProblem, _ solver: SDPSolver, tolerance: Double = 1e-8) throws -> (SDPResult, ShorCertificate) {
        var o = SDPOptions(); o.tolerance = tolerance
        let r = try solver.solve(p.sdp, options: o)
        return (r, p.certify(r))
    }

    @Test func maxCutMatrixByHand() throws {
        // METHOD's unit example: W1 = [[1,2,3],[−1,0,1]], cᵀW2 = [1,2], ReLU (s ∈ [0,1]).
        // M = W1ᵀ diag(1, 2) = [[1,−2],[2,0],[3,2]]; m = h = ½: a = M·m = (−½, 1, 5/2), B = M/2.
        let net = try Network(weights: [[[1, 2, 3], [-1, 0, 1]], [[1, 2]]], activation: .relu)
        let p = try ShorSDP.build(network: net, shape: .box)
        #expect(p.formulation == .maxCut)
        #expect(p.variables == [.homogenizing, .dual(input: 0), .dual(input: 1), .dual(input: 2),
                                .derivative(layer: 1, neuron: 0), .derivative(layer: 1, neuron: 1)])
        guard case .maxCut(let mc) = p.sdp else { Issue.record("not MAXCUT"); return }
        let q = mc.q
        #expect(q[0, 1] == -0.25 && q[0, 2] == 0.5 && q[0, 3] == 1.25)
        #expect(q[1, 4] == 0.25 && q[1, 5] == -0.5 && q[2, 4] == 0.5 && q[2, 5] == 0 && q[3, 4] == 0.75 && q[3, 5] == 0.5)
        #expect(q.entryCount == 8)
        #expect(p.formationError < 1e-13)
        // max p over t ∈ ±1, s ∈ {0,1}²: s = (1,1) gives |−1| + |2| + |5| = 8
        #expect(try exactMaximum(makeLipschitzProblem(net, norm: .linf)).value == 8)
        let (_, c) = try solve(p, LowRankSolver())
        #expect((c.certified ?? .nan) >= 8)
    }

    @Test func rankOneNetworkIsExact() throws {
        // W1 = b aᵀ makes M = a (b∘w)ᵀ rank one; then the SDP equals max p:
        // ‖a‖₁ · max(Σβ⁺, Σβ⁻) with β = b∘w = (0.5, −1, −0.5): 6.5 · 1.5 = 9.75.
        let a = [1.0, -2, 0.5, 3], b = [1.0, -1, 2], w = [0.5, 1, -0.25]
        let W1 = b.map { bj in a.map { bj * $0 } }
        let net = try Network(weights: [W1, [w]], activation: .relu)
        #expect(try exactMaximum(makeLipschitzProblem(net, norm: .linf)).value == 9.75)
        let p = try ShorSDP.build(network: net, shape: .box)
        for solver in [LowRankSolver() as SDPSolver, DSDPSolver()] {
            let (r, c) = try solve(p, solver)
            #expect(Swift.abs(r.dualObjective - 9.75) < 1e-6)
            #expect((c.certified ?? .nan) >= 9.75 && (c.certified ?? .nan) <= 9.75 * (1 + 1e-6))
        }
    }

    @Test func tinyOneHiddenLayerNetworks() throws {
        var cases = 0
        for (k, sizes) in [[5, 8, 3], [6, 10, 2], [4, 12, 1], [8, 7, 4]].enumerated() {
            for act in [Activation.relu, .elu()] {
                for local in [false, true] {
                    let seed = UInt64(10 * k + (local ? 1 : 0))
                    let output: Network.Output = sizes[2] > 1 ? (k % 2 == 0 ? .margin(0, 1, outputs: sizes[2]) : .vector((0..<sizes[2]).map { Double($0) - 0.5 })) : .index(0)
                    let net = try Network.random(sizes: sizes, activation: act, bias: true, seed: seed, output: output)
                    var rng = Xoshiro256StarStar(seed: seed + 7)
                    let x = (0..<sizes[0]).map { _ in rng.uniform(-1, 1) }
                    let box: (lower: [Double], upper: [Double])? = local ? (x.map { $0 - 0.4 }, x.map { $0 + 0.4 }) : nil
                    let p = try ShorSDP.build(network: net, shape: .box, inputBox: box)
                    let exact = try exactMaximum(makeLipschitzProblem(net, norm: .linf, inputBox: box)).value
                    let sampleBox = box ?? ([Double](repeating: -5, count: sizes[0]), [Double](repeating: 5, count: sizes[0]))
                    let lbs = try sampledLowerBound(net, norm: .linf, samples: 300, box: sampleBox, seed: seed).value
                    let ubp = try productBound(net, norm: .linf, inputBox: box)
                    let (rl, cl) = try solve(p, LowRankSolver())
                    let (rd, cd) = try solve(p, DSDPSolver())
                    let tag = "\(sizes) \(act.name) local=\(local)"
                    for (r, c) in [(rl, cl), (rd, cd)] {
                        #expect(c.status == .certified, "\(tag): \(c)")
                        let bound = (c.certified ?? .nan)
                        #expect(bound >= exact, "\(tag): certified \(bound) < exact max \(exact)")
                        #expect(bound >= lbs)
                        #expect(bound <= ubp * (1 + 1e-6) + 1e-12, "\(tag): certified \(bound) > UBP \(ubp)")
                        #expect(bound - r.dualObjective <= 1e-6 * Swift.abs(r.dualObjective) + 1e-12)
                    }
                    #expect(Swift.abs(rl.dualObjective - rd.dualObjective) <= 1e-6 * Swift.abs(rd.dualObjective) + 1e-12, "\(tag)")
                    cases += 1
                }
            }
        }
        #expect(cases == 16)
    }

    @Test func euclideanBallUsesTheTraceConstraint() throws {
        for seed: UInt64 in [3, 4] {
            let net = try Network.random(sizes: [6, 9, 1], activation: seed == 3 ? .relu : .elu(), bias: true, seed: seed)
            let p = try ShorSDP.build(network: net, shape: .ball)
            guard case .maxCut(let mc) = p.sdp else { Issue.record("not MAXCUT"); return }
            #expect(mc.traceBlock == 1..<7)
            let exact = try exactMaximum(makeLipschitzProblem(net, norm: .l2)).value
            let lbs = try sampledLowerBound(net, norm: .l2, samples: 300, box: ([Double](repeating: -5, count: 6), [Double](repeating: 5, count: 6))).value
            let ubp = try productBound(net, norm: .l2)
            for solver in [LowRankSolver() as SDPSolver, DSDPSolver()] {
                let (_, c) = try solve(p, solver)
                #expect((c.certified ?? .nan) >= exact && (c.certified ?? .nan) >= lbs)
                #expect((c.certified ?? .nan) <= ubp * (1 + 1e-6))
            }
        }
    }

    @Test func stableNeuronsAreFolded() throws {
        // a small box with large biases makes most ReLUs stable: they leave the SDP
        let net = try Network.random(sizes: [5, 10, 1], activation: .relu, bias: true, seed: 21)
        let x = [Double](repeating: 0.3, count: 5)
        let box = (lower: x.map { $0 - 0.01 }, upper: x.map { $0 + 0.01 })
        let p = try ShorSDP.build(network: net, shape: .box, inputBox: box)
        let n = p.neuronCounts[0]
        #expect(n.free + n.fixed + n.dropped == 10)
        #expect(n.free < 10)
        #expect(p.order == 1 + p.variables.filter { if case .dual = $0 { return true } else { return false } }.count + n.free)
        let exact = try exactMaximum(makeLipschitzProblem(net, norm: .linf, inputBox: box)).value
        let (_, c) = try solve(p, LowRankSolver())
        #expect((c.certified ?? .nan) >= exact)
        let ubp = try productBound(net, norm: .linf, inputBox: box)
        #expect((c.certified ?? .nan) <= ubp * (1 + 1e-6))
    }

    @Test func chainedFormAtDepthTwoEqualsTheMaxCutForm() throws {
        for (seed, act, local) in [(UInt64(1), Activation.relu, false), (2, .elu(), true)] {
            let net = try Network.random(sizes: [5, 6, 1], activation: act, bias: true, seed: seed)
            let box: (lower: [Double], upper: [Double])? = local ? ([Double](repeating: -0.5, count: 5), [Double](repeating: 0.5, count: 5)) : nil
            let a = try ShorSDP.build(network: net, shape: .box, inputBox: box)
            let b = try ShorSDP.build(network: net, shape: .box, inputBox: box, formulation: .chained)
            #expect(b.formulation == .chained)
            let (ra, ca) = try solve(a, DSDPSolver())
            let (rb, cb) = try solve(b, DSDPSolver())
            #expect(Swift.abs(ra.dualObjective - rb.dualObjective) <= 1e-6 * Swift.abs(ra.dualObjective), "\(ra.dualObjective) vs \(rb.dualObjective)")
            #expect(cb.status == .certified)
            #expect((cb.certified ?? .nan) >= (ca.certified ?? .nan) * (1 - 1e-6))
        }
    }

    @Test func depthThreeChainedForm() throws {
        var cases = 0
        for (k, sizes) in [[3, 4, 3, 1], [4, 3, 3, 2], [3, 5, 4, 1]].enumerated() {
            for act in [Activation.relu, .elu()] {
                for local in [false, true] {
                    let seed = UInt64(100 + 10 * k + (local ? 1 : 0))
                    let output: Network.Output = sizes.last! > 1 ? .margin(1, 0, outputs: sizes.last!) : .index(0)
                    let net = try Network.random(sizes: sizes, activation: act, bias: true, seed: seed, output: output)
                    let box: (lower: [Double], upper: [Double])? = local ? ([Double](repeating: -0.5, count: sizes[0]), [Double](repeating: 0.5, count: sizes[0])) : nil
                    let p = try ShorSDP.build(network: net, shape: .box, inputBox: box)
                    #expect(p.formulation == .chained)
                    let exact = try exactMaximum(makeLipschitzProblem(net, norm: .linf, inputBox: box)).value
                    let sampleBox = box ?? ([Double](repeating: -5, count: sizes[0]), [Double](repeating: 5, count: sizes[0]))
                    let lbs = try sampledLowerBound(net, norm: .linf, samples: 300, box: sampleBox, seed: seed).value
                    let ubp = try productBound(net, norm: .linf, inputBox: box)
                    let (r, c) = try solve(p, DSDPSolver())
                    let tag = "\(sizes) \(act.name) local=\(local)"
                    #expect(c.status == .certified, "\(tag): \(c) \(r.message)")
                    if let bound = c.certified {
                        #expect(bound >= exact, "\(tag): certified \(bound) < exact max \(exact)")
                        #expect(bound >= lbs)
                        #expect(bound <= ubp * (1 + 1e-6) + 1e-12, "\(tag): certified \(bound) > UBP \(ubp)")
                        #expect(bound - r.dualObjective <= 1e-6 * Swift.abs(r.dualObjective) + 1e-12, "\(tag): \(bound) vs \(r.dualObjective)")
                    }
                    cases += 1
                }
            }
        }
        #expect(cases == 12)
    }

    @Test func badInput() throws {
        let deep = try Network.random(sizes: [3, 3, 3, 1], seed: 1)
        #expect(throws: ProblemError.self) { try ShorSDP.build(network: deep, shape: .box, formulation: .maxCut) }
        let big = try Network.random(sizes: [30, 40, 1], seed: 1)
        #expect(throws: (any Error).self) { try ShorSDP.build(network: big, shape: .box, memory: MemoryBudget(bytes: 100)) }
        #expect(throws: (any Error).self) { try ShorSDP.build(network: big, shape: .box, inputBox: ([0], [1])) }
    }
}
