import Foundation
import LipControl
import LipLP

/// Options of `searchWitness`. Every search is deterministic for a given seed (Xoshiro256StarStar)
/// as long as the time limit does not cut it short.
public struct WitnessSearchOptions: Sendable {
    public var seed: UInt64 = 0
    /// Seconds for the whole search (nil: none; the counts below bound the work).
    public var timeLimit: Double? = nil
    /// Required distance of every pre-activation from every kink.
    public var margin: Double = WitnessCertifier.defaultMargin
    /// Activation profiles per hidden layer (nil: the built-ins; user activations then refuse).
    public var profiles: [WitnessActivationProfile?]? = nil

    /// (a) LBS: random points of the box (the same points as `sampledLowerBound` with this seed);
    /// its best point is certified and starts the other searches. 0 skips it.
    public var samples: Int = 10_000
    /// (b) Gradient ascent: starts (the LBS point first, then random points), steps per start,
    /// first step as a fraction of the box width. 0 starts skips it.
    public var ascentStarts: Int = 8
    public var ascentSteps: Int = 150
    public var ascentStepSize: Double = 0.05
    /// (c) Pattern search (piecewise-linear networks, needs an LP solver): starts (best points so
    /// far, best first), moves per start, flip candidates LP-checked per move, the largest margin
    /// the LP asks for (z units). 0 starts skips it.
    public var patternStarts: Int = 3
    public var patternMoves: Int = 40
    public var flipCandidates: Int = 24
    /// Flip candidates checked by the margin LP when no projection realises one (small LPs only).
    public var lpFlipCandidates: Int = 4
    public var lpMarginCap: Double = 0.01
    /// The pattern search solves LPs only when (hidden neurons × inputs) is at most this (a
    /// dense 784-500 network's LP takes seconds with GLPK; projections take milliseconds).
    public var lpMaxNonzeros: Int = 150_000
    /// Greedy single-neuron changes per polish (without realisability; each costs one pass over
    /// the pattern's Jacobian).
    public var polishFlips: Int = 200
    /// With a time limit, keep perturbing the best pattern and climbing again until the time is up.
    public var kicks: Bool = true
    /// The pattern search is skipped when a pattern's Jacobians (hidden neurons × inputs) would
    /// exceed this many doubles (default 3·10⁷, 240 MB).
    public var patternMaxJacobianEntries: Int = 30_000_000
    /// A precomputed LBS (value and point), used instead of sampling again.
    public var lbs: (value: Double, point: [Double])? = nil
    /// (d) User candidates: points, and activation patterns (realised by the margin LP).
    public var points: [[Double]] = []
    public var patterns: [ActivationPattern] = []
    /// Called at phase changes and about once a second.
    public var progress: (@Sendable (WitnessProgress) -> Void)? = nil
    /// Polled in every loop; true stops the search (`stopReason == .interrupted`). Default: the
    /// process-wide Ctrl-C flag.
    public var interrupted: @Sendable () -> Bool = { Interrupt.isRequested }
    public init() {}
}

public struct WitnessProgress: Sendable {
    public var phase: WitnessSource
    public var best: Double?
    public var checked: Int
    public var seconds: Double
}

/// The outcome of a witness search: the best certified witness (if any) and what it cost.
public struct WitnessSearchResult: Sendable {
    /// Proven lower bound on the Lipschitz constant over the domain (nil: nothing certified).
    public var lower: Double? { witness?.lower }
    public var witness: CertifiedWitness?
    /// LBS, the sampled baseline (floating point, not a proof), and its point.
    public var lbs: Double?
    public var lbsPoint: [Double]?
    /// The best certified value per search, in `WitnessSource.allCases` order (nil: none).
    public var bestBySource: [(source: WitnessSource, lower: Double?)]
    public var drops = WitnessDrops()
    /// Candidates handed to the certifier (certified + dropped).
    public var checked = 0
    public var lpSolves = 0
    public var lpSeconds = 0.0
    public var seconds = 0.0
    /// Why the search stopped early, if it did.
    public var stopReason: StopReason?
    /// Searches skipped and why (e.g. "patterns: no LP solver").
    public var notes: [String] = []
}

