import Foundation
import Testing
import LipLP
import LipGLPK
@testable import LipCore

/// Soundness of the certified bound on many random tiny networks, with every built-in
/// activation (including parameters that make them non-monotone or non-contracting) and a
/// user activation: certified ≥ the exact maximum of p (vertex enumeration) ≥ the largest
/// gradient norm found by dense sampling of the domain (an independent lower bound on the
/// Lipschitz constant), globally and on input boxes.
@Suite("Soundness on random tiny networks")
struct SoundnessTests {
    static let activations: [Activation] = [
        .relu, .leakyReLU(0.1), .leakyReLU(-2), .leakyReLU(-0.5), .leakyReLU(2.5),
        .elu(), .elu(alpha: 0.5), .elu(alpha: -1), .elu(alpha: 2), .tanh, .sigmoid, .softplus, .identity,
        // a user activation without a value map (interval propagation by the mean value theorem)
        .custom(name: "user-sin", value: { sin($0) }, derivative: { cos($0) }, derivativeRange: -1...1,
                derivativeBounds: { l, u in
                    if u - l >= 2 * Double.pi { return (-1, 1) }
                    var lo = min(cos(l), cos(u)), hi = max(cos(l), cos(u))
                    // extrema of cos inside [l, u] at multiples of π
                    var k = (l / Double.pi).rounded(.up)
                    while k * Double.pi <= u { if Int(k) % 2 == 0 { hi = 1 } else { lo = -1 }; k += 1 }
                    return (lo - 1e-15, hi + 1e-15)
                }),
    ]

    /// Largest ‖∇f(x)‖_1 over a grid-and-random sample of the box (ℓ∞ input norm).
    func sampledMaximum(_ net: Network, lower: [Double], upper: [Double], rng: inout Xoshiro256StarStar) throws -> Double {
        var best = 0.0
        let n = lower.count
        for k in 0..<600 {
            var x = [Double](repeating: 0, count: n)
            for i in 0..<n {
                x[i] = k < (1 << n) ? ((k >> i) & 1 == 1 ? upper[i] : lower[i]) : rng.uniform(lower[i], upper[i])
            }
            let g = try net.gradient(x)
            best = max(best, g.reduce(0) { $0 + abs($1) })
        }
        return best
    }

    @Test func certifiedAboveExactAboveSampled() throws {
        var rng = Xoshiro256StarStar(seed: 2026)
        var checked = 0
        for seed in 0..<1_050 {
            let act = Self.activations[seed % Self.activations.count]
            let depth = 2 + seed % 2
            var sizes = [1 + rng.below(3)]
            for _ in 1..<depth { sizes.append(1 + rng.below(3)) }
            sizes.append(1)
            let net = try Network.random(sizes: sizes, activation: act, bias: seed % 3 != 0, seed: UInt64(seed))
            let n = net.inputSize
            let local = seed % 2 == 1
            var lo = [Double](repeating: -3, count: n), hi = [Double](repeating: 3, count: n)
            if local {
                for i in 0..<n { let c = rng.uniform(-1, 1), r = rng.uniform(0.05, 1.5); lo[i] = c - r; hi[i] = c + r }
            }
            let problem = try makeLipschitzProblem(net, norm: .linf, inputBox: local ? (lo, hi) : nil)
            let exact = try exactMaximum(problem).value
            var o = KrivineOptions(degree: depth, family: .path, solver: GLPKSolver())
            o.certificateSize = 0
            let b = try KrivineHierarchy.solve(problem, options: o)
            let certified = try #require(b.certifiedBound, "seed \(seed) \(act.name): \(b.status)")
            let sampled = try sampledMaximum(net, lower: lo, upper: hi, rng: &rng)
            #expect(certified >= exact * (1 - 1e-9) - 1e-12, "seed \(seed) \(act.name) \(sizes) local=\(local): certified \(certified) < exact \(exact)")
            #expect(exact >= sampled * (1 - 1e-9) - 1e-12, "seed \(seed) \(act.name) \(sizes) local=\(local): exact max of p \(exact) < sampled gradient norm \(sampled)")
            checked += 1
        }
        #expect(checked >= 1_000)
    }

    /// The cases the probe found: a leaky ReLU with a negative slope and an ELU with a negative
    /// α on a local box (interval propagation used to assume σ monotone and certified 2 where
    /// the slope is 4).
    @Test func nonMonotoneActivationsOnABox() throws {
        // f(x) = σ(−σ(x)): for x ∈ (0, 1], σ(x) = x, −x < 0, σ(−x) = 2x: slope 2; for
        // x < 0, σ(x) = −2x > 0, then −(−2x) = 2x < 0 and σ(2x) = −4x: slope 4. Sampling finds 4.
        for act in [Activation.leakyReLU(-2), .elu(alpha: -1)] {
            let net = try Network(weights: [[[1]], [[-1]], [[1]]], activation: act)
            let problem = try makeLipschitzProblem(net, norm: .linf, inputBox: ([-1], [1]))
            let b = try KrivineHierarchy.solve(problem, options: KrivineOptions(degree: 3, family: .path, solver: GLPKSolver()))
            var rng = Xoshiro256StarStar(seed: 1)
            let sampled = try sampledMaximum(net, lower: [-1], upper: [1], rng: &rng)
            #expect(try #require(b.certifiedBound) >= sampled * (1 - 1e-12), "\(act.name): \(b.certifiedBound!) < \(sampled)")
        }
    }

    /// Non-finite values never become bounds: an activation that returns NaN, and weights that
    /// overflow, are errors.
    @Test func nonFiniteValuesAreErrors() throws {
        let nanAct = Activation.custom(name: "nan-above-1", value: { $0 > 1 ? .nan : $0 }, derivative: { $0 > 1 ? .nan : 1 }, derivativeRange: 1...1)
        let net = try Network(weights: [[[1, 1]], [[1]]], activation: nanAct)
        // LBS used to come back as −inf here (every sampled gradient NaN).
        #expect(throws: (any Error).self) { _ = try sampledLowerBound(net, norm: .linf, samples: 200, box: ([-5, -5], [5, 5])) }
        #expect(throws: (any Error).self) { _ = try makeLipschitzProblem(net, norm: .linf, inputBox: ([0, 0], [2, 2])) }
        let huge = try Network(weights: [[[1e155, 1e155]], [[1e155]]], activation: .relu)
        #expect(throws: (any Error).self) { _ = try exactMaximum(try makeLipschitzProblem(huge, norm: .linf)) }
        #expect(throws: (any Error).self) { _ = try productBound(huge, norm: .linf) }
        let wide = try Network.random(sizes: [1, 64, 1], activation: .relu, seed: 1)
        #expect(throws: ProblemError.self) { _ = try exactMaximum(try makeLipschitzProblem(wide, norm: .linf), maxEnumerated: 100) }
    }
}
