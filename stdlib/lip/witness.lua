--- lip.witness: lower bounds that are proofs (docs/METHOD.md §8). A witness is a point x where
-- f is differentiable, checked with directed rounding: lower <= |grad f(x)|_* <= L. The search
-- looks for a large one (sampled points, gradient ascent, activation patterns); exact values of
-- small ReLU networks come from a mixed-integer program or pattern enumeration.
local native = (require "_lip").witness
local doc = require "lip.doc"
local witness = {}

witness.certify = native.certify
witness.search = native.search
witness.exact = native.exact

--- witness.interval(result) -> lower, upper, exact: the interval an exact() result proves.
function witness.interval(r)
  if type(r) ~= "table" then error("lip.witness.interval: a result of lip.witness.exact expected, got " .. type(r), 2) end
  return r.lower, r.upper, r.exact == true
end
doc.register(witness.interval, [==[
lip.witness.interval(result) -> lower, upper, exact
The numbers an exact() result stands for: lower is proven by a checked witness; upper is the
solver's bound (a floating-point claim, not a proof); exact is true when they meet.]==], "witness.interval")

return witness
