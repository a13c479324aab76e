#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One timing of the norm-gradient polynomial construction (`makeLipschitzProblem`).
public struct PolynomialBenchmark: Sendable, CustomStringConvertible {
    public var name: String
    public var terms: Int
    public var variables: Int
    /// Best wall time of `repeats` builds, seconds.
    public var seconds: Double
    /// Peak resident set size of the process after the builds (getrusage ru_maxrss), bytes.
    public var peakRSSBytes: Int
    public var description: String {
        String(format: "%@: %d terms, %d variables, %.4f s, peak RSS %.1f MB", name, terms, variables, seconds, Double(peakRSSBytes) / 1_048_576)
    }
}

/// Peak resident set size of this process in bytes (Linux reports ru_maxrss in KiB).
public func peakResidentSetBytes() -> Int {
    var u = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Int(u.ru_maxrss) * 1024
    #else
    getrusage(RUSAGE_SELF, &u)
    return Int(u.ru_maxrss)
    #endif
}

/// Times `makeLipschitzProblem` (ℓ∞, global ranges) on the networks of the paper's
/// experiments: (80, 80, 1) with band s = 20, dense (80, 80, 1), 784-300-100-10 with 5% of
/// its weights kept at random (output logit 0), and a dense (80, 80, 80, 1) with 512,000 paths
/// as a stress case. ELU, no bias, seeded.
public func benchmarkPolynomialConstruction(seed: UInt64 = 0, repeats: Int = 3, includeStress: Bool = true) throws -> [PolynomialBenchmark] {
    var cases: [(String, Network)] = [
        ("(80,80,1) s=20", try Network.random(sizes: [80, 80, 1], sparsity: 20, seed: seed)),
        ("(80,80,1) dense", try Network.random(sizes: [80, 80, 1], seed: seed)),
        ("784-300-100-10 5% kept", try Network.random(sizes: [784, 300, 100, 10], seed: seed).pruned(keep: 0.05, seed: seed)),
    ]
    if includeStress { cases.append(("(80,80,80,1) dense", try Network.random(sizes: [80, 80, 80, 1], seed: seed))) }
    var out: [PolynomialBenchmark] = []
    for (name, net) in cases {
        var best = Double.infinity, prob: LipschitzProblem? = nil
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            prob = try makeLipschitzProblem(net, norm: .linf)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        out.append(PolynomialBenchmark(name: name, terms: prob!.polynomial.termCount, variables: prob!.variableCount,
                                       seconds: best, peakRSSBytes: peakResidentSetBytes()))
    }
    return out
}
