import Foundation

/// The JSON network form (read and write):
///
///     {"format": "liplua-network", "version": 1,
///      "activation": "elu",                       // informative; load() takes the activation
///      "layers": [
///        {"weight": [[w11, w12, ...], ...], "bias": [b1, ...]},               // dense, out × in
///        {"sparse": {"rows": 1, "cols": 80, "entries": [[i, j, v], ...]}}     // 0-based triplets
///      ]}
///
/// "bias" is optional per layer. Layers are W_1..W_d in order.
public enum NetworkJSON {
    struct JSparse: Decodable { var rows: Int; var cols: Int; var entries: [[Double]] }
    struct JLayer: Decodable { var weight: [[Double]]?; var bias: [Double]?; var sparse: JSparse? }
    struct JNet: Decodable { var layers: [JLayer] }

    public static func parse(_ b: [UInt8], activation: Activation, output: Network.Output, source: String) throws -> Network {
        // Structure and unknown keys via JSONSerialization; numbers via JSONDecoder, which
        // parses doubles exactly (JSONSerialization on Linux goes through NSDecimalNumber).
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: Data(b)) }
        catch { throw NetworkFileError.malformed("\(source): not valid JSON (\(error.localizedDescription))") }
        guard let root = obj as? [String: Any], let layers = root["layers"] as? [Any] else {
            throw NetworkFileError.malformed("\(source): expected a JSON object with a \"layers\" array")
        }
        for (k, la) in layers.enumerated() {
            guard let L = la as? [String: Any] else { throw NetworkFileError.malformed("\(source): layer \(k + 1) is not an object") }
            for key in L.keys where !["weight", "bias", "sparse", "activation"].contains(key) {
                throw NetworkFileError.unexpectedTensor("\(source): layer \(k + 1) has unknown key '\(key)' (expected weight, sparse, bias)")
            }
        }
        let net: JNet
        do { net = try JSONDecoder().decode(JNet.self, from: Data(b)) }
        catch { throw NetworkFileError.malformed("\(source): layers must hold numbers: weight (array of rows), bias (array), sparse {rows, cols, entries [[i, j, v], ...]}; NaN/Inf cannot be written in JSON (\(error))") }
        var ls: [Layer] = []
        for (k, L) in net.layers.enumerated() {
            let l = k + 1
            let act: Activation? = k < net.layers.count - 1 ? activation : nil
            if let rs = L.weight {
                let cols = rs.first?.count ?? 0
                if let bad = rs.firstIndex(where: { $0.count != cols }) {
                    throw NetworkFileError.shape("\(source): layer \(l) weight row \(bad) has \(rs[bad].count) entries, row 0 has \(cols)")
                }
                do { ls.append(try Layer(weights: .dense(rows: rs.count, cols: cols, values: rs.flatMap { $0 }), bias: L.bias, activation: act)) }
                catch let e as NetworkError { throw NetworkFileError.shape("\(source): layer \(l): \(e)") }
            } else if let s = L.sparse {
                let trip = try s.entries.map { t -> (Int, Int, Double) in
                    guard t.count == 3, t[0] == t[0].rounded(), t[1] == t[1].rounded() else {
                        throw NetworkFileError.malformed("\(source): layer \(l) sparse entries are [row, col, value] with integer row and col")
                    }
                    return (Int(t[0]), Int(t[1]), t[2])
                }
                do { ls.append(try Layer(weights: .sparse(try SparseMatrix(rows: s.rows, cols: s.cols, triplets: trip)), bias: L.bias, activation: act)) }
                catch let e as NetworkError { throw NetworkFileError.shape("\(source): layer \(l): \(e)") }
            } else {
                throw NetworkFileError.missingTensor("\(source): layer \(l) has neither \"weight\" nor \"sparse\"")
            }
        }
        guard !ls.isEmpty else { throw NetworkFileError.missingTensor("\(source): \"layers\" is empty") }
        do { return try Network(layers: ls, output: output) }
        catch let e as NetworkError { throw NetworkFileError.shape("\(source): \(e)") }
    }

    /// JSON text of a network (weights printed with full round-trip precision).
    public static func serialize(_ net: Network) -> String {
        func num(_ x: Double) -> String { "\(x)" }
        var s = "{\"format\": \"liplua-network\", \"version\": 1"
        if net.depth > 1, let a = net.layers[0].activation { s += ", \"activation\": \(jsonString(a.name))" }
        s += ",\n \"layers\": ["
        for (k, L) in net.layers.enumerated() {
            s += k == 0 ? "\n  {" : ",\n  {"
            if L.storedDense {
                let d = L.matrix.dense()
                let rows = (0..<L.outputSize).map { i in "[" + (0..<L.inputSize).map { num(d[i * L.inputSize + $0]) }.joined(separator: ", ") + "]" }
                s += "\"weight\": [" + rows.joined(separator: ", ") + "]"
            } else {
                let M = L.matrix
                var es: [String] = []
                for i in 0..<M.rows { for p in M.rowStart[i]..<M.rowStart[i + 1] { es.append("[\(i), \(M.columns[p]), \(num(M.values[p]))]") } }
                s += "\"sparse\": {\"rows\": \(M.rows), \"cols\": \(M.cols), \"entries\": [" + es.joined(separator: ", ") + "]}"
            }
            if let b = L.bias { s += ", \"bias\": [" + b.map(num).joined(separator: ", ") + "]" }
            s += "}"
        }
        return s + "\n]}\n"
    }
}

