--- lip.lipschitz: the one-call path. lip.lipschitz{...} builds the problem, runs the chosen
-- relaxation(s) by name from lip.relaxation, and the baselines, and returns the sandwich
-- lower <= L <= upper with every number labelled (certificate or estimate) and the chain
-- LBS <= exact <= certified <= UBP checked.
local native = require "_lip"
local doc = require "lip.doc"
local options = require "lip.options"
local relaxation = require "lip.relaxation"
local M = {}

local NAME = "lip.lipschitz"

M.problem_options = options.of(native.lipschitz_problem, 1)
M.baseline_options = options.spec {
  { "relaxation", "string|string[]", "a registered relaxation (\"lp\", \"sdp\", ...), \"best\" (every relaxation that takes part in best; the smaller certificate wins) or a list of names", "lp" },
  { "samples", "integer", "points for LBS", "10000" },
  { "seed", "integer", "seed for LBS", "0" },
  { "exact", "boolean", "also the exact maximum of p by vertex enumeration (tiny problems)", "false" },
  { "lower", "string", "the lower bound: \"witness\" (a checked witness: a proof) or \"sampled\" (LBS only: an estimate)", "witness" },
  { "witness", "table", "options of the witness search (lip.witness.search), e.g. {time_limit = 5, ascent_starts = 4}", "{time_limit = 20, kicks = false}" },
  { "quiet", "boolean", "no progress display (passed to relaxations that take it)", "false" },
}

