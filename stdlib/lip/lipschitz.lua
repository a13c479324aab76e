--- lip.lipschitz: the one-call path. lip.lipschitz{...} builds the problem, runs LiPopt-k and
-- the baselines, and returns them in one table, checking LBS <= certified <= UBP.
local native = require "_lip"
local doc = require "lip.doc"
local M = {}

local allowed = {
  network = true, norm = true, degree = true, products = true, sparsity = true,
  input_box = true, domain = true, samples = true, seed = true, time_limit = true,
  solver = true, method = true, quiet = true, progress = true, exact = true,
  max_rows = true, max_columns = true, max_nonzeros = true, max_memory = true,
}

local function check_options(o)
  if type(o) ~= "table" then error("lip.lipschitz: options table expected, got " .. type(o), 3) end
  for k in pairs(o) do
    if not allowed[k] then
      local names = {}
      for a in pairs(allowed) do names[#names + 1] = a end
      table.sort(names)
      error("lip.lipschitz: unknown option '" .. tostring(k) .. "' (allowed: " .. table.concat(names, ", ") .. ")", 3)
    end
  end
  if o.network == nil then error("lip.lipschitz: needs network = <lip.nn network>", 3) end
end

function M.lipschitz(o)
  check_options(o)
  local norm = o.norm or "linf"
  local problem = native.lipschitz_problem { network = o.network, norm = norm,
                                             input_box = o.input_box, domain = o.domain }
  local hopts = {
    degree = o.degree or 3, products = o.products, sparsity = o.sparsity,
    time_limit = o.time_limit, solver = o.solver, method = o.method, quiet = o.quiet,
    progress = o.progress, max_rows = o.max_rows, max_columns = o.max_columns,
    max_nonzeros = o.max_nonzeros, max_memory = o.max_memory,
  }
  local r = native.hierarchy.krivine(problem, hopts)
  local n = o.network:sizes()[1]
  local box = o.input_box
  if box == nil then
    local lo, hi = {}, {}
    for i = 1, n do lo[i], hi[i] = -5, 5 end
    box = { lower = lo, upper = hi }
  end
  local ubp = native.bounds.product(o.network, norm, { input_box = o.input_box, domain = o.domain })
  local lbs = native.bounds.sampled(o.network, norm, { samples = o.samples or 10000, box = box, seed = o.seed or 0 })
  local out = {
    status = r.status, certified = r.certified, lp_value = r.lp_value, degree = r.degree,
    family = r.family, pattern = r.pattern, rows = r.rows, cols = r.cols, nnz = r.nnz,
    seconds = r.seconds, build_seconds = r.build_seconds, solve_seconds = r.solve_seconds,
    ubp = ubp, lbs = lbs, norm = type(norm) == "string" and norm or norm:name(),
    ["local"] = o.input_box ~= nil, lipopt = r,
  }
  if o.exact then out.exact = problem:exact_max() end
  -- Both LiPopt and UBP are certificates, so their minimum is one too. (For l2 a low degree of
  -- the LP can be looser than UBP: the ball enters only through constraint products.)
  if out.certified and out.certified <= ubp then
    out.best, out.best_method = out.certified, "LiPopt-" .. r.degree
  else
    out.best, out.best_method = ubp, "UBP"
  end
  -- The inequality chain every run must satisfy (METHOD §5). A violation is a bug: say so.
  local tol = 1e-9
  if out.certified then
    out.chain_ok = lbs <= out.certified * (1 + tol) + tol and
                   (out.certified <= ubp * (1 + tol) + tol or out.norm == "l2")
    if out.exact then out.chain_ok = out.chain_ok and out.exact <= out.certified * (1 + tol) + tol end
  end
  return out
end
doc.register(M.lipschitz, [==[
lip.lipschitz{ network = net, norm = "linf", degree = 3, products = "by_input", sparsity = ,
               input_box = {lower=, upper=}|{center=, radius=}, domain = {lo, hi}, samples = 10000,
               seed = 0, time_limit = , solver = , method = , quiet = , exact = false } -> result
The one-call path: LiPopt-k (a certificate: L <= certified) beside UBP (the product bound,
a certificate) and LBS (sampled gradients: an estimate from below), globally or on an input box.
result: { certified, lp_value, ubp, lbs, best (the smaller certificate) and best_method,
exact (with exact = true), status, degree, family, rows, cols, nnz, seconds,
chain_ok (LBS <= certified <= UBP held; for l2 only LBS <= certified), lipopt = <full result> }.]==], "lipschitz")

return M
