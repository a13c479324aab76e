import Foundation
import LipCore
import LipControl

/// Networks from named tensors (safetensors, npz): which tensors form which layer, and in
/// which order.
///
/// **Modules.** `W1..Wd` / `b1..bd` (numbered from 1) are layers in that order. Otherwise
/// tensors are grouped by PyTorch state_dict names `<module>.weight`, `<module>.bias`; a
/// module with `running_mean` and `running_var` is a BatchNorm (folded into the affine map it
/// follows: y = γ(x − μ)/√(σ² + ε) + β); a 2-D (or 1-D) weight is a Linear layer (out × in);
/// a 3-D/4-D weight is a 1-D/2-D convolution (needs `input_shape` and, unless the defaults
/// stride 1 / padding 0 hold, `conv` options), unrolled to a sparse layer. An activation
/// follows every Linear/Conv module (after its BatchNorm) except the last.
///
/// **Order.** A state dict does not say in which order the modules are applied. The order is
/// taken, first match wins, from:
///  1. the `layers` option (every module listed exactly once, BatchNorms included);
///  2. a `layers` entry in the file's liplua metadata (files liplua wrote);
///  3. `W1..Wd` numbering.
/// Otherwise the **candidates** are the orders in which the modules' shapes chain (each
/// module's input size equals the previous module's output size; a BatchNorm keeps the size),
/// and the order is:
///  4. the only candidate, when there is exactly one (shapes decide);
///  5. else the order of the **hints** — the modules' index numbers when all names differ only
///     in numbers (`0`, `2`, `4` of nn.Sequential; `fc1`, `fc2`; `layers.0.lin`, `layers.1.lin`)
///     and the file's own order (npz member order = the state_dict's registration order;
///     safetensors header order unless it is the official writer's dtype-then-name sort, which
///     carries no information) — provided every available hint is a candidate, all hints
///     agree, and the order does not contradict the names' roles (a module named `…in`/
///     `input`/`first` must come first, one named `…out`/`output`/`last`/`final`/`head`/
///     `classifier`/`logits` last, when exactly one module has that role).
/// **Ambiguous** means none of 1–5 applies: several candidates and no agreeing hints (e.g.
/// square layers fc_in/fc_hidden/fc_out in a safetensors file, whose header the writer sorted
/// as fc_hidden, fc_in, fc_out). The load is then refused with the candidate orders and the
/// `layers` option; nothing is guessed from sorting names.
struct ChainText: Error, CustomStringConvertible { let text: String; var description: String { text } }

enum StateDict {
    enum FileOrder { case informative(String), sortedByWriter }

    enum Kind: Equatable { case linear, conv, batchNorm }
    struct Module {
        var name: String
        var kind: Kind
        var weight: NamedTensor?
        var bias: NamedTensor?
        var mean: NamedTensor?
        var variance: NamedTensor?
        var channels: Int { kind == .batchNorm ? (mean?.values.count ?? 0) : (weight?.shape.first ?? 0) }
        var label: String { name.isEmpty ? "(unnamed)" : name }
        func tensorName(_ s: String) -> String { name.isEmpty ? s : "\(name).\(s)" }
    }

    // MARK: grouping

