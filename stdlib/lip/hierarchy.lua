--- lip.hierarchy: LiPopt-k, the Krivine LP hierarchy (METHOD §3, §4).
-- krivine(problem, options) solves one level; sweep(problem, degrees, options) several.
local native = (require "_lip").hierarchy
local doc = require "lip.doc"
local hierarchy = {}

hierarchy.krivine = native.krivine
hierarchy.families = { "by_input", "path", "multilinear", "dense" }

--- hierarchy.sweep(problem, degrees, options) -> { result, ... }
function hierarchy.sweep(problem, degrees, options)
  local out = {}
  for i, k in ipairs(degrees) do
    local o = {}
    for key, v in pairs(options or {}) do o[key] = v end
    o.degree = k
    out[i] = native.krivine(problem, o)
  end
  return out
end
doc.register(hierarchy.sweep, [==[
lip.hierarchy.sweep(problem, {k1, k2, ...}, options) -> {result1, result2, ...}
LiPopt-k for several degrees with the same options (see help(lip.hierarchy.krivine)). For
nested families the certified bounds are nonincreasing in k up to solver tolerance.]==], "hierarchy.sweep")

return hierarchy
