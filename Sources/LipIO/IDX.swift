internal import CZlib
import Foundation
import LipControl

/// An n-dimensional array read from an IDX file (the format of the MNIST and Fashion-MNIST
/// distributions).
///
/// The format: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
/// 0x0D float32, 0x0E float64), a byte `n` with the number of dimensions, `n` big-endian
/// UInt32 sizes, then the elements in row-major order, big-endian. An MNIST image file has
/// shape [count, 28, 28] and type uint8; a label file has shape [count] and type uint8.
///
/// uint8 data (the common case, 47 million bytes for the MNIST training images) is kept as
/// bytes; other types are converted to `Double` once.
public struct IDXArray: Sendable, Equatable {
    /// The IDX element type byte.
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }
    }

    public let elementType: ElementType
    /// Sizes of the dimensions, outermost first (e.g. [10000, 28, 28]).
    public let shape: [Int]
    private let bytes: [UInt8]      // the elements when elementType == .uint8
    private let doubles: [Double]   // the elements otherwise

    /// Builds an array from uint8 elements (row-major).
    public init(shape: [Int], uint8 values: [UInt8]) {
        precondition(shape.reduce(1, *) == values.count, "IDXArray: shape does not match count")
        self.elementType = .uint8
        self.shape = shape
        self.bytes = values
        self.doubles = []
    }

    /// Builds an array of any other element type from its values (row-major).
    public init(shape: [Int], elementType: ElementType, values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "IDXArray: shape does not match count")
        precondition(elementType != .uint8, "IDXArray: use init(shape:uint8:) for uint8 data")
        self.elementType = elementType
        self.shape = shape
        self.bytes = []
        self.doubles = values
    }

    /// Number of elements (the product of `shape`; 1 for a zero-dimensional array).
    public var count: Int { elementType == .uint8 ? bytes.count : doubles.count }

    /// The raw bytes when the element type is uint8, otherwise nil.
    public var uint8Values: [UInt8]? { elementType == .uint8 ? bytes : nil }

    /// All elements as Double, row-major (allocates 8 bytes per element for uint8 data).
    public var values: [Double] { elementType == .uint8 ? bytes.map(Double.init) : doubles }

    /// The element at a row-major flat index.
    public subscript(flat index: Int) -> Double {
        elementType == .uint8 ? Double(bytes[index]) : doubles[index]
    }

    /// Number of elements of one item along the first dimension (784 for MNIST images).
    public var itemSize: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// The `index`-th item along the first dimension, flattened row-major, each element
    /// multiplied by `scale` (use 1/255 to map MNIST pixels to [0, 1]).
    public func item(_ index: Int, scale: Double = 1) throws -> [Double] {
        let n = shape.first ?? 1
        guard index >= 0 && index < n else {
            throw IDXError.indexOutOfRange(index: index, count: n)
        }
        let size = itemSize
        let start = index * size
        return (start..<start + size).map { self[flat: $0] * scale }
    }
}

/// Errors of `IDXFile.read`; each message names the file and the problem.
public enum IDXError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notIDX(path: String, detail: String)
    case unsupportedType(path: String, typeByte: UInt8)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case trailingBytes(path: String, extra: Int)
    case gzip(path: String, message: String)
    case tooLarge(path: String, shape: [Int])
    case indexOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open IDX file \(path): \(reason)"
        case let .notIDX(path, detail):
            return "\(path) is not an IDX file: \(detail) (expected the MNIST format: two zero "
                + "bytes, a type byte, a dimension count, big-endian sizes, then the data)"
        case let .unsupportedType(path, byte):
            return "\(path): unknown IDX element type 0x\(String(byte, radix: 16)) (known: 0x08 uint8, "
                + "0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)"
        case let .truncated(path, expected, actual):
            return "\(path) is truncated: its header announces \(expected) bytes but the file has "
                + "\(actual); download or decompress it again"
        case let .trailingBytes(path, extra):
            return "\(path) has \(extra) bytes after the data its header announces; the file is "
                + "malformed or not an IDX file"
        case let .gzip(path, message):
            return "\(path): gzip data is corrupt or truncated (\(message)); download it again"
        case let .tooLarge(path, shape):
            return "\(path): the announced shape \(shape) is too large to load (it overflows, exceeds the memory budget, or inflates beyond the allowed ratio); check the file"
        case let .indexOutOfRange(index, count):
            return "IDX item index \(index) is out of range 0..<\(count)"
        }
    }
}

/// Reads IDX files, gzip-compressed (`.gz`, recognised by content, not by name) or not.
public enum IDXFile {
    /// Reads the whole file at `path`. Throws `IDXError` for a missing, truncated or malformed
    /// file, for corrupt gzip data, and for trailing bytes after the announced data.
    public static func read(_ path: String, limits: ReadLimits = .standard) throws -> IDXArray {
        let data = try readDecompressed(path, limits: limits)
        return try parse(data, path: path)
    }

