import Foundation

/// Errors from reading or writing network files. Messages name the file and the tensor or
/// layer at fault.
public enum NetworkFileError: Error, CustomStringConvertible, Equatable {
    case io(String)
    case malformed(String)
    case unsupportedDType(String)
    case missingTensor(String)
    case unexpectedTensor(String)
    case shape(String)
    case nonFinite(String)
    case unknownFormat(String)

    public var description: String {
        switch self {
        case .io(let m), .malformed(let m), .unsupportedDType(let m), .missingTensor(let m), .unexpectedTensor(let m),
             .shape(let m), .nonFinite(let m), .unknownFormat(let m): return m
        }
    }
}

/// A named array read from a file, converted to Double, in row-major (C) order.
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Double]
    /// The dtype it was stored with ("F32", "<f8", ...), for messages.
    public var dtype: String
    public init(name: String, shape: [Int], values: [Double], dtype: String = "F64") {
        self.name = name; self.shape = shape; self.values = values; self.dtype = dtype
    }
}

/// Natural order of names: digit runs compare as numbers ("2.weight" < "10.weight",
/// "fc2" < "fc10").
func naturalLess(_ a: String, _ b: String) -> Bool {
    func chunks(_ s: String) -> [(Bool, String)] {
        var out: [(Bool, String)] = [], cur = "", curDigit = false
        for ch in s {
            let dg = ch.isASCII && ch.isNumber
            if !cur.isEmpty && dg != curDigit { out.append((curDigit, cur)); cur = "" }
            cur.append(ch); curDigit = dg
        }
        if !cur.isEmpty { out.append((curDigit, cur)) }
        return out
    }
    let x = chunks(a), y = chunks(b)
    for (p, q) in zip(x, y) {
        if p.0 && q.0 {
            let u = Int(p.1) ?? 0, v = Int(q.1) ?? 0
            if u != v { return u < v }
        } else if p.1 != q.1 { return p.1 < q.1 }
    }
    return x.count < y.count
}

