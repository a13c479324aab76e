import Foundation
import LipControl
internal import CZlib

/// numpy `.npz` (a zip archive of `.npy` files, as written by `np.savez` — stored members —
/// and `np.savez_compressed` — raw-deflated members) and single `.npy` files.
/// Zip64 records (numpy forces them) are understood; CRC-32 is checked. Every offset and size
/// in the zip records goes through `ByteReader`'s checked ranges; deflated members are checked
/// against `ReadLimits` (budget, inflate ratio) before anything is inflated, and inflate stops
/// at the declared size.
/// `.npy`: magic "\x93NUMPY", version 1.x (u16 header length) or 2.x/3.x (u32), a Python
/// dict literal header {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
/// Read dtypes: '<f8', '<f4', '<f2' and their big-endian forms.
public enum NPZ {
    /// All arrays of an archive, names without the ".npy" suffix, in archive (member) order.
    public static func read(_ path: String, limits: ReadLimits = .standard) throws -> [NamedTensor] {
        try parseArchive(try readFileBytes(path, limits: limits), source: path, limits: limits)
    }

    public static func parseArchive(_ b: [UInt8], source: String, limits: ReadLimits = .standard) throws -> [NamedTensor] {
        let r = ByteReader(b, source: source)
        func bad(_ m: String) -> NetworkFileError { .malformed("\(source): \(m)") }
        guard b.count >= 22 else { throw bad("truncated .npz (\(b.count) bytes; no zip end record)") }
        var eocd = -1
        var p = b.count - 22
        let stop = Swift.max(0, b.count - 22 - 65535)
        while p >= stop { if try r.u32(p, "end record") == 0x0605_4b50 { eocd = p; break }; p -= 1 }
        guard eocd >= 0 else { throw bad("not a zip archive or truncated (no end-of-central-directory record)") }
        var entries = try r.u16(eocd + 10, "entry count")
        var cdSize = try r.u32(eocd + 12, "central directory size")
        var cdOffset = try r.u32(eocd + 16, "central directory offset")
        if entries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            let loc = eocd - 20
            guard loc >= 0, try r.u32(loc, "zip64 locator") == 0x0706_4b50 else { throw bad("zip64 locator missing") }
            let z = try r.u64(loc + 8, "zip64 end record offset")
            _ = try r.range(z, 56, "zip64 end record")
            guard try r.u32(z, "zip64 end record") == 0x0606_4b50 else { throw bad("zip64 end record missing or corrupt") }
            entries = try r.u64(z + 32, "zip64 entry count")
            cdSize = try r.u64(z + 40, "zip64 central directory size")
            cdOffset = try r.u64(z + 48, "zip64 central directory offset")
        }
        let cd = try r.range(cdOffset, cdSize, "central directory")
        // Each entry takes at least 46 bytes: a count beyond that is a lie, refused before looping.
        guard entries <= cdSize / 46 else { throw bad("the directory claims \(entries) members in \(cdSize) bytes") }
        var out: [NamedTensor] = []
        var names = Set<String>()
        var q = cd.lowerBound
        var decoded = 0
        for _ in 0..<entries {
            if Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
            guard try r.u32(q, "central directory entry") == 0x0201_4b50 else { throw bad("corrupt central directory entry") }
            let method = try r.u16(q + 10, "compression method")
            let crc = try r.uint(q + 16, UInt32.self, "CRC-32")
            var csize = try r.u32(q + 20, "compressed size")
            var usize = try r.u32(q + 24, "size")
            let nlen = try r.u16(q + 28, "name length"), elen = try r.u16(q + 30, "extra length")
            let clen = try r.u16(q + 32, "comment length")
            var local = try r.u32(q + 42, "local header offset")
            let nameRange = try r.range(q + 46, nlen, "member name")
            let name = String(decoding: r.slice(nameRange), as: UTF8.self)
            let extra = try r.range(nameRange.upperBound, elen, "member '\(name)' extra field")
            // zip64 extra field (id 1): the 64-bit sizes/offset that were 0xFFFFFFFF above, in order.
            var e = extra.lowerBound
            while e + 4 <= extra.upperBound {
                let id = try r.u16(e, "extra field id"), sz = try r.u16(e + 2, "extra field size")
                let body = try r.range(e + 4, sz, "member '\(name)' extra field")
                guard body.upperBound <= extra.upperBound else { throw bad("member '\(name)': extra field runs past its record") }
                if id == 1 {
                    var f = body.lowerBound
                    if usize == 0xFFFF_FFFF, f + 8 <= body.upperBound { usize = try r.u64(f, "member '\(name)' zip64 size"); f += 8 }
                    if csize == 0xFFFF_FFFF, f + 8 <= body.upperBound { csize = try r.u64(f, "member '\(name)' zip64 compressed size"); f += 8 }
                    if local == 0xFFFF_FFFF, f + 8 <= body.upperBound { local = try r.u64(f, "member '\(name)' zip64 offset"); f += 8 }
                }
                e = body.upperBound
            }
            q = try r.range(extra.upperBound, clen, "member comment").upperBound
            guard try r.u32(local, "member '\(name)' local header") == 0x0403_4b50 else {
                throw bad("member '\(name)': local header missing; the file is truncated or corrupt")
            }
            let lnl = try r.u16(local + 26, "local name length"), lel = try r.u16(local + 28, "local extra length")
            let dataAt = local + 30 + lnl + lel
            let data = try r.range(dataAt, csize, "member '\(name)' data")
            let raw: [UInt8]
            switch method {
            case 0:
                guard csize == usize else { throw bad("member '\(name)': stored member with size \(usize) but \(csize) bytes of data") }
                raw = Array(r.slice(data))
            case 8:
                try limits.checkInflate(compressed: csize, declared: usize, what: "member '\(name)'", source: source)
                raw = try inflateRaw(r.slice(data), expected: usize, what: "\(source): member '\(name)'")
            default: throw NetworkFileError.unsupportedDType("\(source): member '\(name)' uses zip compression method \(method); only stored (0) and deflate (8) are supported")
            }
            let c = raw.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, uInt($0.count))) }
            guard c == crc else { throw bad("member '\(name)': CRC-32 mismatch; the file is corrupt") }
            let arrName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            guard names.insert(arrName).inserted else { throw bad("member '\(name)' appears twice") }
            let t = try parseNPY(raw, name: arrName, source: source, limits: limits)
            decoded = try sized(source) { try CheckedSize.sum(decoded, t.values.count, what: "decoded arrays") }
            try limits.claim(Double(decoded) * 8, "decoding the arrays", source: source)
            out.append(t)
        }
        return out
    }

    /// Inflates raw deflate data (no zlib header: inflateInit2 with −MAX_WBITS) into exactly
    /// `expected` bytes (checked by the caller against the limits); more or less data is an error.
    static func inflateRaw(_ input: ArraySlice<UInt8>, expected: Int, what: String) throws -> [UInt8] {
        guard expected >= 0, expected <= Int(UInt32.max) * 64 else { throw NetworkFileError.size("\(what): declared size \(expected)") }
        var out = [UInt8](repeating: 0, count: Swift.max(expected, 1))
        var strm = z_stream()
        var inp = Array(input)
        var rc = inflateInit2_(&strm, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw NetworkFileError.malformed("\(what): zlib inflateInit2 failed (\(rc))") }
        defer { inflateEnd(&strm) }
        var produced = 0
        let chunk = 1 << 30
        inp.withUnsafeMutableBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                var inPos = 0
                rc = Z_OK
                while rc == Z_OK {
                    let inN = Swift.min(chunk, ib.count - inPos)
                    strm.next_in = ib.baseAddress.map { $0 + inPos }; strm.avail_in = uInt(inN)
                    let outN = Swift.min(chunk, expected - produced)
                    strm.next_out = ob.baseAddress.map { $0 + produced }; strm.avail_out = uInt(outN)
                    rc = inflate(&strm, Z_NO_FLUSH)
                    inPos += inN - Int(strm.avail_in)
                    produced += outN - Int(strm.avail_out)
                    if rc == Z_OK && outN == 0 && produced == expected { rc = Z_BUF_ERROR; break }  // more data than declared
                    if rc == Z_OK && inN == 0 { rc = Z_BUF_ERROR; break }
                }
            }
        }
        guard rc == Z_STREAM_END, produced == expected else {
            if rc == Z_BUF_ERROR && produced == expected {
                throw NetworkFileError.malformed("\(what): deflate stream does not end at the declared size of \(expected) bytes; the file is corrupt")
            }
            throw NetworkFileError.malformed("\(what): deflate data is corrupt or truncated (zlib status \(rc), \(produced) of \(expected) bytes)")
        }
        return Array(out[0..<produced])
    }

    /// Parses one `.npy` file.
    public static func parseNPY(_ b: [UInt8], name: String, source: String, limits: ReadLimits = .standard) throws -> NamedTensor {
        let r = ByteReader(b, source: source)
        func bad(_ m: String) -> NetworkFileError { .malformed("\(source): array '\(name)': \(m)") }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw bad("not a .npy array (bad magic)") }
        let major = b[6]
        let hlen: Int, hstart: Int
        if major == 1 { hlen = try r.u16(8, "header length"); hstart = 10 }
        else if major == 2 || major == 3 { hlen = try r.u32(8, "header length"); hstart = 12 }
        else { throw bad(".npy version \(major) not supported") }
        guard let hr = try? r.range(hstart, hlen, "header") else { throw bad("truncated header") }
        let header = String(decoding: r.slice(hr), as: UTF8.self)
        guard let descr = pyValue(header, key: "descr"), let fo = pyValue(header, key: "fortran_order"), let shp = pyValue(header, key: "shape") else {
            throw bad("header \(header.prefix(200)) lacks descr, fortran_order or shape")
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
        guard shape.count <= 32 else { throw bad("\(shape.count) dimensions") }
        let width = floatWidth(kind)!
        let (count, nbytes) = try checkedCount(shape, width: width, what: "array '\(name)' of shape \(shape)", source: source)
        let start = hr.upperBound
        guard b.count - start >= nbytes else {
            throw bad("data has \(b.count - start) bytes, shape \(shape) of '\(dt)' needs \(nbytes); the file is truncated")
        }
        try limits.claim(Double(count) * 8, "array '\(name)'", source: source)
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
