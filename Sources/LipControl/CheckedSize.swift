import Foundation
/// Overflow-checked size arithmetic for everything a file or a caller declares. A size that
/// overflows, is negative, or exceeds a budget becomes a `SizeError` naming what was being
/// sized; nothing is allocated from a declared size before it passed through here.
public struct SizeError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum CheckedSize {
    /// a · b, or an error naming `what` when it overflows or either factor is negative.
    public static func product(_ factors: [Int], what: String) throws -> Int {
        var r = 1
        for f in factors {
            guard f >= 0 else { throw SizeError("\(what): negative size \(f) in \(factors)") }
            let (p, o) = r.multipliedReportingOverflow(by: f)
            guard !o else { throw SizeError("\(what): the sizes \(factors) overflow a 64-bit count") }
            r = p
        }
        return r
    }
    /// a + b without overflow.
    public static func sum(_ a: Int, _ b: Int, what: String) throws -> Int {
        let (s, o) = a.addingReportingOverflow(b)
        guard !o, a >= 0, b >= 0 else { throw SizeError("\(what): \(a) + \(b) is not a valid size") }
        return s
    }
    /// A Double that must be a nonnegative integer representable as Int (JSON sizes and indices).
    public static func integer(_ x: Double, what: String) throws -> Int {
        guard x.isFinite, x == x.rounded(), x >= 0, x < 9.0e15 else {
            throw SizeError("\(what): \(x) is not a nonnegative integer")
        }
        return Int(x)
    }
}

/// How much memory one allocation decision may claim. The default limit is derived from the
/// machine (a third of physical memory, at least 1 GB); callers check an estimate against it
/// before allocating and refuse with the estimate and the limit in the message.
public struct MemoryBudget: Sendable, CustomStringConvertible {
    public var bytes: Double
    public init(bytes: Double) { self.bytes = bytes }

    /// Physical memory of this machine in bytes (sysconf), or 8 GB when unknown.
    public static var physicalMemory: Double {
        #if os(Linux)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && size > 0 { return Double(pages) * Double(size) }
        #endif
        return 8e9
    }
    public static var machineDefault: MemoryBudget { MemoryBudget(bytes: Swift.max(1e9, physicalMemory / 3)) }

    /// Throws when `estimate` bytes exceed the budget.
    public func check(_ estimate: Double, what: String, advice: String = "") throws {
        guard estimate.isFinite, estimate <= bytes else {
            throw SizeError("\(what) would need about \(formatBytes(estimate)) (limit \(formatBytes(bytes)))\(advice.isEmpty ? "" : "; " + advice)")
        }
    }
    public var description: String { formatBytes(bytes) }
}

/// "1.2 GB", "35 MB", "812 kB".
public func formatBytes(_ x: Double) -> String {
    if !x.isFinite { return "an unbounded amount" }
    if x >= 1e9 { return String(format: "%.1f GB", x / 1e9) }
    if x >= 1e6 { return String(format: "%.0f MB", x / 1e6) }
    return String(format: "%.0f kB", x / 1e3)
}
