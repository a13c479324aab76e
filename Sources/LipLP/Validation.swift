/// Why a `LinearProgram` cannot be handed to a solver. Each case's `description` says what is
/// wrong, where (row / column names via `rowName` / `columnName`, 0-based indices), and what to do.
public enum LPError: Error, CustomStringConvertible, Sendable {
    /// An array has the wrong length, e.g. `columnLower.count != objective.count`.
    case lengthMismatch(lp: String, array: String, count: Int, expected: Int, reference: String)
    /// More rows, columns or nonzeros than a solver's 32-bit indices can address.
    case tooLarge(lp: String, what: String, count: Int)
    /// Triplet `entry` refers to a row or column that does not exist.
    case indexOutOfRange(lp: String, entry: Int, row: Int, column: Int, rowCount: Int, columnCount: Int)
    /// A matrix coefficient is NaN or ±∞.
    case nonFiniteCoefficient(lp: String, entry: Int, row: String, column: String, value: Double)
    /// An objective coefficient (or the constant, `column == nil`) is NaN or ±∞.
    case nonFiniteObjective(lp: String, column: String?, value: Double)
    /// A bound is NaN (`what` is e.g. "lower bound of row 'cap' (index 3)").
    case nanBound(lp: String, what: String)
    /// `lower > upper`, `lower = +∞` or `upper = -∞`: the interval is empty.
    case invalidBounds(lp: String, what: String, lower: Double, upper: Double)
    /// The same (row, column) pair occurs twice in the triplets.
    case duplicateEntry(lp: String, row: String, column: String, first: Int, second: Int)
    /// An integer column (`isInteger`) has a finite bound that is not an integer.
    case nonIntegralBound(lp: String, column: String, lower: Double, upper: Double)

    public var description: String {
        switch self {
        case let .lengthMismatch(lp, array, count, expected, reference):
            return "LP '\(lp)': \(array) has \(count) elements but \(reference) has \(expected); build rows and columns with addRow/addColumn, or keep the parallel arrays the same length."
        case let .tooLarge(lp, what, count):
            return "LP '\(lp)': \(count) \(what) exceed the solver limit of \(Int32.max - 1); reduce the hierarchy degree or use sparsity to shrink the LP."
        case let .indexOutOfRange(lp, entry, row, column, rowCount, columnCount):
            return "LP '\(lp)': matrix entry \(entry) refers to (row \(row), column \(column)) but the LP has \(rowCount) rows and \(columnCount) columns (0-based indices); add the row/column first or fix the index."
        case let .nonFiniteCoefficient(lp, entry, row, column, value):
            return "LP '\(lp)': coefficient of \(column) in \(row) is \(value) (matrix entry \(entry)); every coefficient must be finite — check the computation that produced it (division by zero, overflow, a NaN weight)."
        case let .nonFiniteObjective(lp, column, value):
            if let column {
                return "LP '\(lp)': objective coefficient of \(column) is \(value); objective coefficients must be finite."
            }
            return "LP '\(lp)': objective constant is \(value); it must be finite."
        case let .nanBound(lp, what):
            return "LP '\(lp)': \(what) is NaN; use -.infinity / .infinity for a missing bound, not NaN."
        case let .invalidBounds(lp, what, lower, upper):
            return "LP '\(lp)': \(what) has lower bound \(lower) > upper bound \(upper) (empty interval); swap them or fix the data (lower = +inf or upper = -inf is never allowed)."
        case let .duplicateEntry(lp, row, column, first, second):
            return "LP '\(lp)': \(row) has two coefficients for \(column) (matrix entries \(first) and \(second)); add them together into one entry."
        case let .nonIntegralBound(lp, column, lower, upper):
            return "LP '\(lp)': integer \(column) has bounds [\(lower), \(upper)], which are not integers; round them inward (ceil the lower, floor the upper bound) or make the column continuous."
        }
    }
}

extension LinearProgram {
    /// A reference for messages: "row 'cap2' (index 3)" or "row index 3".
    public func rowLabel(_ i: Int) -> String {
        i < rowNames.count ? "row '\(rowNames[i])' (index \(i))" : "row index \(i)"
    }
    /// A reference for messages: "column 'x2' (index 1)" or "column index 1".
    public func columnLabel(_ j: Int) -> String {
        j < columnNames.count ? "column '\(columnNames[j])' (index \(j))" : "column index \(j)"
    }

