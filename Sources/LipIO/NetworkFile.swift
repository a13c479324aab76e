import Foundation
import LipCore
import LipControl

/// How a state dict's convolution is applied (state dicts hold weights, not strides or pads).
/// `nil` fields take PyTorch's defaults: stride 1, padding 0, dilation 1, groups inferred from
/// the weight (input channels / weight.shape[1]).
public struct ConvSpec: Sendable, Equatable {
    public var stride: [Int]?
    /// Symmetric padding per spatial axis (PyTorch's `padding=`).
    public var padding: [Int]?
    public var dilation: [Int]?
    public var groups: Int?
    public init(stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil, groups: Int? = nil) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }
}

/// Options of `NetworkFile.load(_:options:)` (what `lip.nn.load(path, {...})` passes).
public struct LoadOptions {
    /// Overrides every hidden layer's activation (the files' recorded names are then ignored).
    public var activation: Activation?
    /// Turns activation names recorded in a file into activations (the Lua registry).
    public var resolveActivation: ActivationResolver
    /// The activation name used when a state dict records none ("relu"); the report says so.
    public var defaultActivation: String
    /// The scalar output (0-based here; the binding converts from 1-based).
    public var output: Network.Output
    /// State dicts: the module names in forward order (e.g. ["fc_in", "fc_hidden", "fc_out"]).
    public var layers: [String]?
    /// The per-sample input shape without the batch dimension, e.g. [1, 28, 28]. Needed for
    /// state-dict convolutions; for ONNX it fills symbolic dimensions of the graph input.
    public var inputShape: [Int]?
    /// State-dict convolutions by module name; the key "*" applies to every convolution.
    public var conv: [String: ConvSpec]
    /// BatchNorm ε for state dicts (PyTorch's default 1e-5; ONNX files carry their own).
    public var batchNormEpsilon: Double
    /// ONNX: the tensor to import up to (a graph output or any intermediate value); default:
    /// the graph's only output.
    public var graphOutput: String?
    public var limits: ReadLimits

    public init(activation: Activation? = nil, resolveActivation: @escaping ActivationResolver = BuiltinActivations.resolver,
                defaultActivation: String = "relu", output: Network.Output = .index(0), layers: [String]? = nil,
                inputShape: [Int]? = nil, conv: [String: ConvSpec] = [:], batchNormEpsilon: Double = 1e-5,
                graphOutput: String? = nil, limits: ReadLimits = .standard) {
        self.activation = activation; self.resolveActivation = resolveActivation; self.defaultActivation = defaultActivation
        self.output = output; self.layers = layers; self.inputShape = inputShape; self.conv = conv
        self.batchNormEpsilon = batchNormEpsilon; self.graphOutput = graphOutput; self.limits = limits
    }
}

/// One layer of a loaded network: what was composed into it and its (unrolled) size.
public struct LayerReport: Sendable, Equatable {
    /// 1-based layer number (W_1 is layer 1).
    public var index: Int
    /// The pieces composed into this affine map, in order ("Conv 'conv1' 8×1×3×3 stride 2 pad 1", ...).
    public var parts: [String]
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var rows: Int
    public var cols: Int
    public var nonzeros: Int
    public var storedDense: Bool
    /// The activation after this layer (nil for the last layer).
    public var activation: String?
    /// Entries of the same layer stored dense (rows × cols).
    public var denseEntries: Int { rows * cols }
}

/// What a load did: the format found, where the layer order came from, every layer's
/// unrolled size, and notes (assumed activations, folded BatchNorms, skipped nodes).
public struct LoadReport: Sendable, CustomStringConvertible {
    public var source: String
    public var format: NetworkFile.Format
    /// How the layer order was decided (for state dicts), or "graph" for ONNX.
    public var order: String
    public var inputShape: [Int]?
    public var layers: [LayerReport]
    public var notes: [String]

    public var description: String {
        var s = "\(source): \(format.rawValue), \(layers.count) layer\(layers.count == 1 ? "" : "s"); order: \(order)"
        if let i = inputShape { s += "; input shape \(i.map(String.init).joined(separator: "×"))" }
        for L in layers {
            let shapes = "\(L.inputShape.map(String.init).joined(separator: "×")) → \(L.outputShape.map(String.init).joined(separator: "×"))"
            let storage = L.storedDense ? "dense" : "sparse, \(L.nonzeros) of \(L.denseEntries) entries (\(String(format: "%.2f", 100 * Double(L.nonzeros) / Double(Swift.max(L.denseEntries, 1))))%)"
            s += "\n  layer \(L.index): \(L.rows) × \(L.cols) \(storage); \(shapes); \(L.parts.joined(separator: " + "))"
            if let a = L.activation { s += "; then \(a)" }
        }
        for n in notes { s += "\n  note: \(n)" }
        return s
    }
}

