import Foundation
import LipControl

/// Limits every reader applies before it allocates what a file declares.
///
/// - `budget`: the largest allocation any one file may cause (decoded tensors, inflated zip
///   members, unrolled convolutions, the network built from the file: parameters × 8 bytes).
/// - `maxInflateRatio` / `ratioFreeBytes`: a compressed member (npz deflate, gzip) may expand at
///   most `maxInflateRatio` times its compressed size, unless it inflates to at most
///   `ratioFreeBytes` (small, very sparse arrays compress well). A zip bomb (a 1 MB member that
///   claims 1 GB of zeros, ratio ~1000) is refused before anything is inflated.
/// - `maxJSONDepth`: nesting depth of JSON documents (headers, network files).
public struct ReadLimits: Sendable {
    public var budget: MemoryBudget
    public var maxInflateRatio: Double
    public var ratioFreeBytes: Int
    public var maxJSONDepth: Int

    public init(budget: MemoryBudget = .machineDefault, maxInflateRatio: Double = 100,
                ratioFreeBytes: Int = 16 << 20, maxJSONDepth: Int = 64) {
        self.budget = budget; self.maxInflateRatio = maxInflateRatio
        self.ratioFreeBytes = ratioFreeBytes; self.maxJSONDepth = maxJSONDepth
    }
    public static var standard: ReadLimits { ReadLimits() }

    /// Checks `bytes` against the budget; the message names `what`.
    func claim(_ bytes: Int, _ what: String, source: String) throws { try claim(Double(bytes), what, source: source) }
    /// `claim` for an estimate computed in floating point (no overflow for absurd sizes).
    func claim(_ bytes: Double, _ what: String, source: String) throws {
        do { try budget.check(bytes, what: what, advice: "raise the memory budget (max_memory) if the file is genuine") }
        catch let e as SizeError { throw NetworkFileError.size("\(source): \(e.message)") }
    }

    /// Checks a compressed member before inflating it.
    func checkInflate(compressed: Int, declared: Int, what: String, source: String) throws {
        try claim(declared, "\(what) (inflated)", source: source)
        if declared > ratioFreeBytes && Double(declared) > maxInflateRatio * Double(Swift.max(compressed, 1)) {
            throw NetworkFileError.size("\(source): \(what) claims \(declared) bytes from \(compressed) compressed bytes (ratio \(Int(Double(declared) / Double(Swift.max(compressed, 1)))):1, limit \(Int(maxInflateRatio)):1 above \(formatBytes(Double(ratioFreeBytes)))); refusing a likely decompression bomb")
        }
    }
}

/// Bounds-checked little/big-endian reads over a file's bytes. Every offset and length a file
/// declares goes through `range(_:_:_:)`, which checks overflow and the file's length before
/// any slice is taken. Reads past the end throw `malformed` naming `source`.
struct ByteReader {
    let bytes: [UInt8]
    let source: String
    var count: Int { bytes.count }

    init(_ bytes: [UInt8], source: String) { self.bytes = bytes; self.source = source }

    func fail(_ m: String) -> NetworkFileError { .malformed("\(source): \(m)") }

    /// The byte range [offset, offset + length) after checking both are nonnegative, do not
    /// overflow and lie inside the file.
    func range(_ offset: Int, _ length: Int, _ what: String) throws -> Range<Int> {
        guard offset >= 0, length >= 0 else { throw fail("\(what): negative offset or length (\(offset), \(length))") }
        let (end, o) = offset.addingReportingOverflow(length)
        guard !o, end <= bytes.count else {
            throw fail("\(what): bytes \(offset)..<\(o ? "overflow" : String(end)) lie outside the file (\(bytes.count) bytes); the file is truncated or corrupt")
        }
        return offset..<end
    }

