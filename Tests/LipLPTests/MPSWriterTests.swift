import Foundation
@testable import LipLP
import Testing

/// maximize 3x + 2y − f + 1.5l + 5 over every row and bound type the writer knows.
func mpsDemo() -> LinearProgram {
    var lp = LinearProgram(sense: .maximize, name: "demo")
    let x = lp.addColumn(objective: 3, lower: 0, upper: 3, name: "x")
    let y = lp.addColumn(objective: 2, name: "y")
    let f = lp.addColumn(objective: -1, lower: -.infinity, upper: .infinity, name: "f")
    let m = lp.addColumn(objective: 0, lower: -.infinity, upper: 4, name: "m")
    let l = lp.addColumn(objective: 1.5, lower: -2, upper: .infinity, name: "l")
    let z = lp.addColumn(objective: 0, lower: 7, upper: 7, name: "z")
    _ = lp.addColumn(objective: 0, name: "e")
    lp.objectiveConstant = 5
    lp.addRow([(x, 1), (y, 1)], lower: -.infinity, upper: 4, name: "sum")
    lp.addRow([(x, 1), (y, 3), (f, 1)], lower: -.infinity, upper: 7, name: "mix")
    lp.addRow([(x, 1), (m, -1)], lower: 1, upper: 2.5, name: "rng")
    lp.addRow([(y, 1), (l, 1)], lower: 0.1, upper: 0.1, name: "eq")
    lp.addRow([(f, 1), (z, 1)], lower: -.infinity, upper: .infinity, name: "free")
    lp.addRow([(l, 1)], lower: -3, upper: .infinity, name: "ge")
    return lp
}

func text(_ lp: LinearProgram, _ o: MPSWriteOptions = MPSWriteOptions()) throws -> String {
    String(decoding: try lp.mpsBytes(options: o), as: UTF8.self)
}

/// The format description of CoinMpsIO's FREEIEEE numbers, decoded independently of the writer.
func decodeCoinIEEE(_ s: String) -> Double? {
    let c = Array(s.utf8)
    guard c.count == 12 else { return nil }
    var bits: UInt64 = 0
    for g in 0..<4 {
        var word: UInt64 = 0
        for k in (0..<3).reversed() {
            let ch = c[3 * g + k]
            let d: UInt64
            switch ch {
            case 48...57: d = UInt64(ch - 48)
            case 97...122: d = UInt64(ch - 97 + 10)
            case 65...90: d = UInt64(ch - 65 + 36)
            case 42: d = 62
            case 43: d = 63
            default: return nil
            }
            word = (word << 6) | d
        }
        bits = (bits << 16) | (word & 0xFFFF)
    }
    return Double(bitPattern: bits)
}

@Suite struct MPSWriter {
    @Test func everyRowAndBoundTypeByHand() throws {
        let expected = """
            * written by liplua: 6 rows, 7 columns, 12 nonzeros
            * objective: maximize, written as minimize -(c'x + c0): the file's optimum is minus the LP's
            * objective constant c0 = -5.0 written as RHS of OBJ = -c0 (CPLEX/HiGHS/Clp convention)
            NAME demo FREE
            ROWS
             N OBJ
             L sum
             L mix
             G rng
             E eq
             N free
             G ge
            COLUMNS
             x OBJ -3 sum 1
             x mix 1 rng 1
             y OBJ -2 sum 1
             y mix 3 eq 1
             f OBJ 1 mix 1
             f free 1
             m rng -1
             l OBJ -1.5 eq 1
             l ge 1
             z free 1
             e OBJ 0
            RHS
             RHS OBJ 5 sum 4
             RHS mix 7 rng 1
             RHS eq 0.1 ge -3
            RANGES
             RNG rng 1.5
            BOUNDS
             UP BND x 3
             FR BND f
             MI BND m
             UP BND m 4
             LO BND l -2
             FX BND z 7
            ENDATA

            """
        #expect(try text(mpsDemo()) == expected)
    }

    @Test func senseAndConstantConventions() throws {
        let lp = mpsDemo()
        // OBJSENSE keeps the objective's signs; the GLPK convention writes +c0.
        let s = try text(lp, MPSWriteOptions(maximization: .objsenseSection, constant: .glpkRHS))
        #expect(s.contains("NAME demo FREE\nOBJSENSE\n    MAX\nROWS\n"))
        #expect(s.contains(" x OBJ 3 sum 1\n") && s.contains(" RHS OBJ 5 sum 4\n"))
        // Omitted constant: only in the comment.
        let o = try text(lp, MPSWriteOptions(constant: .omit))
        #expect(o.contains("c0 = -5.0 is NOT in the file") && o.contains("RHS\n RHS sum 4 mix 7\n"))
        // A minimisation is never negated.
        var mn = lp; mn.sense = .minimize
        #expect(try text(mn).contains(" x OBJ 3 sum 1\n"))
        #expect(try text(mn).contains(" RHS OBJ -5 sum 4\n"))
        let summary = try mn.writeMPS(to: tmp("min.mps"))
        #expect(!summary.negatedObjective && summary.writtenConstant == 5)
    }