/// Searches the domain for a point where ‖∇f‖_* is large and returns it as a certified witness
/// (`WitnessCertifier`): (a) the best LBS point, (b) gradient ascent, (c) for piecewise-linear
/// networks, alternating maximisation over activation patterns with LP-checked realisability
/// and neighbour moves, (d) user points and patterns. The best certified value is reported; it
/// is ≥ the certified value of LBS's best point (so ≥ LBS up to the rounding of LBS itself).
public func searchWitness(_ net: Network, norm: WitnessNorm, domain: WitnessDomain, lpSolver: LPSolver?,
                          options o: WitnessSearchOptions = WitnessSearchOptions()) throws -> WitnessSearchResult {
    for (name, v) in [("samples", o.samples), ("ascentStarts", o.ascentStarts), ("ascentSteps", o.ascentSteps),
                      ("patternStarts", o.patternStarts), ("patternMoves", o.patternMoves), ("flipCandidates", o.flipCandidates),
                      ("lpFlipCandidates", o.lpFlipCandidates), ("polishFlips", o.polishFlips)] {
        guard v >= 0 else { throw WitnessError.input("witness search: \(name) is \(v); give a count ≥ 0") }
    }
    guard o.ascentStepSize.isFinite, o.ascentStepSize > 0 else { throw WitnessError.input("witness search: ascentStepSize \(o.ascentStepSize) must be > 0") }
    guard o.lpMarginCap.isFinite, o.lpMarginCap > 0 else { throw WitnessError.input("witness search: lpMarginCap \(o.lpMarginCap) must be > 0") }
    if let t = o.timeLimit, t.isNaN || t < 0 { throw WitnessError.input("witness search: timeLimit \(t) must be ≥ 0") }
    let certifier = try WitnessCertifier(network: net, norm: norm, domain: domain, margin: o.margin, profiles: o.profiles)
    var search = WitnessSearchState(certifier: certifier, options: o, lpSolver: lpSolver)
    try search.run()
    return search.result
}

struct WitnessSearchState {
    let certifier: WitnessCertifier
    let o: WitnessSearchOptions
    let lpSolver: LPSolver?
    let deadline: Deadline
    let started = monotonicSeconds()
    var rng: Xoshiro256StarStar
    var result = WitnessSearchResult(bestBySource: WitnessSource.allCases.map { ($0, nil) })
    var lastProgress = monotonicSeconds()
    /// Best points seen (floating-point value), used as starts of later searches.
    var starts: [(value: Double, x: [Double])] = []
    var realiser: PatternRealiser? = nil
    var phase: WitnessSource = .sampled

    init(certifier: WitnessCertifier, options: WitnessSearchOptions, lpSolver: LPSolver?) {
        self.certifier = certifier; self.o = options; self.lpSolver = lpSolver
        deadline = Deadline(seconds: options.timeLimit)
        rng = Xoshiro256StarStar(seed: options.seed ^ 0x5EED_0F_17_0E55)
    }

    var net: Network { certifier.network }
    var domain: WitnessDomain { certifier.domain }

    /// A deadline for the current phase only (a share of the time limit): ends the phase, not
    /// the search.
    var phaseDeadline: Deadline? = nil

    /// Starts a phase that may use `share` of the remaining time (no effect without a time limit).
    mutating func beginPhase(share: Double) {
        phaseDeadline = deadline.remaining.map { Deadline(seconds: $0 * share) }
    }

    mutating func stopped() -> Bool {
        if phaseDeadline?.expired == true { return true }
        if result.stopReason != nil { return true }
        if o.interrupted() { result.stopReason = .interrupted; return true }
        if deadline.expired { result.stopReason = .timeLimit; return true }
        return false
    }

    mutating func report(force: Bool = false) {
        guard let p = o.progress else { return }
        let now = monotonicSeconds()
        if force || now - lastProgress >= 1 {
            lastProgress = now
            p(WitnessProgress(phase: phase, best: result.lower, checked: result.checked, seconds: now - started))
        }
    }

    /// Certifies x; keeps it if best. Returns the witness when certified.
    @discardableResult
    mutating func consider(_ x: [Double], _ source: WitnessSource) -> CertifiedWitness? {
        result.checked += 1
        switch certifier.check(x, source: source) {
        case .success(let w): accept(w); return w
        case .failure(let why): result.drops.add(why); return nil
        }
    }

    mutating func accept(_ w: CertifiedWitness) {
        let k = WitnessSource.allCases.firstIndex(of: w.source)!
        if result.bestBySource[k].lower.map({ w.lower > $0 }) ?? true { result.bestBySource[k].lower = w.lower }
        if result.witness.map({ w.lower > $0.lower }) ?? true { result.witness = w }
        report()
    }

