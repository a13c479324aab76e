import Foundation

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}`, then the raw little-endian data (offsets relative to
/// the byte after the header). Read dtypes: F64, F32, F16, BF16.
public enum SafeTensors {
    public static let supportedDTypes = ["F64": 8, "F32": 4, "F16": 2, "BF16": 2]

    /// Reads all tensors (in data order) and the metadata.
    public static func read(_ path: String) throws -> (tensors: [NamedTensor], metadata: [String: String]) {
        try parse(try readFileBytes(path), source: path)
    }

    public static func parse(_ b: [UInt8], source: String) throws -> (tensors: [NamedTensor], metadata: [String: String]) {
        guard b.count >= 8 else { throw NetworkFileError.malformed("\(source): truncated safetensors file (\(b.count) bytes, the 8-byte header length is missing)") }
        let n64 = readLE(b, 0, as: UInt64.self)
        guard n64 <= UInt64(b.count - 8) else {
            throw NetworkFileError.malformed("\(source): safetensors header claims \(n64) bytes but only \(b.count - 8) follow; the file is truncated or not safetensors")
        }
        let n = Int(n64)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(b[8..<(8 + n)])) }
        catch { throw NetworkFileError.malformed("\(source): safetensors header is not valid JSON (\(error.localizedDescription))") }
        guard let dict = json as? [String: Any] else { throw NetworkFileError.malformed("\(source): safetensors header is not a JSON object") }
        let dataStart = 8 + n, dataLen = b.count - dataStart
        var metadata = [String: String]()
        var tensors: [(Int, NamedTensor)] = []
        for (name, v) in dict {
            if name == "__metadata__" {
                if let m = v as? [String: Any] { for (k, x) in m { metadata[k] = "\(x)" } }
                continue
            }
            guard let e = v as? [String: Any], let dtype = e["dtype"] as? String, let shapeAny = e["shape"] as? [Any],
                  let offAny = e["data_offsets"] as? [Any], offAny.count == 2 else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': header entry needs dtype, shape and data_offsets [begin, end]")
            }
            guard let width = supportedDTypes[dtype] else {
                throw NetworkFileError.unsupportedDType("\(source): tensor '\(name)' has dtype \(dtype); supported: F64, F32, F16, BF16 (convert the weights to float)")
            }
            let shape = try shapeAny.map { x -> Int in
                guard let i = (x as? NSNumber)?.intValue, i >= 0 else { throw NetworkFileError.malformed("\(source): tensor '\(name)': bad shape \(shapeAny)") }
                return i
            }
            let offs = try offAny.map { x -> Int in
                guard let i = (x as? NSNumber)?.intValue, i >= 0 else { throw NetworkFileError.malformed("\(source): tensor '\(name)': bad data_offsets \(offAny)") }
                return i
            }
            let count = shape.reduce(1, *)
            guard offs[1] >= offs[0], offs[1] - offs[0] == count * width else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': data_offsets \(offs) span \(offs[1] - offs[0]) bytes, shape \(shape) of \(dtype) needs \(count * width)")
            }
            guard offs[1] <= dataLen else {
                throw NetworkFileError.malformed("\(source): tensor '\(name)': data ends at byte \(offs[1]) but the file has only \(dataLen) data bytes; the file is truncated")
            }
            let values = decodeFloats(b, from: dataStart + offs[0], count: count, kind: dtype)
            tensors.append((offs[0], NamedTensor(name: name, shape: shape, values: values, dtype: dtype)))
        }
        tensors.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.name < $1.1.name }
        return (tensors.map(\.1), metadata)
    }

    /// Serialises tensors as F64 (exact) or F32. Tensors are written in the given order; the
    /// header is padded with spaces to a multiple of 8 bytes.
    public static func serialize(_ tensors: [NamedTensor], metadata: [String: String] = [:], dtype: String = "F64") throws -> [UInt8] {
        guard dtype == "F64" || dtype == "F32" else { throw NetworkFileError.unsupportedDType("safetensors writer: dtype \(dtype) not supported; use F64 or F32") }
        let width = dtype == "F64" ? 8 : 4
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            parts.append("\"__metadata__\":{\(m)}")
        }
        var offset = 0
        for t in tensors {
            let len = t.values.count * width
            parts.append("\(jsonString(t.name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + len)]}")
            offset += len
        }
        header += parts.joined(separator: ",") + "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = [UInt8](); out.reserveCapacity(8 + h.count + offset)
        let hn = UInt64(h.count)
        for k in 0..<8 { out.append(UInt8((hn >> (8 * UInt64(k))) & 0xFF)) }
        out += h
        for t in tensors {
            for v in t.values {
                if width == 8 { let bits = v.bitPattern; for k in 0..<8 { out.append(UInt8((bits >> (8 * UInt64(k))) & 0xFF)) } }
                else { let bits = Float(v).bitPattern; for k in 0..<4 { out.append(UInt8((bits >> (8 * UInt32(k))) & 0xFF)) } }
            }
        }
        return out
    }

    /// Writes a network as nn.Sequential state_dict tensors (`0.weight`, `0.bias`, `2.weight`, ...)
    /// with metadata {"format": "liplua", "activation": name of the hidden activation}.
    public static func write(_ net: Network, to path: String, dtype: String = "F64") throws {
        var meta = ["format": "liplua", "sizes": net.sizes.map(String.init).joined(separator: ",")]
        if let a = net.layers.first?.activation, net.depth > 1 { meta["activation"] = a.name }
        try writeFileBytes(try serialize(stateDictTensors(net), metadata: meta, dtype: dtype), to: path)
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
