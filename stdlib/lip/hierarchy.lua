--- lip.hierarchy: LiPopt-k, the Krivine LP hierarchy, written as the reduction it is:
--   apply (problem -> LP + inverse) -> lp.solve_program -> invert (certified bound).
-- Each step is a native (the hot loops stay in Swift); the sequence and the option handling
-- are here, so a variant (another solve step, extra products, a different stopping rule) is a
-- Lua change. Option lists are declared once by the natives and composed here.
local native = require "_lip"
local doc = require "lip.doc"
local options = require "lip.options"
local hierarchy = {}

hierarchy.build_options = options.of(native.hierarchy.apply, 2)
hierarchy.solve_options = options.of(native.lp.solve_program, 2)
hierarchy.generation_options = options.spec {
  { "column_generation", "boolean|\"auto\"", "price the family instead of building it (true), or decide by the size estimate (\"auto\": above 200,000 columns)", "false" },
  { "columns_per_round", "integer", "column generation: columns added per round at most", "max(100, rows/2)" },
  { "max_rounds", "integer", "column generation: rounds at most", "500" },
  { "initial", "string", "column generation: the starting family (must cover p)", "path" },
  { "warm_start", "boolean", "column generation: re-solve each round from the previous basis (GLPK simplex)", "true" },
}
hierarchy.flow_options = options.spec {
  { "write_lp", "string", "write the LP to this path before solving" },
  { "write_format", "string", "\"mps\" (default; columns named by their products) or \"lp\"" },
  { "estimate_only", "boolean", "return the size estimate only" },
  { "quiet", "boolean", "no progress display (default: progress on stderr when it is a terminal)" },
}
hierarchy.options = options.union(hierarchy.build_options, hierarchy.solve_options, hierarchy.generation_options,
                                  hierarchy.flow_options)

--- The number of estimated columns above which column_generation = "auto" prices the family.
hierarchy.auto_generation_columns = 200000

local NAME = "lip.hierarchy.krivine"

--- hierarchy.krivine(problem, options) -> result
function hierarchy.krivine(problem, opts)
  local s, all = options.split(NAME, opts, { hierarchy.build_options, hierarchy.solve_options,
                                             hierarchy.generation_options, hierarchy.flow_options })
  local build, solve, gen, flow = s[1], s[2], s[3], s[4]
  local show = all.progress
  if show == nil then show = not flow.quiet and native.isatty(2) end
  build.progress, solve.progress = show, show
  if flow.estimate_only then return options.call(NAME, 2, native.hierarchy.estimate, problem, build) end
  local cg = gen.column_generation
  if cg ~= nil and cg ~= true and cg ~= false and cg ~= "auto" then
    error(NAME .. ": column_generation must be true, false or \"auto\"", 2)
  end
  if cg == "auto" then
    local e = options.call(NAME, 2, native.hierarchy.estimate, problem, build)
    cg = e.columns > hierarchy.auto_generation_columns
  end
  if cg then
    if flow.write_lp then error(NAME .. ": write_lp is not available with column generation (the LP changes every round)", 2) end
    local o = {}
    for k, v in pairs(build) do o[k] = v end
    for k, v in pairs(solve) do if k ~= "progress" then o[k] = v end end
    for k, v in pairs(gen) do if k ~= "column_generation" then o[k] = v end end
    local r = options.call(NAME, 2, native.hierarchy.column_generation, problem, o)
    local info = problem:info()
    r.norm, r["local"], r.variables, r.terms = info.norm, info["local"], info.variables, info.terms
    return r
  end
  for k in pairs(gen) do
    if k ~= "column_generation" then error(NAME .. ": " .. k .. " needs column_generation = true (or \"auto\")", 2) end
  end
  local started = native.clock()
  local lp, inverse = options.call(NAME, 2, native.hierarchy.apply, problem, build)
  if solve.time_limit and solve.time_limit < math.huge then   -- the solve gets what building left
    solve.time_limit = math.max(0, solve.time_limit - (native.clock() - started))
  end
  if flow.write_lp then
    local format = flow.write_format or "mps"
    if format ~= "mps" and format ~= "lp" then error(NAME .. ": write_format must be \"mps\" or \"lp\"", 2) end
    if format == "mps" then inverse:name_columns(lp) end
    options.call(NAME, 2, native.lp.write, lp, flow.write_lp, format)
  end
  local solution = options.call(NAME, 2, native.lp.solve_program, lp, solve)
  local r = native.hierarchy.invert(inverse, solution)
  local info = problem:info()
  r.norm, r["local"], r.variables, r.terms = info.norm, info["local"], info.variables, info.terms
  return r
