--- lip.lp: linear programs solved by the host's LP solver (GLPK in liplua).
-- The functions are the native ones (errors point at the caller's line); their
-- documentation lives with the Swift registration (help(lip.lp.solve)).
local native = (require "_lip").lp or error("this host has no native lp module", 2)
local lp = {}

lp.solve = native.solve
lp.solve_program = native.solve_program
lp.solvers = native.solvers
lp.define_solver = native.define_solver
lp.write = native.write

--- lp.dense_rows(A, lower, upper) -> rows
-- Turns a dense matrix {{a11, a12, ...}, ...} and bound vectors (tables or numbers; nil
-- entries mean unbounded) into the `rows` field of lp.solve, skipping zeros.
function lp.dense_rows(A, lower, upper)
  local rows = {}
  for i, ai in ipairs(A) do
    local coef = {}
    for j, a in ipairs(ai) do if a ~= 0 then coef[j] = a end end
    local lo = type(lower) == "table" and lower[i] or lower
    local hi = type(upper) == "table" and upper[i] or upper
    rows[i] = { coef = coef, lower = lo, upper = hi }
  end
  return rows
end
(require "lip.doc").register(lp.dense_rows, [[
lip.lp.dense_rows(A, lower, upper) -> rows
Converts a dense matrix {{a11, a12, ...}, ...} and row bounds (a table, a number for every
row, or nil for unbounded) to the rows = {...} field of lip.lp.solve, skipping zeros.]], "lp.dense_rows")

return lp