    @Test func generatedNamesAndIEEENumbers() throws {
        let lp = mpsDemo()
        let s = try text(lp, MPSWriteOptions(names: .generated, numbers: .coinIEEE))
        #expect(s.contains("NAME demo FREEIEEE\n"))
        #expect(s.contains(" N OBJ\n L R1\n L R2\n G R3\n E R4\n N R5\n G R6\n"))
        // 1.0 = 0x3FF0_0000_0000_0000: word 0x3FF0 = 16368 = 48 + 63·64 + 3·64², least significant digit first.
        #expect(s.contains(" C1 R2 M+3000000000 R3 M+3000000000\n"))
        // Every number field decodes back to the LP's value.
        let line = try #require(s.split(separator: "\n").first { $0.hasPrefix(" l OBJ") || $0.hasPrefix(" C5 OBJ") })
        let f = line.split(separator: " ")
        #expect(decodeCoinIEEE(String(f[2])) == -1.5)
        #expect(decodeCoinIEEE(String(f[4])) == 1)
    }

    @Test func coinIEEERoundTripsEveryBitPattern() {
        var g = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, .pi, 0.1, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.ulpOfOne, 1e-300]
        while values.count < 20000 {
            let v = Double(bitPattern: g.next())
            if v.isFinite { values.append(v) }
        }
        for v in values {
            let s = String(decoding: coinIEEE(v), as: UTF8.self)
            #expect(decodeCoinIEEE(s)?.bitPattern == v.bitPattern, "\(v) -> \(s)")
        }
    }

    @Test func decimalsAreShortestRoundTrip() {
        var g = SystemRandomNumberGenerator()
        for k in 0..<20000 {
            let v = k < 10000 ? Double.random(in: -1...1, using: &g) * pow(10, Double(Int.random(in: -30...30, using: &g)))
                              : Double(Int.random(in: -1_000_000...1_000_000, using: &g))
            let s = String(decoding: shortestDecimal(v), as: UTF8.self)
            #expect(Double(s) == v, "\(v) -> \(s)")
            #expect(s.count <= String(format: "%.17g", v).count)
            #expect(!s.contains(" ") && !s.contains("inf") && !s.contains("nan"))
        }
        #expect(shortestDecimal(-0.0) == Array("0".utf8))
        #expect(String(decoding: shortestDecimal(1e15), as: UTF8.self) == "1000000000000000")
        #expect(String(decoding: shortestDecimal(1e17), as: UTF8.self) == "1e+17")
        #expect(String(decoding: shortestDecimal(-42), as: UTF8.self) == "-42")
    }

    @Test func rangesReproduceBothBoundsExactly() throws {
        var g = SystemRandomNumberGenerator()
        var failures = 0, tried = 0
        for k in 0..<100_000 {
            // Half the pairs of unrelated magnitudes, half of similar magnitude and opposite sign.
            let e1 = Int.random(in: -20...20, using: &g), e2 = k % 2 == 0 ? Int.random(in: -20...20, using: &g) : e1
            let a = Double.random(in: -1...1, using: &g) * pow(10, Double(e1))
            let b = (k % 2 == 0 ? 1.0 : -1.0) * Double.random(in: -1...1, using: &g) * pow(10, Double(e2))
            let lo = min(a, b), up = max(a, b)
            guard lo < up else { continue }
            tried += 1
            guard let (isG, r) = exactRange(lo, up) else {
                failures += 1
                // Then no range close to up − lo works in either form (checked ±64 ulps).
                var c = up - lo, ok = false
                for _ in 0..<64 { c = c.nextDown; if c > 0 && (lo + c == up || up - c == lo) { ok = true } }
                c = up - lo
                for _ in 0..<64 { c = c.nextUp; if lo + c == up || up - c == lo { ok = true } }
                #expect(!ok, "[\(lo), \(up)]: a range exists but was not found")
                continue
            }
            #expect(r > 0)
            // What a reader computes (GLPK and CoinMpsIO: rhs + |R| for G, rhs − |R| for L).
            if isG { #expect(lo + r == up) } else { #expect(up - r == lo) }
        }
        // Impossible pairs exist (the writer adds a slack column for them) but are a minority.
        #expect(failures > 0 && failures < tried / 10, "\(failures) of \(tried)")
    }

    @Test func namesAreMadeSafeAndUnique() throws {
        var lp = LinearProgram(name: "has blanks and ünïcode")
        lp.addColumn(objective: 1, name: "a b")
        lp.addColumn(objective: 1, name: "a_b")            // collides with the sanitised first name
        lp.addColumn(objective: 1, name: "$dollar")
        lp.addColumn(objective: 1, name: "*star")
        lp.addColumn(objective: 1, name: String(repeating: "n", count: 300))
        lp.addColumn(objective: 1, name: "")
        lp.addRow([(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)], lower: 1, upper: .infinity, name: "OBJ")
        lp.addRow([(0, 1)], lower: -.infinity, upper: 5, name: "'MARKER'")
        let s = try text(lp)
        #expect(s.contains("NAME has_blanks_and_"))
        #expect(s.contains(" a_b OBJ 1 OBJ~1 1\n"))               // the row named OBJ was renamed
        #expect(s.contains(" a_b~2 OBJ 1 OBJ~1 1\n"))
        #expect(s.contains(" _$dollar OBJ 1") && s.contains(" _*star OBJ 1"))
        #expect(s.contains(" " + String(repeating: "n", count: 100) + " OBJ 1"))
        #expect(s.contains(" C6 OBJ 1"))
        #expect(s.contains(" L 'MARKER'~2\n"))
        // Deterministic bytes.
        #expect(try lp.mpsBytes() == lp.mpsBytes())
        // Every data line has no tab or non-ASCII byte.
        #expect(try lp.mpsBytes().allSatisfy { $0 == 10 || ($0 >= 32 && $0 < 127) })
    }

    @Test func invalidLPAndUnwritablePath() throws {
        var bad = mpsDemo(); bad.rowLower[0] = .nan
        #expect(throws: LPError.self) { try bad.writeMPS(to: tmp("bad.mps")) }
        let path = "/nonexistent-dir-liplua/x.mps"
        do {
            try mpsDemo().writeMPS(to: path)
            Issue.record("expected an error")
        } catch let e as MPSWriteError {
            #expect(e.description.contains(path) && e.description.contains("No such file"))
        }
    }

    @Test func fileEqualsBytesAndLargeLPsFlushInChunks() throws {
        var lp = LinearProgram(name: "big")
        for j in 0..<30_000 { lp.addColumn(objective: Double(j % 7) - 3, lower: 0, upper: 1 + Double(j % 3)) }
        for i in 0..<10_000 {
            lp.addRow([(i, 1), (i + 10_000, -0.25), (i + 20_000, 1e-3 * Double(i))], lower: -Double(i), upper: Double(i) + 0.5)
        }
        let path = tmp("big.mps")
        let summary = try lp.writeMPS(to: path)
        let onDisk = try #require(FileManager.default.contents(atPath: path))
        #expect(Array(onDisk) == (try lp.mpsBytes()))
        #expect(summary.bytes == onDisk.count && onDisk.count > 1 << 20)
    }
}

