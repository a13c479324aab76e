-- A user activation in one file: leaky ReLU with slope 0.1, registered as "leaky0.1".
-- After `dofile` (or `--define scripts/examples/activation_leaky.lua` on a paper script) the
-- name works wherever a built-in name does: lip.nn.random{activation = "leaky0.1"},
-- lip.nn.load(path, {activation = "leaky0.1"}), saved files, lip.lipschitz{...}.
local lip = require "lip"
return lip.act.define {
  name = "leaky0.1",
  f = function(x) return x >= 0 and x or 0.1 * x end,
  derivative = function(x) return x >= 0 and 1 or 0.1 end,
  derivative_range = { 0.1, 1 },
  -- σ'([l, u]): 1 on the right piece, 0.1 on the left, both when [l, u] holds the kink
  derivative_bounds = function(l, u)
    if l > 0 then return 1, 1 elseif u < 0 then return 0.1, 0.1 end
    return 0.1, 1
  end,
  kinks = { 0 },
  piecewise_linear = true,
}
