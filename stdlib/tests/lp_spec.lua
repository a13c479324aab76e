-- lip.lp.solve against hand-computed optima, vertex enumeration, and bad data.
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect
local lp = require("lip").lp

local methods = { "primal", "dual", "interior", "auto" }

-- max 3x + 2y  s.t.  x + y <= 4,  x + 3y <= 7,  0 <= x <= 3,  y >= 0.
-- Vertices: (0,0) 0, (3,0) 9, (3,1) 11, (2.5,1.5) 10.5, (0,7/3) 14/3  ->  optimum 11 at (3,1);
-- row 1 binds with dual 2 (y's cost), row 2 is slack (dual 0), x's reduced cost is 3 - 2 = 1.
local function lp1(method)
  return { sense = "max", objective = { 3, 2 }, method = method,
           rows = { { coef = { 1, 1 }, upper = 4, name = "a" },
                    { indices = { 1, 2 }, values = { 1, 3 }, upper = 7 } },
           columns = { upper = { 3 } } }
end

describe("lip.lp.solve", function()
  for _, method in ipairs(methods) do
    it("finds the hand-computed optimum of a 2x2 LP (" .. method .. ")", function()
      local r = lp.solve(lp1(method))
      expect(r.status).to_be("optimal")
      expect(r.objective).to_be_near(11, 1e-6)
      expect(r.x[1]).to_be_near(3, 1e-6)
      expect(r.x[2]).to_be_near(1, 1e-6)
      expect(#r.x).to_be(2)
      if method ~= "interior" then
        expect(r.duals[1]).to_be_near(2, 1e-6)
        expect(r.duals[2]).to_be_near(0, 1e-6)
        expect(r.reduced_costs[1]).to_be_near(1, 1e-6)
      end
    end)

    -- min x + 2y + 10 s.t. x + y >= 2, x - y <= 1, x, y >= 0: the optimum lies where both
    -- rows bind, x = 1.5, y = 0.5, value 2.5 + 10.
    it("minimises with >= rows and a constant (" .. method .. ")", function()
      local r = lp.solve{ objective = { 1, 2 }, constant = 10, method = method,
                          rows = { { coef = { 1, 1 }, lower = 2 }, { coef = { 1, -1 }, upper = 1 } } }
      expect(r.status).to_be("optimal")
      expect(r.objective).to_be_near(12.5, 1e-6)
      expect(r.x[1]).to_be_near(1.5, 1e-6)
      expect(r.x[2]).to_be_near(0.5, 1e-6)
    end)

    it("reports an infeasible LP as a status (" .. method .. ")", function()
      local r = lp.solve{ objective = { 1, 1 }, method = method,
                          rows = { { coef = { 1, 1 }, upper = 1 }, { coef = { 1, 1 }, lower = 3 } } }
      if method == "interior" then
        expect(({ infeasible = 1, infeasible_or_unbounded = 1 })[r.status]).to_be(1)
      else
        expect(r.status).to_be("infeasible")
      end
      expect(r.message).to_match("%S")
    end)

    it("reports an unbounded LP as a status (" .. method .. ")", function()
      local r = lp.solve{ sense = "max", objective = { 1, 1 }, method = method,
                          rows = { { coef = { 1, -1 }, upper = 1 } } }
      expect(({ unbounded = 1, infeasible_or_unbounded = 1 })[r.status]).to_be(1)
      if method == "primal" then expect(r.status).to_be("unbounded") end
    end)
  end

  it("accepts 1-based triplets with row bounds", function()
    local r = lp.solve{ sense = "max", objective = { 3, 2 },
                        ia = { 1, 1, 2, 2 }, ja = { 1, 2, 1, 2 }, ar = { 1, 1, 1, 3 },
                        row_upper = { 4, 7 }, columns = { upper = { 3 } } }
    expect(r.status).to_be("optimal")
    expect(r.objective).to_be_near(11, 1e-6)
  end)

  it("accepts per-column bounds, equal rows and sparse objectives", function()
    -- min -x3 s.t. x1 + x2 + x3 = 5, x1 in [1, 2], x2 in [2, 10], x3 free above 0:
    -- x3 = 5 - x1 - x2 is largest with x1 = 1, x2 = 2, so the value is -2.
    local r = lp.solve{ objective = { [3] = -1 }, rows = { { coef = { 1, 1, 1 }, equal = 5 } },
                        bounds = { [1] = { 1, 2 }, [2] = { 2, 10 } } }
    expect(r.objective).to_be_near(-2, 1e-7)
    expect(r.x).to_equal({ 1, 2, 2 })
  end)

  -- Random 2-variable LPs in the box [0, 10]^2 with rows a.x <= b (b > 0, so 0 is feasible):
  -- the optimum is the best feasible intersection of two boundary lines.
  it("agrees with vertex enumeration on random 2-D LPs (every method)", function()
    local seed = 12345
    local function rand() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
    for trial = 1, 20 do
      local lines = { { 1, 0, 0 }, { 1, 0, 10 }, { 0, 1, 0 }, { 0, 1, 10 } }   -- a1 x + a2 y = b
      local rows, cons = {}, {}
      for i = 1, 4 do
        local a1, a2, b = rand() * 4 - 1, rand() * 4 - 1, rand() * 10 + 1
        rows[i] = { coef = { a1, a2 }, upper = b }
        cons[i] = { a1, a2, b }
        lines[#lines + 1] = { a1, a2, b }
      end
      local c = { rand() * 2 - 1, rand() * 2 - 1 }
      local best = -math.huge
      for p = 1, #lines do for q = p + 1, #lines do
        local l1, l2 = lines[p], lines[q]
        local det = l1[1] * l2[2] - l1[2] * l2[1]
        if math.abs(det) > 1e-12 then
          local x = (l1[3] * l2[2] - l1[2] * l2[3]) / det
          local y = (l1[1] * l2[3] - l1[3] * l2[1]) / det
          local ok = x >= -1e-9 and x <= 10 + 1e-9 and y >= -1e-9 and y <= 10 + 1e-9
          for _, k in ipairs(cons) do ok = ok and k[1] * x + k[2] * y <= k[3] + 1e-9 end
          if ok then best = math.max(best, c[1] * x + c[2] * y) end
        end
      end end
      for _, method in ipairs(methods) do
        local r = lp.solve{ sense = "max", objective = c, rows = rows, columns = { upper = 10 }, method = method }
        expect(r.status).to_be("optimal")
        expect(r.objective).to_be_near(best, 1e-6)
      end
    end
  end)

  it("lists the registered solvers", function()
    local names, default = lp.solvers()
    expect(names).to_contain("glpk")
    expect(default).to_be("glpk")
  end)
end)

describe("lip.lp.solve bad data", function()
  local function fails(problem, text)
    local ok, err = pcall(lp.solve, problem)
    expect(ok).to_be(false)
    expect(err).to_contain(text)
    return err
  end

  it("names an unknown key", function()
    fails({ objective = { 1 }, sens = "max" }, "unknown option 'sens'; did you mean 'sense'?")
  end)
  it("names a NaN coefficient's row and column", function()
    fails({ objective = { 1, 1 }, rows = { { coef = { 1, 1 } }, { coef = { 1, 0 / 0 }, name = "cap" } } },
          "row 2 ('cap'): coefficient of column 2 is NaN")
  end)
  it("names a column whose lower bound exceeds its upper bound", function()
    fails({ objective = { 1, 1 }, columns = { lower = { 0, 5 }, upper = { 1, 2 } } },
          "column 2: lower bound 5.0 > upper bound 2.0")
  end)
  it("names a row whose lower bound exceeds its upper bound", function()
    fails({ objective = { 1 }, rows = { { coef = { 1 }, lower = 3, upper = 1 } } }, "row 1: lower bound 3.0 > upper bound 1.0")
  end)
  it("rejects a column index out of range", function()
    fails({ objective = { 1, 1 }, rows = { { coef = { [3] = 1 } } } }, "row 1: column index 3 out of range 1..2")
    fails({ objective = { 1 }, ia = { 1 }, ja = { 2 }, ar = { 1 } }, "column index ja[1] = 2 out of range 1..1")
  end)
  it("rejects duplicate triplets", function()
    fails({ objective = { 1, 1 }, ia = { 1, 2, 1 }, ja = { 2, 1, 2 }, ar = { 1, 1, 1 } },
          "entries 1 and 3 both set row 1, column 2")
  end)
  it("rejects unknown keys inside a row", function()
    fails({ objective = { 1 }, rows = { { coef = { 1 }, uper = 3 } } }, "row 1: unknown key 'uper'")
  end)
  it("rejects a bad method", function()
    fails({ objective = { 1 }, method = "simplex" }, "'simplex' is not one of auto, primal, dual, interior")
  end)
  it("raises at the caller's line", function()
    local ok, err = pcall(function()
      return lp.solve{ objective = { 1 }, rows = {{ coef = { 1 }, lower = 2, upper = 1 }} }   -- this line
    end)
    expect(err).to_match("^[^:]*lp_spec%.lua:%d+: bad argument #1 to 'solve'")
  end)
end)