/// A network with its load report.
public struct LoadedNetwork: Sendable {
    public var network: Network
    public var report: LoadReport
}

/// Loading and saving networks. The format is detected from the file's first bytes, never
/// from its extension.
public enum NetworkFile {
    public enum Format: String, Sendable { case safetensors, npz, npy, json, onnx, pytorch }

    /// The format by magic bytes:
    /// - "PK\x03\x04"/"PK\x05\x06" zip: a PyTorch checkpoint when it holds `*/data.pkl`, else npz;
    /// - 0x80 (pickle protocol 2+): a legacy PyTorch file;
    /// - "\x93NUMPY": npy;
    /// - "{" after whitespace: JSON;
    /// - an 8-byte little-endian length N ≤ file size − 8 followed by "{": safetensors;
    /// - otherwise a protobuf whose first field is one of ModelProto's (ir_version = field 1
    ///   varint, 0x08): ONNX.
    /// nil when nothing matches.
    public static func detect(bytes b: [UInt8]) -> Format? {
        if b.count >= 4, b[0] == 0x50, b[1] == 0x4B, (b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6) {
            if zipHasPickle(b) { return .pytorch }
            return .npz
        }
        if b.count >= 2, b[0] == 0x80, (2...5).contains(b[1]) { return .pytorch }
        if b.count >= 6, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) { return .npy }
        if let f = b.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), f == UInt8(ascii: "{") { return .json }
        if b.count >= 9 {
            // (a truncated file still has its header length and the header's "{")
            var n: UInt64 = 0
            for k in 0..<8 { n |= UInt64(b[k]) << (8 * UInt64(k)) }
            if n >= 2, n < 1 << 32, b[8] == UInt8(ascii: "{") { return .safetensors }
        }
        // ONNX ModelProto: field 1 (ir_version, varint) first in every writer we know; also accept
        // fields 2-8 and 14 (producer_name, graph, opset_import, ...) as the first tag.
        if let t = b.first {
            let field = t >> 3, wire = t & 7
            if (field == 1 && wire == 0) || ((2...8).contains(field) && wire == 2) || (field == 14 && wire == 2) { return .onnx }
        }
        return nil
    }

    /// True when a zip's central directory names a `data.pkl` (torch.save's zip format).
    static func zipHasPickle(_ b: [UInt8]) -> Bool {
        let needle = Array("data.pkl".utf8)
        guard b.count >= needle.count else { return false }
        // Names appear in local headers near the start and in the central directory at the end;
        // scanning bounded windows keeps this cheap for large files.
        func scan(_ r: Range<Int>) -> Bool {
            var i = r.lowerBound
            while i + needle.count <= r.upperBound { if b[i] == needle[0], Array(b[i..<(i + needle.count)]) == needle { return true }; i += 1 }
            return false
        }
        return scan(0..<Swift.min(b.count, 1 << 16)) || scan(Swift.max(0, b.count - (1 << 20))..<b.count)
    }

    static let pytorchAdvice = """
        liplua does not read PyTorch pickles (they can run arbitrary code). Export the model from Python, either as safetensors (weights; then give the activation and, if needed, layers = {...}):
            from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors")
        or, recommended (the whole graph: order, activations, convolutions, BatchNorm), as ONNX:
            torch.onnx.export(model.eval(), torch.zeros(1, *input_shape), "model.onnx")
        """

    /// Loads a network with a report of what was read. See `LoadOptions`.
    public static func load(_ path: String, options: LoadOptions) throws -> LoadedNetwork {
        let bytes = try readFileBytes(path, limits: options.limits)
        return try load(bytes: bytes, source: path, options: options)
    }

    /// `load` from bytes already in memory (`source` names them in messages).
    public static func load(bytes: [UInt8], source: String, options: LoadOptions) throws -> LoadedNetwork {
        guard let format = detect(bytes: bytes) else {
            throw NetworkFileError.unknownFormat("\(source): not a network file liplua knows, or truncated (\(bytes.count) bytes; first bytes \(bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " "))); supported: ONNX, safetensors, numpy .npz, liplua JSON")
        }
        switch format {
        case .pytorch:
            throw NetworkFileError.unknownFormat("\(source) is a PyTorch pickle (torch.save). \(pytorchAdvice)")
        case .npy:
            throw NetworkFileError.unknownFormat("\(source): a single .npy holds one array; save the weights together with np.savez (W1..Wd) or as safetensors")
        case .safetensors:
            let c = try SafeTensors.parseContents(bytes, source: source, limits: options.limits)
            let origin: StateDict.FileOrder = c.headerIsSortedLayout ? .sortedByWriter : .informative("the safetensors header order")
            return try StateDict.build(c.tensors, metadata: c.metadata, fileOrder: origin, format: .safetensors, source: source, options: options)
        case .npz:
            let t = try NPZ.parseArchive(bytes, source: source, limits: options.limits)
            return try StateDict.build(t, metadata: [:], fileOrder: .informative("the archive's member order"), format: .npz, source: source, options: options)
        case .json:
            return try NetworkJSON.load(bytes, source: source, options: options)
        case .onnx:
            return try ONNXImport.load(bytes, source: source, options: options)
        }
    }

    /// Reads a network; `activation` is applied to every hidden layer (overriding what the
    /// file records) and `output` selects c. (The earlier API; `load(_:options:)` reports more.)
    public static func load(_ path: String, activation: Activation, output: Network.Output = .index(0)) throws -> Network {
        try load(path, options: LoadOptions(activation: activation, output: output)).network
    }

    /// Reads the named tensors of a safetensors or npz file (or one .npy) without building a network.
    public static func tensors(_ path: String, limits: ReadLimits = .standard) throws -> [NamedTensor] {
        let bytes = try readFileBytes(path, limits: limits)
        switch detect(bytes: bytes) {
        case .safetensors: return try SafeTensors.parse(bytes, source: path, limits: limits).tensors
        case .npz: return try NPZ.parseArchive(bytes, source: path, limits: limits)
        case .npy: return try [NPZ.parseNPY(bytes, name: (path as NSString).lastPathComponent, source: path, limits: limits)]
        case .pytorch: throw NetworkFileError.unknownFormat("\(path) is a PyTorch pickle. \(pytorchAdvice)")
        default: throw NetworkFileError.unknownFormat("\(path): not a tensor file (safetensors, npz or npy); use load() for networks")
        }
    }

    /// Saves by extension: ".safetensors"/".st" (F64, state_dict names 0.weight, 0.bias,
    /// 2.weight, ..., with the activations, layer order and input shape in `__metadata__`) or
    /// ".json" (liplua's JSON form, sparse layers kept sparse). Other extensions are refused.
    /// Files are written atomically.
    public static func save(_ net: Network, to path: String, inputShape: [Int]? = nil) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "safetensors", "st": try SafeTensors.write(net, to: path, inputShape: inputShape)
        case "json": try writeFileBytes(Array(NetworkJSON.serialize(net, inputShape: inputShape).utf8), to: path)
        default: throw NetworkFileError.unknownFormat("cannot save '\(path)': use a .safetensors or .json file name")
        }
    }
}

