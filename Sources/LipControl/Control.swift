internal import CLipSignals
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide interrupt request (Ctrl-C). The command line's SIGINT handler sets it;
/// every long-running loop (LP and SDP solvers, witness searches, file decoders, Lua hooks)
/// polls `isRequested` and stops with an `interrupted` outcome. Reading it is one load.
public enum Interrupt {
    /// True once an interrupt was requested and not yet cleared.
    public static var isRequested: Bool { liplua_interrupt_pending() != 0 }
    /// Requests an interrupt (what Ctrl-C does; tests call it too).
    public static func request() { liplua_interrupt_set() }
    /// Clears a pending request (the REPL does this before running the next command).
    public static func clear() { liplua_interrupt_clear() }
    /// Requests since start-up.
    public static var count: Int { Int(liplua_interrupt_count()) }
}

/// A wall-clock deadline on the monotonic clock. `nil` seconds (or +∞) means none. Values are
/// validated by the caller (`Deadline(seconds:)` clamps negative to 0 and treats NaN as none
/// only after the option checks reject NaN).
public struct Deadline: Sendable, CustomStringConvertible {
    /// Monotonic nanoseconds at which the deadline passes; nil for none.
    public let endNanoseconds: UInt64?
    public let seconds: Double?

    public init(seconds: Double?) {
        guard let s = seconds, s.isFinite else { self.seconds = nil; endNanoseconds = nil; return }
        let clamped = Swift.max(0, s)
        self.seconds = clamped
        let now = DispatchTime.now().uptimeNanoseconds
        // Saturate instead of trapping for very large limits (≥ ~292 years is "none").
        let add = clamped * 1e9
        if add >= Double(UInt64.max - now) { endNanoseconds = nil } else { endNanoseconds = now + UInt64(add) }
    }

    public static let none = Deadline(seconds: nil)

    /// True when the deadline has passed.
    public var expired: Bool {
        guard let e = endNanoseconds else { return false }
        return DispatchTime.now().uptimeNanoseconds >= e
    }
    /// Seconds left (≥ 0), nil when there is no deadline.
    public var remaining: Double? {
        guard let e = endNanoseconds else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        return now >= e ? 0 : Double(e - now) / 1e9
    }
    /// Why work should stop now, if it should: an interrupt first, then the deadline.
    public var stopReason: StopReason? {
        if Interrupt.isRequested { return .interrupted }
        if expired { return .timeLimit }
        return nil
    }
    public var description: String { seconds.map { "deadline in \($0) s" } ?? "no deadline" }
}

/// Why a long computation stopped early.
public enum StopReason: String, Sendable {
    case interrupted
    case timeLimit = "time_limit"
}

/// Monotonic seconds since an arbitrary origin (for timings).
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// A computation that stopped early because of an interrupt or its deadline. Carried as an
/// error out of code that has no partial result to return; the Lua bridge turns an
/// interrupt into Lua's "interrupted!" so scripts end with exit code 130.
public struct StoppedError: Error, CustomStringConvertible, Sendable {
    public var reason: StopReason
    public var what: String
    public init(_ reason: StopReason, _ what: String) { self.reason = reason; self.what = what }
    public var description: String {
        reason == .interrupted ? "\(what): interrupted" : "\(what): time limit reached"
    }
    /// Throws when an interrupt is pending or the deadline has passed.
    public static func check(_ deadline: Deadline = .none, _ what: String) throws {
        if let r = deadline.stopReason { throw StoppedError(r, what) }
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