/// `$TMPDIR/liplua-mps-<pid>/name`; the directories of earlier runs whose process is gone are removed.
let mpsTestRoot: String = {
    let fm = FileManager.default
    let tmp = fm.temporaryDirectory.path
    for name in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("liplua-mps-") {
        if let pid = Int32(name.dropFirst("liplua-mps-".count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
            try? fm.removeItem(atPath: tmp + "/" + name)
        }
    }
    let root = tmp + "/liplua-mps-\(getpid())"
    try? fm.createDirectory(atPath: root, withIntermediateDirectories: true)
    return root
}()

func tmp(_ name: String) -> String { mpsTestRoot + "/" + name }

func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Writing speed (not a timed test): LIPLUA_MPS_BENCH=1 swift test -c release --filter MPSWriterSpeed
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LIPLUA_MPS_BENCH"] != nil))
struct MPSWriterSpeed {
    @Test func krivineShapedLP() throws {
        // 25,000 equality rows, 180,000 columns of ±1 entries (3–4 each), a free λ: the shape
        // of the (80,80,1) s=20 LiPopt-3 LP.
        var g = SystemRandomNumberGenerator()
        let m = 25_000, n = 180_000
        var lp = LinearProgram(columns: n, name: "shape")
        lp.objective[0] = 1; lp.columnLower[0] = -.infinity
        for j in 0..<n {
            for t in 0..<(3 + j % 2) {
                lp.entryRow.append(Int32((j * 7 + t * 4099) % m)); lp.entryColumn.append(Int32(j)); lp.entryValue.append(t % 2 == 0 ? 1 : -1)
            }
        }
        lp.rowLower = (0..<m).map { _ in Double.random(in: -1...1, using: &g) }
        lp.rowUpper = lp.rowLower
        print("LP \(lp.rowCount) x \(lp.columnCount), \(lp.nonzeroCount) nonzeros")
        for (label, o) in [("decimal, sanitized", MPSWriteOptions()),
                           ("IEEE, generated", MPSWriteOptions(names: .generated, constant: .omit, numbers: .coinIEEE)),
                           ("decimal, generated", MPSWriteOptions(names: .generated))] {
            let t0 = Date(), c0 = threadCPU()
            let s = try lp.writeMPS(to: tmp("speed.mps"), options: o)
            print(String(format: "%@: %.3f s (CPU %.3f s), %.1f MB", label, Date().timeIntervalSince(t0), threadCPU() - c0, Double(s.bytes) / 1e6))
        }
        let t1 = Date(), c1 = threadCPU()
        try lp.validate()
        print(String(format: "validate: %.3f s (CPU %.3f s)", Date().timeIntervalSince(t1), threadCPU() - c1))
    }
}