// MARK: shared by the builders

/// The output selection checked with 1-based numbers in the message.
func checkOutput(_ o: Network.Output, outputs n: Int, source: String) throws {
    if case .index(let i) = o, !(0..<n).contains(i) {
        throw NetworkFileError.shape("\(source): output \(i + 1) is out of range: the network has \(n) output\(n == 1 ? "" : "s"), numbered 1..\(n) (the Swift API's output index \(i) is 0-based)")
    }
    if case .vector(let c) = o, c.count != n {
        throw NetworkFileError.shape("\(source): the output vector has \(c.count) entries, the network has \(n) outputs")
    }
}

/// Builds the network from affine stages (activation after every stage but the last), checks
/// its size against the budget, and makes the layer reports.
func assemble(stages: [(map: AffineMap, inShape: [Int], outShape: [Int])], activations: [Activation], options: LoadOptions,
              source: String) throws -> (Network, [LayerReport]) {
    precondition(activations.count == stages.count - 1)
    var layers: [Layer] = [], reports: [LayerReport] = []
    var total = 0
    for (k, s) in stages.enumerated() {
        let L = try s.map.layer(activation: k < activations.count ? activations[k] : nil)
        total += L.matrix.nonzeroCount + (L.bias?.count ?? 0)
        try options.limits.claim(Double(total) * 8, "the network's \(total) parameters", source: source)
        layers.append(L)
        reports.append(LayerReport(index: k + 1, parts: s.map.parts.isEmpty ? ["identity"] : s.map.parts, inputShape: s.inShape,
                                   outputShape: s.outShape, rows: L.outputSize, cols: L.inputSize, nonzeros: L.matrix.nonzeroCount,
                                   storedDense: L.storedDense, activation: L.activation?.name))
    }
    try checkOutput(options.output, outputs: layers.last!.outputSize, source: source)
    do { return (try Network(layers: layers, output: options.output), reports) }
    catch let e as NetworkError { throw NetworkFileError.shape("\(source): \(e)") }
}
