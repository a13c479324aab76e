#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `LinearProgram.writeMPS` writes an LP as free MPS. MPS readers disagree on two points,
/// so both are choices here, and the file's header comment always states what was written:
///
/// * **Objective sense.** Free MPS has no universally read sense: the `OBJSENSE` section is read
///   by CPLEX, Gurobi and HiGHS, ignored by Clp (it prints "Coin ignores") and rejected by
///   GLPK. `.negate` (the default) writes a maximisation as the minimisation of
///   `−(cᵀx + c₀)`, which every reader understands; the file's optimum is then minus the LP's.
/// * **Objective constant.** A right-hand side on the objective row is read as `c₀ = −RHS` by
///   CPLEX, Gurobi, HiGHS and Clp, but as `c₀ = +RHS` by GLPK. Choose the convention of the
///   reader, or `.omit` to leave the constant out (it is then only in the header comment).
public struct MPSWriteOptions: Sendable {
    public enum Names: Sendable, Equatable {
        /// The LP's names, made safe for free MPS: bytes outside printable ASCII (and blanks)
        /// become `_`, a leading `$` or `*` gets a `_` in front, at most `maxNameLength`
        /// bytes; missing names become `R<i>` / `C<j>` (1-based); a name that collides with an
        /// earlier one (after these changes) gets `~<index>` appended.
        case sanitized
        /// `R1…Rm`, `C1…Cn` and `OBJ` whatever the LP's names (short, unique, fast to read).
        case generated
    }
    public enum Maximization: Sendable, Equatable {
        /// Write `minimize −(cᵀx + c₀)` (every reader agrees; the optimum changes sign).
        case negate
        /// Write an `OBJSENSE MAX` section and the objective as is (CPLEX, Gurobi, HiGHS; GLPK
        /// rejects the file and Clp ignores the section).
        case objsenseSection
    }
    public enum Constant: Sendable, Equatable {
        /// Objective row RHS = −c₀: CPLEX, Gurobi, HiGHS, Clp (CoinMpsIO).
        case negatedRHS
        /// Objective row RHS = +c₀: GLPK's reader (`glp_read_mps`).
        case glpkRHS
        /// No RHS on the objective row; the constant appears only in the header comment.
        case omit
    }
    public enum Numbers: Sendable, Equatable {
        /// Shortest decimal that reads back to the same double (`1`, `-0.5`, `0.1`, `1e-05`).
        /// Exact for readers that round correctly (GLPK uses `strtod`); Clp's own parser is
        /// off by 1–2 ulps on about a sixth of non-integer values.
        case decimal
        /// CoinMpsIO's `FREEIEEE` encoding: each number is its 8 IEEE bytes in 12 characters.
        /// Bit-exact for Clp/CoinMpsIO (no other reader knows it).
        case coinIEEE
    }
    public var names: Names = .sanitized
    public var maximization: Maximization = .negate
    public var constant: Constant = .negatedRHS
    public var numbers: Numbers = .decimal
    /// Longest name written (bytes). CoinMpsIO reads fields of up to 160 bytes, GLPK 255.
    public var maxNameLength: Int = 100
    public enum InexactRanges: Sendable, Equatable {
        /// Write the row as `aᵀx − s = 0` with a new slack column `s ∈ [lower, upper]` (column
        /// bounds are exact); the slacks come after the LP's columns (`MPSWriteSummary.slackRows`).
        case slackColumn
        /// Throw `MPSWriteError.inexactRange`.
        case fail
    }
    /// A two-sided row `lower ≤ aᵀx ≤ upper` is written as one bound plus a RANGES value R, and a
    /// reader computes the other bound as `rhs ± |R|` in double. For about half of the pairs with
    /// opposite signs and similar magnitudes no R gives the other bound exactly; then this applies.
    public var inexactRanges: InexactRanges = .slackColumn
    public init() {}
    public init(names: Names = .sanitized, maximization: Maximization = .negate, constant: Constant = .negatedRHS,
                numbers: Numbers = .decimal) {
        self.names = names; self.maximization = maximization; self.constant = constant; self.numbers = numbers
    }
}

/// What `writeMPS` wrote, for a caller that maps a solver's answer back to the LP.
public struct MPSWriteSummary: Sendable {
    /// True when the file holds `minimize −(cᵀx + c₀)` for a maximisation.
    public var negatedObjective: Bool
    /// The constant as it is represented in the file (after negation), or nil when omitted.
    public var writtenConstant: Double?
    /// Rows and columns whose written name differs from the LP's (0 with `.generated`).
    public var renamedRows: Int
    public var renamedColumns: Int
    /// Bytes written.
    public var bytes: Int
    /// Rows written with a slack column (`MPSWriteOptions.InexactRanges.slackColumn`): file
    /// column `columnCount + k` is the slack of row `slackRows[k]`.
    public var slackRows: [Int] = []
}

