import Foundation

/// A mock `LPSolver` for unit tests of code that calls a solver: it answers from a script
/// (a queue of results, or a closure) and records every LP and options it received.
///
///     let solver = ScriptedLPSolver(results: [LPResult(status: .infeasible)])
///     let r = try solver.solve(lp, options: LPOptions())   // r.status == .infeasible
///     solver.received.count                                  // 1
///
/// By default it validates the LP first (like a real solver), so code under test sees the
/// same `LPError`s. Thread-safe: the record is guarded by a lock.
public final class ScriptedLPSolver: LPSolver, @unchecked Sendable {
    /// Thrown when the queue of scripted results is empty.
    public struct ScriptExhausted: Error, CustomStringConvertible {
        public var calls: Int
        public var description: String {
            "ScriptedLPSolver: solve call \(calls) has no scripted result left; add more results to the script (or use the closure initializer)."
        }
    }

    public let name: String
    public let validates: Bool
    private let lock = NSLock()
    private var queue: [LPResult]
    private let respond: (@Sendable (LinearProgram, LPOptions) throws -> LPResult)?
    private var _received: [LinearProgram] = []
    private var _options: [LPOptions] = []

    /// Answers call k with `results[k]`; a call after the last result throws `ScriptExhausted`.
    public init(name: String = "scripted", validates: Bool = true, results: [LPResult]) {
        self.name = name; self.validates = validates; self.queue = results; self.respond = nil
    }

    /// Answers every call with `respond(lp, options)` (it may throw).
    public init(name: String = "scripted", validates: Bool = true,
                _ respond: @escaping @Sendable (LinearProgram, LPOptions) throws -> LPResult) {
        self.name = name; self.validates = validates; self.queue = []; self.respond = respond
    }

    /// The LPs received so far, in call order (including ones that failed validation).
    public var received: [LinearProgram] { lock.withLock { _received } }
    /// The options received so far, in call order.
    public var receivedOptions: [LPOptions] { lock.withLock { _options } }
    public var callCount: Int { lock.withLock { _received.count } }
    /// Scripted results not yet handed out (0 for the closure form).
    public var remaining: Int { lock.withLock { queue.count } }

    public func solve(_ lp: LinearProgram, options: LPOptions) throws -> LPResult {
        let call: Int = lock.withLock {
            _received.append(lp); _options.append(options); return _received.count
        }
        if validates { try lp.validate() }   // a rejected LP does not consume a scripted result
        let scripted: LPResult? = respond != nil ? nil : lock.withLock { queue.isEmpty ? nil : queue.removeFirst() }
        var result: LPResult
        if let respond { result = try respond(lp, options) }
        else if let scripted { result = scripted }
        else { throw ScriptExhausted(calls: call) }
        if result.solver.isEmpty { result.solver = name }
        return result
    }
}
