--- lip.bounds: the baselines every LiPopt bound is shown beside (docs/METHOD.md §5): UBP (product of
-- norms, an upper bound), LBS (sampled gradients, a lower bound), and the exact maximum of
-- the norm-gradient polynomial by vertex enumeration (tiny problems; a test oracle).
local native = (require "_lip").bounds
local doc = require "lip.doc"
local bounds = {}

bounds.product = native.product
bounds.sampled = native.sampled
bounds.witness = (require "_lip").witness.search

local function has_method(x, name)
  local ok, m = pcall(function() return x[name] end)
  return ok and type(m) == "function"
end

--- bounds.exact(problem [, max_variables]) or bounds.exact(net, norm [, options]) -> value, argmax, method, result
function bounds.exact(x, a, b)
  if has_method(x, "exact_max") then
    local value, argmax = x:exact_max(a)
    return value, argmax, "vertex_enumeration"
  end
  if not has_method(x, "forward") then
    error("lip.bounds.exact: a lip.LipschitzProblem or a lip.Network expected, got " .. type(x), 2)
  end
  local o = {}
  if b ~= nil and type(b) ~= "table" then error("lip.bounds.exact: options table expected, got " .. type(b), 2) end
  for k, v in pairs(b or {}) do o[k] = v end
  if o.quantity == nil then o.quantity = "max_p" end
  local r = (require "_lip").witness.exact(x, a, o)
  if not r.exact then return nil, nil, r.method, r end
  return r.value, r.witness and r.witness.point or nil, r.method, r
end
doc.register(bounds.exact, [==[
lip.bounds.exact(problem [, max_variables = 24]) -> value, argmax, "vertex_enumeration"
lip.bounds.exact(net, norm [, options]) -> value | nil, point, method, result
The exact maximum of the norm-gradient polynomial p. For a problem: by enumerating the vertices
of the box (p is multilinear) or of the dual ball; refuses more than max_variables enumerated
variables. For a network (ReLU or leaky ReLU; linf or l1): vertex enumeration up to 24
derivative variables, else a mixed-integer program with GLPK's branch and cut (options of
lip.witness.exact: box, method, time_limit, max_binaries, ...; quantity = "lipschitz" gives the
Lipschitz constant itself). method says which was used; value is nil when the MIP stopped early,
and result has the interval [lower, upper] and the status. Global Lipschitz <= max p <= every
certified bound.]==], "bounds.exact")

return bounds
