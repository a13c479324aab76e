--- lip.sparsity: sparsity patterns of the hierarchy, as lists of variable sets. A pattern is a
-- registered name ("dense", "by_input", "by_last_hidden", "chordal", or one defined with
-- lip.sparsity.define) or any list of sets of variable names, which Lua code may build or edit.
-- A one-file example: scripts/examples/pattern_by_input.lua.
local native = (require "_lip").sparsity
local doc = require "lip.doc"
local sparsity = {}

sparsity.sets = native.sets
sparsity.define = native.define
sparsity.patterns = native.patterns
for _, name in ipairs { "dense", "by_input", "by_last_hidden", "chordal" } do
  sparsity[name] = function(problem) return native.sets(problem, name) end
  doc.register(sparsity[name], "lip.sparsity." .. name .. "(problem) -> { {variable names}, ... }\n" ..
    "The sets of the " .. name .. " pattern on this problem (see help(lip.sparsity.sets)).", "sparsity." .. name)
end

--- sparsity.union(a, b) -> sets: the sets of both patterns (products may use either).
function sparsity.union(a, b)
  local out = {}
  for _, s in ipairs(a) do out[#out + 1] = s end
  for _, s in ipairs(b) do out[#out + 1] = s end
  return out
end
doc.register(sparsity.union, "lip.sparsity.union(a, b) -> sets\nThe sets of both patterns.", "sparsity.union")

return sparsity