    /// Parses the bytes of an (uncompressed) IDX file; `path` is used in error messages.
    public static func parse(_ data: [UInt8], path: String = "<bytes>") throws -> IDXArray {
        guard data.count >= 4 else {
            throw IDXError.notIDX(path: path, detail: "only \(data.count) bytes")
        }
        guard data[0] == 0 && data[1] == 0 else {
            throw IDXError.notIDX(path: path, detail: "the first two bytes are not zero")
        }
        guard let type = IDXArray.ElementType(rawValue: data[2]) else {
            throw IDXError.unsupportedType(path: path, typeByte: data[2])
        }
        let ndim = Int(data[3])
        let headerSize = 4 + 4 * ndim
        guard data.count >= headerSize else {
            throw IDXError.truncated(path: path, expectedBytes: headerSize, actualBytes: data.count)
        }
        var shape: [Int] = []
        var count = 1
        for d in 0..<ndim {
            let o = 4 + 4 * d
            let size = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(size)
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int(Int32.max) else { throw IDXError.tooLarge(path: path, shape: shape) }
            count = product
        }
        let expected = headerSize + count * type.size
        guard data.count >= expected else {
            throw IDXError.truncated(path: path, expectedBytes: expected, actualBytes: data.count)
        }
        guard data.count == expected else {
            throw IDXError.trailingBytes(path: path, extra: data.count - expected)
        }
        if type == .uint8 {
            return IDXArray(shape: shape, uint8: Array(data[headerSize..<expected]))
        }
        var values = [Double](repeating: 0, count: count)
        data.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress! + headerSize
            func bigEndian(_ i: Int, _ n: Int) -> UInt64 {
                var v: UInt64 = 0
                for k in 0..<n { v = v << 8 | UInt64(base[i * n + k]) }
                return v
            }
            for i in 0..<count {
                switch type {
                case .uint8: values[i] = Double(base[i])
                case .int8: values[i] = Double(Int8(bitPattern: base[i]))
                case .int16: values[i] = Double(Int16(bitPattern: UInt16(bigEndian(i, 2))))
                case .int32: values[i] = Double(Int32(bitPattern: UInt32(bigEndian(i, 4))))
                case .float32: values[i] = Double(Float(bitPattern: UInt32(bigEndian(i, 4))))
                case .float64: values[i] = Double(bitPattern: bigEndian(i, 8))
                }
            }
        }
        return IDXArray(shape: shape, elementType: type, values: values)
    }

    /// The file's bytes, inflated when it is gzip data. zlib's gzread passes plain files
    /// through unchanged, so one path serves both; a truncated or corrupt gzip stream is
    /// reported by gzerror after the read. The header is read first; the size it announces is
    /// checked against the budget and the inflate ratio (`ReadLimits`) before the data is read,
    /// and reading stops one byte past it (so a gzip bomb is never inflated).
    static func readDecompressed(_ path: String, limits: ReadLimits = .standard) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw IDXError.cannotOpen(path: path, reason: "no such file")
        }
        guard !isDir.boolValue else {
            throw IDXError.cannotOpen(path: path, reason: "it is a directory")
        }
        guard let file = gzopen(path, "rb") else {
            throw IDXError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        _ = gzbuffer(file, 1 << 18)
        var out: [UInt8] = []
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var cap = 4 + 4 * 255 + 1   // until the header is known
        var capKnown = false
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        while out.count < cap {
            if Interrupt.isRequested { throw IDXError.cannotOpen(path: path, reason: "interrupted") }
            let want = Swift.min(chunk, cap - out.count)
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(want)) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<Int(n)])
            if !capKnown, out.count >= 4, out[0] == 0, out[1] == 0, let type = IDXArray.ElementType(rawValue: out[2]),
               out.count >= 4 + 4 * Int(out[3]) {
                let ndim = Int(out[3])
                var shape: [Int] = []
                for d in 0..<ndim { let o = 4 + 4 * d; shape.append(Int(out[o]) << 24 | Int(out[o + 1]) << 16 | Int(out[o + 2]) << 8 | Int(out[o + 3])) }
                guard let count = try? CheckedSize.product(shape + [type.size], what: "IDX data"),
                      let total = try? CheckedSize.sum(count, 4 + 4 * ndim, what: "IDX file") else {
                    throw IDXError.tooLarge(path: path, shape: shape)
                }
                do {
                    try limits.checkInflate(compressed: fileSize, declared: total, what: "the IDX data", source: path)
                    try limits.claim(type == .uint8 ? Double(total) : Swift.max(Double(total), Double(count / type.size) * 8), "the IDX array", source: path)
                } catch { throw IDXError.tooLarge(path: path, shape: shape) }
                cap = total + 1   // one byte more, to report trailing data
                capKnown = true
            } else if !capKnown, out.count >= 4 {
                cap = Swift.max(out.count, 4 + 4 * Int(out[3]))  // let parse() report the bad header
                if out[0] != 0 || out[1] != 0 || IDXArray.ElementType(rawValue: out[2]) == nil { cap = out.count }
            }
        }
        var errnum: Int32 = 0
        let message = gzerror(file, &errnum)
        if errnum != Z_OK {
            let text = message.map { String(cString: $0) } ?? "zlib error \(errnum)"
            if errnum == Z_ERRNO {
                throw IDXError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            throw IDXError.gzip(path: path, message: text)
        }
        return out
    }
}
