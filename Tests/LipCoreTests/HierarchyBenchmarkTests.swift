import Foundation
import Testing
import LipLP
import LipGLPK
@testable import LipCore

/// Benchmarks, run only with LIPLUA_BENCH set (not timed tests):
///     LIPLUA_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter HierarchyBenchmarkTests
/// LIPLUA_BENCH=by_input or =path picks a family; LIPLUA_BENCH_METHOD=interior|primal|dual|auto,
/// LIPLUA_BENCH_SEEDS=n (seeds 0..<n, default 10), LIPLUA_BENCH_CASES=0,1,2 (which networks).
@Suite("HierarchyBenchmark", .enabled(if: ProcessInfo.processInfo.environment["LIPLUA_BENCH"] != nil))
struct HierarchyBenchmarkTests {
    static var which: String { ProcessInfo.processInfo.environment["LIPLUA_BENCH"] ?? "" }
    static var method: LPMethod { LPMethod(rawValue: ProcessInfo.processInfo.environment["LIPLUA_BENCH_METHOD"] ?? "auto") ?? .automatic }
    static var seeds: Range<UInt64> { 0..<UInt64(Int(ProcessInfo.processInfo.environment["LIPLUA_BENCH_SEEDS"] ?? "10") ?? 10) }

    @Test func randomNetworks() throws {
        let cases: [([Int], Int, Int)] = [([80, 80, 1], 10, 3), ([80, 80, 1], 20, 3), ([40, 40, 1], 21, 4)]
        let pick = ProcessInfo.processInfo.environment["LIPLUA_BENCH_CASES"].map { $0.split(separator: ",").compactMap { Int($0) } }
        for (i, (sizes, s, k)) in cases.enumerated() where pick?.contains(i) ?? true {
            for family in [ProductFamily.byInput, .path] {
                if !Self.which.isEmpty && Self.which != "1" && !Self.which.contains(family.name) { continue }
                let rows = try HierarchyBenchmarks.random(sizes: sizes, sparsity: s, degree: k, family: family, seeds: Self.seeds,
                                                          solver: GLPKSolver(), method: Self.method) { print($0) }
                print("SUMMARY " + HierarchyBenchmarks.summary(rows))
                for r in rows { #expect(r.bound.certifiedBound != nil) }
            }
        }
    }

    @Test func mnistShaped() throws {
        let (row, peak) = try HierarchyBenchmarks.mnistShaped(solver: GLPKSolver(), method: Self.method)
        print(row)
        print(String(format: "MNIST-shaped total %.2f s, peak memory %.0f MB", row.bound.totalSeconds, peak / 1e6))
        #expect(row.bound.certifiedBound != nil)
    }
}
