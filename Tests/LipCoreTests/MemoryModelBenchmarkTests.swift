import Foundation
import Glibc
import LipControl
import LipLP
import LipGLPK
import Testing
@testable import LipCore

/// Memory of building and solving the benchmark Krivine LPs, measured against the estimates:
/// a benchmark, not a timed test. Run (release, ~15 minutes on 2 cores):
///     scripts/tools/bench_memory            (or: LIPLUA_MEMORY_BENCH=1 swift test -c release
///                                            -Xswiftc -enable-testing --filter MemoryModelBenchmark)
/// LIPLUA_MEMORY_BENCH=small skips the two large LPs; =big runs only them.
///
/// Each stage is measured as the growth of the peak resident set over the resident set before
/// it: freed memory is returned first (malloc_trim) and the kernel's peak is reset
/// (/proc/self/clear_refs, "5"). The interior point's child process reports its own peak
/// (wait4), of which the part above the parent's resident set at fork is what GLPK added.
@Suite("MemoryModelBenchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["LIPLUA_MEMORY_BENCH"] != nil))
struct MemoryModelBenchmarkTests {
    static var which: String { ProcessInfo.processInfo.environment["LIPLUA_MEMORY_BENCH"] ?? "" }

    static func status(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Double(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "0").map { $0 * 1024 } ?? 0
        }
        return 0
    }
    /// Returns freed memory to the system and resets the peak; returns the resident set.
    static func settle() -> Double {
        // malloc_trim is glibc's (not in the Glibc module map): look it up.
        typealias Trim = @convention(c) (Int) -> Int32
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") { _ = unsafeBitCast(sym, to: Trim.self)(0) }
        if let f = fopen("/proc/self/clear_refs", "w") { fputs("5", f); fclose(f) }
        return status("VmRSS")
    }

    final class ChildPeaks: @unchecked Sendable {
        let lock = NSLock()
        var reports: [InteriorProcessReport] = []
        func add(_ r: InteriorProcessReport) { lock.withLock { reports.append(r) } }
    }

    struct Sample: CustomStringConvertible {
        var label: String, method: String
        var rows: Int, columns: Int, nonzeros: Int
        var lpValue: Double          // bytes the LinearProgram value holds (resident after build)
        var buildPeak: Double        // peak growth while building
        var solvePeak: Double        // peak growth of this process while solving
        var childPeak: Double        // GLPK's part in the interior-point child
        var factor: Int?             // Cholesky nonzeros
        var status: String, seconds: Double
        var oldEstimate: Double      // KrivineHierarchy.estimate (LP + solver, before this change)
        var model: Double            // GLPKSolver.memoryEstimate (+ LP value)
        var solver: Double { solvePeak + childPeak }
        var description: String {
            func mb(_ x: Double) -> String { String(format: "%7.0f", x / 1e6) }
            return "\(label.padding(toLength: 26, withPad: " ", startingAt: 0)) \(method.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%7d %8d %8d", rows, columns, nonzeros))  lp \(mb(lpValue))  build \(mb(buildPeak))  solve \(mb(solvePeak)) + child \(mb(childPeak))  L \(factor.map(String.init) ?? "-")  [\(status) \(String(format: "%.1f", seconds)) s]  old est \(mb(oldEstimate))  model \(mb(model)) (\(String(format: "%+.0f%%", 100 * (model / max(solver, 1) - 1))))"
        }
    }

    func measure(_ label: String, build: () throws -> (LinearProgram, Double), methods: [LPMethod], timeLimit: Double,
                 firstIterationOnly: Bool = false) throws -> [Sample] {
        let base = Self.settle()
        let (lp, oldEstimate) = try build()
        let buildPeak = Self.status("VmHWM") - base
        var out: [Sample] = []
        for method in methods {
            let before = Self.settle()
            let lpValue = before - base
            let peaks = ChildPeaks()
            var solver = GLPKSolver()
            solver.interiorProcessReport = { peaks.add($0) }
            var o = LPOptions()
            o.method = method; o.timeLimit = timeLimit
            if firstIterationOnly {
                // Stop once an iteration ran: everything is allocated and touched by then.
                o.progress = { p in if p.iterations >= 1 { Interrupt.request() } }
            }
            let r = try solver.solve(lp, options: o)
            Interrupt.clear()
            let solvePeak = Self.status("VmHWM") - before
            let child = peaks.reports.last
            let childPeak = child?.childAddedBytes ?? 0
            if let c = child {
                print(String(format: "  child: fork %.4f s, started after %.4f s, peak %.0f MB (wait4) - parent %.0f MB; added %.0f MB; stop %@",
                             c.forkSeconds, c.startupSeconds, c.childPeakBytes / 1e6, c.parentResidentBytes / 1e6, c.childAddedBytes / 1e6,
                             c.stopSeconds.map { String(format: "%.3f s", $0) } ?? "-"))
            }
            let model = solver.memoryEstimate(for: lp, method: method, factorNonzeros: child?.factorNonzeros)
            out.append(Sample(label: label, method: method.rawValue, rows: lp.rowCount, columns: lp.columnCount, nonzeros: lp.nonzeroCount,
                              lpValue: lpValue, buildPeak: buildPeak, solvePeak: solvePeak, childPeak: childPeak,
                              factor: child?.factorNonzeros, status: r.status.rawValue, seconds: r.seconds,
                              oldEstimate: oldEstimate, model: model))
            print(out.last!)
        }
        return out
    }

    func krivine(_ sizes: [Int], _ s: Int, _ k: Int, _ family: ProductFamily) -> () throws -> (LinearProgram, Double) {
        {
            let net = try Network.random(sizes: sizes, sparsity: s, seed: 0)
            let problem = try makeLipschitzProblem(net, norm: .linf)
            var o = KrivineOptions(degree: k, family: family)
            o.limits = .unlimited
            let est = try KrivineHierarchy.estimate(problem, options: o)
            let (lp, _) = try KrivineHierarchy.apply(problem, options: o)
            return (lp, est.memoryBytes)
        }
    }

    /// scripts/examples/big_lp.lua's LP: 2,000 rows, 100,000 columns, 10 nonzeros per column.
    func bigLP() -> (LinearProgram, Double) {
        let n = 100_000, m = 2000, k = 10
        var seed: UInt64 = 42
        func rand() -> Double {
            seed = (seed &* 6364136223846793005 &+ 1442695040888963407) & 0x7fffffffffffffff
            return Double(seed >> 11) / 4503599627370496.0
        }
        var lp = LinearProgram(sense: .maximize, columns: n, name: "big_lp")
        var rowSum = [Double](repeating: 0, count: m)
        for j in 0..<n {
            lp.objective[j] = 0.5 + rand(); lp.columnUpper[j] = 1
            var used = Set<Int>()
            while used.count < k {
                let i = Int(rand() * Double(m))
                if used.insert(i).inserted {
                    let a = 0.1 + rand()
                    lp.entryRow.append(Int32(i)); lp.entryColumn.append(Int32(j)); lp.entryValue.append(a); rowSum[i] += a
                }
            }
        }
        lp.rowLower = Array(repeating: -.infinity, count: m); lp.rowUpper = rowSum.map { 0.25 * $0 }
        return (lp, .nan)
    }

    @Test func benchmarkLPs() throws {
        var all: [Sample] = []
        let small = Self.which != "big", big = Self.which != "small"
        let both: [LPMethod] = [.primalSimplex, .interiorPoint]
        print("label                      method     rows  columns nonzeros  (MB: LP value, build peak, solve peak + child)")
        if small {
            all += try measure("(80,80,1) s=10 k=3 path", build: krivine([80, 80, 1], 10, 3, .path), methods: both, timeLimit: 120)
            all += try measure("(80,80,1) s=20 k=3 path", build: krivine([80, 80, 1], 20, 3, .path), methods: both, timeLimit: 120)
            all += try measure("(40,40,1) s=21 k=4 path", build: krivine([40, 40, 1], 21, 4, .path), methods: both, timeLimit: 120)
            all += try measure("(80,80,1) s=10 k=3 by_input", build: krivine([80, 80, 1], 10, 3, .byInput), methods: both, timeLimit: 60)
            all += try measure("(80,80,1) s=20 k=3 by_input", build: krivine([80, 80, 1], 20, 3, .byInput), methods: both, timeLimit: 60,
                               firstIterationOnly: true)
        }
        if big {
            all += try measure("big_lp 2000x100000", build: bigLP, methods: both, timeLimit: 60, firstIterationOnly: true)
            all += try measure("(40,40,1) s=21 k=4 by_input", build: krivine([40, 40, 1], 21, 4, .byInput),
                               methods: [.interiorPoint, .primalSimplex], timeLimit: 300, firstIterationOnly: true)
        }
        print("\nSUMMARY (MB)")
        for s in all { print(s) }
        #expect(!all.isEmpty)
    }
}
