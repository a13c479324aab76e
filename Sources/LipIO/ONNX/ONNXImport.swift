import Foundation
import LipCore
import LipControl
import SwiftProtobuf

/// ONNX import: the graph from its (single) input to the chosen output becomes a network of
/// affine layers and activations.
///
/// - The protobuf is parsed by swift-protobuf (generated code in onnx.pb.swift; depth-limited,
///   every length checked against the buffer). Every tensor's declared size is checked
///   (overflow, the bytes actually present, the budget) before it is decoded.
/// - Only the nodes the output depends on are visited, in topological order (Kahn's algorithm,
///   ties broken by the file's node order); a cycle is refused naming its nodes.
/// - Linear pieces between two activations are **composed** into one affine map (one layer):
///   Gemm, MatMul, Add/Sub/Mul/Div by constants, Conv/ConvTranspose and AveragePool/
///   GlobalAveragePool (unrolled to sparse matrices on the known input shape),
///   BatchNormalization (folded), Flatten/Reshape/Squeeze/Unsqueeze (bookkeeping only: the
///   row-major order of the data does not change), Identity/Dropout/Cast (skipped). Composition
///   is exact; it keeps the network's layers = the activations' layers, which is what LiPopt
///   needs (an identity activation between two affine maps would only add variables).
/// - Relu, LeakyRelu (α), Elu (α), Tanh, Sigmoid, Softplus end a layer; their names go through
///   the activation resolver ("leaky_relu(α)", "elu(α)" with α as the file's float gives it).
/// - Constant subgraphs (Constant, Shape of a tensor of known shape, Gather, Concat, Unsqueeze,
///   Squeeze, Cast, Reshape on constants) are evaluated, so exporters' `x.view(x.size(0), -1)`
///   shape arithmetic works.
/// - Anything else (MaxPool, an Add of two computed tensors, Concat of computed tensors, ...) is
///   refused naming the node, its op type and the supported ops.
enum ONNXImport {
    static let supportedOps = ["Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Conv", "ConvTranspose", "BatchNormalization",
                               "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Squeeze", "Unsqueeze",
                               "Relu", "LeakyRelu", "Elu", "Tanh", "Sigmoid", "Softplus", "Identity", "Dropout", "Cast"]
    static let constantOps = ["Constant", "Shape", "Gather", "Concat", "Unsqueeze", "Squeeze", "Cast", "Reshape", "Identity"]

    struct Const { var dims: [Int]; var values: [Double] }