/// Writing an MPS file failed.
public enum MPSWriteError: Error, CustomStringConvertible, Sendable {
    /// The file could not be created or written (`message` includes the system's reason).
    case io(path: String, message: String)
    /// No range value reproduces the row's two bounds exactly in a reader's double arithmetic.
    case inexactRange(lp: String, row: String, lower: Double, upper: Double)

    public var description: String {
        switch self {
        case let .io(path, message):
            return "cannot write MPS file '\(path)': \(message); check that the directory exists, is writable and has space."
        case let .inexactRange(lp, row, lower, upper):
            return "LP '\(lp)': \(row) has bounds [\(lower), \(upper)] that no MPS range reproduces exactly (a reader computes rhs ± |range| in double); split the row into two one-sided rows."
        }
    }
}

extension LinearProgram {
    /// Writes the LP as free MPS (`NAME <name> FREE`, or `FREEIEEE` with `.coinIEEE`).
    ///
    /// Deterministic: the same LP and options give the same bytes. Rows are written in LP order
    /// (`N` objective first; `E` when lower = upper, `G`/`L` for one-sided rows, `G`/`L` plus a
    /// `RANGES` entry for two-sided ones, `N` for free rows), columns in LP order with their
    /// entries in triplet order, two entries per line; every column appears (a column with no
    /// entries and cost 0 gets an explicit `OBJ 0`). Bounds: `FX` (lower = upper), `FR`, `MI`
    /// (+ `UP`), `LO`/`UP`; the default `[0, +∞)` writes nothing. A range `R` is chosen so that
    /// `rhs + |R|` (or `rhs − |R|`) computed in double gives the other bound exactly.
    ///
    /// Readers change some numbers themselves: GLPK reads |v| < 1e-12 as 0; CoinMpsIO (Clp)
    /// treats bounds beyond ±1e25 as infinite and drops coefficients |a| ≤ 1e-14.
    ///
    /// Throws `LPError` for an invalid LP (see `validate()`) and `MPSWriteError` when the file
    /// cannot be written (a partly written file is removed).
    @discardableResult
    public func writeMPS(to path: String, options: MPSWriteOptions = MPSWriteOptions()) throws -> MPSWriteSummary {
        try validate()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw MPSWriteError.io(path: path, message: systemError(errno)) }
        let out = MPSOutput(fd: fd)
        var summary: MPSWriteSummary
        do {
            summary = try MPSEmitter(lp: self, options: options).emit(into: out)
            try out.flush()
        } catch {
            let e: MPSWriteError = error
            removePartial(fd, path)
            if case .io(_, let m) = e, m.isEmpty { throw MPSWriteError.io(path: path, message: out.errorText) }
            throw e
        }
        if close(fd) != 0 {
            let e = errno
            if isRegularFile(path) { unlink(path) }
            throw MPSWriteError.io(path: path, message: systemError(e))
        }
        summary.bytes = out.total
        return summary
    }

    /// The free MPS text `writeMPS` would write, as bytes (for tests and small LPs).
    public func mpsBytes(options: MPSWriteOptions = MPSWriteOptions()) throws -> [UInt8] {
        try validate()
        let out = MPSOutput(fd: -1)
        _ = try MPSEmitter(lp: self, options: options).emit(into: out)
        return out.buffer
    }
}

/// Closes `fd` and removes the partly written file, but only a regular file (never a device
/// such as /dev/full or a FIFO that happened to be the target).
func removePartial(_ fd: Int32, _ path: String) {
    var st = stat()
    let regular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    close(fd)
    if regular { unlink(path) }
}

func isRegularFile(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
}

func systemError(_ code: Int32) -> String {
    guard let s = strerror(code) else { return "error \(code)" }
    return String(cString: s)
}

/// A byte buffer flushed to a file descriptor every megabyte (or kept whole when fd < 0).
final class MPSOutput {
    /// Bytes go to a fixed scratch area that is written to `fd` (or, with fd < 0, appended to
    /// `collected`) whenever an append would not fit, so single-byte appends are plain stores.
    let fd: Int32
    private let capacity = 1 << 20
    private let storage: UnsafeMutablePointer<UInt8>
    private var count = 0
    private(set) var collected: [UInt8] = []
    /// Bytes handed on so far (written or collected).
    private(set) var total = 0
    private var failed: Int32 = 0
    var errorText = ""