    func uint<T: FixedWidthInteger & UnsignedInteger>(_ at: Int, _ type: T.Type, _ what: String, bigEndian: Bool = false) throws -> T {
        let r = try range(at, MemoryLayout<T>.size, what)
        var v: T = 0
        if bigEndian { for k in r { v = v << 8 | T(bytes[k]) } }
        else { for (s, k) in r.enumerated() { v |= T(bytes[k]) << (8 * s) } }
        return v
    }
    func u16(_ at: Int, _ what: String) throws -> Int { Int(try uint(at, UInt16.self, what)) }
    func u32(_ at: Int, _ what: String) throws -> Int { Int(try uint(at, UInt32.self, what)) }
    /// A 64-bit size or offset; values ≥ 2⁶³ (which do not fit Int) are malformed.
    func u64(_ at: Int, _ what: String) throws -> Int {
        let v = try uint(at, UInt64.self, what)
        guard let i = Int(exactly: v) else { throw NetworkFileError.size("\(source): \(what) is \(v), beyond any real file size") }
        return i
    }
    func slice(_ r: Range<Int>) -> ArraySlice<UInt8> { bytes[r] }
}

/// Bytes per element of a float kind ("F64", "F32", "F16", "BF16").
func floatWidth(_ kind: String) -> Int? {
    switch kind { case "F64": return 8; case "F32": return 4; case "F16", "BF16": return 2; default: return nil }
}

/// Element count of `shape` and its byte size for `width`-byte elements, overflow-checked.
func checkedCount(_ shape: [Int], width: Int, what: String, source: String) throws -> (count: Int, bytes: Int) {
    try sized(source) {
        let c = try CheckedSize.product(shape, what: what)
        return (c, try CheckedSize.product([c, width], what: what))
    }
}

func halfToDouble(_ h: UInt16) -> Double {
    let sign = (h >> 15) & 1, exp = Int((h >> 10) & 0x1F), frac = Double(h & 0x3FF)
    let s: Double = sign == 1 ? -1 : 1
    if exp == 0 { return s * frac * 0x1p-24 }
    if exp == 31 { return frac == 0 ? s * .infinity : .nan }
    return s * (1 + frac / 1024) * Double(sign: .plus, exponent: exp - 15, significand: 1)
}

/// Decodes `count` floats of `kind` ("F64", "F32", "F16", "BF16") starting at `start`. The
/// caller has checked that `start + count·width` lies inside `b` (via `ByteReader.range`).
func decodeFloats<C: RandomAccessCollection>(_ b: C, from start: Int, count: Int, kind: String, bigEndian: Bool = false) -> [Double]
where C.Element == UInt8, C.Index == Int {
    var out = [Double](repeating: 0, count: count)
    guard let w = floatWidth(kind) else { return out }
    @inline(__always) func word(_ i: Int) -> UInt64 {
        let base = start + w * i
        var v: UInt64 = 0
        if bigEndian { for k in 0..<w { v = v << 8 | UInt64(b[base + k]) } }
        else { for k in 0..<w { v |= UInt64(b[base + k]) << (8 * UInt64(k)) } }
        return v
    }
    switch kind {
    case "F64": for i in 0..<count { out[i] = Double(bitPattern: word(i)) }
    case "F32": for i in 0..<count { out[i] = Double(Float(bitPattern: UInt32(truncatingIfNeeded: word(i)))) }
    case "F16": for i in 0..<count { out[i] = halfToDouble(UInt16(truncatingIfNeeded: word(i))) }
    case "BF16": for i in 0..<count { out[i] = Double(Float(bitPattern: UInt32(truncatingIfNeeded: word(i)) << 16)) }
    default: break
    }
    return out
}

/// The whole file, after checking its size against the budget.
func readFileBytes(_ path: String, limits: ReadLimits = .standard) throws -> [UInt8] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw NetworkFileError.io("cannot read '\(path)': no such file")
    }
    guard !isDir.boolValue else { throw NetworkFileError.io("cannot read '\(path)': it is a directory") }
    if let attrs = try? FileManager.default.attributesOfItem(atPath: path), let size = attrs[.size] as? NSNumber {
        try limits.claim(size.intValue, "reading the file", source: path)
    }
    guard let d = FileManager.default.contents(atPath: path) else {
        throw NetworkFileError.io("cannot read '\(path)': not readable")
    }
    return [UInt8](d)
}

/// Writes atomically (a temporary file in the same directory, then rename), so a failed or
/// interrupted write never leaves a truncated network file behind.
func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) }
    catch { throw NetworkFileError.io("cannot write '\(path)': \(error.localizedDescription); check that the directory exists and is writable") }
}

func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
    for k in 0..<MemoryLayout<T>.size { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
}