    static func load(_ bytes: [UInt8], source: String, options: LoadOptions) throws -> LoadedNetwork {
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: bytes) }
        catch { throw NetworkFileError.malformed("\(source): not a valid ONNX model (the protobuf is truncated or corrupt: \(error))") }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw NetworkFileError.malformed("\(source): the ONNX model has no graph (or no nodes); is it an ONNX file?")
        }
        var imp = Importer(graph: model.graph, source: source, options: options)
        return try imp.run()
    }

    /// Decodes an initializer / constant tensor after checking its declared size.
    static func decode(_ t: Onnx_TensorProto, what: String, source: String, limits: ReadLimits) throws -> Const {
        if t.dataLocation == .external {
            throw NetworkFileError.unsupported("\(source): tensor \(what) is stored in an external file; save the model with its data inside: onnx.save(model, path, save_as_external_data=False)")
        }
        let dims = try t.dims.map { d -> Int in
            guard d >= 0, let i = Int(exactly: d) else { throw NetworkFileError.malformed("\(source): tensor \(what) has dimension \(d)") }
            return i
        }
        let width: Int
        switch Int(t.dataType) {
        case 1, 6: width = 4
        case 11, 7: width = 8
        case 10, 16: width = 2
        default:
            throw NetworkFileError.unsupportedDType("\(source): tensor \(what) has ONNX data type \(t.dataType); supported: float (1), double (11), float16 (10), bfloat16 (16), int32/int64 for shapes")
        }
        let (count, nbytes) = try checkedCount(dims, width: width, what: "tensor \(what) of shape \(dims)", source: source)
        try limits.claim(Double(count) * 8, "tensor \(what)", source: source)
        if t.hasRawData {
            guard t.rawData.count == nbytes else {
                throw NetworkFileError.malformed("\(source): tensor \(what): raw_data has \(t.rawData.count) bytes, shape \(dims) needs \(nbytes)")
            }
            let raw = [UInt8](t.rawData)
            switch Int(t.dataType) {
            case 1: return Const(dims: dims, values: decodeFloats(raw, from: 0, count: count, kind: "F32"))
            case 11: return Const(dims: dims, values: decodeFloats(raw, from: 0, count: count, kind: "F64"))
            case 10: return Const(dims: dims, values: decodeFloats(raw, from: 0, count: count, kind: "F16"))
            case 16: return Const(dims: dims, values: decodeFloats(raw, from: 0, count: count, kind: "BF16"))
            case 6: return Const(dims: dims, values: (0..<count).map { i in Double(Int32(bitPattern: UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24)) })
            default:
                return Const(dims: dims, values: (0..<count).map { i in
                    var v: UInt64 = 0; for k in 0..<8 { v |= UInt64(raw[8 * i + k]) << (8 * UInt64(k)) }
                    return Double(Int64(bitPattern: v))
                })
            }
        }
        func typed<T>(_ a: [T], _ f: (T) -> Double, _ field: String) throws -> Const {
            guard a.count == count else { throw NetworkFileError.malformed("\(source): tensor \(what): \(field) has \(a.count) values, shape \(dims) needs \(count)") }
            return Const(dims: dims, values: a.map(f))
        }
        switch Int(t.dataType) {
        case 1: return try typed(t.floatData, { Double($0) }, "float_data")
        case 11: return try typed(t.doubleData, { $0 }, "double_data")
        case 10: return try typed(t.int32Data, { halfToDouble(UInt16(truncatingIfNeeded: $0)) }, "int32_data (float16 bits)")
        case 16: return try typed(t.int32Data, { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16)) }, "int32_data (bfloat16 bits)")
        case 6: return try typed(t.int32Data, { Double($0) }, "int32_data")
        default: return try typed(t.int64Data, { Double($0) }, "int64_data")
        }
    }

    struct Importer {
        let graph: Onnx_GraphProto
        let source: String
        let options: LoadOptions
        var consts: [String: Const] = [:]
        var dataShapes: [String: [Int]] = [:]
        var notes: [String] = []

        init(graph: Onnx_GraphProto, source: String, options: LoadOptions) { self.graph = graph; self.source = source; self.options = options }

        func label(_ k: Int) -> String {
            let n = graph.node[k]
            return (n.name.isEmpty ? "node \(k + 1)" : "node '\(n.name)'") + " (\(n.opType))"
        }
        func fail(_ k: Int, _ m: String) -> NetworkFileError { .unsupported("\(source): \(label(k)): \(m)") }
        func refuse(_ k: Int, _ m: String) -> NetworkFileError {
            .unsupported("\(source): \(label(k)): \(m). liplua imports feed-forward networks: \(ONNXImport.supportedOps.joined(separator: ", ")) (Gather/Concat/Shape only in constant shape computations)")
        }

        func attr(_ k: Int, _ name: String) -> Onnx_AttributeProto? { graph.node[k].attribute.first { $0.name == name } }
        func int(_ k: Int, _ name: String, _ def: Int) throws -> Int {
            guard let a = attr(k, name) else { return def }
            guard let v = Int(exactly: a.i), Swift.abs(v) < 1 << 40 else { throw fail(k, "attribute \(name) = \(a.i) is out of range") }
            return v
        }
        func ints(_ k: Int, _ name: String) throws -> [Int]? {
            guard let a = attr(k, name) else { return nil }
            guard a.ints.count <= 16 else { throw fail(k, "attribute \(name) has \(a.ints.count) entries") }
            return try a.ints.map { v in guard let i = Int(exactly: v), Swift.abs(i) < 1 << 40 else { throw fail(k, "attribute \(name) holds \(v)") }; return i }
        }
        func float(_ k: Int, _ name: String, _ def: Double) throws -> Double {
            guard let a = attr(k, name) else { return def }
            let v = Double(a.f)
            guard v.isFinite else { throw fail(k, "attribute \(name) = \(v) is not finite") }
            return v
        }
        func string(_ k: Int, _ name: String, _ def: String) -> String {
            guard let a = attr(k, name) else { return def }
            return String(decoding: a.s, as: UTF8.self)
        }
        func const(_ k: Int, _ name: String) throws -> Const {
            guard let c = consts[name] else { throw fail(k, "input '\(name)' must be a constant (an initializer or a Constant node)") }
            return c
        }

        mutating func run() throws -> LoadedNetwork {
            let L = options.limits
            for (i, t) in graph.initializer.enumerated() {
                let what = t.name.isEmpty ? "initializer \(i + 1)" : "'\(t.name)'"
                consts[t.name] = try ONNXImport.decode(t, what: what, source: source, limits: L)
            }
            for t in graph.sparseInitializer where consts[t.values.name] == nil {
                throw NetworkFileError.unsupported("\(source): sparse initializer '\(t.values.name)' is not supported; store it dense")
            }
            let inputs = graph.input.filter { consts[$0.name] == nil }
            guard inputs.count == 1 else {
                throw NetworkFileError.unsupported("\(source): the graph has \(inputs.count) inputs (\(inputs.map { "'\($0.name)'" }.joined(separator: ", "))); liplua imports networks with one input")
            }
            let input = inputs[0]
            // The output
            let producers: [String: Int] = try {
                var p = [String: Int]()
                for (k, n) in graph.node.enumerated() {
                    for o in n.output where !o.isEmpty {
                        guard p[o] == nil, consts[o] == nil, o != input.name else { throw NetworkFileError.malformed("\(source): \(label(k)) writes '\(o)', which is already defined") }
                        p[o] = k
                    }
                }
                return p
            }()
            let outName: String
            if let o = options.graphOutput {
                guard producers[o] != nil else {
                    throw NetworkFileError.missingTensor("\(source): graph_output '\(o)' is not computed by any node (graph outputs: \(graph.output.map { "'\($0.name)'" }.joined(separator: ", ")))")
                }
                outName = o
            } else {
                guard graph.output.count == 1 else {
                    throw NetworkFileError.unsupported("\(source): the graph has \(graph.output.count) outputs (\(graph.output.map { "'\($0.name)'" }.joined(separator: ", "))); choose one with graph_output = \"name\"")
                }
                outName = graph.output[0].name
            }
            // Nodes the output depends on, then Kahn's order (ties: file order).
            var needed = Set<Int>(), stack = [outName]
            while let t = stack.popLast() {
                guard let k = producers[t], needed.insert(k).inserted else { continue }
                for i in graph.node[k].input where !i.isEmpty { stack.append(i) }
            }
            for k in needed.sorted() {
                for i in graph.node[k].input where !i.isEmpty && producers[i] == nil && consts[i] == nil && i != input.name {
                    throw NetworkFileError.missingTensor("\(source): \(label(k)) reads '\(i)', which is neither the input, an initializer nor computed by a node (missing initializer?)")
                }
            }
            var indeg = [Int: Int](), users = [Int: [Int]]()
            for k in needed {
                let deps = Set(graph.node[k].input.compactMap { producers[$0] }.filter { needed.contains($0) })
                indeg[k] = deps.count
                for d in deps.sorted() { users[d, default: []].append(k) }
            }
            var ready = needed.filter { indeg[$0] == 0 }.sorted(), topo: [Int] = []
            while !ready.isEmpty {
                let k = ready.removeFirst()
                topo.append(k)
                for u in users[k] ?? [] { indeg[u]! -= 1; if indeg[u] == 0 { ready.append(u); ready.sort() } }
            }
            if topo.count < needed.count {
                let cyc = needed.filter { indeg[$0]! > 0 }.sorted().prefix(8).map(label)
                throw NetworkFileError.malformed("\(source): the graph has a cycle through \(cyc.joined(separator: ", ")); ONNX graphs must be acyclic")
            }
            // Input shape (per sample, without the batch dimension).
            var shape: [Int]
            let dims = input.type.tensorType.shape.dim.map { d -> Int? in
                if case .dimValue(let v)? = d.value, v > 0, let i = Int(exactly: v) { return i }
                return nil
            }
            let elem = input.type.tensorType.elemType
            guard [0, 1, 10, 11, 16].contains(Int(elem)) else {
                throw NetworkFileError.unsupported("\(source): the graph input '\(input.name)' has element type \(elem); a float input is needed")
            }
            let fileShape: [Int?] = dims.count >= 2 ? Array(dims.dropFirst()) : dims
            if let s = options.inputShape {
                guard !s.isEmpty, s.allSatisfy({ $0 >= 1 }) else { throw NetworkFileError.shape("\(source): input_shape \(s) must hold positive sizes") }
                if !fileShape.isEmpty, fileShape.count != s.count || zip(fileShape, s).contains(where: { $0 != nil && $0! != $1 }) {
                    throw NetworkFileError.shape("\(source): input_shape \(s) does not match the graph input '\(input.name)' of per-sample shape \(fileShape.map { $0.map(String.init) ?? "?" })")
                }
                shape = s
            } else {
                guard !fileShape.isEmpty, fileShape.allSatisfy({ $0 != nil }) else {
                    throw NetworkFileError.shape("\(source): the graph input '\(input.name)' has shape \(dims.map { $0.map(String.init) ?? "?" }) with unknown sizes; pass input_shape = {...} (per sample, without the batch dimension)")
                }
                shape = fileShape.map { $0! }
            }
            _ = try sized(source) { try CheckedSize.product(shape, what: "input shape") }
            if dims.count >= 2, let b = dims[0], b != 1 { notes.append("the input's batch dimension is \(b); liplua treats one sample") }
            let inputShape = shape
            dataShapes[input.name] = shape

            var cur = input.name
            var pending: AffineMap? = nil
            var pendingIn = shape
            var stages: [(map: AffineMap, inShape: [Int], outShape: [Int])] = []
            var acts: [Activation] = []
            var lastActivation: (k: Int, input: String)? = nil
            func ensure() -> AffineMap { pending ?? AffineMap(inputSize: shape.reduce(1, *)) }

            for k in topo {
                if Interrupt.isRequested { throw NetworkFileError.io("\(source): interrupted") }
                let node = graph.node[k]
                let op = node.opType
                guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                    throw refuse(k, "operator domain '\(node.domain)' is not the standard ONNX domain")
                }
                let ins = node.input
                let dataIns = ins.filter { !$0.isEmpty && consts[$0] == nil }
                guard let out = node.output.first, !out.isEmpty else { throw fail(k, "the node has no output") }
                if op == "Shape" {
                    guard let s = dataShapes[ins.first ?? ""] ?? consts[ins.first ?? ""]?.dims else { throw fail(k, "shape of an unknown tensor") }
                    let full = consts[ins[0]] != nil ? s : [1] + s
                    var start = try int(k, "start", 0), end = try int(k, "end", full.count)
                    if start < 0 { start += full.count }; if end < 0 { end += full.count }
                    start = Swift.max(0, Swift.min(start, full.count)); end = Swift.max(start, Swift.min(end, full.count))
                    consts[out] = Const(dims: [end - start], values: full[start..<end].map(Double.init))
                    continue
                }
                if dataIns.isEmpty {
                    consts[out] = try fold(k)
                    continue
                }
                guard dataIns.count == 1 else {
                    throw refuse(k, "it combines the computed tensors \(dataIns.map { "'\($0)'" }.joined(separator: " and ")) (a residual connection or concatenation)")
                }
                guard dataIns[0] == cur else {
                    throw refuse(k, "it reads '\(dataIns[0])', which another node also uses (the graph branches)")
                }
                lastActivation = nil
                switch op {
                case "Identity", "Dropout":
                    break
                case "Cast":
                    let to = try int(k, "to", 1)
                    guard [1, 10, 11, 16].contains(to) else { throw fail(k, "casts the data to type \(to); only float casts are skipped") }
                case "Flatten":
                    let raw = try int(k, "axis", 1), axis = raw < 0 ? raw + shape.count + 1 : raw
                    guard axis == 1 || axis == 0 else { throw fail(k, "axis \(raw): only Flatten(axis = 1) (flatten each sample) is supported") }
                    shape = [shape.reduce(1, *)]
                case "Reshape", "Squeeze", "Unsqueeze":
                    shape = try reshapeData(k, shape)
                case "Gemm", "MatMul":
                    guard shape.count == 1 else { throw fail(k, "the input has per-sample shape \(shape); insert a Flatten first (a \(op) on a 1-D vector per sample is supported)") }
                    let K = shape[0]
                    var W: [Double], N: Int, bias: [Double]? = nil
                    if op == "Gemm" {
                        guard ins.count >= 2, ins[0] == cur else { throw fail(k, "the data must be input A (Y = A·B + C with constant B)") }
                        guard try int(k, "transA", 0) == 0 else { throw fail(k, "transA = 1 on the data is not supported") }
                        let B = try const(k, ins[1])
                        let alpha = try float(k, "alpha", 1), beta = try float(k, "beta", 1)
                        let transB = try int(k, "transB", 0) != 0
                        guard B.dims.count == 2, (transB ? B.dims[1] : B.dims[0]) == K else {
                            throw NetworkFileError.shape("\(source): \(label(k)): B has shape \(B.dims)\(transB ? " (transB)" : "") but the input has \(K) features")
                        }
                        N = transB ? B.dims[0] : B.dims[1]
                        try L.claim(Double(N) * Double(K) * 16, "\(label(k)) (\(N) × \(K))", source: source)
                        W = transB ? B.values.map { alpha * $0 } : (0..<(N * K)).map { alpha * B.values[($0 % K) * N + $0 / K] }
                        if ins.count >= 3, !ins[2].isEmpty {
                            let C = try const(k, ins[2])
                            let c = try broadcast(k, C, to: [N], allowBatch: true)
                            bias = c.map { beta * $0 }
                        }
                    } else {
                        guard ins.count == 2, ins[0] == cur else { throw fail(k, "the data must be the left operand (X·W with constant W)") }
                        let B = try const(k, ins[1])
                        guard B.dims.count == 2, B.dims[0] == K else { throw NetworkFileError.shape("\(source): \(label(k)): W has shape \(B.dims) but the input has \(K) features") }
                        N = B.dims[1]
                        try L.claim(Double(N) * Double(K) * 16, "\(label(k)) (\(N) × \(K))", source: source)
                        W = (0..<(N * K)).map { B.values[($0 % K) * N + $0 / K] }
                    }
                    try checkFinite(k, W + (bias ?? []))
                    var m = ensure()
                    try m.then(try SparseMatrix(rows: N, cols: K, dense: W), bias: bias, dense: true,
                               part: "\(op)\(quoted(node.name)) \(N)×\(K)", limits: L, source: source)
                    pending = m
                    shape = [N]
                case "Add", "Sub", "Mul", "Div":
                    guard ins.count == 2 else { throw fail(k, "expects two inputs") }
                    let cFirst = ins[1] == cur
                    let C = try const(k, cFirst ? ins[0] : ins[1])
                    let c = try broadcast(k, C, to: shape, allowBatch: true)
                    try checkFinite(k, c)
                    var m = ensure()
                    switch (op, cFirst) {
                    case ("Add", _): try m.thenDiagonal(scale: nil, shift: c, part: "Add\(quoted(node.name))")
                    case ("Sub", false): try m.thenDiagonal(scale: nil, shift: c.map { -$0 }, part: "Sub\(quoted(node.name))")
                    case ("Sub", true): try m.thenDiagonal(scale: [Double](repeating: -1, count: c.count), shift: c, part: "Sub\(quoted(node.name))")
                    case ("Mul", _): try m.thenDiagonal(scale: c, shift: nil, part: "Mul\(quoted(node.name))")
                    case ("Div", false):
                        guard !c.contains(0) else { throw fail(k, "divides by a constant that contains 0") }
                        try m.thenDiagonal(scale: c.map { 1 / $0 }, shift: nil, part: "Div\(quoted(node.name))")
                    default: throw refuse(k, "dividing a constant by the data is not affine")
                    }
                    pending = m
                case "BatchNormalization":
                    guard ins.count >= 5 else { throw fail(k, "expects X, scale, B, mean, var") }
                    guard try int(k, "training_mode", 0) == 0 else { throw fail(k, "training_mode = 1; export the model in eval() mode") }
                    let eps = try float(k, "epsilon", 1e-5)
                    let Cn = shape[0], per = shape.dropFirst().reduce(1, *)
                    let p = try (1...4).map { i -> [Double] in
                        let t = try const(k, ins[i])
                        guard t.values.count == Cn else { throw NetworkFileError.shape("\(source): \(label(k)): '\(ins[i])' has \(t.values.count) values for \(Cn) channels (input shape \(shape))") }
                        return t.values
                    }
                    try checkFinite(k, p.flatMap { $0 })
                    var s = [Double](repeating: 0, count: Cn * per), t = s
                    for c in 0..<Cn {
                        let v = p[3][c] + eps
                        guard v > 0 else { throw fail(k, "var[\(c + 1)] + epsilon = \(v) ≤ 0") }
                        let sc = p[0][c] / v.squareRoot()
                        for j in 0..<per { s[c * per + j] = sc; t[c * per + j] = p[1][c] - sc * p[2][c] }
                    }
                    var m = ensure()
                    try m.thenDiagonal(scale: s, shift: t, part: "BatchNormalization\(quoted(node.name)) (folded)")
                    pending = m
                case "Conv", "ConvTranspose":
                    guard ins.count >= 2, ins[0] == cur else { throw fail(k, "the data must be input X") }
                    let W = try const(k, ins[1])
                    let B = ins.count >= 3 && !ins[2].isEmpty ? try const(k, ins[2]) : nil
                    try checkFinite(k, W.values + (B?.values ?? []))
                    guard W.dims.count == shape.count + 1, W.dims.count >= 3 else {
                        throw NetworkFileError.shape("\(source): \(label(k)): weight \(W.dims) on per-sample input \(shape)")
                    }
                    let r = W.dims.count - 2
                    let group = try int(k, "group", 1)
                    let kernel = try ints(k, "kernel_shape") ?? Array(W.dims[2...])
                    var g = WindowGeometry(kernel: kernel, strides: try ints(k, "strides"), pads: try ints(k, "pads"), dilations: try ints(k, "dilations"))
                    guard g.kernel.count == r, g.strides.count == r, g.dilations.count == r, g.pads.count == 2 * r else {
                        throw fail(k, "attributes kernel_shape/strides/dilations/pads do not match the \(r)-D weight \(W.dims)")
                    }
                    let autoPad = string(k, "auto_pad", "NOTSET")
                    if op == "ConvTranspose" {
                        guard autoPad == "NOTSET" || autoPad == "VALID" else { throw fail(k, "auto_pad \(autoPad) is not supported for ConvTranspose; give explicit pads") }
                        guard attr(k, "output_shape") == nil else { throw fail(k, "the output_shape attribute is not supported; give pads and output_padding") }
                        if autoPad == "VALID" { g.pads = [Int](repeating: 0, count: 2 * r) }
                        if let b = B, b.values.count != W.dims[1] * group { throw NetworkFileError.shape("\(source): \(label(k)): bias has \(b.values.count) values for \(W.dims[1] * group) output channels") }
                        let u = try unrollConvTranspose(weight: W.values, weightShape: W.dims, bias: B?.values, input: shape, geometry: g, group: group,
                                                        outputPadding: try ints(k, "output_padding"), what: label(k), limits: L, source: source)
                        var m = ensure()
                        try m.then(u.matrix, bias: u.bias, dense: false, part: "ConvTranspose\(quoted(node.name)) \(W.dims.map(String.init).joined(separator: "×")) stride \(g.strides)", limits: L, source: source)
                        pending = m; shape = u.output
                    } else {
                        try applyAutoPad(k, autoPad, &g, Array(shape.dropFirst()))
                        if let b = B, b.values.count != W.dims[0] { throw NetworkFileError.shape("\(source): \(label(k)): bias has \(b.values.count) values for \(W.dims[0]) output channels") }
                        let u = try unrollConv(weight: W.values, weightShape: W.dims, bias: B?.values, input: shape, geometry: g, group: group,
                                               what: label(k), limits: L, source: source)
                        var m = ensure()
                        try m.then(u.matrix, bias: u.bias, dense: false,
                                   part: "Conv\(quoted(node.name)) \(W.dims.map(String.init).joined(separator: "×")) stride \(g.strides) pads \(g.pads)\(group > 1 ? " group \(group)" : "")",
                                   limits: L, source: source)
                        pending = m; shape = u.output
                    }
                case "AveragePool":
                    guard let kernel = try ints(k, "kernel_shape") else { throw fail(k, "kernel_shape is required") }
                    var g = WindowGeometry(kernel: kernel, strides: try ints(k, "strides"), pads: try ints(k, "pads"), dilations: try ints(k, "dilations"))
                    guard g.kernel.count == shape.count - 1, g.strides.count == g.kernel.count, g.pads.count == 2 * g.kernel.count else {
                        throw fail(k, "kernel_shape \(kernel) does not fit the per-sample input \(shape)")
                    }
                    try applyAutoPad(k, string(k, "auto_pad", "NOTSET"), &g, Array(shape.dropFirst()))
                    if try int(k, "ceil_mode", 0) != 0 {
                        let floor = try g.outputSizes(Array(shape.dropFirst()), what: label(k))
                        for a in 0..<g.kernel.count {
                            let span = g.kernel[a], padded = shape[a + 1] + g.pads[a] + g.pads[a + g.kernel.count]
                            if (padded - span) % g.strides[a] != 0 && floor[a] * g.strides[a] < shape[a + 1] + g.pads[a] {
                                throw fail(k, "ceil_mode = 1 changes the output size here; export with ceil_mode = 0")
                            }
                        }
                    }
                    let u = try unrollAveragePool(input: shape, geometry: g, countIncludePad: try int(k, "count_include_pad", 0) != 0,
                                                  what: label(k), limits: L, source: source)
                    var m = ensure()
                    try m.then(u.matrix, bias: nil, dense: false, part: "AveragePool\(quoted(node.name)) \(kernel) stride \(g.strides)", limits: L, source: source)
                    pending = m; shape = u.output
                case "GlobalAveragePool":
                    guard shape.count >= 2 else { throw fail(k, "needs a [C, spatial...] input, got \(shape)") }
                    let u = try globalAveragePool(input: shape)
                    var m = ensure()
                    try m.then(u.matrix, bias: nil, dense: false, part: "GlobalAveragePool\(quoted(node.name))", limits: L, source: source)
                    pending = m; shape = u.output
                case "Relu", "LeakyRelu", "Elu", "Tanh", "Sigmoid", "Softplus":
                    let name: String
                    switch op {
                    case "Relu": name = "relu"
                    case "LeakyRelu": name = activationName("leaky_relu", alpha: try float(k, "alpha", Double(Float(0.01))))
                    case "Elu": name = activationName("elu", alpha: try float(k, "alpha", 1))
                    default: name = op.lowercased()
                    }
                    let act: Activation
                    if let a = options.activation { act = a }
                    else {
                        do { act = try options.resolveActivation(name) }
                        catch { throw NetworkFileError.activation("\(source): \(label(k)): \(error)") }
                    }
                    stages.append((ensure(), pendingIn, shape))
                    acts.append(act)
                    pending = nil; pendingIn = shape
                    lastActivation = (k, cur)
                default:
                    if op == "Softmax" || op == "LogSoftmax" {
                        throw refuse(k, "a final \(op) is not bounded by liplua; import the logits with graph_output = \"\(cur)\"")
                    }
                    throw refuse(k, "operator \(op) is not supported\(op == "MaxPool" ? " (max pooling is not affine; retrain with AveragePool or bound a network without it)" : "")")
                }
                cur = out
                dataShapes[out] = shape
                if out == outName { break }
            }
            guard cur == outName else {
                throw NetworkFileError.malformed("\(source): the output '\(outName)' does not depend on the input '\(input.name)'")
            }
            if let (k, before) = lastActivation {
                throw NetworkFileError.unsupported("\(source): the output '\(outName)' comes out of \(label(k)); liplua bounds networks whose last layer is affine (the logits): pass graph_output = \"\(before)\"")
            }
            guard let last = pending else { throw NetworkFileError.malformed("\(source): no layers between the input and '\(outName)'") }
            stages.append((last, pendingIn, shape))
            let (net, reports) = try assemble(stages: stages, activations: acts, options: options, source: source)
            return LoadedNetwork(network: net, report: LoadReport(source: source, format: .onnx, order: "the ONNX graph (\(topo.count) nodes)",
                                                                  inputShape: inputShape, layers: reports, notes: notes))
        }

        func quoted(_ name: String) -> String { name.isEmpty ? "" : " '\(name)'" }

        func checkFinite(_ k: Int, _ v: [Double]) throws {
            if let i = v.firstIndex(where: { !$0.isFinite }) { throw NetworkFileError.nonFinite("\(source): \(label(k)): parameter \(i + 1) is \(v[i]); weights must be finite") }
        }

        func applyAutoPad(_ k: Int, _ mode: String, _ g: inout WindowGeometry, _ input: [Int]) throws {
            let r = g.kernel.count
            switch mode {
            case "NOTSET": return
            case "VALID": g.pads = [Int](repeating: 0, count: 2 * r)
            case "SAME_UPPER", "SAME_LOWER":
                var b = [Int](), e = [Int]()
                for a in 0..<r {
                    let out = (input[a] + g.strides[a] - 1) / g.strides[a]
                    let total = Swift.max(0, (out - 1) * g.strides[a] + g.dilations[a] * (g.kernel[a] - 1) + 1 - input[a])
                    let small = total / 2, large = total - small
                    b.append(mode == "SAME_UPPER" ? small : large); e.append(mode == "SAME_UPPER" ? large : small)
                }
                g.pads = b + e
            default: throw fail(k, "auto_pad '\(mode)' is unknown")
            }
        }

        /// A constant broadcast (numpy rules) onto the per-sample shape, with an optional leading
        /// batch axis of size 1; row-major values.
        func broadcast(_ k: Int, _ c: Const, to shape: [Int], allowBatch: Bool) throws -> [Double] {
            var dims = c.dims
            if dims.count == shape.count + 1 && allowBatch {
                guard dims[0] == 1 else { throw fail(k, "the constant of shape \(c.dims) does not broadcast over one sample of shape \(shape)") }
                dims.removeFirst()
            }
            guard dims.count <= shape.count else { throw fail(k, "the constant of shape \(c.dims) does not broadcast onto \(shape)") }
            let full = [Int](repeating: 1, count: shape.count - dims.count) + dims
            for (a, b) in zip(full, shape) where a != 1 && a != b { throw fail(k, "the constant of shape \(c.dims) does not broadcast onto \(shape)") }
            let n = shape.reduce(1, *)
            var strides = [Int](repeating: 0, count: shape.count), s = 1
            for a in stride(from: shape.count - 1, through: 0, by: -1) { strides[a] = full[a] == 1 ? 0 : s; s *= full[a] }
            var out = [Double](repeating: 0, count: n)
            var idx = [Int](repeating: 0, count: shape.count)
            for i in 0..<n {
                var off = 0; for a in 0..<shape.count { off += idx[a] * strides[a] }
                out[i] = c.values[off]
                var a = shape.count - 1
                while a >= 0 { idx[a] += 1; if idx[a] < shape[a] { break }; idx[a] = 0; a -= 1 }
            }
            return out
        }

        /// Reshape/Squeeze/Unsqueeze of the data: the new per-sample shape (row-major order unchanged).
        func reshapeData(_ k: Int, _ shape: [Int]) throws -> [Int] {
            let node = graph.node[k]
            let full = [1] + shape
            var target: [Int]
            switch node.opType {
            case "Reshape":
                guard node.input.count >= 2 else { throw fail(k, "needs a shape input") }
                let t = try const(k, node.input[1]).values
                guard t.count <= 16, t.allSatisfy({ $0 == $0.rounded() && $0 >= -1 && $0 < 1e12 }) else { throw fail(k, "bad target shape \(t)") }
                target = t.map { Int($0) }
                let allowZero = try int(k, "allowzero", 0) != 0
                for (a, v) in target.enumerated() where v == 0 && !allowZero {
                    guard a < full.count else { throw fail(k, "target shape \(target) copies a dimension the input lacks") }
                    target[a] = full[a]
                }
                let n = full.reduce(1, *)
                if let m = target.firstIndex(of: -1) {
                    let rest = target.enumerated().filter { $0.offset != m }.reduce(1) { $0 * $1.element }
                    guard rest > 0, n % rest == 0, target.filter({ $0 == -1 }).count == 1 else { throw fail(k, "cannot infer -1 in \(target) for \(n) values") }
                    target[m] = n / rest
                }
                guard target.reduce(1, *) == n else { throw fail(k, "target shape \(target) does not hold the \(n) values of \(full)") }
            case "Squeeze":
                let axes = try ints(k, "axes") ?? (node.input.count >= 2 ? try const(k, node.input[1]).values.map { Int($0) } : nil)
                let ax = (axes ?? full.indices.filter { full[$0] == 1 && $0 > 0 }).map { $0 < 0 ? $0 + full.count : $0 }
                guard ax.allSatisfy({ $0 >= 0 && $0 < full.count && full[$0] == 1 }) else { throw fail(k, "axes \(axes ?? []) of \(full)") }
                target = full.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
            default:
                guard let axes = try ints(k, "axes") ?? (node.input.count >= 2 ? try const(k, node.input[1]).values.map { Int($0) } : nil) else { throw fail(k, "axes missing") }
                let n = full.count + axes.count
                let ax = axes.map { $0 < 0 ? $0 + n : $0 }
                guard ax.allSatisfy({ $0 >= 0 && $0 < n }) else { throw fail(k, "axes \(axes) of \(full)") }
                var it = full.makeIterator()
                target = (0..<n).map { ax.contains($0) ? 1 : it.next()! }
            }
            if target.first == 1 && target.count >= 2 { return Array(target.dropFirst()) }
            if target.count == 1 { return target }  // the batch axis was folded away (one sample)
            throw fail(k, "the result \(target) moves data across the batch dimension")
        }

        /// Evaluates a node whose inputs are all constants.
        func fold(_ k: Int) throws -> Const {
            let node = graph.node[k]
            let ins = try node.input.filter { !$0.isEmpty }.map { try const(k, $0) }
            switch node.opType {
            case "Constant":
                if let a = attr(k, "value") { return try ONNXImport.decode(a.t, what: "constant of \(label(k))", source: source, limits: options.limits) }
                if let a = attr(k, "value_float") { return Const(dims: [], values: [Double(a.f)]) }
                if let a = attr(k, "value_floats") { return Const(dims: [a.floats.count], values: a.floats.map(Double.init)) }
                if let a = attr(k, "value_int") { return Const(dims: [], values: [Double(a.i)]) }
                if let a = attr(k, "value_ints") { return Const(dims: [a.ints.count], values: a.ints.map(Double.init)) }
                throw fail(k, "a Constant without a numeric value")
            case "Identity", "Cast", "Dropout":
                guard let c = ins.first else { throw fail(k, "no input") }
                return c
            case "Unsqueeze", "Squeeze", "Reshape":
                guard let c = ins.first else { throw fail(k, "no input") }
                var newShape: [Int]
                if node.opType == "Reshape" {
                    guard ins.count >= 2 else { throw fail(k, "needs a shape input") }
                    newShape = ins[1].values.map { Int($0) }
                    let n = c.values.count
                    for (a, v) in newShape.enumerated() where v == 0 { guard a < c.dims.count else { throw fail(k, "bad shape") }; newShape[a] = c.dims[a] }
                    if let m = newShape.firstIndex(of: -1) {
                        let rest = newShape.enumerated().filter { $0.offset != m }.reduce(1) { $0 * $1.element }
                        guard rest > 0, n % rest == 0 else { throw fail(k, "bad shape") }
                        newShape[m] = n / rest
                    }
                    guard newShape.allSatisfy({ $0 >= 0 }), newShape.reduce(1, *) == n else { throw fail(k, "target shape \(newShape) for \(n) values") }
                } else {
                    let axes = try ints(k, "axes") ?? (ins.count >= 2 ? ins[1].values.map { Int($0) } : [])
                    if node.opType == "Unsqueeze" {
                        let n = c.dims.count + axes.count
                        let ax = axes.map { $0 < 0 ? $0 + n : $0 }
                        var it = c.dims.makeIterator()
                        newShape = (0..<n).map { ax.contains($0) ? 1 : (it.next() ?? 1) }
                    } else {
                        let ax = axes.map { $0 < 0 ? $0 + c.dims.count : $0 }
                        newShape = c.dims.enumerated().filter { ax.isEmpty ? $0.element != 1 : !ax.contains($0.offset) }.map(\.element)
                    }
                }
                return Const(dims: newShape, values: c.values)
            case "Concat":
                guard ins.allSatisfy({ $0.dims.count <= 1 }) else { throw refuse(k, "Concat of constants is folded for 1-D shape vectors only") }
                let v = ins.flatMap(\.values)
                return Const(dims: [v.count], values: v)
            case "Gather":
                guard ins.count == 2, ins[0].dims.count == 1, try int(k, "axis", 0) == 0 else { throw refuse(k, "Gather is folded on 1-D constants only") }
                let n = ins[0].values.count
                let idx = try ins[1].values.map { v -> Int in
                    let i = Int(exactly: v.rounded()) ?? Int.max
                    let j = i < 0 ? i + n : i
                    guard j >= 0 && j < n else { throw fail(k, "index \(v) out of range for \(n) values") }
                    return j
                }
                return Const(dims: ins[1].dims, values: idx.map { ins[0].values[$0] })
            default:
                throw refuse(k, "operator \(node.opType) on constants is not evaluated (constant folding covers \(ONNXImport.constantOps.joined(separator: ", ")))")
            }
        }
    }
}