    mutating func addStart(_ v: Double, _ x: [Double]) {
        guard v.isFinite else { return }
        starts.append((v, x))
        starts.sort { $0.value > $1.value }
        if starts.count > 16 { starts.removeLast() }
    }

    /// Certifies x; for a piecewise-linear net whose point fails its margin, realises the point's
    /// pattern with the margin LP (the same gradient, at an interior point).
    @discardableResult
    mutating func considerWithRepair(_ x: [Double], _ source: WitnessSource) -> CertifiedWitness? {
        result.checked += 1
        switch certifier.check(x, source: source) {
        case .success(let w): accept(w); return w
        case .failure(let why):
            result.drops.add(why)
            guard why == .marginTooSmall, var r = realiser else { return nil }
            let pattern = r.model.forward(x).pattern
            let out = r.realise(pattern, deadline: deadline, source: source)
            realiser = r
            result.checked += 1
            switch out {
            case .witness(let w): accept(w); return w
            case .rejected(let why2): result.drops.add(why2); return nil
            }
        }
    }

    mutating func run() throws {
        defer {
            result.seconds = monotonicSeconds() - started
            if let r = realiser { result.lpSolves = r.lpSolves; result.lpSeconds = r.lpSeconds }
            report(force: true)
        }
        guard certifier.isSupported else {
            result.drops.add(.unsupportedActivation)
            result.notes.append("no witness: a hidden activation has no witness profile (user activations must declare their kinks)")
            return
        }
        let n = net.inputSize
        // The pattern search holds the Jacobians A_l of a pattern (hidden neurons × inputs doubles).
        let jacobianEntries = Double(net.hiddenSizes.reduce(0, +)) * Double(n)
        if certifier.isPiecewiseLinear && net.depth >= 2 && jacobianEntries > Double(o.patternMaxJacobianEntries) {
            result.notes.append("patterns: skipped (a pattern's Jacobians would take \(formatBytes(jacobianEntries * 8)); raise patternMaxJacobianEntries)")
        } else if certifier.isPiecewiseLinear && net.depth >= 2 {
            if let s = lpSolver {
                realiser = PatternRealiser(model: try PatternNetwork(certifier: certifier), certifier: certifier, solver: s, cap: o.lpMarginCap)
            } else {
                result.notes.append("patterns: skipped (no LP solver given)")
            }
        } else if o.patternStarts > 0 || !o.patterns.isEmpty {
            result.notes.append("patterns: skipped (needs piecewise-linear activations)")
        }

        // (d) user points first (cheap), then user patterns.
        phase = .userPoint
        for x in o.points {
            if stopped() { return }
            if let w = considerWithRepair(x, .userPoint) { addStart(w.estimate, w.point) }
            else if x.count == n, x.allSatisfy(\.isFinite) { addStart(-1, domain.clamp(x)) }
        }
        phase = .userPattern
        if !o.patterns.isEmpty {
            if var r = realiser {
                for p in o.patterns {
                    if stopped() { break }
                    guard p.count == net.depth - 1, p.indices.allSatisfy({ p[$0].count == net.layers[$0].outputSize }),
                          p.indices.allSatisfy({ l in p[l].allSatisfy { Int($0) <= r.model.kinks[l].count } }) else {
                        result.checked += 1; result.drops.add(.wrongSize); continue
                    }
                    result.checked += 1
                    switch r.realise(p, deadline: deadline, source: .userPattern) {
                    case .witness(let w): accept(w); addStart(w.estimate, w.point)
                    case .rejected(let why): result.drops.add(why)
                    }
                }
                realiser = r
            } else {
                result.drops.add(.lpFailed, o.patterns.count)
                result.notes.append("user patterns: not checked (needs piecewise-linear activations and an LP solver)")
            }
        }

        // (a) LBS.
        phase = .sampled
        report(force: true)
        if let given = o.lbs {
            guard given.point.count == n else { throw WitnessError.input("witness search: the given LBS point has \(given.point.count) coordinates, the network takes \(n)") }
            result.lbs = given.value; result.lbsPoint = given.point
            considerWithRepair(given.point, .sampled)
            addStart(given.value, given.point)
        } else if o.samples > 0 && !stopped() {
            // The points and arithmetic of `sampledLowerBound` (same generator, same order), with
            // the deadline and interrupts polled between samples.
            let normValue: Norm = certifier.norm == .linf ? .linf : (certifier.norm == .l1 ? .l1 : .l2)
            var g = Xoshiro256StarStar(seed: o.seed)
            var best = -Double.infinity, arg = domain.lower, x = domain.lower
            for _ in 0..<o.samples {
                if stopped() { break }
                for i in x.indices { x[i] = g.uniform(domain.lower[i], domain.upper[i]) }
                let v = normValue.dualNorm(try net.gradient(x))
                if v > best { best = v; arg = x }
            }
            if best > -.infinity {
                result.lbs = best; result.lbsPoint = arg
                considerWithRepair(arg, .sampled)
                addStart(best, arg)
            }
        }

        // (c, first) piecewise-linear networks: one pattern climb from the best point so far
        // (the LBS point): the largest gains come from here, before the ascent spends the time.
        var seen = Set<[UInt8]>()
        var climbs = 0
        func climb(_ x: [Double], _ me: inout WitnessSearchState) {
            guard let r = me.realiser else { return }
            let key = r.model.forward(x).pattern.flatMap { $0 }
            if seen.contains(key) { return }
            seen.insert(key)
            climbs += 1
            me.polishAndClimb(from: x, pattern: nil)
        }
        phase = .patterns
        if o.patternStarts > 0, realiser != nil, !stopped(), let x = result.witness?.point ?? starts.first?.x {
            report(force: true)
            beginPhase(share: 0.3)
            climb(x, &self)
            phaseDeadline = nil
        }

        // (b) gradient ascent.
        phase = .ascent
        report(force: true)
        let asc = GradientAscent(net: net, norm: certifier.norm, domain: domain, profiles: certifier.profiles.map { $0! })
        // (A network without hidden layers has a constant gradient: nothing to climb.)
        if o.ascentStarts > 0 && net.depth >= 2 && !stopped() {
            if realiser != nil && o.patternStarts > 0 { beginPhase(share: 0.4) }
            defer { phaseDeadline = nil }
            var runStarts: [[Double]] = starts.prefix(1).map(\.x)
            while runStarts.count < o.ascentStarts {
                runStarts.append((0..<n).map { rng.uniform(domain.lower[$0], domain.upper[$0]) })
            }
            for x0 in runStarts {
                if stopped() { break }
                ascend(asc, from: x0)
            }
        }

        // (c) pattern search from the other good points.
        phase = .patterns
        report(force: true)
        if o.patternStarts > 0, realiser != nil, !stopped() {
            var candidates = starts.map(\.x)
            if let w = result.witness { candidates.insert(w.point, at: 0) }
            for x in candidates {
                if climbs >= o.patternStarts || stopped() { break }
                climb(x, &self)
            }
        }

        // With a time limit: keep going until the time is up. Piecewise-linear networks: perturb
        // the best pattern and climb again; otherwise: ascent from a perturbation of the best
        // point (every other run from a fresh random point).
        guard o.timeLimit != nil && o.kicks else { return }
        var round = 0
        while !stopped(), let best = result.witness {
            round += 1
            if realiser != nil && o.patternStarts > 0 {
                phase = .patterns
                let model = realiser!.model
                var p = model.forward(best.point).pattern
                let unstable = model.unstable
                guard !unstable.isEmpty else { break }
                let k = 1 + rng.below(Swift.max(1, unstable.count / 5))
                for _ in 0..<k {
                    let (l, j) = unstable[rng.below(unstable.count)]
                    let a = model.allowed[l][j]
                    p[l][j] = a.lo + UInt8(rng.below(Int(a.hi - a.lo) + 1))
                }
                polishAndClimb(from: best.point, pattern: p)
            } else if o.ascentStarts > 0 && net.depth >= 2 {
                phase = .ascent
                let x0: [Double] = round % 2 == 0
                    ? (0..<n).map { rng.uniform(domain.lower[$0], domain.upper[$0]) }
                    : domain.clamp((0..<n).map { best.point[$0] + 0.1 * (domain.upper[$0] - domain.lower[$0]) * rng.uniform(-1, 1) })
                ascend(asc, from: x0)
            } else {
                break
            }
        }
    }

