-- Bad values at every entry point end in a clear error naming the problem (never a crash,
-- a trap, an allocation of whatever a call declares, or a silently dropped option).
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect
local lip = require "lip"

local nan, inf = 0 / 0, math.huge

describe("bad values are refused by name", function()
  it("activation parameters must be finite", function()
    T.expect_error(function() lip.act.leaky_relu(nan) end, "finite")
    T.expect_error(function() lip.act.get("leaky_relu", nan) end, "finite")
    T.expect_error(function() lip.act.get("elu", inf) end, "finite")
    T.expect_error(function() lip.act.get("leaky_relu(nan)") end, "finite")
    expect(lip.act.get("leaky_relu(-2)"):name()).to_be("leaky_relu(-2.0)")
  end)

  it("sizes a call declares are checked before anything is allocated", function()
    T.expect_error(function() lip.nn.random { sizes = { 1000000, 1000000, 1 } } end, "would need")
    T.expect_error(function() lip.nn.random { sizes = { 2, 0, 1 } } end, "sizes")
    T.expect_error(function() lip.lp.solve { objective = { [2 ^ 40] = 1 } } end, "num_columns")
    T.expect_error(function() lip.lp.solve { objective = { 1 }, num_columns = math.maxinteger } end, "num_columns")
    T.expect_error(function() lip.lp.solve { objective = { 1 }, ia = { 2 ^ 40 }, ja = { 1 }, ar = { 1 } } end, "num_rows")
    T.expect_error(function() lip.poly.variables(2 ^ 40) end, "1..10000")
  end)

  it("options are finite, in range and integral where integral; math.huge means none", function()
    local net = lip.nn.random { sizes = { 3, 3, 1 }, seed = 1 }
    local p = lip.lipschitz_problem { network = net }
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = nan }) end, "degree")
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = 2.5 }) end, "degree")
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = 100 }) end, "1..12")
    T.expect_error(function() lip.hierarchy.krivine(p, { time_limit = nan }) end, "time_limit")
    T.expect_error(function() lip.hierarchy.krivine(p, { time_limit = -1 }) end, "time_limit")
    T.expect_error(function() lip.hierarchy.krivine(p, { max_memory = nan }) end, "max_memory")
    T.expect_error(function() lip.lipschitz { network = net, time_limit = nan } end, "time_limit")
    T.expect_error(function() lip.bounds.sampled(net, "linf", { samples = 2 ^ 31 }) end, "samples")
    local r = lip.hierarchy.krivine(p, { degree = 2, products = "path", time_limit = math.huge, quiet = true })
    expect(r.status).to_be("optimal")
    expect(#net:pruned(0.5, -1):sizes()).to_be(3)
    T.expect_error(function() net:pruned(0.5, 1, 2) end, "takes")
  end)

  it("nothing is silently dropped", function()
    T.expect_error(function() lip.nn.from_weights({ { { 1 } } }, nil, { activaton = "elu" }) end, "did you mean 'activation'")
    T.expect_error(function() lip.lp.solve { objective = { 1 }, rows = { c1 = { coef = { 1 }, upper = 1 } } } end, "rows")
    local p = lip.lipschitz_problem { network = lip.nn.random { sizes = { 3, 3, 1 }, seed = 1 } }
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = 2, products = "by_input", sparsity = "chordal" }) end,
                   "does not use a sparsity pattern")
    T.expect_error(function() lip.lipschitz_problem { network = lip.nn.random { sizes = { 2, 1 } }, input_box = { lower = { 0 }, upper = { 1 } } } end,
                   "2 inputs")
    T.expect_error(function() lip.lipschitz_problem { network = lip.nn.random { sizes = { 2, 1 } }, input_box = { center = { 0, 0 }, radius = 1, radius2 = 1 } } end,
                   "radius2")
  end)

  it("polynomials and products check what they are given", function()
    local x, y = lip.poly.variables { "x", "y" }
    local p = x * y + 1
    T.expect_error(function() p:evaluate {} end, "2 variables")
    T.expect_error(function() return p ^ nan end, "integer")
    local problem = lip.lipschitz_problem { network = lip.nn.random { sizes = { 2, 2, 1 }, seed = 3 } }
    T.expect_error(function()
      lip.hierarchy.krivine(problem, { degree = 2, products = { products = { { { "t1", math.maxinteger, 0 } } } } })
    end, "0..15")
    T.expect_error(function()
      lip.hierarchy.krivine(problem, { degree = 2, products = { sets = { { "t1", "nope" } } } })
    end, "unknown variable 'nope'")
  end)

  it("errors of Lua API functions point at the caller's line", function()
    local ok, e = pcall(function() lip.hierarchy.krivine(lip.lipschitz_problem { network = lip.nn.random { sizes = { 2, 2, 1 } } }, { degre = 3 }) end)
    expect(ok).to_be(false)
    expect(e).to_contain("hardening_spec.lua")
    expect(e).to_contain("did you mean 'degree'")
    expect(e:find("hierarchy.lua", 1, true)).to_be(nil)
  end)
end)
