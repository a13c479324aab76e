import CGLPK
import CGLPKShims
import Glibc
import LipControl
import LipLP

extension GLPKSolver {
    /// File formats GLPK writes: free MPS (`glp_write_mps` with `GLP_MPS_FILE`) and CPLEX LP
    /// (`glp_write_lp`).
    public enum FileFormat: String, Sendable, CaseIterable {
        case mps
        case cplexLP = "lp"
    }

    /// Writing or reading a file failed; `description` says which file and why.
    public struct FileError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { message }
    }

    /// Writes `lp` to `path` for inspection or for other solvers (`glpsol --freemps`, `clp`,
    /// `highs`). Names are sanitised (blanks → `_`, at most 255 bytes). Limits of the formats
    /// as GLPK writes them: free MPS carries no objective sense (a maximisation is noted only
    /// in a comment, so readers assume minimisation; pass `--max` to glpsol), but keeps the
    /// objective constant (as the objective row's RHS). CPLEX LP keeps the sense but writes the
    /// objective constant only as a comment, and writes each ranged row `l ≤ aᵀx ≤ u` as an
    /// equality with an extra slack column `~r_i`. Throws `LPError` for an invalid LP and
    /// `FileError` when GLPK cannot write the file.
    public func write(_ lp: LinearProgram, to path: String, format: FileFormat) throws {
        try lp.validate()
        try Self.checkPath(path, writing: true)
        let session = Session(options: LPOptions(), solving: false)
        defer { session.finish() }
        let model: Model
        do { model = try Model(lp: lp, dropEmpty: false, names: true) } catch {
            throw FileError(path: path, message: "out of memory: could not allocate \(formatBytes(Double(error.bytes))) to copy LP '\(lp.name)' for writing '\(path)'.")
        }
        guard let job = model.build(session: session) else {
            throw FileError(path: path, message: "GLPK fatal error while loading LP '\(lp.name)' for writing '\(path)': \(session.fatalText)")
        }
        defer { job.release(session: session) }
        job.ptr.pointee.path = strdupPath(path)
        let r = job.run(format == .mps ? .writeMPS : .writeLP)
        if r != 0 {
            job.dead = true
            throw FileError(path: path, message: "GLPK fatal error while writing '\(path)': \(session.fatalText)")
        }
        if job.ptr.pointee.ret != 0 {
            let said = session.term.recentLines.suffix(3).joined(separator: " / ")
            throw FileError(path: path, message: "GLPK could not write '\(path)' as \(format == .mps ? "free MPS" : "CPLEX LP"): \(said.isEmpty ? "no message" : said). Check that the directory exists and is writable.")
        }
    }

    /// Reads a free MPS or CPLEX LP file into a `LinearProgram` (names, bounds, objective
    /// constant, sense when the format records it). Throws `FileError` when GLPK cannot read it.
    public static func read(from path: String, format: FileFormat) throws -> LinearProgram {
        try checkPath(path, writing: false)
        let session = Session(options: LPOptions(), solving: false)
        defer { session.finish() }
        let box = ReadBox(path: path, format: format)
        defer { box.free() }
        let r = liplua_glpk_guarded(readBody, box.ptr)
        if r != 0 {
            throw FileError(path: path, message: "GLPK fatal error while reading '\(path)': \(session.fatalText)")
        }
        guard let p = box.ptr.pointee.prob else {
            throw FileError(path: path, message: "GLPK could not create a problem for '\(path)'.")
        }
        let generation = liplua_glpk_generation()
        defer { if generation == liplua_glpk_generation() { glp_delete_prob(p) } }
        if box.ptr.pointee.ret != 0 {
            let said = session.term.recentLines.suffix(3).joined(separator: " / ")
            throw FileError(path: path, message: "GLPK could not read '\(path)' as \(format == .mps ? "free MPS" : "CPLEX LP"): \(said.isEmpty ? "no message" : said). Check the path and the format.")
        }
        // Plain getters with valid indices cannot fail, so they run outside the guard.
        let m = Int(glp_get_num_rows(p)), n = Int(glp_get_num_cols(p))
        var lp = LinearProgram(sense: glp_get_obj_dir(p) == GLP_MAX ? .maximize : .minimize, columns: 0,
                               name: glp_get_prob_name(p).map { String(cString: $0) } ?? "lp")
        lp.objectiveConstant = glp_get_obj_coef(p, 0)
        func bounds(_ type: Int32, _ lb: Double, _ ub: Double) -> (Double, Double) {
            switch type {
            case GLP_FR: return (-.infinity, .infinity)
            case GLP_LO: return (lb, .infinity)
            case GLP_UP: return (-.infinity, ub)
            case GLP_FX: return (lb, lb)
            default: return (lb, ub)
            }
        }
        for j in 1...max(n, 1) where n > 0 {
            let (lo, up) = bounds(glp_get_col_type(p, Int32(j)), glp_get_col_lb(p, Int32(j)), glp_get_col_ub(p, Int32(j)))
            lp.addColumn(objective: glp_get_obj_coef(p, Int32(j)), lower: lo, upper: up,
                         name: glp_get_col_name(p, Int32(j)).map { String(cString: $0) } ?? "C\(j)")
        }
        var ind = [Int32](repeating: 0, count: n + 1), val = [Double](repeating: 0, count: n + 1)
        for i in 1...max(m, 1) where m > 0 {
            let (lo, up) = bounds(glp_get_row_type(p, Int32(i)), glp_get_row_lb(p, Int32(i)), glp_get_row_ub(p, Int32(i)))
            let len = Int(glp_get_mat_row(p, Int32(i), &ind, &val))
            lp.addRow((0..<len).map { (column: Int(ind[$0 + 1]) - 1, value: val[$0 + 1]) }, lower: lo, upper: up,
                      name: glp_get_row_name(p, Int32(i)).map { String(cString: $0) } ?? "R\(i)")
        }
        return lp
    }
}