    /// One ascent run from x0; certifies its best point (or the next best when that fails).
    mutating func ascend(_ asc: GradientAscent, from x0: [Double]) {
        let dl = deadline, pdl = phaseDeadline, interrupted = o.interrupted
        let best = asc.run(from: x0, steps: o.ascentSteps, stepSize: o.ascentStepSize, keep: 3) {
            dl.expired || pdl?.expired == true || interrupted()
        }
        for (k, b) in best.enumerated() {
            if k == 0 || b.value > (result.lower ?? 0) {
                if considerWithRepair(b.x, .ascent) != nil { addStart(b.value, b.x); break }
            }
        }
        if let b = best.first { addStart(b.value, b.x) }
    }

    /// Polishes the pattern of x (or the given pattern) without realisability (`polish`: a local
    /// maximum of p), realises the result from x by projections (or the margin LP when small),
    /// then climbs with realisability from the best point reached.
    mutating func polishAndClimb(from x: [Double], pattern: ActivationPattern?) {
        guard var r = realiser else { return }
        let model = r.model
        let m = projectionMargins(model, x)
        let start = pattern ?? model.forward(x).pattern
        let target = model.polish(start, maxFlips: o.polishFlips)
        var from = x
        if model.value(target) > (result.witness?.estimate ?? 0) * (1 + 1e-12) {
            let (pt, effort) = model.project(target, maps: model.affineMaps(target), from: x, margin: m, sweeps: 60)
            var got: CertifiedWitness? = nil
            if let y = pt { got = certifyPoint(model, y, margins: m, r: &r) }
            else if lpAllowed(model) {
                result.checked += 1
                switch r.realise(target, deadline: deadline, source: .patterns) {
                case .witness(let w): got = w
                case .rejected(let why): result.drops.add(why)
                }
            }
            if got == nil, model.value(model.forward(effort).pattern) > model.value(model.forward(x).pattern) {
                got = certifyPoint(model, effort, margins: m, r: &r)
            }
            if let w = got { accept(w); from = w.point }
        }
        realiser = r
        patternClimb(from: from)
    }

