-- A large random LP built in Lua and solved with GLPK, to time each stage:
--   liplua scripts/examples/big_lp.lua [columns=100000] [rows=2000] [nonzeros_per_column=10] [method=auto]
--
-- maximize c'x  subject to  A x <= b,  0 <= x <= 1,  with A >= 0 sparse (k entries per column),
-- c > 0 and b_i = 0.25 * (row sum of A). x = 0 is feasible and the box bounds the LP, so it
-- has an optimum; about a quarter of the "mass" fits, so many rows bind.
local lip = require "lip"

local n = tonumber(arg and arg[1]) or 100000
local m = tonumber(arg and arg[2]) or 2000
local k = tonumber(arg and arg[3]) or 10
local method = arg and arg[4] or "auto"

local clock = (require "_lip").clock   -- wall clock (os.clock is CPU time)
local t0 = clock()
local seed = 42
local function rand()            -- a small LCG so the LP is the same on every run
  seed = (seed * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
  return (seed >> 11) / 4503599627370496.0
end

local ia, ja, ar = {}, {}, {}
local rowsum = {}
for i = 1, m do rowsum[i] = 0 end
local objective = {}
local nnz = 0
for j = 1, n do
  objective[j] = 0.5 + rand()
  local used = {}
  local placed = 0
  while placed < k do
    local i = 1 + math.floor(rand() * m)
    if not used[i] then
      used[i] = true
      placed = placed + 1
      nnz = nnz + 1
      local a = 0.1 + rand()
      ia[nnz], ja[nnz], ar[nnz] = i, j, a
      rowsum[i] = rowsum[i] + a
    end
  end
end
local row_upper = {}
for i = 1, m do row_upper[i] = 0.25 * rowsum[i] end
local build = clock() - t0

local wall0 = clock()
local r = lip.lp.solve{ sense = "max", objective = objective, ia = ia, ja = ja, ar = ar,
                        row_upper = row_upper, num_rows = m, columns = { upper = 1 }, method = method }
local total = clock() - wall0

print(string.format("LP: %d rows, %d columns, %d nonzeros", m, n, nnz))
print(string.format("build in Lua        %8.3f s", build))
print(string.format("Lua -> LP (read)    %8.3f s", r.read_seconds))
print(string.format("solve (%s, %s)   %8.3f s, %d iterations", r.solver, r.method, r.seconds, r.iterations))
print(string.format("result -> Lua etc.  %8.3f s", total - r.read_seconds - r.seconds))
print(string.format("status %s, objective %.10g", r.status, r.objective or 0/0))
if r.status == "optimal" then
  -- check feasibility of the returned point in Lua (an independent check of the solver)
  local ax = {}
  for i = 1, m do ax[i] = 0 end
  for e = 1, nnz do ax[ia[e]] = ax[ia[e]] + ar[e] * r.x[ja[e]] end
  local worst = 0
  for i = 1, m do worst = math.max(worst, ax[i] - row_upper[i]) end
  local obj = 0
  for j = 1, n do obj = obj + objective[j] * r.x[j] end
  print(string.format("max row violation %.3g, recomputed objective %.10g", worst, obj))
end
