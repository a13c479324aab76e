import Foundation
import LipCore
import LipControl

/// The JSON network form (read and write):
///
///     {"format": "liplua-network", "version": 1,
///      "activation": "elu",                        // hidden activation (when all are equal)
///      "input_shape": [1, 28, 28],                 // optional, per sample
///      "layers": [
///        {"weight": [[w11, w12, ...], ...], "bias": [b1, ...], "activation": "elu"},  // dense, out × in
///        {"sparse": {"rows": 1, "cols": 80, "entries": [[i, j, v], ...]}}          // 0-based triplets
///      ]}
///
/// "bias" is optional per layer; a hidden layer's "activation" overrides the top-level one;
/// the last layer has none. Layers are W_1..W_d in order. Read with `OrderedJSON` (exact
/// numbers); every size and index is checked (integers, in range, within the budget) before
/// anything is allocated.
public enum NetworkJSON {
    static func load(_ b: [UInt8], source: String, options: LoadOptions) throws -> LoadedNetwork {
        let root = try OrderedJSON.parse(b, source: source, maxDepth: options.limits.maxJSONDepth)
        guard root.objectEntries != nil, let layers = root["layers"]?.array else {
            throw NetworkFileError.malformed("\(source): expected a JSON object with a \"layers\" array")
        }
        guard !layers.isEmpty else { throw NetworkFileError.missingTensor("\(source): \"layers\" is empty") }
        var inputShape = options.inputShape
        if inputShape == nil, let s = root["input_shape"]?.array {
            inputShape = try s.map { v -> Int in
                guard let d = v.double, let i = try? CheckedSize.integer(d, what: "input_shape"), i >= 1 else {
                    throw NetworkFileError.malformed("\(source): input_shape holds \(v); positive integers expected")
                }
                return i
            }
        }
        func num(_ v: JSONValue, _ what: String) throws -> Double {
            guard let d = v.double else { throw NetworkFileError.malformed("\(source): \(what) is \(v.kindName), a number was expected (NaN/Inf cannot be written in JSON)") }
            guard d.isFinite else { throw NetworkFileError.nonFinite("\(source): \(what) = \(d) is not finite") }
            return d
        }
        func index(_ v: JSONValue, _ what: String, below n: Int) throws -> Int {
            guard let d = v.double, d.isFinite, d == d.rounded(), d >= 0, d < Double(n) else {
                throw NetworkFileError.shape("\(source): \(what) is \(v.double.map { "\($0)" } ?? v.kindName); it must be an integer in 0..<\(n) (the JSON form's triplets are 0-based)")
            }
            return Int(d)
        }
        var stages: [(map: AffineMap, inShape: [Int], outShape: [Int])] = []
        var actNames: [String?] = []
        var total = 0
        var prevShape: [Int]? = inputShape
        for (k, L) in layers.enumerated() {
            let l = k + 1
            guard let entries = L.objectEntries else { throw NetworkFileError.malformed("\(source): layer \(l) is not an object") }
            for (key, _) in entries where !["weight", "bias", "sparse", "activation"].contains(key) {
                throw NetworkFileError.unexpectedTensor("\(source): layer \(l) has unknown key '\(key)' (expected weight, sparse, bias, activation)")
            }
            let M: SparseMatrix, dense: Bool
            if let rowsV = L["weight"] {
                guard let rs = rowsV.array else { throw NetworkFileError.malformed("\(source): layer \(l) weight must be an array of rows") }
                let cols = rs.first?.array?.count ?? 0
                var values: [Double] = []
                try options.limits.claim(Double(rs.count) * Double(cols) * 16, "layer \(l)", source: source)
                values.reserveCapacity(rs.count * cols)
                for (i, r) in rs.enumerated() {
                    guard let row = r.array else { throw NetworkFileError.malformed("\(source): layer \(l) weight row \(i + 1) is not an array") }
                    guard row.count == cols else { throw NetworkFileError.shape("\(source): layer \(l) weight row \(i + 1) has \(row.count) entries, row 1 has \(cols)") }
                    for (j, v) in row.enumerated() { values.append(try num(v, "layer \(l) weight [\(i + 1), \(j + 1)]")) }
                }
                guard rs.count > 0, cols > 0 else { throw NetworkFileError.shape("\(source): layer \(l) weight is empty") }
                M = try SparseMatrix(rows: rs.count, cols: cols, dense: values); dense = true
            } else if let s = L["sparse"] {
                guard let rv = s["rows"], let cv = s["cols"], let ev = s["entries"]?.array else {
                    throw NetworkFileError.malformed("\(source): layer \(l) sparse needs rows, cols and entries [[i, j, v], ...]")
                }
                let rows = try index(rv, "layer \(l) sparse rows", below: Int.max), cols = try index(cv, "layer \(l) sparse cols", below: Int.max)
                guard rows >= 1, cols >= 1 else { throw NetworkFileError.shape("\(source): layer \(l) sparse matrix is \(rows) × \(cols); both sizes must be positive") }
                // CSR row starts are built twice (triplets → CSR → SparseMatrix's validated copy), entries
                // are sorted and copied: 24 bytes a row and 48 an entry cover the peak.
                let bytes = try sized(source) { try CheckedSize.sum(try CheckedSize.product([rows, 24], what: "layer \(l) rows"), try CheckedSize.product([ev.count, 48], what: "layer \(l) entries"), what: "layer \(l)") }
                try options.limits.claim(bytes, "layer \(l) (sparse \(rows) × \(cols))", source: source)
                var trip: [(Int, Int, Double)] = []
                trip.reserveCapacity(ev.count)
                for (e, t) in ev.enumerated() {
                    guard let a = t.array, a.count == 3 else { throw NetworkFileError.malformed("\(source): layer \(l) sparse entry \(e + 1) must be [row, col, value]") }
                    trip.append((try index(a[0], "layer \(l) sparse entry \(e + 1) row", below: rows),
                                 try index(a[1], "layer \(l) sparse entry \(e + 1) column", below: cols),
                                 try num(a[2], "layer \(l) sparse entry \(e + 1) value")))
                }
                M = try csrFromTriplets(rows: rows, cols: cols, trip); dense = false
            } else {
                throw NetworkFileError.missingTensor("\(source): layer \(l) has neither \"weight\" nor \"sparse\"")
            }
            var bias: [Double]? = nil
            if let bv = L["bias"] {
                guard let a = bv.array else { throw NetworkFileError.malformed("\(source): layer \(l) bias must be an array") }
                guard a.count == M.rows else { throw NetworkFileError.shape("\(source): layer \(l) bias has \(a.count) entries, the weight has \(M.rows) rows") }
                bias = try a.enumerated().map { try num($1, "layer \(l) bias [\($0 + 1)]") }
            }
            if let act = L["activation"] {
                guard let n = act.string else { throw NetworkFileError.malformed("\(source): layer \(l) activation must be a name") }
                actNames.append(n)
            } else { actNames.append(nil) }
            total += M.nonzeroCount
            try options.limits.claim(Double(total) * 16, "the network", source: source)
            if let p = prevShape, p.reduce(1, *) != M.cols {
                throw NetworkFileError.shape("\(source): layer \(l) takes \(M.cols) inputs but \(k == 0 ? "input_shape \(p) has" : "layer \(k) has") \(p.reduce(1, *)) outputs")
            }
            let inShape = prevShape ?? [M.cols]
            var map = AffineMap(inputSize: M.cols)
            try map.then(M, bias: bias, dense: dense, part: dense ? "dense \(M.rows)×\(M.cols)" : "sparse \(M.rows)×\(M.cols)", limits: options.limits, source: source)
            stages.append((map, inShape, [M.rows]))
            prevShape = [M.rows]
        }
        var notes: [String] = []
        var acts: [Activation] = []
        let top = root["activation"]?.string
        for k in 0..<(layers.count - 1) {
            if let a = options.activation { acts.append(a); continue }
            let name: String
            if let n = actNames[k] ?? top { name = n }
            else { name = options.defaultActivation; if k == 0 { notes.append("the file records no activations: \(name) assumed (pass activation = ... to choose)") } }
            do { acts.append(try options.resolveActivation(name)) }
            catch { throw NetworkFileError.activation("\(source): layer \(k + 1): \(error)") }
        }
        let (net, reports) = try assemble(stages: stages, activations: acts, options: options, source: source)
        return LoadedNetwork(network: net, report: LoadReport(source: source, format: .json, order: "the layers array", inputShape: inputShape,
                                                              layers: reports, notes: notes))
    }

    /// Parses a JSON network; every hidden layer gets `activation` (the earlier API).
    public static func parse(_ b: [UInt8], activation: Activation, output: Network.Output, source: String) throws -> Network {
        try load(b, source: source, options: LoadOptions(activation: activation, output: output)).network
    }

    /// JSON text of a network (weights printed with full round-trip precision; every hidden
    /// layer's activation recorded).
    public static func serialize(_ net: Network, inputShape: [Int]? = nil) -> String {
        func num(_ x: Double) -> String { "\(x)" }
        var s = "{\"format\": \"liplua-network\", \"version\": 1"
        if net.depth > 1, let a = net.layers[0].activation { s += ", \"activation\": \(jsonString(a.name))" }
        if let i = inputShape { s += ", \"input_shape\": [" + i.map(String.init).joined(separator: ", ") + "]" }
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
            if k < net.depth - 1, let a = L.activation { s += ", \"activation\": \(jsonString(a.name))" }
            s += "}"
        }
        return s + "\n]}\n"
    }
}