    init(fd: Int32) {
        self.fd = fd
        storage = .allocate(capacity: 1 << 20)
    }
    deinit { storage.deallocate() }

    /// All bytes, for fd < 0.
    var buffer: [UInt8] { spill(); return collected }

    @inline(__always) private func room(_ n: Int) { if count + n > capacity { spill() } }

    private func spill() {
        if count == 0 { return }
        if fd < 0 {
            collected.append(contentsOf: UnsafeBufferPointer(start: storage, count: count))
        } else if failed == 0 {
            var off = 0
            while off < count {
                let n = write(fd, storage + off, count - off)
                if n < 0 { if errno == EINTR { continue }; failed = errno; break }
                off += n
            }
        }
        total += count
        count = 0
    }

    @inline(__always) func byte(_ b: UInt8) { room(1); storage[count] = b; count += 1 }
    func text(_ s: String) { for b in s.utf8 { byte(b) } }
    func bytes<C: Collection>(_ b: C) where C.Element == UInt8 {
        if b.count > capacity { spill(); for x in b { byte(x) }; return }
        room(b.count)
        for x in b { storage[count] = x; count += 1 }
    }
    /// Decimal digits of a positive integer.
    @inline(__always) func positive(_ v: Int) {
        room(20)
        var x = v
        let first = count
        repeat { storage[count] = UInt8(ascii: "0") + UInt8(x % 10); count += 1; x /= 10 } while x > 0
        var a = first, b = count - 1
        while a < b { let t = storage[a]; storage[a] = storage[b]; storage[b] = t; a += 1; b -= 1 }
    }
    /// A number, without an intermediate array for the common cases (small integers, IEEE).
    func number(_ n: MPSNumber) {
        let v = n.value
        if n.ieee {
            room(12)
            let bits = v.bitPattern
            for word in stride(from: 3, through: 0, by: -1) {
                var w = Int((bits >> UInt64(16 * word)) & 0xFFFF)
                for _ in 0..<3 { storage[count] = base64Digit(w & 63); count += 1; w >>= 6 }
            }
        } else if v == v.rounded() && abs(v) < 1e15 {
            if v == 0 { byte(UInt8(ascii: "0")); return }
            if v < 0 { byte(UInt8(ascii: "-")) }
            positive(Int(abs(v)))
        } else {
            bytes(shortestDecimal(v))
        }
    }

    /// Writes out what is pending when a megabyte has accumulated (and reports a write error).
    func maybeFlush() throws(MPSWriteError) {
        if failed != 0 { try flush() }
    }
    func flush() throws(MPSWriteError) {
        spill()
        if failed != 0 { errorText = systemError(failed); throw .io(path: "", message: "") }
    }
}

/// Row or column names: generated (`prefix` + 1-based index, written on the fly) or stored
/// back to back in one byte array.
struct NameTable {
    var prefix: UInt8 = 0
    var bytes: [UInt8] = []
    var start: [Int] = [0]
    mutating func add(_ name: [UInt8]) { bytes.append(contentsOf: name); start.append(bytes.count) }
    @inline(__always) func write(_ i: Int, _ out: MPSOutput) {
        if prefix != 0 { out.byte(prefix); out.positive(i + 1) }
        else { out.bytes(bytes[start[i]..<start[i + 1]]) }
    }
}

struct MPSNumber {
    var value: Double
    var ieee: Bool
}

@inline(__always) func base64Digit(_ d: Int) -> UInt8 {
    switch d {
    case 0..<10: return UInt8(ascii: "0") + UInt8(d)
    case 10..<36: return UInt8(ascii: "a") + UInt8(d - 10)
    case 36..<62: return UInt8(ascii: "A") + UInt8(d - 36)
    default: return d == 62 ? UInt8(ascii: "*") : UInt8(ascii: "+")
    }
}

struct MPSEmitter {
    let lp: LinearProgram
    let options: MPSWriteOptions
    let negate: Bool

    init(lp: LinearProgram, options: MPSWriteOptions) {
        self.lp = lp; self.options = options
        negate = lp.sense == .maximize && options.maximization == .negate
    }