    /// Margins for the projections: per layer 10⁻⁴ × the RMS pre-activation at x (at least 10×
    /// the certification margin).
    func projectionMargins(_ model: PatternNetwork, _ x: [Double]) -> [Double] {
        model.forward(x).z.map { z in
            let r = (z.reduce(0) { $0 + $1 * $1 } / Double(Swift.max(1, z.count))).squareRoot()
            return Swift.max(1e-4 * (r.isFinite ? r : 1), 10 * o.margin, 1e-12)
        }
    }

    /// Certifies a point for the pattern search: directly, or after projecting it into its own
    /// pattern's region with margin (cyclic projections, then the margin LP when allowed).
    mutating func certifyPoint(_ model: PatternNetwork, _ x: [Double], margins m: [Double], r: inout PatternRealiser) -> CertifiedWitness? {
        result.checked += 1
        switch certifier.check(x, source: .patterns) {
        case .success(let w): return w
        case .failure(let why):
            result.drops.add(why)
            guard why == .marginTooSmall else { return nil }
        }
        let pat = model.forward(x).pattern
        if let y = model.project(pat, maps: model.affineMaps(pat), from: x, margin: m, sweeps: 30).point {
            result.checked += 1
            switch certifier.check(y, source: .patterns) {
            case .success(let w): return w
            case .failure(let why): result.drops.add(why)
            }
        }
        guard lpAllowed(model) else { return nil }
        result.checked += 1
        switch r.realise(pat, deadline: deadline, source: .patterns) {
        case .witness(let w): return w
        case .rejected(let why): result.drops.add(why); return nil
        }
    }

    /// LPs are used in the pattern search only when the pattern's LP is small enough to be cheap
    /// (rows: at most the IBP-unstable neurons, each with at most n_0 entries).
    func lpAllowed(_ model: PatternNetwork) -> Bool {
        Double(model.unstableCount) * Double(model.inputSize) <= Double(o.lpMaxNonzeros)
    }