    static func modules(_ tensors: [NamedTensor], source: String) throws -> (modules: [Module], wScheme: Bool) {
        var seen = Set<String>()
        for t in tensors where !seen.insert(t.name).inserted { throw NetworkFileError.malformed("\(source): tensor '\(t.name)' appears twice") }
        guard !tensors.isEmpty else { throw NetworkFileError.missingTensor("\(source): no tensors found; expected W1..Wd or <layer>.weight tensors") }
        func wIndex(_ n: String, _ letter: Character) -> Int? {
            guard n.count > 1, n.first == letter else { return nil }
            let rest = n.dropFirst()
            guard rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return nil }
            return Int(rest) ?? Int.max  // "W99999999999999999999" → not a valid layer number
        }
        if tensors.contains(where: { wIndex($0.name, "W") != nil }) {
            var ws = [Int: NamedTensor](), bs = [Int: NamedTensor]()
            for t in tensors {
                if let k = wIndex(t.name, "W") {
                    guard k >= 1 else {
                        throw NetworkFileError.unexpectedTensor("\(source): tensor '\(t.name)': layers are numbered from W1 (W1..Wd)")
                    }
                    ws[k] = t
                } else if let k = wIndex(t.name, "b") {
                    guard k >= 1 else { throw NetworkFileError.unexpectedTensor("\(source): tensor '\(t.name)': biases are numbered from b1 (b1..bd)") }
                    bs[k] = t
                } else {
                    let d = ws.keys.max() ?? 1
                    throw NetworkFileError.unexpectedTensor("\(source): unexpected tensor '\(t.name)' (expected W1..W\(d) and b1..b\(d))")
                }
            }
            let d = ws.count
            // Numbers must be exactly 1...d; the first gap is at most d + 1 (no loop up to a huge number).
            if let gap = (1...(d + 1)).first(where: { ws[$0] == nil }), gap <= d || ws.keys.contains(where: { $0 > d }) {
                let top = ws.keys.max()!
                throw NetworkFileError.missingTensor("\(source): tensor 'W\(gap)' is missing (found W-tensors \(ws.keys.sorted().prefix(20).map { "W\($0)" }); layers must be numbered W1..W\(top == Int.max ? d : top))")
            }
            if let k = bs.keys.sorted().first(where: { ws[$0] == nil }) {
                throw NetworkFileError.unexpectedTensor("\(source): unexpected tensor 'b\(k)' (expected W1..W\(d) and b1..b\(d))")
            }
            return ((1...d).map { Module(name: "W\($0)", kind: .linear, weight: ws[$0], bias: bs[$0]) }, true)
        }
        var order: [String] = []
        var parts = [String: [String: NamedTensor]]()
        let suffixes = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        for t in tensors {
            let prefix: String, suffix: String
            if let dot = t.name.lastIndex(of: ".") { prefix = String(t.name[..<dot]); suffix = String(t.name[t.name.index(after: dot)...]) }
            else { prefix = ""; suffix = t.name }
            guard suffixes.contains(suffix) else {
                throw NetworkFileError.unexpectedTensor("\(source): unexpected tensor '\(t.name)'; expected '<layer>.weight'/'<layer>.bias' (PyTorch state_dict; BatchNorm also running_mean/running_var) or W1..Wd/b1..bd")
            }
            if parts[prefix] == nil { order.append(prefix); parts[prefix] = [:] }
            parts[prefix]![suffix] = t
        }
        var out: [Module] = []
        for p in order {
            let m = parts[p]!
            let pre = p.isEmpty ? "" : p + "."
            if m["running_mean"] != nil || m["running_var"] != nil {
                guard let mu = m["running_mean"], let v = m["running_var"] else {
                    throw NetworkFileError.missingTensor("\(source): BatchNorm '\(p)' needs both \(pre)running_mean and \(pre)running_var")
                }
                let c = mu.values.count
                for t in [m["weight"], m["bias"], v].compactMap({ $0 }) where t.values.count != c || t.shape.count != 1 {
                    throw NetworkFileError.shape("\(source): BatchNorm '\(p)': tensor '\(t.name)' has shape \(t.shape); expected [\(c)] like \(pre)running_mean")
                }
                out.append(Module(name: p, kind: .batchNorm, weight: m["weight"], bias: m["bias"], mean: mu, variance: v))
                continue
            }
            guard let w = m["weight"] else {
                if m["bias"] != nil { throw NetworkFileError.missingTensor("\(source): tensor '\(pre)bias' has no matching '\(pre)weight'") }
                continue  // only num_batches_tracked
            }
            switch w.shape.count {
            case 1, 2: out.append(Module(name: p, kind: .linear, weight: w, bias: m["bias"]))
            case 3, 4: out.append(Module(name: p, kind: .conv, weight: w, bias: m["bias"]))
            default: throw NetworkFileError.shape("\(source): tensor '\(w.name)' has shape \(w.shape); a weight must be 2-D (out × in) or a 3-D/4-D convolution kernel")
            }
        }
        guard out.contains(where: { $0.kind != .batchNorm }) else { throw NetworkFileError.missingTensor("\(source): no weight tensors (only BatchNorm statistics)") }
        return (out, false)
    }

    // MARK: shapes

    /// The per-sample shape after module `m` given the shape before (nil = not yet known, only
    /// for the first module of an MLP), or an error text when they do not fit.
    static func step(_ m: Module, _ shape: [Int]?, options: LoadOptions) -> Result<[Int], ChainText> {
        switch m.kind {
        case .linear:
            let w = m.weight!
            let (rows, cols) = w.shape.count == 2 ? (w.shape[0], w.shape[1]) : (1, w.shape[0])
            if let s = shape, s.reduce(1, *) != cols {
                return .failure(ChainText(text: "tensor '\(w.name)' has \(cols) inputs (shape \(w.shape), out × in) but receives \(s.reduce(1, *)) (shape \(s))"))
            }
            return .success([rows])
        case .batchNorm:
            let c = m.channels
            guard let s = shape else { return .success([c]) }
            guard s.first == c else { return .failure(ChainText(text: "BatchNorm '\(m.label)' has \(c) channels but receives shape \(s)")) }
            return .success(s)
        case .conv:
            let w = m.weight!
            guard let s = shape else { return .failure(ChainText(text: "convolution '\(m.label)' (weight \(w.shape)) needs the input shape: pass input_shape = {C, H, W}")) }
            guard s.count == w.shape.count - 1 else { return .failure(ChainText(text: "convolution '\(m.label)' (weight \(w.shape)) receives shape \(s)")) }
            do {
                let (g, group) = try convGeometry(m, input: s, options: options)
                let out = try g.outputSizes(Array(s.dropFirst()), what: "convolution '\(m.label)'")
                guard s[0] == w.shape[1] * group, w.shape[0] % group == 0 else {
                    return .failure(ChainText(text: "convolution '\(m.label)' (weight \(w.shape), groups \(group)) needs \(w.shape[1] * group) input channels but receives shape \(s)"))
                }
                return .success([w.shape[0]] + out)
            } catch { return .failure(ChainText(text: "\(error)")) }
        }
    }

    static func convGeometry(_ m: Module, input: [Int], options: LoadOptions) throws -> (WindowGeometry, Int) {
        let w = m.weight!
        let r = w.shape.count - 2
        let spec = options.conv[m.name] ?? options.conv["*"] ?? ConvSpec()
        func expand(_ v: [Int]?, _ def: Int, _ what: String) throws -> [Int] {
            guard let v else { return [Int](repeating: def, count: r) }
            if v.count == 1 { return [Int](repeating: v[0], count: r) }
            guard v.count == r else { throw NetworkFileError.shape("conv option \(what) = \(v) for the \(r)-D convolution '\(m.label)'") }
            return v
        }
        let pad = try expand(spec.padding, 0, "padding")
        let group = spec.groups ?? (w.shape[1] > 0 && input[0] % w.shape[1] == 0 ? input[0] / w.shape[1] : 1)
        return (WindowGeometry(kernel: Array(w.shape[2...]), strides: try expand(spec.stride, 1, "stride"), pads: pad + pad,
                               dilations: try expand(spec.dilation, 1, "dilation")), group)
    }

    static func chains(_ order: [Module], input: [Int]?, options: LoadOptions) -> String? {
        var s = input
        for m in order {
            switch step(m, s, options: options) {
            case .success(let n): s = n
            case .failure(let why): return why.text
            }
        }
        return nil
    }

    /// Orders of all modules whose shapes chain (at most `limit`, and at most `visits` steps).
    static func candidates(_ ms: [Module], input: [Int]?, options: LoadOptions, limit: Int = 50) -> (orders: [[Int]], complete: Bool) {
        var found: [[Int]] = [], used = [Bool](repeating: false, count: ms.count), cur: [Int] = []
        var visits = 0, complete = true
        func dfs(_ s: [Int]?) {
            if found.count >= limit || visits > 200_000 { complete = false; return }
            if cur.count == ms.count { found.append(cur); return }
            for i in ms.indices where !used[i] {
                visits += 1
                guard case .success(let n) = step(ms[i], s, options: options) else { continue }
                used[i] = true; cur.append(i); dfs(n); cur.removeLast(); used[i] = false
                if found.count >= limit { complete = false; return }
            }
        }
        dfs(input)
        return (found, complete)
    }

    /// Index numbers of the names when they differ only in their digit runs.
    static func indexOrder(_ ms: [Module]) -> [Int]? {
        func split(_ s: String) -> (String, [Int])? {
            var tmpl = "", nums: [Int] = [], cur = ""
            for ch in s {
                if ch.isASCII && ch.isNumber { cur.append(ch) }
                else { if !cur.isEmpty { guard let v = Int(cur) else { return nil }; nums.append(v); tmpl += "#"; cur = "" }; tmpl.append(ch) }
            }
            if !cur.isEmpty { guard let v = Int(cur) else { return nil }; nums.append(v); tmpl += "#" }
            return (tmpl, nums)
        }
        let parts = ms.map { split($0.name) }
        guard ms.count > 1, let first = parts[0], !first.1.isEmpty else { return nil }
        guard parts.allSatisfy({ $0 != nil && $0!.0 == first.0 }) else { return nil }
        let keys = parts.map { $0!.1 }
        guard Set(keys.map { $0.map(String.init).joined(separator: ".") }).count == ms.count else { return nil }
        return ms.indices.sorted { keys[$0].lexicographicallyPrecedes(keys[$1]) }
    }

    static func roleViolation(_ order: [Int], _ ms: [Module]) -> String? {
        let firstWords: Set<String> = ["in", "input", "first"]
        let lastWords: Set<String> = ["out", "output", "last", "final", "head", "classifier", "logits"]
        func tokens(_ s: String) -> Set<String> {
            var out = Set<String>(), cur = ""
            for ch in s.lowercased() { if ch.isLetter { cur.append(ch) } else { if !cur.isEmpty { out.insert(cur) }; cur = "" } }
            if !cur.isEmpty { out.insert(cur) }
            return out
        }
        let affine = order.filter { ms[$0].kind != .batchNorm }
        let firsts = affine.filter { !tokens(ms[$0].name).isDisjoint(with: firstWords) }
        let lasts = affine.filter { !tokens(ms[$0].name).isDisjoint(with: lastWords) }
        if firsts.count == 1, affine.first != firsts[0] { return "'\(ms[firsts[0]].name)' is named as the first layer but is not first" }
        if lasts.count == 1, affine.last != lasts[0] { return "'\(ms[lasts[0]].name)' is named as the last layer but is not last" }
        return nil
    }

    // MARK: building

    static func build(_ tensors: [NamedTensor], metadata: [String: String], fileOrder: FileOrder, format: NetworkFile.Format,
                      source: String, options: LoadOptions) throws -> LoadedNetwork {
        let (ms, wScheme) = try modules(tensors, source: source)
        var notes: [String] = []
        func jsonList(_ key: String) throws -> [JSONValue]? {
            guard let text = metadata[key] else { return nil }
            guard let a = try OrderedJSON.parse(Array(text.utf8), source: "\(source) (__metadata__ '\(key)')").array else {
                throw NetworkFileError.malformed("\(source): __metadata__ '\(key)' must be a JSON array")
            }
            return a
        }
        var inputShape = options.inputShape
        if inputShape == nil, let s = try jsonList("input_shape") {
            inputShape = try s.map { v -> Int in guard let i = v.int, i >= 1 else { throw NetworkFileError.malformed("\(source): __metadata__ input_shape holds \(v)") }; return i }
        }
        if let s = inputShape {
            guard !s.isEmpty, s.allSatisfy({ $0 >= 1 }) else { throw NetworkFileError.shape("\(source): input_shape \(s) must hold positive sizes (per sample, without the batch dimension)") }
            _ = try sized(source) { try CheckedSize.product(s, what: "input_shape") }
        }
        // 1-3: explicit orders
        var explicit: (names: [String], from: String)? = nil
        if let l = options.layers { explicit = (l, "the layers option") }
        else if metadata["format"] == "liplua", let l = try jsonList("layers") {
            explicit = (try l.map { v -> String in guard let s = v.string else { throw NetworkFileError.malformed("\(source): __metadata__ layers holds \(v)") }; return s }, "the file's liplua metadata")
        }
        var order: [Int]
        var orderText: String
        let names = ms.map(\.name)
        if let (list, from) = explicit {
            var idx: [Int] = []
            for n in list {
                guard let i = names.firstIndex(of: n) else {
                    throw NetworkFileError.order("\(source): \(from) names '\(n)', which is not a module of the file (modules: \(names.map { "'\($0)'" }.joined(separator: ", ")))")
                }
                guard !idx.contains(i) else { throw NetworkFileError.order("\(source): \(from) lists '\(n)' twice") }
                idx.append(i)
            }
            let missing = ms.indices.filter { !idx.contains($0) }
            if !missing.isEmpty {
                throw NetworkFileError.order("\(source): \(from) leaves out \(missing.map { "'\(names[$0])'" }.joined(separator: ", ")); list every module in forward order (modules: \(names.map { "'\($0)'" }.joined(separator: ", ")))")
            }
            order = idx; orderText = from
        } else if wScheme {
            order = Array(ms.indices); orderText = "W1..Wd numbering"
        } else {
            let (cands, complete) = candidates(ms, input: inputShape, options: options)
            func show(_ o: [Int]) -> String { o.map { ms[$0].label }.joined(separator: " → ") }
            if cands.isEmpty {
                let why = chains(ms, input: inputShape, options: options) ?? "?"
                throw NetworkFileError.shape("\(source): the modules' shapes do not chain in any order (in the file's order: \(why)); check the file, or give input_shape = {...} and layers = {...}")
            }
            if cands.count == 1 {
                order = cands[0]; orderText = "shapes (the only order in which the layers' sizes chain)"
            } else {
                var hints: [(String, [Int])] = []
                if let io = indexOrder(ms) { hints.append(("the index numbers in the names", io)) }
                if case .informative(let what) = fileOrder { hints.append((what, Array(ms.indices))) }
                let chaining = hints.filter { h in cands.contains(h.1) || chains(h.1.map { ms[$0] }, input: inputShape, options: options) == nil }
                let agree = !chaining.isEmpty && chaining.count == hints.count && chaining.allSatisfy { $0.1 == chaining[0].1 }
                let role = agree ? roleViolation(chaining[0].1, ms) : nil
                if agree && role == nil {
                    order = chaining[0].1
                    orderText = chaining.map(\.0).joined(separator: " and ")
                    notes.append("the shapes alone allow \(complete ? "" : "at least ")\(cands.count) orders; the order is \(orderText): \(show(order)). If the forward order differs, pass layers = {...}.")
                } else {
                    let sortedCands = cands.map(show).sorted()
                    var why: String
                    switch fileOrder {
                    case .sortedByWriter: why = "the file's tensor order is no help (the safetensors writer sorts tensors by name)"
                    case .informative(let w): why = "\(w) does not settle it"
                    }
                    if hints.count > 1 && !agree { why += "; " + hints.map { "\($0.0) gives \(show($0.1))" }.joined(separator: ", ") }
                    if let role { why += "; \(role)" }
                    // the example: an order that respects the names' roles when there is one
                    let example = cands.first { roleViolation($0, ms) == nil } ?? cands[0]
                    let ex = example.map { "\"\(ms[$0].name)\"" }.joined(separator: ", ")
                    throw NetworkFileError.order("\(source): the layer order is ambiguous: the shapes chain in \(complete ? "" : "at least ")\(cands.count) orders (\(sortedCands.prefix(6).joined(separator: "; "))\(cands.count > 6 ? "; …" : "")) and \(why). Give the forward order with the layers option, e.g. lip.nn.load(path, {layers = {\(ex)}}) with your model's names in the order its forward() applies them, or export ONNX (torch.onnx.export), which records the graph.")
                }
            }
        }
        if let why = chains(order.map { ms[$0] }, input: inputShape, options: options) {
            throw NetworkFileError.shape("\(source): in the order given by \(orderText) (\(order.map { ms[$0].label }.joined(separator: " → "))), \(why)")
        }
        // Stages: a Linear/Conv starts a stage; a BatchNorm folds into the current one.
        var stages: [(map: AffineMap, inShape: [Int], outShape: [Int])] = []
        var shape: [Int] = inputShape ?? {
            let m = ms[order[0]]
            if m.kind == .batchNorm { return [m.channels] }
            let w = m.weight!; return [w.shape.count == 2 ? w.shape[1] : w.shape[0]]
        }()
        if let s = inputShape, ms[order.first { ms[$0].kind != .batchNorm }!].kind == .linear, s.count > 1 {
            notes.append("the input \(s) is flattened row-major before the first Linear layer")
        }
        var pending: AffineMap? = nil, pendingIn = shape
        var seenAffine = false
        for i in order {
            let m = ms[i]
            if m.kind != .batchNorm {
                if seenAffine { stages.append((pending!, pendingIn, shape)); pending = nil }
                seenAffine = true
            }
            if pending == nil { pending = AffineMap(inputSize: shape.reduce(1, *)); pendingIn = shape }
            try apply(m, to: &pending!, shape: &shape, options: options, source: source, notes: &notes)
        }
        stages.append((pending!, pendingIn, shape))
        // activations
        let hidden = stages.count - 1
        var acts: [Activation] = []
        if let a = options.activation {
            acts = [Activation](repeating: a, count: hidden)
        } else if let list = try jsonList("activations") {
            guard list.count == hidden else {
                throw NetworkFileError.malformed("\(source): __metadata__ activations lists \(list.count) names for \(hidden) hidden layers")
            }
            acts = try list.enumerated().map { k, v in
                guard let n = v.string else { throw NetworkFileError.malformed("\(source): __metadata__ activations holds \(v)") }
                do { return try options.resolveActivation(n) } catch { throw NetworkFileError.activation("\(source): hidden layer \(k + 1): \(error)") }
            }
        } else if let n = metadata["activation"] {
            do { let a = try options.resolveActivation(n); acts = [Activation](repeating: a, count: hidden) }
            catch { throw NetworkFileError.activation("\(source): \(error)") }
        } else if hidden > 0 {
            let a = try options.resolveActivation(options.defaultActivation)
            acts = [Activation](repeating: a, count: hidden)
            notes.append("the file records no activations: \(a.name) assumed after every hidden layer (pass activation = ... to choose)")
        }
        let (net, reports) = try assemble(stages: stages, activations: acts, options: options, source: source)
        return LoadedNetwork(network: net, report: LoadReport(source: source, format: format, order: orderText, inputShape: inputShape,
                                                              layers: reports, notes: notes))
    }

    static func finite(_ t: NamedTensor, source: String, layer: String) throws {
        if let i = t.values.firstIndex(where: { !$0.isFinite }) {
            var idx: [Int] = [], r = i
            for d in t.shape.reversed() { idx.append(r % Swift.max(d, 1) + 1); r /= Swift.max(d, 1) }
            let one = idx.reversed().map(String.init).joined(separator: ", "), zero = idx.reversed().map { String($0 - 1) }.joined(separator: ", ")
            throw NetworkFileError.nonFinite("\(source): tensor '\(t.name)' (\(layer)) has \(t.values[i]) at [\(one)] (1-based; numpy index [\(zero)]); weights must be finite")
        }
    }

    static func apply(_ m: Module, to map: inout AffineMap, shape: inout [Int], options: LoadOptions, source: String, notes: inout [String]) throws {
        let L = options.limits
        switch m.kind {
        case .linear:
            let w = m.weight!
            let (rows, cols) = w.shape.count == 2 ? (w.shape[0], w.shape[1]) : (1, w.shape[0])
            guard rows > 0, cols > 0, w.values.count == rows * cols else {
                throw NetworkFileError.shape("\(source): tensor '\(w.name)' has shape \(w.shape) and \(w.values.count) values; a weight must be a nonempty out × in matrix")
            }
            try finite(w, source: source, layer: "module '\(m.label)'")
            var bias: [Double]? = nil
            if let b = m.bias {
                guard b.values.count == rows, b.shape.filter({ $0 != 1 }).count <= 1 else {
                    throw NetworkFileError.shape("\(source): tensor '\(b.name)' has shape \(b.shape) but '\(w.name)' has \(rows) outputs; a bias must have shape [\(rows)]")
                }
                try finite(b, source: source, layer: "module '\(m.label)'")
                bias = b.values
            }
            try L.claim(Double(rows) * Double(cols) * 16, "layer '\(m.label)' (\(rows) × \(cols))", source: source)
            let M = try SparseMatrix(rows: rows, cols: cols, dense: w.values)
            try map.then(M, bias: bias, dense: true, part: "Linear '\(m.label)' \(rows)×\(cols)", limits: L, source: source)
            shape = [rows]
        case .conv:
            let w = m.weight!
            try finite(w, source: source, layer: "convolution '\(m.label)'")
            if let b = m.bias {
                guard b.values.count == w.shape[0] else { throw NetworkFileError.shape("\(source): tensor '\(b.name)' has shape \(b.shape); the convolution has \(w.shape[0]) output channels") }
                try finite(b, source: source, layer: "convolution '\(m.label)'")
            }
            let (g, group) = try convGeometry(m, input: shape, options: options)
            let u = try unrollConv(weight: w.values, weightShape: w.shape, bias: m.bias?.values, input: shape, geometry: g, group: group,
                                   what: "convolution '\(m.label)'", limits: L, source: source)
            let desc = "Conv '\(m.label)' \(w.shape.map(String.init).joined(separator: "×")) stride \(g.strides) pad \(Array(g.pads.prefix(g.kernel.count)))\(group > 1 ? " groups \(group)" : "")"
            try map.then(u.matrix, bias: u.bias, dense: false, part: desc, limits: L, source: source)
            shape = u.output
        case .batchNorm:
            let c = m.channels, per = shape.dropFirst().reduce(1, *)
            for t in [m.weight, m.bias, m.mean, m.variance].compactMap({ $0 }) { try finite(t, source: source, layer: "BatchNorm '\(m.label)'") }
            var s = [Double](repeating: 0, count: c), t = [Double](repeating: 0, count: c)
            for k in 0..<c {
                let v = m.variance!.values[k] + options.batchNormEpsilon
                guard v > 0 else { throw NetworkFileError.nonFinite("\(source): BatchNorm '\(m.label)': running_var[\(k + 1)] + ε = \(v) ≤ 0") }
                let g = m.weight?.values[k] ?? 1, b = m.bias?.values[k] ?? 0
                s[k] = g / v.squareRoot(); t[k] = b - s[k] * m.mean!.values[k]
            }
            let scale = (0..<(c * per)).map { s[$0 / per] }, shift = (0..<(c * per)).map { t[$0 / per] }
            try map.thenDiagonal(scale: scale, shift: shift, part: "BatchNorm '\(m.label)' (folded, ε = \(options.batchNormEpsilon))")
        }
    }
}
