-- A small LP solved from Lua with GLPK:  liplua scripts/examples/lp_demo.lua
--
--   maximize  3x + 2y   subject to   x + y <= 4,   x + 3y <= 7,   0 <= x <= 3,   y >= 0
--
-- By hand: the vertices are (0,0), (3,0), (3,1), (2.5,1.5), (0,7/3) with values
-- 0, 9, 11, 10.5, 4.67, so the optimum is 11 at (3,1).
local lip = require "lip"

local result = lip.lp.solve{
  sense = "max",
  objective = { 3, 2 },
  rows = {
    { coef = { 1, 1 }, upper = 4, name = "budget" },
    { coef = { 1, 3 }, upper = 7, name = "labour" },
  },
  columns = { upper = { 3, math.huge }, names = { "x", "y" } },
}

print(string.format("status     %s", result.status))
print(string.format("objective  %g", result.objective))
print(string.format("x, y       %g, %g", result.x[1], result.x[2]))
print(string.format("duals      budget %g, labour %g", result.duals[1], result.duals[2]))
print(string.format("solver     %s (%s), %d iterations", result.solver, result.method, result.iterations))
