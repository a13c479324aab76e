--- lip.bounds: the baselines every LiPopt bound is shown beside (docs/METHOD.md §5): UBP (product of
-- norms, an upper bound), LBS (sampled gradients, a lower bound), and the exact maximum of
-- the norm-gradient polynomial by vertex enumeration (tiny problems; a test oracle).
local native = (require "_lip").bounds
local doc = require "lip.doc"
local bounds = {}

bounds.product = native.product
bounds.sampled = native.sampled
bounds.witness = (require "_lip").witness.search
bounds.exact_lipschitz = (require "_lip").witness.exact

--- bounds.exact(problem [, max_variables]) -> value, argmax
function bounds.exact(problem, max_variables)
  return problem:exact_max(max_variables)
end
doc.register(bounds.exact, [==[
lip.bounds.exact(problem [, max_variables = 24]) -> value, argmax
The exact maximum of the norm-gradient polynomial p over its domain, by enumerating the
vertices of the box (p is multilinear) or of the dual ball; refuses problems with more than
max_variables enumerated variables. Global Lipschitz <= this <= every certified LiPopt bound.]==], "bounds.exact")

return bounds
