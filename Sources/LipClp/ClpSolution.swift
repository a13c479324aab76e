import Foundation

/// Clp's two solution files, read and checked.
///
/// * The text file written by `-solution FILE` starts with a status line
///   ("Optimal - objective value …", "Infeasible - …", "Unbounded - …",
///   "Stopped on iterations or time - …", "Stopped on difficulties - …",
///   "Stopped on ctrl-c - …", "Status unknown - …"); its numbers are printed with 8 significant
///   digits (`%15.8g`), too few for the certificate, so only the status is read from it.
/// * The binary file written by `-saveSolution FILE` holds the exact doubles, in the machine's
///   byte order: Int32 rows m, Int32 columns n, Float64 objective, then row activities (m),
///   row duals (m), column values (n), reduced costs (n). Its length must be exactly
///   16 + 16(m + n) bytes and m, n must be the LP's.
struct ClpSolutionFiles {
    enum Status: Equatable {
        case optimal, infeasible, unbounded, stoppedIterationsOrTime, stoppedDifficulties, stoppedCtrlC, unknown
    }
    struct Values {
        var objective: Double
        var rowActivity: [Double]
        var rowDuals: [Double]
        var primal: [Double]
        var reducedCosts: [Double]
        var allFinite: Bool {
            objective.isFinite && rowActivity.allSatisfy(\.isFinite) && rowDuals.allSatisfy(\.isFinite)
                && primal.allSatisfy(\.isFinite) && reducedCosts.allSatisfy(\.isFinite)
        }
    }
    struct Malformed: Error { var message: String }

    /// The status from the first line of the text solution file.
    static func status(textFile path: String) throws(Malformed) -> (Status, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Malformed(message: "clp wrote no solution file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        guard !head.isEmpty else { throw Malformed(message: "clp's solution file is empty") }
        let text = String(decoding: head, as: UTF8.self)
        let line = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: .whitespaces)
        let table: [(String, Status)] = [
            ("Optimal", .optimal), ("Infeasible", .infeasible), ("Unbounded", .unbounded),
            ("Stopped on iterations or time", .stoppedIterationsOrTime),
            ("Stopped on difficulties", .stoppedDifficulties), ("Stopped on ctrl-c", .stoppedCtrlC),
            ("Status unknown", .unknown),
        ]
        for (prefix, s) in table where line.hasPrefix(prefix + " - objective value") { return (s, line) }
        throw Malformed(message: "clp's solution file starts with an unknown status line '\(line.prefix(80))'")
    }

    /// The exact values from the binary file, checked against the LP's sizes.
    static func values(binaryFile path: String, rows m: Int, columns n: Int) throws(Malformed) -> Values {
        let expected = 16 + 16 * (m + n)
        // Check the length before reading, so a runaway file is never loaded.
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            throw Malformed(message: "clp wrote no binary solution file")
        }
        guard size == expected else {
            throw Malformed(message: "clp's binary solution file has \(size) bytes, expected \(expected) for \(m) rows and \(n) columns (\(size < expected ? "truncated" : "trailing data"))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Malformed(message: "clp's binary solution file could not be read")
        }
        guard data.count == expected else {
            throw Malformed(message: "clp's binary solution file changed while it was read (\(data.count) bytes, expected \(expected))")
        }
        let read: Result<Values, Malformed> = data.withUnsafeBytes { raw in
            let fm = Int(raw.loadUnaligned(fromByteOffset: 0, as: Int32.self))
            let fn = Int(raw.loadUnaligned(fromByteOffset: 4, as: Int32.self))
            guard fm == m, fn == n else {
                return .failure(Malformed(message: "clp's binary solution file is for \(fm) rows and \(fn) columns, but the LP has \(m) rows and \(n) columns"))
            }
            func doubles(_ offset: Int, _ count: Int) -> [Double] {
                (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + 8 * $0, as: Double.self) }
            }
            let objective = raw.loadUnaligned(fromByteOffset: 8, as: Double.self)
            var off = 16
            let act = doubles(off, m); off += 8 * m
            let y = doubles(off, m); off += 8 * m
            let x = doubles(off, n); off += 8 * n
            let d = doubles(off, n)
            return .success(Values(objective: objective, rowActivity: act, rowDuals: y, primal: x, reducedCosts: d))
        }
        return try read.get()
    }
}

/// What Clp's log says, parsed line by line.
struct ClpLog {
    var version: String?
    var iterations: Int?
    var lastLines: [String] = []

    /// A progress point from a simplex line ("470  Obj -84.628107 …") or a barrier line
    /// ("12 Primal -84.628107 Dual -84.628108 Complementarity …").
    static func progress(_ line: Substring) -> (iteration: Int, objective: Double)? {
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 3, let it = Int(f[0]) else { return nil }
        if f[1] == "Obj" || f[1] == "Primal", let v = Double(f[2]) { return (it, v) }
        return nil
    }

    mutating func take(_ line: Substring) {
        if version == nil, let r = line.range(of: "Coin LP version ") {
            version = line[r.upperBound...].split(separator: ",").first.map(String.init)
        }
        // "Optimal objective -84.62810673 - 470 iterations time 0.022, Presolve 0.00"
        if let r = line.range(of: " iterations time ") {
            let before = line[..<r.lowerBound].split(separator: " ")
            if let n = before.last.flatMap({ Int($0) }) { iterations = n }
        }
        lastLines.append(String(line.prefix(300)))
        if lastLines.count > 12 { lastLines.removeFirst() }
    }

    func tail(_ k: Int = 6) -> String {
        lastLines.suffix(k).filter { !$0.hasPrefix("At line ") }.joined(separator: " / ")
    }
}
