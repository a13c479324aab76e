-- The example of the README (kept runnable: the script tests run it).
local lip = require "lip"
local models = lip.script.dir() .. "/../../models/"
local net = lip.nn.load(models .. "fashion-mnist-300-100-relu-pruned.safetensors",
                        { activation = "relu", output = 1 })
local leaky = lip.act.define {
  name = "leaky0.1",
  f = function(x) return x >= 0 and x or 0.1 * x end,
  derivative_range = { 0.1, 1 },
  derivative_bounds = function(l, u)
    if l >= 0 then return 1, 1 elseif u <= 0 then return 0.1, 0.1 end
    return 0.1, 1
  end,
}
local small = lip.nn.random { sizes = { 20, 20, 1 }, sparsity = 5, activation = leaky, seed = 7 }
local problem = lip.lipschitz_problem { network = small, norm = "linf" }
for k = 2, 3 do
  local r = lip.hierarchy.krivine(problem, { degree = k, products = "by_input" })
  print(lip.report.row(r))   -- method, certified bound, solver value, LP sizes, seconds, status
end
print(lip.bounds.product(small, "linf"), (lip.bounds.sampled(small, "linf")))
local r = lip.lipschitz { network = net, degree = 3, products = "path",
                          input_box = { center = lip.data.image(lip.data.idx(
                            models .. "fashion-mnist-t10k-first16-images-idx3-ubyte"), 1), radius = 0.01 },
                          domain = { 0, 1 } }
-- The sandwich: lower (a checked witness: a proof) <= L <= upper (the smaller certificate).
print(string.format("%.6g (%s) <= L <= %.6g (%s), ratio %.3f", r.lower, r.lower_kind, r.upper, r.upper_method, r.ratio))
-- Both relaxations, the smaller certificate wins: the LP hierarchy and the Shor SDP.
local b = lip.lipschitz { network = small, relaxation = "best", degree = 3 }
print(b.results.lp.certified, b.results.sdp.certified, b.upper_method, b.lower, b.lower_kind)
