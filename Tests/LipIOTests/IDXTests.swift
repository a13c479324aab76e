import Foundation
import Testing
@testable import LipCore
@testable import LipIO

/// IDX reader tests. Files are written byte by byte here (the format's definition is the
/// oracle); gzip files are written by python3's gzip module, an independent implementation.
@Suite struct IDXTests {
    /// A fresh temporary directory for one test.
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("liplua-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    static func header(type: UInt8, shape: [UInt32]) -> [UInt8] {
        [0, 0, type, UInt8(shape.count)] + shape.flatMap(be32)
    }

    static func gzipWithPython(_ src: URL, _ dst: URL) throws -> Bool {
        let script = "import gzip,sys; open(sys.argv[2],'wb').write(gzip.compress(open(sys.argv[1],'rb').read()))"
        return try runPython(["-c", script, src.path, dst.path]) != nil
    }

    @Test func readsUncompressedImages() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 3 images of 2×4 pixels; pixel (n, r, c) = 8n + 4r + c.
        let pixels = (0..<24).map { UInt8($0 * 10 % 256) }
        let url = dir.appendingPathComponent("imgs-idx3-ubyte")
        try Data(Self.header(type: 0x08, shape: [3, 2, 4]) + pixels).write(to: url)
        let a = try IDXFile.read(url.path)
        #expect(a.elementType == .uint8)
        #expect(a.shape == [3, 2, 4])
        #expect(a.count == 24)
        #expect(a.itemSize == 8)
        #expect(a.uint8Values == pixels)
        // Item 1 is pixels 8..<16, scaled.
        let item = try a.item(1, scale: 0.5)
        #expect(item == pixels[8..<16].map { Double($0) * 0.5 })
        #expect(a[flat: 23] == Double(pixels[23]))
        #expect(throws: IDXError.indexOutOfRange(index: 3, count: 3)) { try a.item(3) }
    }

    @Test func readsSignedAndFloatTypes() throws {
        // int16 −2, 300; int32 −70000; float32 1.5; float64 −0.25, all big-endian.
        let i16 = Self.header(type: 0x0B, shape: [2]) + [0xFF, 0xFE, 0x01, 0x2C]
        #expect(try IDXFile.parse(i16).values == [-2, 300])
        let i32 = Self.header(type: 0x0C, shape: [1]) + Self.be32(UInt32(bitPattern: -70000))
        #expect(try IDXFile.parse(i32).values == [-70000])
        let f32 = Self.header(type: 0x0D, shape: [1]) + Self.be32(Float(1.5).bitPattern)
        #expect(try IDXFile.parse(f32).values == [1.5])
        let bits = (-0.25).bitPattern
        let f64 = Self.header(type: 0x0E, shape: [1, 1]) + (0..<8).map { UInt8(bits >> (56 - 8 * UInt64($0)) & 0xff) }
        let a = try IDXFile.parse(f64)
        #expect(a.shape == [1, 1])
        #expect(a.values == [-0.25])
        let i8 = Self.header(type: 0x09, shape: [2]) + [0x80, 0x7F]
        #expect(try IDXFile.parse(i8).values == [-128, 127])
    }

    @Test func rejectsMalformedFiles() throws {
        // Truncated data: header announces 2×3 = 6 bytes, 4 present.
        #expect(throws: IDXError.truncated(path: "<bytes>", expectedBytes: 4 + 8 + 6, actualBytes: 4 + 8 + 4)) {
            try IDXFile.parse(Self.header(type: 0x08, shape: [2, 3]) + [1, 2, 3, 4])
        }
        // Truncated header: 3 dimensions announced, one size present.
        #expect(throws: IDXError.truncated(path: "<bytes>", expectedBytes: 16, actualBytes: 8)) {
            try IDXFile.parse([0, 0, 0x08, 3, 0, 0, 0, 1])
        }
        #expect(throws: IDXError.trailingBytes(path: "<bytes>", extra: 1)) {
            try IDXFile.parse(Self.header(type: 0x08, shape: [2]) + [1, 2, 3])
        }
        #expect(throws: IDXError.unsupportedType(path: "<bytes>", typeByte: 0x07)) {
            try IDXFile.parse([0, 0, 0x07, 1, 0, 0, 0, 0])
        }
        #expect(throws: IDXError.notIDX(path: "<bytes>", detail: "the first two bytes are not zero")) {
            try IDXFile.parse(Array("P5 28 28".utf8))
        }
        #expect(throws: IDXError.notIDX(path: "<bytes>", detail: "only 2 bytes")) {
            try IDXFile.parse([0, 0])
        }
        #expect(throws: IDXError.cannotOpen(path: "/nonexistent/x-idx1-ubyte", reason: "no such file")) {
            try IDXFile.read("/nonexistent/x-idx1-ubyte")
        }
        // Messages name the file and say what to do.
        let msg = IDXError.truncated(path: "a.idx", expectedBytes: 10, actualBytes: 5).description
        #expect(msg.contains("a.idx") && msg.contains("10") && msg.contains("again"))
    }

    @Test func readsGzipWrittenByPython() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let labels: [UInt8] = (0..<1000).map { UInt8(($0 * 7 + 3) % 10) }
        let plain = dir.appendingPathComponent("labels-idx1-ubyte")
        try Data(Self.header(type: 0x08, shape: [1000]) + labels).write(to: plain)
        let gz = dir.appendingPathComponent("labels-idx1-ubyte.gz")
        guard try Self.gzipWithPython(plain, gz) else {
            Issue.record("python3 is needed to write the gzip test file")
            return
        }
        let a = try IDXFile.read(gz.path)
        #expect(a.shape == [1000])
        #expect(a.uint8Values == labels)
        #expect(a == (try IDXFile.read(plain.path)))

        // A gzip stream cut in the middle is an error, not a short array.
        let bytes = try Data(contentsOf: gz)
        let cut = dir.appendingPathComponent("cut-idx1-ubyte.gz")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        #expect {
            try IDXFile.read(cut.path)
        } throws: { error in
            guard let e = error as? IDXError else { return false }
            switch e {
            case .gzip, .truncated: return true
            default: return false
            }
        }
    }

    /// The Fashion-MNIST test set from the Debian package dataset-fashion-mnist, checked
    /// against python3's gzip + struct reading of the same file.
    @Test func readsFashionMNISTWhenInstalled() throws {
        let dir = "/usr/share/datasets/fashion-mnist"
        let images = dir + "/t10k-images-idx3-ubyte.gz"
        let labels = dir + "/t10k-labels-idx1-ubyte.gz"
        guard FileManager.default.fileExists(atPath: images) else { return }
        let script = """
        import gzip,sys
        img=gzip.open(sys.argv[1]).read(); lab=gzip.open(sys.argv[2]).read()
        print(len(img)-16, sum(img[16:16+784]), sum(img[16+784*9999:]), ' '.join(str(b) for b in lab[8:18]))
        """
        guard let out = try runPython(["-c", script, images, labels]) else {
            Issue.record("python3 is needed for the oracle")
            return
        }
        let f = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0)! }
        let x = try IDXFile.read(images)
        let y = try IDXFile.read(labels)
        #expect(x.shape == [10000, 28, 28])
        #expect(y.shape == [10000])
        #expect(x.count == f[0])
        #expect(try x.item(0).reduce(0, +) == Double(f[1]))
        #expect(try x.item(9999).reduce(0, +) == Double(f[2]))
        #expect((0..<10).map { Int(y[flat: $0]) } == Array(f[3...]))
        let scaled = try x.item(0, scale: 1.0 / 255)
        #expect(scaled.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// End to end: the committed networks in models/ (written by numpy + safetensors),
    /// loaded by NetworkFile and run on Fashion-MNIST images read by IDXFile, predict the
    /// same classes as numpy does on the same files (float64 forward pass in python3).
    @Test(arguments: ["relu", "elu"])
    func committedModelsPredictLikeNumpy(_ activation: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let model = root + "/models/fashion-mnist-300-100-\(activation)-pruned.safetensors"
        let images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
        guard FileManager.default.fileExists(atPath: model),
              FileManager.default.fileExists(atPath: images) else { return }
        let count = 300
        let script = """
        import gzip, sys, numpy as np
        from safetensors.numpy import load_file
        t = load_file(sys.argv[1]); n = int(sys.argv[3])
        x = np.frombuffer(gzip.open(sys.argv[2]).read()[16:16 + 784 * n], np.uint8).reshape(n, 784) / 255.0
        for k in (0, 2, 4):
            x = x @ t[f"{k}.weight"].astype(np.float64).T + t[f"{k}.bias"].astype(np.float64)
            if k != 4: x = np.maximum(x, 0) if sys.argv[4] == "relu" else np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
        print(" ".join(str(int(c)) for c in x.argmax(1)))
        """
        guard let out = try runPython(["-c", script, model, images, String(count), activation]) else {
            Issue.record("python3 with numpy and safetensors is needed for the oracle")
            return
        }
        let expected = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0)! }
        let net = try NetworkFile.load(model, activation: activation == "relu" ? .relu : .elu())
        #expect(net.sizes == [784, 300, 100, 10])
        #expect(net.nonzeroWeights == 13310)  // 5% of 266200, as models/README.md states
        let x = try IDXFile.read(images)
        var predicted: [Int] = []
        for i in 0..<count {
            var a = try x.item(i, scale: 1.0 / 255)
            for layer in net.layers {
                var z = layer.matrix.multiply(a)
                if let b = layer.bias { for j in z.indices { z[j] += b[j] } }
                a = layer.activation.map { act in z.map { act.value($0) } } ?? z
            }
            predicted.append(a.indices.max { a[$0] < a[$1] }!)
        }
        #expect(predicted == expected)
    }
}