    func emit(into out: MPSOutput) throws(MPSWriteError) -> MPSWriteSummary {
        let m = lp.rowCount, n = lp.columnCount
        let ieee = options.numbers == .coinIEEE
        func num(_ v: Double) -> MPSNumber { MPSNumber(value: v, ieee: ieee) }

        // Names.
        var rowNames = NameTable(), colNames = NameTable(), objName: [UInt8]
        var renamedRows = 0, renamedColumns = 0
        var slackName: (Int) -> [UInt8] = { Array("S\($0 + 1)".utf8) }
        // An LP without any names gets the generated ones in either mode (they are unique).
        let anyNames = !lp.rowNames.isEmpty || !lp.columnNames.isEmpty
        switch options.names {
        case .generated, .sanitized where !anyNames:
            rowNames.prefix = UInt8(ascii: "R"); colNames.prefix = UInt8(ascii: "C")
            objName = Array("OBJ".utf8)
            if options.names == .sanitized { renamedRows = m; renamedColumns = n }
        case .sanitized:
            var used = Set<[UInt8]>()
            let limit = max(options.maxNameLength, 16)
            func unique(_ given: String?, fallback: String, index: Int, renamed: inout Int) -> [UInt8] {
                var name = sanitize(given ?? "", limit: limit)
                if name.isEmpty { name = Array(fallback.utf8) }
                if used.contains(name) || name == Array("'MARKER'".utf8) {
                    var k = 0
                    repeat {
                        let suffix = Array((k == 0 ? "~\(index + 1)" : "~\(index + 1)~\(k)").utf8)
                        name = Array(name.prefix(limit - suffix.count)) + suffix
                        k += 1
                    } while used.contains(name)
                }
                if given.map({ Array($0.utf8) != name }) ?? true { renamed += 1 }
                used.insert(name)
                return name
            }
            var dummy = 0
            objName = unique("OBJ", fallback: "OBJ", index: -1, renamed: &dummy)
            for i in 0..<m { rowNames.add(unique(i < lp.rowNames.count ? lp.rowNames[i] : nil, fallback: "R\(i + 1)", index: i, renamed: &renamedRows)) }
            for j in 0..<n { colNames.add(unique(j < lp.columnNames.count ? lp.columnNames[j] : nil, fallback: "C\(j + 1)", index: j, renamed: &renamedColumns)) }
            // Slack names are made unique against everything above (only the rows that need one).
            var extra = Set<[UInt8]>()
            slackName = { i in
                var name = Array("~S\(i + 1)".utf8), k = 0
                while used.contains(name) || extra.contains(name) { k += 1; name = Array("~S\(i + 1)~\(k)".utf8) }
                extra.insert(name)
                return name
            }
        }

        // Header.
        let name = sanitize(lp.name, limit: max(options.maxNameLength, 16))
        out.text("* written by liplua: \(m) rows, \(n) columns, \(lp.nonzeroCount) nonzeros\n")
        out.text("* objective: \(lp.sense.rawValue)")
        if negate { out.text(", written as minimize -(c'x + c0): the file's optimum is minus the LP's") }
        out.text("\n")
        let c0 = negate ? -lp.objectiveConstant : lp.objectiveConstant
        switch options.constant {
        case .negatedRHS: out.text("* objective constant c0 = \(c0) written as RHS of \(String(decoding: objName, as: UTF8.self)) = -c0 (CPLEX/HiGHS/Clp convention)\n")
        case .glpkRHS: out.text("* objective constant c0 = \(c0) written as RHS of \(String(decoding: objName, as: UTF8.self)) = +c0 (GLPK convention)\n")
        case .omit: out.text("* objective constant c0 = \(c0) is NOT in the file: add it to the optimum\n")
        }
        // Each row's type, RHS and range.
        var rhs = [Double](repeating: 0, count: m)
        var range = [Double?](repeating: nil, count: m)
        var rowType = [UInt8](repeating: 0, count: m)
        var slackRows: [Int] = []
        for i in 0..<m {
            let lo = lp.rowLower[i], up = lp.rowUpper[i]
            if lo == up { rowType[i] = UInt8(ascii: "E"); rhs[i] = lo }
            else if lo == -.infinity && up == .infinity { rowType[i] = UInt8(ascii: "N") }
            else if up == .infinity { rowType[i] = UInt8(ascii: "G"); rhs[i] = lo }
            else if lo == -.infinity { rowType[i] = UInt8(ascii: "L"); rhs[i] = up }
            else if let (g, r) = exactRange(lo, up) {
                rowType[i] = g ? UInt8(ascii: "G") : UInt8(ascii: "L")
                rhs[i] = g ? lo : up; range[i] = r
            } else if options.inexactRanges == .slackColumn {
                rowType[i] = UInt8(ascii: "E"); slackRows.append(i)
            } else {
                throw .inexactRange(lp: lp.name, row: lp.rowLabel(i), lower: lo, upper: up)
            }
        }
        if !slackRows.isEmpty {
            out.text("* \(slackRows.count) two-sided rows have no exact MPS range: written as a'x - s = 0 with slack columns s in [lower, upper] after the LP's \(n) columns\n")
        }
        out.text("NAME ")
        out.bytes(name.isEmpty ? Array("lp".utf8) : name)
        out.text(ieee ? " FREEIEEE\n" : " FREE\n")
        if lp.sense == .maximize && !negate { out.text("OBJSENSE\n    MAX\n") }

        out.text("ROWS\n N ")
        out.bytes(objName); out.byte(10)
        for i in 0..<m {
            out.byte(32); out.byte(rowType[i]); out.byte(32); rowNames.write(i, out); out.byte(10)
            try out.maybeFlush()
        }

        // COLUMNS: entries grouped by column (counting sort, stable in triplet order).
        var start = [Int](repeating: 0, count: n + 1)
        for k in 0..<lp.nonzeroCount { start[Int(lp.entryColumn[k]) + 1] += 1 }
        for j in 0..<n { start[j + 1] += start[j] }
        var order = [Int32](repeating: 0, count: lp.nonzeroCount)
        var next = start
        for k in 0..<lp.nonzeroCount {
            let j = Int(lp.entryColumn[k]); order[next[j]] = Int32(k); next[j] += 1
        }
        out.text("COLUMNS\n")
        for j in 0..<n {
            var onLine = 0
            let c = negate ? -lp.objective[j] : lp.objective[j]
            var hasEntry = false
            for p in start[j]..<start[j + 1] where lp.entryValue[Int(order[p])] != 0 { hasEntry = true; break }
            // A column with no nonzero at all still has to appear: write its cost even if 0.
            if c != 0 || !hasEntry {
                out.byte(32); colNames.write(j, out)
                out.byte(32); out.bytes(objName); out.byte(32); out.number(num(c))
                onLine = 1
            }
            for p in start[j]..<start[j + 1] {
                let k = Int(order[p])
                let v = lp.entryValue[k]
                if v == 0 { continue }
                if onLine == 0 { out.byte(32); colNames.write(j, out) }
                out.byte(32); rowNames.write(Int(lp.entryRow[k]), out); out.byte(32); out.number(num(v))
                onLine += 1
                if onLine == 2 { out.byte(10); onLine = 0 }
            }
            if onLine == 1 { out.byte(10) }
            try out.maybeFlush()
        }

        // Slack columns of rows whose range is not exact: aᵀx − s = 0.
        var slackNames: [[UInt8]] = []
        for i in slackRows {
            let name = slackName(i)
            slackNames.append(name)
            out.byte(32); out.bytes(name); out.byte(32); rowNames.write(i, out); out.byte(32); out.number(num(-1)); out.byte(10)
        }

        // RHS: nonzero right-hand sides, and the objective constant by convention.
        out.text("RHS\n")
        var onLine = 0
        func rhsEntry(_ row: Int?, _ v: Double) {
            if onLine == 0 { out.text(" RHS") }
            out.byte(32)
            if let row { rowNames.write(row, out) } else { out.bytes(objName) }
            out.byte(32); out.number(num(v))
            onLine += 1
            if onLine == 2 { out.byte(10); onLine = 0 }
        }
        switch options.constant {
        case .negatedRHS where c0 != 0: rhsEntry(nil, -c0)
        case .glpkRHS where c0 != 0: rhsEntry(nil, c0)
        default: break
        }
        for i in 0..<m where rhs[i] != 0 {
            rhsEntry(i, rhs[i])
            if onLine == 0 { try out.maybeFlush() }
        }
        if onLine == 1 { out.byte(10) }

        if range.contains(where: { $0 != nil }) {
            out.text("RANGES\n")
            for i in 0..<m { if let r = range[i] {
                out.text(" RNG "); rowNames.write(i, out); out.byte(32); out.number(num(r)); out.byte(10)
                try out.maybeFlush()
            } }
        }

        // BOUNDS (the default [0, +inf) writes nothing).
        var wroteHeader = false
        // A column is named by its index, a slack by its bytes.
        func bound(_ type: String, _ column: Int, _ slack: [UInt8], _ v: Double?) {
            if !wroteHeader { out.text("BOUNDS\n"); wroteHeader = true }
            out.byte(32); out.text(type); out.text(" BND ")
            if column >= 0 { colNames.write(column, out) } else { out.bytes(slack) }
            if let v { out.byte(32); out.number(num(v)) }
            out.byte(10)
        }
        func bounds(_ column: Int, _ slack: [UInt8], _ lo: Double, _ up: Double) {
            if lo == 0 && up == .infinity { return }
            if lo == up { bound("FX", column, slack, lo) }
            else if lo == -.infinity && up == .infinity { bound("FR", column, slack, nil) }
            else if lo == -.infinity { bound("MI", column, slack, nil); bound("UP", column, slack, up) }
            else {
                // LO before UP: a lone negative UP makes some readers drop the lower bound 0.
                if lo != 0 { bound("LO", column, slack, lo) }
                if up != .infinity { bound("UP", column, slack, up) }
            }
        }
        for j in 0..<n {
            bounds(j, [], lp.columnLower[j], lp.columnUpper[j])
            if j & 1023 == 0 { try out.maybeFlush() }
        }
        for (k, i) in slackRows.enumerated() { bounds(-1, slackNames[k], lp.rowLower[i], lp.rowUpper[i]) }
        out.text("ENDATA\n")
        return MPSWriteSummary(negatedObjective: negate,
                               writtenConstant: options.constant == .omit ? nil : c0,
                               renamedRows: renamedRows, renamedColumns: renamedColumns, bytes: 0,
                               slackRows: slackRows)
    }
}

