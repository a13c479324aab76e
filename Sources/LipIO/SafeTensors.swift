import Foundation
import LipCore
import LipControl

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}`, then the raw little-endian data (offsets relative to
/// the byte after the header). Read dtypes: F64, F32, F16, BF16.
///
/// Order: tensors are returned in the header's key order (read with `OrderedJSON`, which
/// keeps it). The official writer (the `safetensors` Python/Rust package) sorts the tensors
/// by dtype and then by name before writing, so for its files the header order is alphabetical
/// and says nothing about the model; `headerIsSortedLayout` detects that layout and the
/// state-dict loader then does not treat the order as evidence (see StateDict.swift).
public enum SafeTensors {
    public static let supportedDTypes = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2]

    public struct Contents: Sendable {
        public var tensors: [NamedTensor]
        public var metadata: [String: String]
        /// Metadata keys in header order.
        public var metadataKeys: [String]
        /// True when the header lists the tensors in the order the official writer produces
        /// (dtype width descending, then name ascending), i.e. the order carries no information.
        public var headerIsSortedLayout: Bool
    }

    /// Reads all tensors (in header order) and the metadata.
    public static func read(_ path: String, limits: ReadLimits = .standard) throws -> (tensors: [NamedTensor], metadata: [String: String]) {
        let c = try parseContents(try readFileBytes(path, limits: limits), source: path, limits: limits)
        return (c.tensors, c.metadata)
    }

    public static func parse(_ b: [UInt8], source: String, limits: ReadLimits = .standard) throws -> (tensors: [NamedTensor], metadata: [String: String]) {
        let c = try parseContents(b, source: source, limits: limits)
        return (c.tensors, c.metadata)
    }

    public static func parseContents(_ b: [UInt8], source: String, limits: ReadLimits = .standard) throws -> Contents {
        let r = ByteReader(b, source: source)
        guard b.count >= 8 else { throw NetworkFileError.malformed("\(source): truncated safetensors file (\(b.count) bytes, the 8-byte header length is missing)") }
        let n64 = try r.uint(0, UInt64.self, "header length")
        guard n64 <= UInt64(b.count - 8) else {
            throw NetworkFileError.malformed("\(source): safetensors header claims \(n64) bytes but only \(b.count - 8) follow; the file is truncated or not safetensors")
        }
        let n = Int(n64)
        let header = try OrderedJSON.parse(b[8..<(8 + n)], source: "\(source) (safetensors header)", maxDepth: limits.maxJSONDepth)
        guard let entries = header.objectEntries else { throw NetworkFileError.malformed("\(source): safetensors header is not a JSON object") }
        let dataStart = 8 + n, dataLen = b.count - dataStart
        var metadata = [String: String](), metadataKeys: [String] = []
        var tensors: [NamedTensor] = []
        var seen = Set<String>()
        var total = 0
        var planned: [(name: String, dtype: String, shape: [Int], begin: Int, count: Int)] = []
        for (name, v) in entries {
            guard seen.insert(name).inserted else { throw NetworkFileError.malformed("\(source): tensor '\(name)' appears twice in the header") }
            if name == "__metadata__" {
                guard let m = v.objectEntries else { throw NetworkFileError.malformed("\(source): __metadata__ must be an object of strings") }
                for (k, x) in m {
                    guard let s = x.string else { throw NetworkFileError.malformed("\(source): __metadata__ '\(k)' is \(x.kindName); metadata values are strings") }
                    metadata[k] = s; metadataKeys.append(k)
                }
                continue
            }
            guard let dtype = v["dtype"]?.string, let shapeV = v["shape"]?.array, let offV = v["data_offsets"]?.array, offV.count == 2 else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': header entry needs dtype, shape and data_offsets [begin, end]")
            }
            guard let width = supportedDTypes[dtype] else {
                throw NetworkFileError.unsupportedDType("\(source): tensor '\(name)' has dtype \(dtype); supported: F64, F32, F16, BF16 (convert the weights to float)")
            }
            let shape = try shapeV.map { x -> Int in
                guard let i = x.int, i >= 0 else { throw NetworkFileError.malformed("\(source): tensor '\(name)': bad shape entry \(x) (nonnegative integers expected)") }
                return i
            }
            let offs = try offV.map { x -> Int in
                guard let i = x.int, i >= 0 else { throw NetworkFileError.malformed("\(source): tensor '\(name)': bad data_offsets entry \(x)") }
                return i
            }
            let (count, bytes) = try checkedCount(shape, width: width, what: "tensor '\(name)' of shape \(shape)", source: source)
            guard offs[1] >= offs[0], offs[1] - offs[0] == bytes else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': data_offsets \(offs) span \(offs[1] - offs[0]) bytes, shape \(shape) of \(dtype) needs \(bytes)")
            }
            guard offs[1] <= dataLen else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': data ends at byte \(offs[1]) but the file has only \(dataLen) data bytes; the file is truncated")
            }
            total = try sized(source) { try CheckedSize.sum(total, try CheckedSize.product([count, 8], what: "tensor '\(name)'"), what: "decoded tensors") }
            planned.append((name, dtype, shape, offs[0], count))
        }
        try limits.claim(total, "decoding \(planned.count) tensors", source: source)
        for t in planned {
            if Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
            tensors.append(NamedTensor(name: t.name, shape: t.shape, values: decodeFloats(b, from: dataStart + t.begin, count: t.count, kind: t.dtype), dtype: t.dtype))
        }
        // The official writer sorts by dtype, descending in its enum order (F64, F32, BF16, F16), then by name.
        let rank = ["F64": 4, "F32": 3, "BF16": 2, "F16": 1]
        let keys = planned.map { (-(rank[$0.dtype] ?? 0), $0.name) }
        let sortedLayout = zip(keys, keys.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 <= $1.1) }
        return Contents(tensors: tensors, metadata: metadata, metadataKeys: metadataKeys, headerIsSortedLayout: sortedLayout)
    }

    /// Serialises tensors as F64 (exact) or F32, in the given order (the header keeps it);
    /// the header is padded with spaces to a multiple of 8 bytes. Metadata keys are written in
    /// the given order.
    public static func serialize(_ tensors: [NamedTensor], metadata: [(String, String)] = [], dtype: String = "F64") throws -> [UInt8] {
        guard dtype == "F64" || dtype == "F32" else { throw NetworkFileError.unsupportedDType("safetensors writer: dtype \(dtype) not supported; use F64 or F32") }
        let width = dtype == "F64" ? 8 : 4
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in tensors {
            let len = t.values.count * width
            parts.append("\(jsonString(t.name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + len)]}")
            offset += len
        }
        var h = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = [UInt8](); out.reserveCapacity(8 + h.count + offset)
        appendLE(UInt64(h.count), to: &out)
        out += h
        for t in tensors {
            for v in t.values {
                if width == 8 { appendLE(v.bitPattern, to: &out) } else { appendLE(Float(v).bitPattern, to: &out) }
            }
        }
        return out
    }

    /// Serialises tensors with unordered metadata (keys sorted).
    public static func serialize(_ tensors: [NamedTensor], metadata: [String: String], dtype: String = "F64") throws -> [UInt8] {
        try serialize(tensors, metadata: metadata.keys.sorted().map { ($0, metadata[$0]!) }, dtype: dtype)
    }

    /// Writes a network as nn.Sequential state_dict tensors (`0.weight`, `0.bias`, `2.weight`, ...)
    /// in model order, with metadata recording what a state dict cannot: `format` = liplua,
    /// `sizes`, `layers` (the module order, a JSON array), `activations` (one name per hidden
    /// layer, a JSON array), `activation` (the first hidden one, for older readers) and
    /// `input_shape` when known.
    public static func write(_ net: Network, to path: String, dtype: String = "F64", inputShape: [Int]? = nil,
                             limits: ReadLimits = .standard) throws {
        try limits.claim(net.layers.reduce(0.0) { $0 + Double($1.inputSize) * Double($1.outputSize) * 8 }, "writing the layers dense", source: path)
        try writeFileBytes(try serialize(stateDictTensors(net), metadata: networkMetadata(net, inputShape: inputShape), dtype: dtype), to: path)
    }

    static func networkMetadata(_ net: Network, inputShape: [Int]?) -> [(String, String)] {
        var meta: [(String, String)] = [("format", "liplua"), ("sizes", net.sizes.map(String.init).joined(separator: ","))]
        meta.append(("layers", "[" + (0..<net.depth).map { jsonString(String(2 * $0)) }.joined(separator: ",") + "]"))
        let acts = net.layers.dropLast().map { $0.activation?.name ?? "identity" }
        meta.append(("activations", "[" + acts.map(jsonString).joined(separator: ",") + "]"))
        if let a = acts.first { meta.append(("activation", a)) }
        if let s = inputShape { meta.append(("input_shape", "[" + s.map(String.init).joined(separator: ",") + "]")) }
        return meta
    }
}

/// The tensors of a network in nn.Sequential state_dict naming: Linear layer l (1-based) at
/// Sequential index 2(l−1) (an activation module sits between), so `0.weight`, `0.bias`,
/// `2.weight`, ... Weights are out × in.
public func stateDictTensors(_ net: Network) -> [NamedTensor] {
    var out: [NamedTensor] = []
    for (k, L) in net.layers.enumerated() {
        out.append(NamedTensor(name: "\(2 * k).weight", shape: [L.outputSize, L.inputSize], values: L.matrix.dense()))
        if let b = L.bias { out.append(NamedTensor(name: "\(2 * k).bias", shape: [L.outputSize], values: b)) }
    }
    return out
}