    /// Alternating maximisation and neighbour moves from a point's pattern (see `searchWitness`).
    /// Realisability: cyclic projections onto the target region from the current point first; the
    /// margin LP (and the hinge LP for an unrealisable target) when the LP is small enough.
    mutating func patternClimb(from x0: [Double]) {
        guard var r = realiser else { return }
        defer { realiser = r }
        let model = r.model
        let m = projectionMargins(model, x0)
        guard var current = certifyPoint(model, x0, margins: m, r: &r) else { return }
        accept(current)
        var tried = Set<[UInt8]>()
        tried.insert(current.pattern.flatMap { $0 })
        func better(_ v: Double) -> Bool { v > current.estimate * (1 + 1e-12) }
        /// Moves to the point's own region if its value is better and it certifies.
        func tryPoint(_ y: [Double], _ me: inout WitnessSearchState) -> Bool {
            let p = model.forward(y).pattern
            guard better(model.value(p)) else { return false }
            guard let w = me.certifyPoint(model, y, margins: m, r: &r), better(w.estimate) else { return false }
            current = w; me.accept(w); tried.insert(w.pattern.flatMap { $0 })
            return true
        }
        for _ in 0..<o.patternMoves {
            if stopped() { return }
            report()
            var moved = false
            // Alternating maximisation: a target pattern, realised by projections or the LPs.
            var target = current.pattern, weights: [[Double]] = []
            for _ in 0..<3 {
                let (next, w) = model.alternate(target)
                weights = w
                if next == target { break }
                target = next
            }
            if target != current.pattern && !tried.contains(target.flatMap { $0 }) && better(model.value(target)) {
                tried.insert(target.flatMap { $0 })
                let (pt, effort) = model.project(target, maps: model.affineMaps(target), from: current.point, margin: m, sweeps: 40)
                moved = tryPoint(pt ?? effort, &self)
                if !moved && lpAllowed(model) {
                    result.checked += 1
                    switch r.realise(target, deadline: deadline, source: .patterns) {
                    case .witness(let w):
                        if better(w.estimate) { current = w; accept(w); moved = true }
                    case .rejected(let why):
                        result.drops.add(why)
                        if let y = r.hinge(target, weights: weights, deadline: deadline) { moved = tryPoint(y, &self) }
                    }
                }
            }
            if moved { continue }
            // Neighbour moves: single flips ranked by the exact change of ‖g‖_*.
            let flips = flipCandidates(model, current.pattern, limit: o.flipCandidates)
            for flip in flips {
                if stopped() { return }
                var p = current.pattern
                p[flip.layer][flip.neuron] = flip.piece
                let key = p.flatMap { $0 }
                if tried.contains(key) { continue }
                tried.insert(key)
                let (pt, effort) = model.project(p, maps: model.affineMaps(p), from: current.point, margin: m, sweeps: 20)
                if tryPoint(pt ?? effort, &self) { moved = true; break }
            }
            if !moved && lpAllowed(model) {
                for flip in flips.prefix(o.lpFlipCandidates) {
                    if stopped() { return }
                    var p = current.pattern
                    p[flip.layer][flip.neuron] = flip.piece
                    result.checked += 1
                    switch r.realise(p, deadline: deadline, source: .patterns) {
                    case .witness(let w):
                        if better(w.estimate) { current = w; accept(w); moved = true }
                    case .rejected(let why): result.drops.add(why)
                    }
                    if moved { break }
                }
            }
            if !moved { return }
        }
    }

    /// The single-neuron changes of a pattern (to an adjacent piece allowed by IBP) that increase
    /// ‖g‖_* the most, best first: changing neuron (l, j) from slope s to s' changes the gradient by
    /// (s' − s) β_{l,j} A_l[j, :] (A_l the Jacobian of z_l on the pattern's region).
    func flipCandidates(_ model: PatternNetwork, _ pattern: ActivationPattern, limit: Int) -> [(layer: Int, neuron: Int, piece: UInt8, gain: Double)] {
        guard limit > 0 else { return [] }
        let g = model.gradient(pattern)
        let base = model.norm.dual(g)
        let maps = model.affineMaps(pattern)
        let beta = model.backward(pattern)
        let n0 = model.inputSize
        var out: [(layer: Int, neuron: Int, piece: UInt8, gain: Double)] = []
        var h = g
        for (l, j) in model.unstable {
            let cur = pattern[l][j], a = model.allowed[l][j]
            for np in [Int(cur) - 1, Int(cur) + 1] where np >= Int(a.lo) && np <= Int(a.hi) {
                let ds = (model.slopes[l][np] - model.slopes[l][Int(cur)]) * beta[l][j]
                if ds == 0 { continue }
                let row = j * n0
                for q in 0..<n0 { h[q] = g[q] + ds * maps[l].A[row + q] }
                let gain = model.norm.dual(h) - base
                if gain > 0 { out.append((l, j, UInt8(np), gain)) }
            }
        }
        out.sort { $0.gain != $1.gain ? $0.gain > $1.gain : ($0.layer, $0.neuron) < ($1.layer, $1.neuron) }
        return Array(out.prefix(limit))
    }
}