/// Printable ASCII without blanks; `$`/`*` not first (comment markers); at most `limit` bytes.
func sanitize(_ s: String, limit: Int) -> [UInt8] {
    var b: [UInt8] = s.utf8.map { $0 > 32 && $0 < 127 ? $0 : UInt8(ascii: "_") }
    if let f = b.first, f == UInt8(ascii: "$") || f == UInt8(ascii: "*") { b.insert(UInt8(ascii: "_"), at: 0) }
    if b.count > limit { b.removeLast(b.count - limit) }
    return b
}

/// A row type and range value that reproduce [lo, up] exactly in a reader's double arithmetic:
/// `G` with rhs = lo needs lo + |R| == up; `L` with rhs = up needs up − |R| == lo. Tries the
/// rounded difference and its neighbours. Returns (isG, R) or nil.
func exactRange(_ lo: Double, _ up: Double) -> (Bool, Double)? {
    let d = up - lo
    guard d.isFinite, d > 0 else { return nil }
    var candidates = [d]
    var a = d, b = d
    for _ in 0..<4 { a = a.nextUp; b = b.nextDown; candidates.append(a); if b > 0 { candidates.append(b) } }
    // Prefer the form anchored at the bound of larger magnitude's opposite side (more candidates
    // work there), but try both.
    let forms: [Bool] = abs(lo) <= abs(up) ? [true, false] : [false, true]
    for g in forms {
        for r in candidates {
            if g ? lo + r == up : up - r == lo { return (g, r) }
        }
    }
    return nil
}

