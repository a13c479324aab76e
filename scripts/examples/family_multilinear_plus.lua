-- A user product family in one file, registered as "by_input_sets+": the multilinear products
-- inside the by_input pattern's sets, plus every sign product over each term's variables (the
-- path family). Swift expands the description; Lua is called once per build, not per product.
-- It uses no pattern option of its own (the sets come from the problem's structure).
local lip = require "lip"
return lip.hierarchy.define_family {
  name = "by_input_sets+",
  summary = "multilinear inside the by_input sets, plus the path products",
  build = function(problem, degree, sets)
    return { sets = lip.sparsity.by_input(problem), path = true }
  end,
}