/// Turns named tensors into a network. Two naming schemes are understood:
/// - `W1..Wd` with optional `b1..bd` (the test vectors; W_l is out × in);
/// - PyTorch state_dict style `<prefix>.weight` / `<prefix>.bias` (nn.Sequential gives
///   `0.weight`, `0.bias`, `2.weight`, ...): layers are ordered by the natural order of the
///   prefixes (numeric parts compared as numbers).
/// A weight must be 2-D out × in (1-D is read as one row); a bias 1-D (or 1 × n / n × 1).
/// Missing and extra tensors, shape mismatches and NaN/Inf are errors naming the tensor.
public func networkFromTensors(_ tensors: [NamedTensor], activation: Activation, output: Network.Output,
                               source: String = "file") throws -> Network {
    var byName = [String: NamedTensor]()
    for t in tensors {
        guard byName[t.name] == nil else { throw NetworkFileError.malformed("\(source): tensor '\(t.name)' appears twice") }
        byName[t.name] = t
    }
    guard !tensors.isEmpty else { throw NetworkFileError.missingTensor("\(source): no tensors found; expected W1..Wd or <layer>.weight tensors") }
    var pairs: [(weight: NamedTensor, bias: NamedTensor?)] = []
    let wNames = byName.keys.filter { $0.count > 1 && $0.first == "W" && Int($0.dropFirst()) != nil }
    if !wNames.isEmpty {
        let d = wNames.compactMap { Int($0.dropFirst()) }.max()!
        var consumed = Set<String>()
        for l in 1...d {
            guard let w = byName["W\(l)"] else {
                throw NetworkFileError.missingTensor("\(source): tensor 'W\(l)' is missing (found W-tensors \(wNames.sorted(by: naturalLess)); layers must be numbered W1..W\(d))")
            }
            consumed.insert("W\(l)")
            let b = byName["b\(l)"]; if b != nil { consumed.insert("b\(l)") }
            pairs.append((w, b))
        }
        if let extra = byName.keys.filter({ !consumed.contains($0) }).sorted(by: naturalLess).first {
            throw NetworkFileError.unexpectedTensor("\(source): unexpected tensor '\(extra)' (expected W1..W\(d) and b1..b\(d))")
        }
    } else {
        var weights = [String: NamedTensor](), biases = [String: NamedTensor]()
        for (n, t) in byName {
            if n.hasSuffix(".weight") { weights[String(n.dropLast(7))] = t }
            else if n.hasSuffix(".bias") { biases[String(n.dropLast(5))] = t }
            else if n == "weight" { weights[""] = t }
            else if n == "bias" { biases[""] = t }
            else {
                throw NetworkFileError.unexpectedTensor("\(source): unexpected tensor '\(n)'; expected '<layer>.weight'/'<layer>.bias' (PyTorch state_dict) or W1..Wd/b1..bd")
            }
        }
        for p in biases.keys where weights[p] == nil {
            throw NetworkFileError.missingTensor("\(source): tensor '\(p.isEmpty ? "" : p + ".")bias' has no matching '\(p.isEmpty ? "" : p + ".")weight'")
        }
        for p in weights.keys.sorted(by: naturalLess) { pairs.append((weights[p]!, biases[p])) }
    }

    var layers: [Layer] = []
    var prevOut: Int? = nil
    for (k, pr) in pairs.enumerated() {
        let w = pr.weight
        let rows: Int, cols: Int
        switch w.shape.count {
        case 2: rows = w.shape[0]; cols = w.shape[1]
        case 1: rows = 1; cols = w.shape[0]
        default: throw NetworkFileError.shape("\(source): tensor '\(w.name)' has shape \(w.shape); a weight must be 2-D (out × in)")
        }
        guard w.values.count == rows * cols, rows > 0, cols > 0 else {
            throw NetworkFileError.shape("\(source): tensor '\(w.name)' has shape \(w.shape) and \(w.values.count) values; a weight must be a nonempty out × in matrix")
        }
        if let p = prevOut, p != cols {
            throw NetworkFileError.shape("\(source): tensor '\(w.name)' (layer \(k + 1)) has \(cols) inputs (shape \(w.shape), out × in) but the previous layer '\(pairs[k - 1].weight.name)' has \(p) outputs")
        }
        if let i = w.values.firstIndex(where: { !$0.isFinite }) {
            throw NetworkFileError.nonFinite("\(source): tensor '\(w.name)' (layer \(k + 1)) has \(w.values[i]) at [\(i / cols), \(i % cols)]; weights must be finite")
        }
        var bias: [Double]? = nil
        if let b = pr.bias {
            guard b.values.count == rows, b.shape.reduce(1, *) == rows, b.shape.filter({ $0 != 1 }).count <= 1 else {
                throw NetworkFileError.shape("\(source): tensor '\(b.name)' has shape \(b.shape) but '\(w.name)' has \(rows) outputs; a bias must have shape [\(rows)]")
            }
            if let i = b.values.firstIndex(where: { !$0.isFinite }) {
                throw NetworkFileError.nonFinite("\(source): tensor '\(b.name)' (layer \(k + 1)) has \(b.values[i]) at [\(i)]; biases must be finite")
            }
            bias = b.values
        }
        layers.append(try Layer(weights: .dense(rows: rows, cols: cols, values: w.values), bias: bias,
                                activation: k < pairs.count - 1 ? activation : nil))
        prevOut = rows
    }
    do { return try Network(layers: layers, output: output) }
    catch let e as NetworkError { throw NetworkFileError.shape("\(source): \(e)") }
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

// MARK: little-endian byte helpers

@inline(__always) func readLE<T: FixedWidthInteger>(_ b: [UInt8], _ at: Int, as: T.Type) -> T {
    var v: T = 0
    for k in 0..<MemoryLayout<T>.size { v |= T(b[at + k]) << (8 * k) }
    return v
}

func halfToDouble(_ h: UInt16) -> Double {
    let sign = (h >> 15) & 1, exp = Int((h >> 10) & 0x1F), frac = Double(h & 0x3FF)
    let s: Double = sign == 1 ? -1 : 1
    if exp == 0 { return s * frac * 0x1p-24 }
    if exp == 31 { return frac == 0 ? s * .infinity : .nan }
    return s * (1 + frac / 1024) * Double(sign: .plus, exponent: exp - 15, significand: 1)
}

/// Decodes `count` little- (or big-) endian floats of `width` bytes ("F64", "F32", "F16", "BF16").
func decodeFloats(_ b: [UInt8], from start: Int, count: Int, kind: String, bigEndian: Bool = false) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    func byte(_ base: Int, _ k: Int, _ w: Int) -> UInt64 { UInt64(b[base + (bigEndian ? w - 1 - k : k)]) }
    switch kind {
    case "F64":
        for i in 0..<count { var v: UInt64 = 0; for k in 0..<8 { v |= byte(start + 8 * i, k, 8) << (8 * UInt64(k)) }; out[i] = Double(bitPattern: v) }
    case "F32":
        for i in 0..<count { var v: UInt64 = 0; for k in 0..<4 { v |= byte(start + 4 * i, k, 4) << (8 * UInt64(k)) }; out[i] = Double(Float(bitPattern: UInt32(v))) }
    case "F16":
        for i in 0..<count { let v = byte(start + 2 * i, 0, 2) | byte(start + 2 * i, 1, 2) << 8; out[i] = halfToDouble(UInt16(v)) }
    case "BF16":
        for i in 0..<count { let v = byte(start + 2 * i, 0, 2) | byte(start + 2 * i, 1, 2) << 8; out[i] = Double(Float(bitPattern: UInt32(v) << 16)) }
    default: break
    }
    return out
}

func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else {
        throw NetworkFileError.io("cannot read '\(path)': no such file or not readable")
    }
    return [UInt8](d)
}

func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw NetworkFileError.io("cannot write '\(path)'; check that the directory exists and is writable")
    }
}