/// The shortest decimal that reads back (round to nearest) to `v`; integers without ".0".
func shortestDecimal(_ v: Double) -> [UInt8] {
    if v == 0 { return [UInt8(ascii: "0")] }
    func integerDigits(_ v: Double) -> [UInt8] {
        var x = Int64(v), digits: [UInt8] = []
        let neg = x < 0
        if neg { x = -x }
        while x > 0 { digits.append(UInt8(ascii: "0") + UInt8(x % 10)); x /= 10 }
        if neg { digits.append(UInt8(ascii: "-")) }
        return digits.reversed()
    }
    let integral = v == v.rounded() && abs(v) < 9e18
    if integral && abs(v) < 1e15 { return integerDigits(v) }
    var d = Array(v.description.utf8)    // Swift prints the shortest round-trip form
    if d.count > 2 && d[d.count - 2] == UInt8(ascii: ".") && d[d.count - 1] == UInt8(ascii: "0") { d.removeLast(2) }
    if integral {
        let i = integerDigits(v)
        if i.count < d.count { return i }
    }
    return d
}

/// CoinMpsIO's FREEIEEE number: the double's four 16-bit words from the most significant,
/// each as three base-64 digits, least significant digit first; digits 0-9, a-z, A-Z, *, +.
func coinIEEE(_ v: Double) -> [UInt8] {
    let out = MPSOutput(fd: -1)
    out.number(MPSNumber(value: v, ieee: true))
    return out.buffer
}