end
doc.register(hierarchy.krivine, [==[
lip.hierarchy.krivine(problem, options) -> result
LiPopt-k: the Krivine/Handelman LP hierarchy bounding max p over the problem's set, built by
lip.hierarchy.apply, solved by lip.lp.solve_program, certified by lip.hierarchy.invert.
Options (unknown keys are an error): those of apply (degree, products, sparsity, max_rows,
max_columns, max_nonzeros, max_memory, certificate, progress), of solve_program (solver,
method, time_limit, verbose), column_generation (true, false or "auto": price the family
instead of building it; see help(lip.hierarchy.column_generation)) with columns_per_round,
max_rounds, initial, and write_lp, write_format, estimate_only, quiet. See
help(lip.hierarchy.apply) and help(lip.lp.solve_program) for each.
result: the shared relaxation result (help(lip.relaxation)): relaxation = "lp",
method = "LiPopt-k", status, certified (the theorem: max p <= certified), solver_value,
correction, rows, columns, nonzeros, seconds, build_seconds, solve_seconds, certify_seconds,
solver, message, degree, family, pattern, certificate = {{coefficient, product}, ...}, norm,
local, variables, terms. A monomial no product covers, or an LP above the size limits, raises an
error before solving; a solver outcome (infeasible, time_limit, ...) is a status.]==], "hierarchy.krivine")

hierarchy.apply = native.hierarchy.apply
hierarchy.column_generation = native.hierarchy.column_generation
hierarchy.invert = native.hierarchy.invert
hierarchy.estimate = native.hierarchy.estimate
hierarchy.define_family = native.hierarchy.define_family
hierarchy.families = native.hierarchy.families

--- hierarchy.sweep(problem, degrees, options) -> { result, ... }
function hierarchy.sweep(problem, degrees, opts)
  if type(degrees) ~= "table" then error("lip.hierarchy.sweep: degrees must be a list {k1, k2, ...}", 2) end
  options.split("lip.hierarchy.sweep", opts, { hierarchy.options }, 2)
  local out = {}
  for i, k in ipairs(degrees) do
    local o = {}
    for key, v in pairs(opts or {}) do o[key] = v end
    o.degree = k
    local ok, r = pcall(hierarchy.krivine, problem, o)
    if ok then
      out[i] = r
    else
      if type(r) == "string" and r:find("interrupted!", 1, true) then error(r, 0) end
      out[i] = { relaxation = "lp", method = "LiPopt-" .. tostring(k), degree = k, status = "refused",
                 message = tostring(r):gsub("^[^\n]-:%d+: ", "", 1) }
    end
  end
  return out
end
doc.register(hierarchy.sweep, [==[
lip.hierarchy.sweep(problem, {k1, k2, ...}, options) -> {result1, result2, ...}
LiPopt-k for several degrees with the same options (see help(lip.hierarchy.krivine)). A degree
that cannot be built (below the depth: a monomial is not covered; above a size limit) is an
entry with status = "refused" and its message, so the other degrees still run. For nested
families the certified bounds are nonincreasing in k up to solver tolerance.]==], "hierarchy.sweep")

-- LiPopt-k is the relaxation "lp".
require("lip.relaxation").define {
  name = "lp",
  summary = "LiPopt-k: the Krivine LP hierarchy over a product family (GLPK)",
  options = options.without(hierarchy.options, { "estimate_only" }),
  solve = hierarchy.krivine,
}

return hierarchy
