import Foundation
import Testing
import LipControl
@testable import LipCore
@testable import LipIO

/// Hostile files (issue 9, class 2): declared sizes that overflow, lie about the file's
/// length, exceed the budget, or inflate like a bomb give clear errors — no trap, and nothing
/// is allocated from a declared size before it is checked. One test per file kind, each with
/// the reproducer's shape.
@Suite struct HostileFileTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus").path
    static var small: LoadOptions { LoadOptions(limits: ReadLimits(budget: MemoryBudget(bytes: 64e6))) }

    static func load(_ bytes: [UInt8], _ o: LoadOptions = small) -> String {
        message { try NetworkFile.load(bytes: bytes, source: "f", options: o) }
    }
    static func safetensors(_ header: String, data: Int = 16) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out: [UInt8] = []
        appendLE(UInt64(h.count), to: &out)
        return out + h + [UInt8](repeating: 0, count: data)
    }

    @Test func safetensorsDeclaredSizes() {
        // shape 2 × 2³²: the span does not match (no allocation, no trap)
        let m1 = Self.load(Self.safetensors(#"{"w":{"dtype":"F64","shape":[2,4294967296],"data_offsets":[0,16]}}"#))
        #expect(m1.contains("tensor 'w'") && m1.contains("needs 68719476736"), "\(m1)")
        // a product that overflows 64 bits
        let m2 = Self.load(Self.safetensors(#"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#))
        #expect(m2.contains("overflow"), "\(m2)")
        // offsets beyond Int, 1e300, negative
        for off in ["[0,18446744073709551615]", "[0,1e300]", "[-8,8]"] {
            let m = Self.load(Self.safetensors(#"{"w":{"dtype":"F64","shape":[2],"data_offsets":"# + off + "}}"))
            #expect(m.contains("tensor 'w'") && m.contains("data_offsets"), "\(off): \(m)")
        }
        // a header length of 2⁶³
        var b = Self.safetensors(#"{}"#); b[7] = 0x80
        #expect(Self.load(b).contains("truncated"))
        // a genuine 2 GB tensor declared in a tiny file: refused as truncated before decoding
        let m3 = Self.load(Self.safetensors(#"{"w":{"dtype":"F64","shape":[16384,16384],"data_offsets":[0,2147483648]}}"#))
        #expect(m3.contains("truncated"), "\(m3)")
    }

    /// A stored zip with one member, written byte by byte (the zip format is the oracle).
    static func zip(name: String, data: [UInt8], method: UInt16 = 0, csize: UInt32? = nil, usize: UInt32? = nil,
                    crc: UInt32 = 0, zip64Extra: [UInt64]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        let n = Array(name.utf8)
        appendLE(UInt32(0x04034b50), to: &out); appendLE(UInt16(20), to: &out); appendLE(UInt16(0), to: &out); appendLE(method, to: &out)
        appendLE(UInt32(0), to: &out); appendLE(crc, to: &out)
        appendLE(csize ?? UInt32(data.count), to: &out); appendLE(usize ?? UInt32(data.count), to: &out)
        appendLE(UInt16(n.count), to: &out); appendLE(UInt16(0), to: &out); out += n; out += data
        let cd = out.count
        var extra: [UInt8] = []
        if let z = zip64Extra { appendLE(UInt16(1), to: &extra); appendLE(UInt16(8 * z.count), to: &extra); for v in z { appendLE(v, to: &extra) } }
        appendLE(UInt32(0x02014b50), to: &out); appendLE(UInt16(20), to: &out); appendLE(UInt16(20), to: &out); appendLE(UInt16(0), to: &out)
        appendLE(method, to: &out); appendLE(UInt32(0), to: &out); appendLE(crc, to: &out)
        appendLE(csize ?? UInt32(data.count), to: &out); appendLE(usize ?? UInt32(data.count), to: &out)
        appendLE(UInt16(n.count), to: &out); appendLE(UInt16(extra.count), to: &out); appendLE(UInt16(0), to: &out)
        appendLE(UInt16(0), to: &out); appendLE(UInt16(0), to: &out); appendLE(UInt32(0), to: &out); appendLE(UInt32(0), to: &out)
        out += n; out += extra
        let cdSize = out.count - cd
        appendLE(UInt32(0x06054b50), to: &out); appendLE(UInt16(0), to: &out); appendLE(UInt16(0), to: &out)
        appendLE(UInt16(1), to: &out); appendLE(UInt16(1), to: &out); appendLE(UInt32(cdSize), to: &out); appendLE(UInt32(cd), to: &out)
        appendLE(UInt16(0), to: &out)
        return out
    }
    static func npyHeader(_ shape: String) -> [UInt8] {
        var h = Array("{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }".utf8)
        while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
        h.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        appendLE(UInt16(h.count), to: &out)
        return out + h
    }

    @Test func npzDeclaredSizes() throws {
        // zip64 sizes ≥ 2⁶³
        let m1 = Self.load(Self.zip(name: "W1.npy", data: [1, 2, 3], csize: 0xFFFF_FFFF, usize: 0xFFFF_FFFF, zip64Extra: [1 << 63 | 5, 1 << 63 | 5]))
        #expect(m1.contains("beyond any real file size"), "\(m1)")
        // a 310-byte-class npz asking for 8 GB: a stored member whose npy header claims 10⁹ doubles
        let npy = Self.npyHeader("(1000000000,)")
        let tiny = Self.zip(name: "W1.npy", data: npy, crc: crc(npy))
        #expect(tiny.count < 400)
        let m2 = Self.load(tiny, LoadOptions())
        #expect(m2.contains("truncated") && m2.contains("8000000000"), "\(m2)")
        // a deflated member that claims 8 GB from 100 bytes: refused before inflating
        let m3 = Self.load(Self.zip(name: "W1.npy", data: [UInt8](repeating: 0, count: 100), method: 8, usize: 0xFFFF_FFF0), LoadOptions())
        #expect(m3.contains("decompression bomb") || m3.contains("limit"), "\(m3)")
        // npy shapes that overflow
        let big = Self.npyHeader("(4611686018427387904, 4)")
        #expect(Self.load(Self.zip(name: "W1.npy", data: big, crc: crc(big))).contains("overflow"))
        // a member count the directory cannot hold
        var z = Self.zip(name: "W1.npy", data: npy, crc: crc(npy))
        z[z.count - 12] = 0xFF; z[z.count - 11] = 0xFE
        #expect(Self.load(z).contains("claims"))
    }

    /// The real 1 MB zip bomb (a member inflating to 1 GiB: a 134M-input network) is refused
    /// before inflating; with the ratio check disabled the budget still refuses it.
    @Test func zipBombIsRefused() throws {
        let path = Self.corpus + "/hostile/zip-bomb-1MB.npz"
        let t0 = monotonicSeconds()
        let m = message { try NetworkFile.load(path, options: LoadOptions()) }
        #expect(m.contains("decompression bomb") && m.contains("W1.npy"), "\(m)")
        #expect(monotonicSeconds() - t0 < 2)
        var lax = ReadLimits(budget: MemoryBudget(bytes: 512e6)); lax.maxInflateRatio = 1e9
        let m2 = message { try NetworkFile.load(path, options: LoadOptions(limits: lax)) }
        #expect(m2.contains("limit 512 MB"), "\(m2)")
        // the IDX reader: a gzip file announcing 256 MiB of zeros
        let m3 = message { try IDXFile.read(Self.corpus + "/hostile/idx-gzip-bomb.idx.gz") }
        #expect(m3.contains("too large to load") && m3.contains("[268435456]"), "\(m3)")
    }

    @Test func jsonDeclaredSizesAndIndices() {
        func j(_ s: String, _ o: LoadOptions = HostileFileTests.small) -> String { Self.load(Array(s.utf8), o) }
        for bad in ["-1", "1e300", "18446744073709551616", "0.5", "\"0\""] {
            let m = j(#"{"layers":[{"sparse":{"rows":2,"cols":2,"entries":[["# + bad + #",0,1]]}}]}"#)
            #expect(m.contains("sparse entry 1 row") && m.contains("0..<2"), "\(bad): \(m)")
        }
        // a 154-byte-class JSON asking for 8 GB per layer
        let m = j(#"{"layers":[{"sparse":{"rows":1000000000,"cols":1000000000,"entries":[]}},{"sparse":{"rows":1,"cols":1000000000,"entries":[]}}]}"#, LoadOptions())
        #expect(m.contains("would need about") && m.contains("layer 1"), "\(m)")
        #expect(j(#"{"layers":[{"weight":[[1,2],[3]]}]}"#).contains("row 2 has 1 entries"))
        #expect(j(#"{"layers":[{"weight":[[1e999]]}]}"#).contains("not finite"))
        #expect(j("{\"layers\":" + String(repeating: "[", count: 100_000)).contains("nesting deeper"))
    }

    @Test func wTensorNames() throws {
        func st(_ names: [String]) -> [UInt8] {
            var hdr = "{", off = 0
            hdr += names.map { n in defer { off += 8 }; return "\"\(n)\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[\(off),\(off + 8)]}" }.joined(separator: ",")
            return Self.safetensors(hdr + "}", data: 8 * names.count)
        }
        #expect(Self.load(st(["W0"])).contains("numbered from W1"))
        #expect(Self.load(st(["W-1"])).contains("numbered from W1"))
        #expect(Self.load(st(["W1", "W99999999999999999999"])).contains("'W2' is missing"))
        #expect(Self.load(st(["W1", "W1000000000000"])).contains("'W2' is missing"))
        #expect(Self.load(st(["W1", "b0"])).contains("numbered from b1"))
    }

    @Test func onnxDeclaredSizesAndTruncation() throws {
        let seed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/seeds/mlp.onnx")))
        _ = try NetworkFile.load(bytes: seed, source: "seed", options: LoadOptions())
        for cut in [3, seed.count / 3, seed.count - 5] {
            let m = Self.load(Array(seed[0..<cut]))
            #expect(m.contains("not a valid ONNX") || m.contains("no graph") || m.contains("truncated"), "cut \(cut): \(m)")
        }
        // an initializer declaring 2⁴⁰ × 2⁴⁰ floats with no data (dims field 8, packed varints)
        var t: [UInt8] = [0x0A, 0x0C] + [0x80, 0x80, 0x80, 0x80, 0x80, 0x20] + [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]  // dims
        t += [0x10, 0x01] + [0x42, 0x01, 0x57]                                            // data_type FLOAT, name "W"
        let graph: [UInt8] = [0x2A, UInt8(t.count)] + t                                 // GraphProto.initializer (5)
        let model: [UInt8] = [0x08, 0x08, 0x3A, UInt8(graph.count)] + graph             // ir_version, graph (7)
        let m = Self.load(model)
        #expect(m.contains("no graph") || m.contains("overflow") || m.contains("needs"), "\(m)")
    }

    @Test func formatsByMagicAndPyTorchAdvice() throws {
        let d = try freshDir("magic")
        // a PyTorch legacy pickle and a torch.save zip
        let pickle: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + [UInt8](repeating: 0, count: 20)
        let m = Self.load(pickle)
        #expect(m.contains("PyTorch") && m.contains("save_file(model.state_dict(), \"model.safetensors\")") && m.contains("torch.onnx.export("), "\(m)")
        let tz = Self.zip(name: "archive/data.pkl", data: [0x80, 0x02])
        #expect(Self.load(tz).contains("PyTorch"))
        // the extension does not matter: an ONNX file named .safetensors, safetensors named .npz
        try Data(try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/seeds/mlp.onnx")))).write(to: URL(fileURLWithPath: d + "/m.safetensors"))
        #expect(try NetworkFile.load(d + "/m.safetensors", options: LoadOptions()).report.format == .onnx)
        try Data(try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/seeds/sequential.safetensors")))).write(to: URL(fileURLWithPath: d + "/m.npz"))
        #expect(try NetworkFile.load(d + "/m.npz", options: LoadOptions()).report.format == .safetensors)
        #expect(Self.load(Array("GIF89a....".utf8)).contains("not a network file"))
    }

    /// Networks built from files are capped: parameters × 8 bytes against the budget.
    @Test func networkSizeCap() throws {
        let tiny = LoadOptions(limits: ReadLimits(budget: MemoryBudget(bytes: 2000)))
        let m = message { try NetworkFile.load(Self.corpus + "/seeds/cnn.onnx", options: tiny) }
        #expect(m.contains("limit 2 kB"), "\(m)")
    }
}

func crc(_ b: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for x in b { c ^= UInt32(x); for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) } }
    return ~c
}