/// Loading and saving networks; the format is chosen by extension, then by content.
public enum NetworkFile {
    public enum Format: String, Sendable { case safetensors, npz, npy, json }

    /// Detects the format: ".safetensors"/".st", ".npz", ".npy", ".json" by extension;
    /// otherwise zip magic "PK" → npz, "\x93NUMPY" → npy, "{" → JSON, else safetensors.
    public static func detect(_ path: String, bytes: [UInt8]) -> Format {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "safetensors", "st": return .safetensors
        case "npz": return .npz
        case "npy": return .npy
        case "json": return .json
        default: break
        }
        if bytes.count >= 2 && bytes[0] == 0x50 && bytes[1] == 0x4B { return .npz }
        if bytes.count >= 6 && bytes[0] == 0x93 && Array(bytes[1..<6]) == Array("NUMPY".utf8) { return .npy }
        if let f = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), f == UInt8(ascii: "{") { return .json }
        return .safetensors
    }

    /// Reads a network from a safetensors, npz or JSON file (see `networkFromTensors` for the
    /// tensor names understood). Every hidden layer gets `activation`; `output` selects c.
    public static func load(_ path: String, activation: Activation, output: Network.Output = .index(0)) throws -> Network {
        let bytes = try readFileBytes(path)
        switch detect(path, bytes: bytes) {
        case .safetensors:
            return try networkFromTensors(try SafeTensors.parse(bytes, source: path).tensors, activation: activation, output: output, source: path)
        case .npz:
            return try networkFromTensors(try NPZ.parseArchive(bytes, source: path), activation: activation, output: output, source: path)
        case .npy:
            throw NetworkFileError.unknownFormat("\(path): a single .npy holds one array; save the weights together with np.savez (W1..Wd) or as safetensors")
        case .json:
            return try NetworkJSON.parse(bytes, activation: activation, output: output, source: path)
        }
    }

    /// Reads the named tensors of a safetensors or npz file without building a network.
    public static func tensors(_ path: String) throws -> [NamedTensor] {
        let bytes = try readFileBytes(path)
        switch detect(path, bytes: bytes) {
        case .safetensors: return try SafeTensors.parse(bytes, source: path).tensors
        case .npz: return try NPZ.parseArchive(bytes, source: path)
        case .npy: return [try NPZ.parseNPY(bytes, name: (path as NSString).lastPathComponent, source: path)]
        case .json: throw NetworkFileError.unknownFormat("\(path): JSON networks hold layers, not tensors; use load()")
        }
    }

    /// Saves by extension: ".safetensors" (F64, state_dict names 0.weight, 0.bias, 2.weight, ...)
    /// or ".json". Other extensions are refused.
    public static func save(_ net: Network, to path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "safetensors", "st": try SafeTensors.write(net, to: path)
        case "json": try writeFileBytes(Array(NetworkJSON.serialize(net).utf8), to: path)
        default: throw NetworkFileError.unknownFormat("cannot save '\(path)': use a .safetensors or .json file name")
        }
    }
}
