import LipTestSupport
import Foundation
import LipControl
import LipLP
@testable import LipGLPK
import XCTest

/// Interrupts through `Interrupt.request()` from another thread, as the SIGINT handler does.
///
/// The interrupt flag is process-wide, so these are XCTest cases: `swift test` runs XCTest
/// cases one at a time and apart from the (parallel) swift-testing suites, so no other solve
/// sees the flag while it is set.
final class GLPKInterruptTests: XCTestCase {
    override func tearDown() { Interrupt.clear() }

    /// Requests an interrupt `after` seconds from now on another thread; returns the instant.
    private func interrupt(after seconds: Double) -> () -> Double {
        let box = Box()
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            box.set(monotonicSeconds())
            Interrupt.request()
        }
        return { box.get() }
    }

    private func check(_ method: LPMethod, presolve: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        Interrupt.clear()
        let lp = slowPackingLP
        var o = options(method, presolve: presolve)
        o.timeLimit = 120
        let requestedAt = interrupt(after: 2.5)
        let r = try GLPKSolver().solve(lp, options: o)
        let returned = monotonicSeconds()
        XCTAssertEqual(r.status, .interrupted, "\(method): \(r.message)", file: file, line: line)
        XCTAssertTrue(r.message.contains("interrupted"), r.message, file: file, line: line)
        let latency = returned - requestedAt()
        XCTAssertLessThan(latency, 1.5, "\(method): returned \(latency) s after the interrupt", file: file, line: line)
        XCTAssertTrue(r.primal.isEmpty, file: file, line: line)
        // Cleared, the next solve works (oracle: smallMax's optimum 11, by hand).
        Interrupt.clear()
        let ok = try GLPKSolver().solve(smallMax(), options: options(method))
        XCTAssertEqual(ok.status, .optimal, file: file, line: line)
        XCTAssertEqual(ok.objective, 11, accuracy: 1e-6, file: file, line: line)
    }

    func testInterruptStopsPrimalSimplex() throws { try check(.primalSimplex) }
    func testInterruptStopsDualSimplexWithoutPresolve() throws { try check(.dualSimplex, presolve: false) }
    func testInterruptStopsInteriorPointInsideItsFactorisation() throws { try check(.interiorPoint) }

    /// In-process interior point (no child) still notices the flag at its next output line.
    func testInterruptIsSeenByInProcessInteriorPoint() throws {
        var rule = GLPKSolver.AutomaticRule()
        rule.interiorInChildProcess = false
        let lp = packingLP(rows: 300, columns: 3000, perColumn: 10, seed: 4)
        Interrupt.request()
        let r = try GLPKSolver(rule: rule).solve(lp, options: options(.interiorPoint))
        XCTAssertEqual(r.status, .interrupted, r.message)
    }

    /// A pending interrupt stops a solve before it starts.
    func testPendingInterruptReturnsAtOnce() throws {
        Interrupt.request()
        for method in allMethods {
            let r = try GLPKSolver().solve(smallMax(), options: options(method))
            XCTAssertEqual(r.status, .interrupted)
            XCTAssertEqual(r.iterations, 0)
        }
    }
}

final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Double.nan
    func set(_ v: Double) { lock.withLock { value = v } }
    func get() -> Double { lock.withLock { value } }
}
