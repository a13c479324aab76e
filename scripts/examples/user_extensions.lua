-- The four user extension points side by side, each defined in its own file and then used by
-- name exactly like a built-in:  liplua scripts/examples/user_extensions.lua
local lip = require "lip"
local here = lip.script.dir()
dofile(here .. "/activation_leaky.lua")
dofile(here .. "/norm_box.lua")
dofile(here .. "/family_multilinear_plus.lua")
dofile(here .. "/pattern_by_input.lua")

local net = lip.nn.random { sizes = { 8, 8, 1 }, sparsity = 3, activation = "leaky0.1", seed = 3 }
print(net)
local rows = {}
for _, case in ipairs {
  { norm = "linf", products = "multilinear", sparsity = "by_input" },
  { norm = "my_linf", products = "multilinear", sparsity = "my_by_input" },
  { norm = "linf", products = "by_input_sets+" },
} do
  local r = lip.lipschitz { network = net, norm = case.norm, degree = 2, products = case.products,
                            sparsity = case.sparsity, samples = 2000, quiet = true }
  rows[#rows + 1] = { norm = case.norm, family = case.products, pattern = case.sparsity or "-",
                      upper = r.upper, lower = r.lower, ubp = r.ubp, chain = tostring(r.chain_ok) }
end
print(lip.report.table(rows, { "norm", "family", "pattern", "upper", "lower", "ubp", "chain" }))
