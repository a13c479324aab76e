--- lip.certify: certified robustness of classified images from local Lipschitz bounds.
--
--   local c = require "lip.certify"
--   local r = c.image { network = net, x = pixels, label = 3, radii = { 0.01, 0.02 },
--                       relaxation = "lp", options = { degree = 3, family = "path" } }
--   -- r.balls[k]: { eps, certified, radius, margin, status, ... }; r.margins: one row per (ball, class)
--
-- For an image x of class y and a class j ≠ y, the margin g_j(x) = f_y(x) − f_j(x) is a
-- network with one output (net:with_output{margin = {y, j}}). If L_j is a certified ℓ∞ Lipschitz
-- bound of g_j on the ball B = {x' : ‖x' − x‖∞ ≤ ε} ∩ [0,1]^n, then for x' in B
--     g_j(x') ≥ g_j(x) − L_j ‖x' − x‖∞ > 0  whenever ‖x' − x‖∞ < g_j(x) / L_j,
-- so the class cannot change within radius r = min_j g_j(x) / L_j — valid only up to ε, the
-- radius the bounds were computed on. x is certified at ε when g_j(x) > L_j·ε for every j ≠ y.
-- Margins are lowered by 1e-8·(1 + |f_y| + |f_j|) to cover the forward pass's rounding, and
-- products and quotients are rounded against the certificate.
--
-- The bound L_j comes from a relaxation chosen by name: any name registered in lip.relaxation
-- ("lp": LiPopt-k, the Krivine LP hierarchy; "sdp" when registered; user relaxations defined
-- with lip.relaxation.define), run through lip.lipschitz; "best" (every relaxation that takes
-- part in best, and UBP: the smallest certificate); or "ubp" (the product bound alone).
local certify = {}

local function doc(fn, text, name)
  local ok, d = pcall(require, "lip.doc")
  if ok and type(d) == "table" and d.register then d.register(fn, text, "certify." .. name) end
end

local sfmt = string.format
local UP, DOWN = 1 + 2 ^ -50, 1 - 2 ^ -50   -- a few ulps against the certificate

local function lip_module() return require "lip" end

--- certify.names() -> the names a bound can come from: "best", "ubp" and lip.relaxation's.
function certify.names()
  local t = { "best", "ubp" }
  for _, n in ipairs(lip_module().relaxation.names()) do t[#t + 1] = n end
  return t
end

--- certify.available(name) -> true when bounds can come from `name`.
function certify.available(name)
  for _, n in ipairs(certify.names()) do if n == name then return true end end
  return false
end

doc(certify.names, "lip.certify.names() -> { names }\nWhere bounds can come from: \"best\", \"ubp\" and every relaxation registered in lip.relaxation.", "names")
doc(certify.available, "lip.certify.available(name) -> boolean\nWhether certify can take bounds from `name` (see lip.certify.names).", "available")

-- The options of lip.lipschitz that one relaxation accepts, from the caller's: degree and
-- family (as products) only where the relaxation declares them, plus its own table.
local function relaxation_options(names, o)
  local lip = lip_module()
  local accepted = {}
  for _, n in ipairs(names) do
    for _, f in ipairs(lip.relaxation.get(n).options) do accepted[f.name] = true end
  end
  local out = {}
  if accepted.degree and o.degree then out.degree = o.degree end
  if accepted.products then out.products = o.family or "path" end   -- certify's default family
  if accepted.time_limit and o.time_limit then out.time_limit = o.time_limit end
  for k, v in pairs(o.relaxation_options or {}) do out[k] = v end
  return out
end

--- certify.bound(name, margin_net, box, options) -> { bound, status, method, lbs, ubp, seconds, rows, columns, order }
-- A certified ℓ∞ Lipschitz bound of a one-output network on box (the ball already clipped
-- to the domain), or bound = nil with the status saying why.
function certify.bound(name, net, box, o)
  local lip = lip_module()
  local t0 = lip.script.clock()
  if name == "ubp" then
    local b = lip.bounds.product(net, "linf", { input_box = box, domain = { 0, 1 } })
    local finite = b == b and b < math.huge
    return { bound = finite and b or nil, status = finite and "certified" or "uncertified", method = "UBP",
             seconds = lip.script.clock() - t0 }
  end
  local names = name == "best" and nil or { name }
  if name == "best" then
    names = {}
    for _, n in ipairs(lip.relaxation.names()) do if lip.relaxation.get(n).best then names[#names + 1] = n end end
  end
  local opts = relaxation_options(names, o)
  opts.network, opts.norm, opts.input_box, opts.domain = net, "linf", box, { 0, 1 }
  opts.relaxation = name == "best" and "best" or name
  opts.samples, opts.seed, opts.quiet = o.samples or 200, o.seed or 0, true
  local ok, r = lip.shard.pcall(lip.lipschitz, opts)
  if not ok then
    return { bound = nil, status = "refused: " .. tostring(r):gsub("\n.*", ""), method = name, seconds = lip.script.clock() - t0 }
  end
  local bound, method, status
  if name == "best" then
    bound, method = r.upper, r.upper_method
  else
    local res = r.results[name]
    bound, method = res.certified, res.method or name
    if not bound then status = res.status end
  end
  status = status or (bound and "certified" or r.status)
  if bound and r.chain_ok == false then status, bound = "chain violated", nil end
  return { bound = bound, status = status, method = method, lbs = r.lbs, ubp = r.ubp,
           seconds = lip.script.clock() - t0, rows = r.rows, columns = r.columns, order = r.order }
end
doc(certify.bound, [==[
lip.certify.bound(name, margin_net, box, options) -> { bound, status, method, lbs, ubp, seconds, rows, columns, order }
A certified ℓ∞ Lipschitz bound of a one-output network on box (the ℓ∞ ball clipped to [0, 1]):
name is a relaxation registered in lip.relaxation (through lip.lipschitz), "best" (the smallest
certificate of the relaxations taking part in best and UBP) or "ubp". options: degree, family,
time_limit, samples, seed, relaxation_options (passed to the relaxation as they are).]==], "bound")

-- ------------------------------------------------------------------------------------------
-- Arithmetic of the certificate (pure; the specs check it by hand)
-- ------------------------------------------------------------------------------------------

--- certify.slack(fy, fj) -> the amount margins are lowered by (forward-pass rounding).
function certify.slack(fy, fj) return 1e-8 * (1 + math.abs(fy) + math.abs(fj)) end

--- certify.ratio(margin, bound) -> a number r with margin / bound >= r (rounded down); the
-- radius margin_j / L_j of one class. bound = 0 with margin > 0: +inf; margin <= 0: 0.
function certify.ratio(margin, bound)
  if not (margin > 0) then return 0.0 end
  if bound == 0 then return math.huge end
  return margin / bound * DOWN
end

doc(certify.ratio, [==[
lip.certify.ratio(margin, bound) -> r
margin / bound rounded down (the radius one class allows); 0 for margin <= 0, +inf for
bound = 0 with a positive margin.]==], "ratio")

--- certify.holds(margin, bound, eps) -> margin > bound·eps with the product rounded up.
function certify.holds(margin, bound, eps)
  return margin > bound * eps * UP
end

doc(certify.holds, [==[
lip.certify.holds(margin, bound, eps) -> boolean
margin > bound·eps with the product rounded up: the class is kept on the ball.]==], "holds")
doc(certify.slack, [==[
lip.certify.slack(fy, fj) -> number
How much margins f_y − f_j are lowered before use: 1e-8·(1 + |f_y| + |f_j|), far above the
rounding of a double-precision forward pass of networks of this size.]==], "slack")

--- certify.ball(margins, bounds, eps) -> certified, radius, worst
-- margins[j] (lowered), bounds[j] (nil = no certificate) for the classes j ≠ y, on a ball of
-- radius eps: certified when margin_j > L_j·eps for every j; radius = min(min_j margin_j/L_j,
-- eps) (nil when a bound is missing); worst = the j of the smallest ratio.
function certify.ball(margins, bounds, eps)
  local ok, radius, worst = true, math.huge, nil
  local missing = false
  for j, m in pairs(margins) do
    local L = bounds[j]
    if L == nil then
      ok, missing = false, true
    else
      if not certify.holds(m, L, eps) then ok = false end
      local r = certify.ratio(m, L)
      if r < radius or (r == radius and (worst == nil or j < worst)) then radius, worst = r, j end
    end
  end
  if missing then return false, nil, worst end
  if next(margins) == nil then return true, eps, nil end
  return ok, math.min(radius, eps), worst
end
doc(certify.ball, [==[
lip.certify.ball(margins, bounds, eps) -> certified, radius, worst
margins[j]: f_y(x) − f_j(x) (already lowered for rounding), bounds[j]: a certified ℓ∞
Lipschitz bound of that margin on the ball of radius eps (nil when none). certified: every
margin_j > bounds_j·eps. radius: min(min_j margin_j/bounds_j, eps), the certified radius these
bounds imply (they hold only on the ball), nil when a bound is missing; worst: the arg min.]==], "ball")

--- certify.certified_at(balls, eps) -> boolean: some ball of radius b >= eps certifies eps
-- (its ratio min_j margin_j / L_j exceeds eps). balls: { { eps =, ratio = }, ... }.
function certify.certified_at(balls, eps)
  for _, b in ipairs(balls) do
    if b.eps >= eps and b.ratio and b.ratio > eps then return true end
  end
  return false
end

doc(certify.certified_at, [==[
lip.certify.certified_at(balls, eps) -> boolean
True when some ball of radius b >= eps has ratio min_j margin_j/L_j > eps (its bounds hold on
the smaller ball too). balls = { {eps =, ratio =}, ... } (certify.image's result.balls).]==], "certified_at")

-- ------------------------------------------------------------------------------------------
-- One image
-- ------------------------------------------------------------------------------------------

local function argmax(v)
  local k = 1
  for i = 2, #v do if v[i] > v[k] then k = i end end
  return k
end

--- certify.image{...} -> { logits, predicted, balls = {...}, margins = {...} }
function certify.image(a)
  if type(a) ~= "table" then error("certify.image: options table expected", 2) end
  local net, x, label = a.network, a.x, a.label
  if net == nil or type(x) ~= "table" or math.type(label) ~= "integer" then
    error("certify.image needs network =, x = {pixels} and label = the class (0-based, as in IDX label files)", 2)
  end
  local radii = a.radii or { 0.01 }
  local name = a.relaxation or "lp"
  if not certify.available(name) then
    error(sfmt("certify: relaxation '%s' is not available (have: %s); lip.relaxation.define{name = \"%s\", ...} adds it",
      tostring(name), table.concat(certify.names(), ", "), tostring(name)), 2)
  end
  local relax = function(net_, box_, o_) return certify.bound(name, net_, box_, o_) end
  local lo_d, hi_d = 0, 1
  local o = a.options or {}
  local logits = net:outputs(x)
  local k = #logits
  if label < 0 or label >= k then
    error(sfmt("certify.image: label %d is not a class of a network with %d outputs (0..%d)", label, k, k - 1), 2)
  end
  local y = label + 1
  local predicted = argmax(logits) - 1
  local out = { logits = logits, predicted = predicted, balls = {}, margins = {} }
  -- Margins at the image (lowered by the rounding slack), smallest first.
  local classes, margin, margin_net = {}, {}, {}
  for j = 1, k do
    if j ~= y then
      margin_net[j] = net:with_output { margin = { y, j } }
      local g = margin_net[j]:forward(x)
      margin[j] = g - certify.slack(logits[y], logits[j])
      classes[#classes + 1] = j
    end
  end
  table.sort(classes, function(p, q) if margin[p] ~= margin[q] then return margin[p] < margin[q] end return p < q end)
  local min_margin = margin[classes[1]]
  local sorted = {}
  for i, e in ipairs(radii) do sorted[i] = e end
  table.sort(sorted)   -- smallest first: a hopeless ball makes every larger one hopeless
  local hopeless_at = nil
  for _, eps in ipairs(sorted) do
    local t0, c0 = lip_module().script.clock(), os.clock()
    local ball = { eps = eps, margin = min_margin, label = label, predicted = predicted, lps = 0 }
    if predicted ~= label or not (min_margin > 0) then
      ball.certified, ball.radius, ball.ratio, ball.status = false, 0.0, 0.0, "misclassified"
    elseif hopeless_at then
      ball.certified = false
      ball.status = sfmt("not certifiable (as at eps %g)", hopeless_at)
    else
      local lower, upper = {}, {}
      for i = 1, #x do
        lower[i] = math.max(lo_d, x[i] - eps)
        upper[i] = math.min(hi_d, x[i] + eps)
      end
      local box = { lower = lower, upper = upper }
      local bounds, margins = {}, {}
      local stopped = false
      for _, j in ipairs(classes) do
        local pre = nil   -- with early_stop: LBS of this margin on the ball, before any LP
        if not stopped and a.early_stop then
          pre = lip_module().bounds.sampled(margin_net[j], "linf", { samples = o.samples or 200, box = box, seed = o.seed or 0 })
        end
        if stopped then
          out.margins[#out.margins + 1] = { eps = eps, class = j - 1, margin = margin[j], status = "skipped (early stop)" }
          margins[j] = margin[j]
        elseif pre and not (margin[j] > pre * eps) then
          -- A sampled gradient already gives margin <= LBS·eps <= L·eps for every certificate L:
          -- no Lipschitz bound certifies this ball, nor any larger one. No LP needed.
          out.margins[#out.margins + 1] = { eps = eps, class = j - 1, margin = margin[j], lbs = pre,
            status = "not certifiable (margin <= LBS·eps)" }
          margins[j] = margin[j]
          stopped, hopeless_at = true, eps
        else
          local r = relax(margin_net[j], box, o)
          ball.lps = ball.lps + 1
          margins[j], bounds[j] = margin[j], r.bound
          local row = { eps = eps, class = j - 1, margin = margin[j], bound = r.bound, lbs = r.lbs,
                        ratio = r.bound and certify.ratio(margin[j], r.bound) or nil, method = r.method,
                        status = r.status, seconds = r.seconds, rows = r.rows, columns = r.columns, order = r.order }
          if r.bound and r.lbs and r.lbs > r.bound * (1 + 1e-9) + 1e-12 then
            row.status = "chain violated"   -- a sampled gradient above the certificate: a bug
            bounds[j] = nil
          end
          if r.bound then row.holds = certify.holds(margin[j], r.bound, eps) end
          out.margins[#out.margins + 1] = row
          if a.early_stop and not (r.bound and row.holds) then stopped = true end
        end
      end
      local ok, radius, worst = certify.ball(margins, bounds, eps)
      ball.certified, ball.worst_class = ok, worst and worst - 1
      if stopped then
        ball.status, ball.radius = hopeless_at and "not certifiable (margin <= LBS·eps)" or "not certified (early stop)", nil
      else
        ball.radius = radius
        ball.status = ok and "certified" or (radius and "not certified" or "uncertified")
      end
      -- The ratio over all classes (for certified_at); nil when a bound is missing.
      if radius and not stopped then
        local m = math.huge
        for j, mj in pairs(margins) do m = math.min(m, certify.ratio(mj, bounds[j])) end
        ball.ratio = m
      end
    end
    ball.seconds, ball.cpu_seconds = lip_module().script.clock() - t0, os.clock() - c0
    out.balls[#out.balls + 1] = ball
  end
  return out
end
doc(certify.image, [==[
lip.certify.image{ network = net, x = {pixels}, label = y (0-based), radii = {0.01, ...},
                   relaxation = "lp"|"ubp"|"best"|<registered>, options = {degree, family,
                   time_limit, samples, seed}, early_stop = false } -> result
For each radius ε (an ℓ∞ ball around x, clipped to [0,1]) and each class j ≠ y: a certified
Lipschitz bound L_j of the margin f_y − f_j on the ball and the margin at x. result.balls[k] =
{ eps, certified (margin_j > L_j·ε for all j), radius (min(min_j margin_j/L_j, ε): the
certified radius), ratio (min_j margin_j/L_j), margin (the smallest), predicted, worst_class,
status, seconds, cpu_seconds, lps }; result.margins = one row per (ε, j) with margin, bound, lbs, ratio,
holds, method, status. A misclassified image is not certified (radius 0) and costs no LP.
early_stop: at each ε, stop at the first class that fails (certified stays exact; the radius
is then not computed); before each LP, a margin with margin_j <= LBS_j·ε (sampled gradients in
the ball: every certificate is >= LBS) fails without an LP, and so does every larger ball.]==], "image")

return certify