--- The relaxations a call asks for.
local function chosen(name)
  if name == nil then return { "lp" } end
  if type(name) == "table" then return name end
  if name == "best" then
    local out = {}
    for _, n in ipairs(relaxation.names()) do if relaxation.get(n).best then out[#out + 1] = n end end
    return out
  end
  return { name }
end

local function spec_for(names)
  local specs = {}
  for _, n in ipairs(names) do
    local ok, r = pcall(relaxation.get, n)
    if not ok then error(NAME .. ": " .. tostring(r):gsub("^[^\n]-:%d+: ", "", 1), 4) end
    specs[#specs + 1] = r.options
  end
  return options.union(table.unpack(specs))
end

function M.lipschitz(o)
  if type(o) ~= "table" then error(NAME .. ": options table expected, got " .. type(o), 2) end
  local names = chosen(o.relaxation)
  local s, all = options.split(NAME, o, { M.problem_options, spec_for(names), M.baseline_options })
  if all.network == nil then error(NAME .. ": needs network = <lip.nn network>", 2) end
  local problem = options.call(NAME, 2, native.lipschitz_problem, s[1])
  local net = all.network
  local out = { results = {}, norm = problem:info().norm, ["local"] = all.input_box ~= nil }

  for _, n in ipairs(names) do
    local r = relaxation.get(n)
    local slice = {}
    for _, f in ipairs(r.options) do slice[f.name] = s[2][f.name] end
    local ok, res = pcall(r.solve, problem, slice)
    if not ok then
      if type(res) == "string" and res:find("interrupted!", 1, true) then error(res, 0) end
      if #names == 1 then error(res, 0) end
      res = { relaxation = n, method = n, status = "refused", message = tostring(res):gsub("^[^\n]-:%d+: ", "", 1) }
    end
    out.results[n] = res
  end

  -- Baselines.
  -- LBS samples the domain of the bound: the input box clipped to the data domain (the bound
  -- holds there only), or a wide box for the global constant.
  local box
  if all.input_box then
    local ib = all.input_box
    local lo, hi = {}, {}
    for i = 1, net:sizes()[1] do
      lo[i] = ib.lower and ib.lower[i] or (ib.center[i] - ib.radius)
      hi[i] = ib.upper and ib.upper[i] or (ib.center[i] + ib.radius)
      if all.domain then lo[i], hi[i] = math.max(lo[i], all.domain[1]), math.min(hi[i], all.domain[2]) end
    end
    box = { lower = lo, upper = hi }
  else
    local lo, hi = {}, {}
    for i = 1, net:sizes()[1] do lo[i], hi[i] = -5, 5 end
    box = { lower = lo, upper = hi }
  end
  out.ubp = options.call(NAME, 2, native.bounds.product, net, all.norm or "linf", { input_box = all.input_box, domain = all.domain })
  out.lbs, out.lbs_point = options.call(NAME, 2, native.bounds.sampled, net, all.norm or "linf",
                         { samples = all.samples or 10000, box = box, seed = all.seed or 0 })
  if all.exact then out.exact = problem:exact_max() end

  -- The lower bound: LBS's best point and a search for a larger one, each checked as a witness
  -- (a proof: lower <= |grad f(x)|_* <= L). User norms without a rigorous dual norm, and
  -- lower = "sampled", keep LBS, which is an estimate.
  local lower_mode = all.lower or "witness"
  if lower_mode ~= "witness" and lower_mode ~= "sampled" then
    error(NAME .. ": lower = '" .. tostring(lower_mode) .. "' is not one of witness, sampled", 2)
  end
  out.lower, out.lower_kind = out.lbs, "sampled"
  if lower_mode == "witness" then
    local wo = {}
    if all.witness ~= nil and type(all.witness) ~= "table" then error(NAME .. ": witness must be a table of options of lip.witness.search", 2) end
    for k, v in pairs(all.witness or {}) do wo[k] = v end
    -- the domain of the bound (the input box clipped to the data domain), or for the global
    -- constant the box LBS samples (any point is a witness of the global constant)
    if wo.box == nil and all.input_box then wo.box, wo.domain = all.input_box, wo.domain or all.domain end
    if wo.box == nil then wo.box = box end
    if wo.seed == nil then wo.seed = all.seed or 0 end
    -- bounded work (reproducible); the time limit is a safety net
    if wo.time_limit == nil then wo.time_limit = 20 end
    if wo.kicks == nil then wo.kicks = false end
    if wo.lbs == nil and out.lbs_point then wo.lbs = { value = out.lbs, point = out.lbs_point } end
    local ok, w = pcall(native.witness.search, net, all.norm or "linf", wo)
    if ok then
      out.witness = w
      if w.lower and w.lower > 0 then out.lower, out.lower_kind = w.lower, "witness" end
    else
      local msg = tostring(w):gsub("^[^\n]-:%d+: ", "", 1)
      if msg:find("interrupted!", 1, true) then error(w, 0) end
      if msg:find("unknown option", 1, true) or msg:find("bad argument", 1, true) then error(NAME .. ": witness: " .. msg, 2) end
      out.witness = { status = "refused", message = msg }
    end
  end

  -- The best certificate: the smallest certified bound among the relaxations and UBP (all are
  -- theorems, so their minimum is one).
  local best, best_method, chosen_result = out.ubp, "UBP", nil
  for _, n in ipairs(names) do
    local r = out.results[n]
    if r.certified and r.certified <= best then best, best_method, chosen_result = r.certified, r.method or n, r end
  end
  out.upper, out.upper_method = best, best_method
  out.best, out.best_method = best, best_method
  out.ratio = (out.lower and out.lower > 0) and out.upper / out.lower or nil

  -- The chosen relaxation's numbers at the top level (the first one for a single relaxation).
  local main = chosen_result or out.results[names[1]]
  for _, k in ipairs { "relaxation", "method", "status", "certified", "solver_value", "correction", "rows", "columns",
                       "nonzeros", "order", "seconds", "build_seconds", "solve_seconds", "degree", "family", "pattern" } do
    if main and out[k] == nil then out[k] = main[k] end
  end

  -- The inequality chain every run must satisfy. A violation is a bug: say so.
  local tol = 1e-9
  local ok = true
  for _, n in ipairs(names) do
    local c = out.results[n].certified
    if c then
      ok = ok and out.lbs <= c * (1 + tol) + tol
      if out.exact then ok = ok and out.exact <= c * (1 + tol) + tol end
    end
  end
  ok = ok and out.lbs <= out.ubp * (1 + tol) + tol
  -- A witness is a proof: it must lie below every certificate.
  ok = ok and out.lower <= out.upper * (1 + tol) + tol
  out.chain_ok = ok
  return out
end
doc.register(M.lipschitz, [==[
lip.lipschitz{ network = net, norm = "linf", input_box = , domain = , relaxation = "lp",
               <the relaxation's options, e.g. degree = 3, products = "by_input">,
               samples = 10000, seed = 0, exact = false, lower = "witness", witness = {} } -> result
The one-call path: a relaxation (a certificate: L <= certified) beside UBP (the product bound,
a certificate) and LBS (sampled gradients: an estimate from below), globally or on an input box.
relaxation is a registered name (lip.relaxation.names()), "best" (all that take part in best;
the smaller certificate wins) or a list of names; its options are accepted here and checked
against its declared list (unknown keys are an error).
result: { upper (the best certificate) and upper_method, lower and lower_kind ("witness": a
checked witness, a proof that L >= lower; "sampled": LBS, an estimate, when no witness could
be checked or lower = "sampled"), witness (the search's result: point, pattern, source, drops),
ratio = upper/lower, results = {lp = <result>, ...} (each the shared relaxation result),
certified, solver_value, status, method, rows, columns, nonzeros, seconds of the best relaxation,
ubp, lbs, exact (with exact = true), best/best_method (= upper), chain_ok (LBS <= exact <=
certified and LBS <= UBP held) }. For l2 a low LP degree can be looser than UBP (the ball enters
the LP only through constraint products); upper is still the smaller certificate.]==], "lipschitz")

return M
