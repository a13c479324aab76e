import Foundation
internal import CZlib

/// numpy `.npz` (a zip archive of `.npy` files, as written by `np.savez` — stored members —
/// and `np.savez_compressed` — raw-deflated members) and single `.npy` files.
/// Zip64 records (numpy forces them) are understood; CRC-32 is checked.
/// `.npy`: magic "\x93NUMPY", version 1.x (u16 header length) or 2.x/3.x (u32), a Python
/// dict literal header {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
/// Read dtypes: '<f8', '<f4', '<f2' and their big-endian forms.
public enum NPZ {
    /// All arrays of an archive, names without the ".npy" suffix, in archive order.
    public static func read(_ path: String) throws -> [NamedTensor] {
        try parseArchive(try readFileBytes(path), source: path)
    }

    public static func parseArchive(_ b: [UInt8], source: String) throws -> [NamedTensor] {
        func bad(_ m: String) -> NetworkFileError { .malformed("\(source): \(m)") }
        // End of central directory record.
        guard b.count >= 22 else { throw bad("truncated .npz (\(b.count) bytes; no zip end record)") }
        var eocd = -1
        var p = b.count - 22
        let stop = Swift.max(0, b.count - 22 - 65535)
        while p >= stop { if readLE(b, p, as: UInt32.self) == 0x0605_4b50 { eocd = p; break }; p -= 1 }
        guard eocd >= 0 else { throw bad("not a zip archive or truncated (no end-of-central-directory record)") }
        var entries = Int(readLE(b, eocd + 10, as: UInt16.self))
        var cdSize = Int(readLE(b, eocd + 12, as: UInt32.self))
        var cdOffset = Int(readLE(b, eocd + 16, as: UInt32.self))
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            let loc = eocd - 20
            guard loc >= 0, readLE(b, loc, as: UInt32.self) == 0x0706_4b50 else { throw bad("zip64 locator missing") }
            let z = Int(readLE(b, loc + 8, as: UInt64.self))
            guard z >= 0, z + 56 <= b.count, readLE(b, z, as: UInt32.self) == 0x0606_4b50 else { throw bad("zip64 end record missing or truncated") }
            entries = Int(readLE(b, z + 32, as: UInt64.self))
            cdSize = Int(readLE(b, z + 40, as: UInt64.self))
            cdOffset = Int(readLE(b, z + 48, as: UInt64.self))
        }
        guard cdOffset >= 0, cdSize >= 0, cdOffset + cdSize <= b.count else { throw bad("central directory lies outside the file; the file is truncated") }
        var out: [NamedTensor] = []
        var q = cdOffset
        for _ in 0..<entries {
            guard q + 46 <= b.count, readLE(b, q, as: UInt32.self) == 0x0201_4b50 else { throw bad("corrupt central directory entry") }
            let method = Int(readLE(b, q + 10, as: UInt16.self))
            let crc = readLE(b, q + 16, as: UInt32.self)
            var csize = Int(readLE(b, q + 20, as: UInt32.self))
            var usize = Int(readLE(b, q + 24, as: UInt32.self))
            let nlen = Int(readLE(b, q + 28, as: UInt16.self)), elen = Int(readLE(b, q + 30, as: UInt16.self))
            let clen = Int(readLE(b, q + 32, as: UInt16.self))
            var local = Int(readLE(b, q + 42, as: UInt32.self))
            guard q + 46 + nlen + elen <= b.count else { throw bad("corrupt central directory entry") }
            let name = String(decoding: b[(q + 46)..<(q + 46 + nlen)], as: UTF8.self)
            // zip64 extra field
            var e = q + 46 + nlen
            let eEnd = e + elen
            while e + 4 <= eEnd {
                let id = readLE(b, e, as: UInt16.self), sz = Int(readLE(b, e + 2, as: UInt16.self))
                if id == 1 {
                    var f = e + 4
                    if usize == 0xFFFF_FFFF, f + 8 <= e + 4 + sz { usize = Int(readLE(b, f, as: UInt64.self)); f += 8 }
                    if csize == 0xFFFF_FFFF, f + 8 <= e + 4 + sz { csize = Int(readLE(b, f, as: UInt64.self)); f += 8 }
                    if local == 0xFFFF_FFFF, f + 8 <= e + 4 + sz { local = Int(readLE(b, f, as: UInt64.self)); f += 8 }
                }
                e += 4 + sz
            }
            q = eEnd + clen
            guard local >= 0, local + 30 <= b.count, readLE(b, local, as: UInt32.self) == 0x0403_4b50 else {
                throw bad("member '\(name)': local header missing; the file is truncated or corrupt")
            }
            let dataAt = local + 30 + Int(readLE(b, local + 26, as: UInt16.self)) + Int(readLE(b, local + 28, as: UInt16.self))
            guard csize >= 0, dataAt + csize <= b.count else { throw bad("member '\(name)': data runs past the end of the file; the file is truncated") }
            let raw: [UInt8]
            switch method {
            case 0: raw = Array(b[dataAt..<(dataAt + csize)])
            case 8: raw = try inflateRaw(Array(b[dataAt..<(dataAt + csize)]), expected: usize, what: "\(source): member '\(name)'")
            default: throw NetworkFileError.unsupportedDType("\(source): member '\(name)' uses zip compression method \(method); only stored (0) and deflate (8) are supported")
            }
            guard raw.count == usize else { throw bad("member '\(name)': \(raw.count) bytes, the directory says \(usize)") }
            let c = raw.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, uInt($0.count))) }
            guard c == crc else { throw bad("member '\(name)': CRC-32 mismatch; the file is corrupt") }
            let arrName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            out.append(try parseNPY(raw, name: arrName, source: source))
        }
        return out
    }

    /// Inflates raw deflate data (no zlib header: inflateInit2 with −MAX_WBITS).
    static func inflateRaw(_ input: [UInt8], expected: Int, what: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Swift.max(expected, 1))
        var strm = z_stream()
        var inp = input
        var rc = inflateInit2_(&strm, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw NetworkFileError.malformed("\(what): zlib inflateInit2 failed (\(rc))") }
        defer { inflateEnd(&strm) }
        let produced: Int = inp.withUnsafeMutableBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                strm.next_in = ib.baseAddress; strm.avail_in = uInt(ib.count)
                strm.next_out = ob.baseAddress; strm.avail_out = uInt(expected)
                rc = inflate(&strm, Z_FINISH)
                return expected - Int(strm.avail_out)
            }
        }
        guard rc == Z_STREAM_END else {
            throw NetworkFileError.malformed("\(what): deflate data is corrupt or truncated (zlib status \(rc))")
        }
        return Array(out[0..<produced])
    }

    /// Parses one `.npy` file.
    public static func parseNPY(_ b: [UInt8], name: String, source: String) throws -> NamedTensor {
        func bad(_ m: String) -> NetworkFileError { .malformed("\(source): array '\(name)': \(m)") }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw bad("not a .npy array (bad magic)") }
        let major = b[6]
        let hlen: Int, hstart: Int
        if major == 1 { hlen = Int(readLE(b, 8, as: UInt16.self)); hstart = 10 }
        else if major == 2 || major == 3 {
            guard b.count >= 12 else { throw bad("truncated header") }
            hlen = Int(readLE(b, 8, as: UInt32.self)); hstart = 12
        } else { throw bad(".npy version \(major) not supported") }
        guard hstart + hlen <= b.count else { throw bad("truncated header") }
        let header = String(decoding: b[hstart..<(hstart + hlen)], as: UTF8.self)
        guard let descr = pyValue(header, key: "descr"), let fo = pyValue(header, key: "fortran_order"), let shp = pyValue(header, key: "shape") else {
            throw bad("header \(header) lacks descr, fortran_order or shape")
        }
        let dt = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        let kind: String, bigEndian: Bool
        switch dt {
        case "<f8", "=f8", "f8": kind = "F64"; bigEndian = false
        case ">f8": kind = "F64"; bigEndian = true
        case "<f4", "=f4", "f4": kind = "F32"; bigEndian = false
        case ">f4": kind = "F32"; bigEndian = true
        case "<f2", "=f2", "f2": kind = "F16"; bigEndian = false
        case ">f2": kind = "F16"; bigEndian = true
        default: throw NetworkFileError.unsupportedDType("\(source): array '\(name)' has dtype '\(dt)'; supported: float64 '<f8', float32 '<f4', float16 '<f2'")
        }
        let fortran = fo.trimmingCharacters(in: .whitespaces).hasPrefix("True")
        let inner = shp.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let s = part.trimmingCharacters(in: .whitespaces)
            if s.isEmpty { continue }
            guard let v = Int(s.hasSuffix("L") ? String(s.dropLast()) : s), v >= 0 else { throw bad("bad shape \(shp)") }
            shape.append(v)
        }
        let width = kind == "F64" ? 8 : (kind == "F32" ? 4 : 2)
        let count = shape.reduce(1, *)
        let start = hstart + hlen
        guard b.count - start >= count * width else {
            throw bad("data has \(b.count - start) bytes, shape \(shape) of '\(dt)' needs \(count * width); the file is truncated")
        }
        var values = decodeFloats(b, from: start, count: count, kind: kind, bigEndian: bigEndian)
        if fortran && shape.count >= 2 {
            // column-major → row-major
            var strides = [Int](repeating: 1, count: shape.count)
            for k in 1..<shape.count { strides[k] = strides[k - 1] * shape[k - 1] }
            var out = [Double](repeating: 0, count: count)
            var idx = [Int](repeating: 0, count: shape.count)
            for r in 0..<count {
                var f = 0; for k in 0..<shape.count { f += idx[k] * strides[k] }
                out[r] = values[f]
                var k = shape.count - 1
                while k >= 0 { idx[k] += 1; if idx[k] < shape[k] { break }; idx[k] = 0; k -= 1 }
            }
            values = out
        }
        return NamedTensor(name: name, shape: shape, values: values, dtype: dt)
    }

    /// The raw text of `'key': value` in a Python dict literal (value up to the next top-level comma).
    static func pyValue(_ s: String, key: String) -> String? {
        for q in ["'", "\""] {
            guard let r = s.range(of: "\(q)\(key)\(q)") else { continue }
            var rest = s[r.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { continue }
            rest = rest.dropFirst().drop { $0 == " " }
            var depth = 0, out = ""
            for ch in rest {
                if ch == "(" || ch == "[" { depth += 1 }
                if ch == ")" || ch == "]" { depth -= 1 }
                if (ch == "," && depth == 0) || ch == "}" { break }
                out.append(ch)
            }
            return out
        }
        return nil
    }
}
