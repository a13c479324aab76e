import Foundation
import Testing
@testable import LipCore

/// Prints construction timings when LIPLUA_BENCH is set (e.g. `LIPLUA_BENCH=1 swift test -c release
/// --filter BenchmarkTests`); otherwise runs the two small cases once and checks their sizes.
@Suite struct BenchmarkTests {
    @Test func polynomialConstruction() throws {
        if ProcessInfo.processInfo.environment["LIPLUA_BENCH"] != nil {
            for r in try benchmarkPolynomialConstruction() { print("BENCH", r) }
        } else {
            let net = try Network.random(sizes: [80, 80, 1], seed: 0)
            let p = try makeLipschitzProblem(net, norm: .linf)
            #expect(p.polynomial.termCount == 80 * 80)
            #expect(p.variableCount == 160)
            let band = try Network.random(sizes: [80, 80, 1], sparsity: 21, seed: 0)
            // interior rows see 21 inputs, the 10 rows at each edge see 11..20
            #expect(try makeLipschitzProblem(band, norm: .linf).polynomial.termCount == 80 * 21 - 2 * (10 * 11 / 2))
        }
    }
}