    /// Checks that the LP is well formed, in O(rows + columns + nonzeros) time:
    /// parallel arrays agree in length; sizes fit 32-bit indices; every triplet's row and column
    /// exist; all coefficients and the objective are finite; no bound is NaN; every interval
    /// `[lower, upper]` is non-empty (lower ≤ upper, lower ≠ +∞, upper ≠ -∞); and no (row, column)
    /// pair occurs twice. The first problem found is thrown.
    public func validate() throws(LPError) {
        let n = objective.count, m = rowLower.count, nnz = entryValue.count
        func len(_ a: String, _ c: Int, _ e: Int, _ r: String) throws(LPError) {
            if c != e { throw .lengthMismatch(lp: name, array: a, count: c, expected: e, reference: r) }
        }
        try len("columnLower", columnLower.count, n, "objective")
        try len("columnUpper", columnUpper.count, n, "objective")
        try len("rowUpper", rowUpper.count, m, "rowLower")
        try len("entryRow", entryRow.count, nnz, "entryValue")
        try len("entryColumn", entryColumn.count, nnz, "entryValue")
        if rowNames.count > m { try len("rowNames", rowNames.count, m, "rowLower") }
        if columnNames.count > n { try len("columnNames", columnNames.count, n, "objective") }
        if !isInteger.isEmpty { try len("isInteger", isInteger.count, n, "objective") }
        let limit = Int(Int32.max) - 1
        if n > limit { throw .tooLarge(lp: name, what: "columns", count: n) }
        if m > limit { throw .tooLarge(lp: name, what: "rows", count: m) }
        if nnz > limit { throw .tooLarge(lp: name, what: "nonzeros", count: nnz) }

        if !objectiveConstant.isFinite { throw .nonFiniteObjective(lp: name, column: nil, value: objectiveConstant) }
        for j in 0..<n where !objective[j].isFinite {
            throw .nonFiniteObjective(lp: name, column: columnLabel(j), value: objective[j])
        }
        func checkBounds(_ lo: Double, _ up: Double, _ what: () -> String) throws(LPError) {
            if lo.isNaN { throw .nanBound(lp: name, what: "lower bound of " + what()) }
            if up.isNaN { throw .nanBound(lp: name, what: "upper bound of " + what()) }
            if lo > up || lo == .infinity || up == -.infinity {
                throw .invalidBounds(lp: name, what: what(), lower: lo, upper: up)
            }
        }
        for j in 0..<n { try checkBounds(columnLower[j], columnUpper[j]) { columnLabel(j) } }
        for j in 0..<n where !isInteger.isEmpty && isInteger[j] {
            let lo = columnLower[j], up = columnUpper[j]
            if (lo.isFinite && lo != lo.rounded()) || (up.isFinite && up != up.rounded()) {
                throw .nonIntegralBound(lp: name, column: columnLabel(j), lower: lo, upper: up)
            }
        }
        for i in 0..<m { try checkBounds(rowLower[i], rowUpper[i]) { rowLabel(i) } }

        // Indices and values; count entries per row for the duplicate scan.
        var rowStart = [Int32](repeating: 0, count: m + 1)
        for k in 0..<nnz {
            let i = Int(entryRow[k]), j = Int(entryColumn[k])
            if i < 0 || i >= m || j < 0 || j >= n {
                throw .indexOutOfRange(lp: name, entry: k, row: i, column: j, rowCount: m, columnCount: n)
            }
            if !entryValue[k].isFinite {
                throw .nonFiniteCoefficient(lp: name, entry: k, row: rowLabel(i), column: columnLabel(j), value: entryValue[k])
            }
            rowStart[i + 1] &+= 1
        }
        // Duplicates: bucket entries by row (counting sort), then mark columns seen in the row.
        for i in 0..<m { rowStart[i + 1] &+= rowStart[i] }
        var next = rowStart
        var order = [Int32](repeating: 0, count: nnz)
        for k in 0..<nnz {
            let i = Int(entryRow[k]); order[Int(next[i])] = Int32(k); next[i] &+= 1
        }
        var seenInRow = [Int32](repeating: -1, count: n)
        var seenEntry = [Int32](repeating: -1, count: n)
        for i in 0..<m {
            for p in Int(rowStart[i])..<Int(rowStart[i + 1]) {
                let k = Int(order[p]), j = Int(entryColumn[k])
                if seenInRow[j] == Int32(i) {
                    throw .duplicateEntry(lp: name, row: rowLabel(i), column: columnLabel(j),
                                          first: Int(seenEntry[j]), second: k)
                }
                seenInRow[j] = Int32(i); seenEntry[j] = Int32(k)
            }
        }
    }

    /// A cheap estimate (bytes) of the memory this value holds: 8 bytes per column for each of
    /// objective/lower/upper, 16 per row for the bounds, 16 per nonzero (two Int32 indices and a
    /// Double), plus names. A solver typically needs 3–6× this again for its own copy and
    /// factorisation workspace.
    public var memoryEstimate: Int {
        var bytes = 24 * columnCount + 16 * rowCount + 16 * nonzeroCount + 64
        for s in rowNames { bytes += 16 + s.utf8.count }
        for s in columnNames { bytes += 16 + s.utf8.count }
        return bytes
    }
}