extension GLPKSolver {
    /// The longest path handed to GLPK, in bytes. GLPK formats every message into a 4,096-byte
    /// buffer and aborts the process (C assert) when a message is longer; its file messages
    /// hold the path plus a name of up to 255 bytes and a system error text.
    public static let maxPathBytes = 2048

    /// Checks a path before GLPK sees it: not empty, no NUL byte, at most `maxPathBytes`
    /// bytes; for writing, the directory exists and is writable and the path is not a
    /// directory; for reading, the file exists, is readable and is not a directory. Throws
    /// `FileError` naming the problem.
    public static func checkPath(_ path: String, writing: Bool) throws {
        func fail(_ why: String) -> FileError {
            let shown = path.utf8.count > 200 ? String(path.prefix(120)) + "…(\(path.utf8.count) bytes)" : path
            return FileError(path: path, message: "cannot \(writing ? "write" : "read") '\(shown)': \(why)")
        }
        if path.isEmpty { throw fail("the path is empty") }
        if path.utf8.contains(0) { throw fail("the path contains a NUL byte") }
        if path.utf8.count > maxPathBytes {
            throw fail("the path is \(path.utf8.count) bytes long; GLPK accepts at most \(maxPathBytes) (longer paths overflow its message buffer). Use a shorter path (e.g. a relative one, or a symbolic link to the directory).")
        }
        if let long = path.split(separator: "/").first(where: { $0.utf8.count > 255 }) {
            throw fail("a path component is \(long.utf8.count) bytes long; file systems allow at most 255 (NAME_MAX)")
        }
        var st = stat()
        let exists = stat(path, &st) == 0
        let isDirectory = exists && (st.st_mode & S_IFMT) == S_IFDIR
        if writing {
            if isDirectory { throw fail("it is a directory; give a file name") }
            if exists {
                if access(path, W_OK) != 0 { throw fail("the file exists and is not writable (\(String(cString: strerror(errno))))") }
                return
            }
            let dir: String
            if let slash = path.lastIndex(of: "/") {
                let d = String(path[..<slash])
                dir = d.isEmpty ? "/" : d
            } else {
                dir = "."
            }
            var ds = stat()
            guard stat(dir, &ds) == 0 else {
                throw fail("the directory '\(dir.utf8.count > 200 ? String(dir.prefix(120)) + "…" : dir)' does not exist (\(String(cString: strerror(errno)))); create it or choose a writable directory")
            }
            guard (ds.st_mode & S_IFMT) == S_IFDIR else { throw fail("'\(dir)' is not a directory") }
            guard access(dir, W_OK | X_OK) == 0 else {
                throw fail("the directory is not writable (\(String(cString: strerror(errno))))")
            }
        } else {
            guard exists else { throw fail("no such file (\(String(cString: strerror(errno))))") }
            if isDirectory { throw fail("it is a directory, not an LP file") }
            guard access(path, R_OK) == 0 else { throw fail("the file is not readable (\(String(cString: strerror(errno))))") }
        }
    }
}

func strdupPath(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8) + [0]
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    for (k, b) in bytes.enumerated() { p[k] = CChar(bitPattern: b) }
    return p
}

struct ReadData {
    var prob: OpaquePointer? = nil
    var path: UnsafeMutablePointer<CChar>
    var format: Int32
    var ret: Int32 = 0
}

final class ReadBox {
    let ptr: UnsafeMutablePointer<ReadData>
    init(path: String, format: GLPKSolver.FileFormat) {
        ptr = .allocate(capacity: 1)
        ptr.initialize(to: ReadData(path: strdupPath(path), format: format == .mps ? 1 : 2))
    }
    func free() { ptr.pointee.path.deallocate(); ptr.deallocate() }
}

let readBody: liplua_glpk_body = { raw in
    let R = raw!.assumingMemoryBound(to: ReadData.self)
    let p = glp_create_prob()
    R.pointee.prob = p
    R.pointee.ret = R.pointee.format == 1 ? glp_read_mps(p, GLP_MPS_FILE, nil, R.pointee.path)
                                          : glp_read_lp(p, nil, R.pointee.path)
    return 0
}
