-- Networks, the norm-gradient polynomial, baselines and LiPopt from Lua, against independent
-- oracles: the hand-computed polynomial of docs/METHOD.md §2, brute-force vertex enumeration written
-- here in Lua, the published LiPopt bounds of Tests/data, and the chain LBS <= exact <=
-- certified <= UBP.
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect
local lip = require "lip"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local data = here .. "/../../Tests/data/"

-- Brute force: max of p over t in {-1,1}^n (box vertices) and s at the corners of its box.
local function brute_max(problem)
  local p = problem:polynomial()
  local lo, hi = problem:box()
  local n = #lo
  local best = -math.huge
  for mask = 0, (1 << n) - 1 do
    local x = {}
    for i = 1, n do x[i] = ((mask >> (i - 1)) & 1 == 1) and hi[i] or lo[i] end
    best = math.max(best, p:evaluate(x))
  end
  return best
end

describe("the norm-gradient polynomial", function()
  it("has the coefficients of docs/METHOD.md §2's unit example", function()
    local net = lip.nn.from_layers { layers = { { weights = { { 1, 2, 3 }, { -1, 0, 1 } } },
                                                { weights = { { 1, 2 } } } }, activation = "relu" }
    local p = lip.lipschitz_problem { network = net }:polynomial()
    local got = {}
    for _, t in ipairs(p:terms()) do got[t.monomial] = t.coefficient end
    expect(got).to_equal { ["t1*s1_1"] = 1, ["t1*s1_2"] = -2, ["t2*s1_1"] = 2,
                           ["t3*s1_1"] = 3, ["t3*s1_2"] = 2 }
    expect(#p).to_be(5)          -- t2*s1_2 has coefficient 0 and is not stored
    expect(p:degree()).to_be(2)
  end)

  it("evaluated at σ'(z(x)) and maximised over t gives the gradient's ℓ1 norm", function()
    local net = lip.nn.random { sizes = { 5, 6, 4, 1 }, activation = "tanh", bias = true, seed = 3 }
    local problem = lip.lipschitz_problem { network = net }
    local names = problem:variables()
    local p = problem:polynomial()
    for trial = 1, 5 do
      local x = {}
      for i = 1, 5 do x[i] = math.sin(trial * 7 + i) * 2 end
      local g = net:gradient(x)
      local l1 = 0
      for i = 1, #g do l1 = l1 + math.abs(g[i]) end
      -- σ' at the pre-activations, via the layers' weights (forward pass in Lua).
      local a, s = x, {}
      for l = 1, 2 do
        local L = net:layer(l)
        local z = {}
        for j = 1, L.rows do
          local v = L.bias and L.bias[j] or 0
          for i = 1, L.cols do v = v + L.weights[j][i] * a[i] end
          z[j] = v
          s[l .. "_" .. j] = 1 - math.tanh(v) ^ 2
        end
        a = {}
        for j = 1, #z do a[j] = math.tanh(z[j]) end
      end
      -- max over t in [-1,1]^5 of a linear form in t: t_i = sign of its coefficient.
      local point = {}
      for k, name in ipairs(names) do
        local l, j = name:match("^s(%d+)_(%d+)$")
        if l then point[k] = s[l .. "_" .. j] else point[k] = 0 end
      end
      local best = 0
      for k, name in ipairs(names) do
        if name:match("^t") then
          point[k] = 1; local plus = p:evaluate(point)
          point[k] = 0; local zero = p:evaluate(point)
          best = best + math.abs(plus - zero)
        end
      end
      expect(best).to_be_near(l1, 1e-9)
    end
  end)
end)

describe("LiPopt from Lua", function()
  it("reproduces the published LiPopt bounds with the by_input family", function()
    local cases = {
      { "ref-3-3-1-dense.npz", 2, 0.7136063103 }, { "ref-3-3-1-dense.npz", 3, 0.7136063103 },
      { "ref-20-20-1-s5.npz", 2, 0.5021950984 }, { "ref-20-20-1-s5.npz", 3, 0.4770071652 },
      { "ref-10-10-10-1-s3.npz", 3, 0.1064000827 },
    }
    for _, c in ipairs(cases) do
      local net = lip.nn.load(data .. c[1], { activation = "elu" })
      local problem = lip.lipschitz_problem { network = net }
      local r = lip.hierarchy.krivine(problem, { degree = c[2], products = "by_input", quiet = true })
      expect(r.status).to_be("optimal")
      expect(r.certified).to_be_near(c[3], 1e-7)
      expect(r.certified >= r.solver_value).to_be(true)
    end
  end)

  it("keeps LBS <= exact <= certified <= UBP on small random networks (linf, l1, l2)", function()
    for seed = 1, 6 do
      for _, norm in ipairs { "linf", "l1", "l2" } do
        local net = lip.nn.random { sizes = { 3, 4, 1 }, activation = seed % 2 == 0 and "elu" or "relu", seed = seed }
        local problem = lip.lipschitz_problem { network = net, norm = norm }
        local exact = problem:exact_max()
        if norm == "linf" then expect(exact).to_be_near(brute_max(problem), 1e-12) end
        local r = lip.hierarchy.krivine(problem, { degree = 3, products = "path", quiet = true })
        local lbs = lip.bounds.sampled(net, norm, { samples = 2000, seed = seed })
        local ubp = lip.bounds.product(net, norm)
        expect(r.status).to_be("optimal")
        expect(lbs <= exact + 1e-12).to_be(true)
        expect(exact <= r.certified + 1e-9).to_be(true)
        -- For l2 the Krivine LP sees the ball only through its constraint products, so at low
        -- degree it can be looser than UBP (still a certificate); the chain's upper end is
        -- checked for the polyhedral dual balls.
        if norm ~= "l2" then expect(r.certified <= ubp * (1 + 1e-9)).to_be(true) end
      end
    end
  end)

  it("is exact with the dense multilinear family at degree = number of variables", function()
    local net = lip.nn.random { sizes = { 3, 2, 1 }, activation = "elu", seed = 11 }
    local problem = lip.lipschitz_problem { network = net }
    local n = problem:info().variables
    local r = lip.hierarchy.krivine(problem, { degree = n, products = "multilinear", sparsity = "dense", quiet = true })
    expect(r.certified).to_be_near(brute_max(problem), 1e-7)
  end)

  it("by_input covers inputs that reach fewer than k-1 neurons (products of lower degree)", function()
    -- Input 2 reaches one neuron only: the published family has no degree-3 product for t2*s1_1.
    local net = lip.nn.from_weights({ { { 1, 2, 3 }, { -1, 0, 1 } }, { { 1, 2 } } }, nil, { activation = "relu" })
    local problem = lip.lipschitz_problem { network = net }
    local exact = brute_max(problem)
    expect(exact).to_be_near(8, 1e-12)   -- |(1,2,3)| + 2|(-1,0,1)| with both neurons on: 6 + ... = 8
    for k = 2, 4 do
      local r = lip.hierarchy.krivine(problem, { degree = k, products = "by_input", quiet = true })
      expect(r.certified >= exact * (1 - 1e-12)).to_be(true)
      expect(r.certified).to_be_near(exact, 1e-9)
    end
  end)

  it("is nonincreasing in the degree for the nested multilinear family", function()
    local net = lip.nn.random { sizes = { 4, 4, 1 }, activation = "elu", seed = 5 }
    local problem = lip.lipschitz_problem { network = net }
    local prev = math.huge
    for k = 2, 5 do
      local r = lip.hierarchy.krivine(problem, { degree = k, products = "multilinear", sparsity = "dense", quiet = true })
      expect(r.certified <= prev + 1e-9).to_be(true)
      prev = r.certified
    end
    expect(prev).to_be_near(brute_max(problem), 1e-7)
  end)

  it("accepts user activations, norms, sets and products, with the same numbers as built-ins", function()
    local leaky = lip.act.define {
      name = "leaky0.1",
      f = function(x) return x >= 0 and x or 0.1 * x end,
      derivative = function(x) return x >= 0 and 1 or 0.1 end,
      derivative_range = { 0.1, 1 },
      derivative_bounds = function(l, u)
        if l >= 0 then return 1, 1 elseif u <= 0 then return 0.1, 0.1 end
        return 0.1, 1
      end,
    }
    local a = lip.nn.random { sizes = { 3, 3, 1 }, activation = leaky, seed = 2 }
    local b = lip.nn.random { sizes = { 3, 3, 1 }, activation = lip.act.leaky_relu(0.1), seed = 2 }
    local pa, pb = lip.lipschitz_problem { network = a }, lip.lipschitz_problem { network = b }
    local ra = lip.hierarchy.krivine(pa, { degree = 2, products = "path", quiet = true })
    local rb = lip.hierarchy.krivine(pb, { degree = 2, products = "path", quiet = true })
    expect(ra.certified).to_be_near(rb.certified, 1e-9)
    -- A user norm equal to linf (B_* the box, no extra constraint) gives linf's bound.
    local box = lip.norm.define { name = "mybox",
      dual = function(g) local s = 0; for i = 1, #g do s = s + math.abs(g[i]) end; return s end,
      ball = function(t) return {} end }
    local rc = lip.hierarchy.krivine(lip.lipschitz_problem { network = b, norm = box }, { degree = 2, products = "path", quiet = true })
    expect(rc.certified).to_be_near(rb.certified, 1e-9)
    -- The chordal pattern's sets used as user sets give the same LP as the pattern.
    local sets = lip.sparsity.chordal(pb)
    local r1 = lip.hierarchy.krivine(pb, { degree = 2, products = "multilinear", sparsity = "chordal", quiet = true })
    local r2 = lip.hierarchy.krivine(pb, { degree = 2, products = { sets = sets }, quiet = true })
    expect(r2.certified).to_be_near(r1.certified, 1e-9)
  end)

  it("reports bad input clearly", function()
    local net = lip.nn.random { sizes = { 3, 3, 1 }, seed = 1 }
    local problem = lip.lipschitz_problem { network = net }
    T.expect_error(function() lip.hierarchy.krivine(problem, { degre = 3 }) end, "did you mean 'degree'")
    T.expect_error(function() lip.hierarchy.krivine(problem, { degree = 3, products = "nope" }) end, "unknown product family 'nope'")
    T.expect_error(function() lip.hierarchy.krivine(problem, { degree = 1, products = "path" }) end, "not covered")
    T.expect_error(function() lip.hierarchy.krivine(problem, { degree = 3, max_columns = 5 }) end, "column")
    T.expect_error(function() lip.nn.from_layers { layers = { { weights = { { 0 / 0, 1 } } } } } end, "must be finite")
    T.expect_error(function() lip.nn.from_layers { layers = { { weights = { { 1, 1 } } }, { weights = { { 1, 2, 3 } } } } } end, "layer 2")
    T.expect_error(function() lip.nn.load(data .. "does-not-exist.npz") end, "does-not-exist.npz")
    T.expect_error(function() lip.lipschitz { network = net, degreee = 2 } end, "unknown option 'degreee'")
    T.expect_error(function() lip.act.define { name = "bad", f = function(x) return x end, derivative_range = { 1, 0 } } end, "derivative_range")
  end)

  it("writes its LP as MPS or CPLEX LP for inspection", function()
    local problem = lip.lipschitz_problem { network = lip.nn.random { sizes = { 3, 3, 1 }, seed = 1 } }
    local path = os.tmpname()
    local r = lip.hierarchy.krivine(problem, { degree = 2, write_lp = path, quiet = true })
    local text = io.open(path):read("a")
    expect(text).to_contain("ROWS")
    expect(text).to_contain("COLUMNS")
    local rows = tonumber(text:match("written by liplua: (%d+) rows"))
    expect(rows).to_be(r.rows)
    lip.hierarchy.krivine(problem, { degree = 2, write_lp = path, write_format = "lp", quiet = true })
    expect(io.open(path):read("a")).to_contain("Subject To")
    os.remove(path)
  end)

  it("gives the one-call result with the chain checked", function()
    local net = lip.nn.random { sizes = { 4, 5, 1 }, sparsity = 3, seed = 9 }
    local r = lip.lipschitz { network = net, degree = 2, products = "path", exact = true, samples = 500, quiet = true }
    expect(r.chain_ok).to_be(true)
    expect(r.lbs <= r.exact + 1e-12 and r.exact <= r.certified + 1e-9 and r.certified <= r.ubp).to_be(true)
    local loc = lip.lipschitz { network = net, degree = 2, products = "path", quiet = true, samples = 500,
                                input_box = { center = { 0.1, 0.2, 0.3, 0.4 }, radius = 0.05 } }
    expect(loc.chain_ok).to_be(true)
    expect(loc.certified <= r.certified + 1e-9).to_be(true)   -- local ranges are inside the global ones
    expect(r.best).to_be(math.min(r.certified, r.ubp))
    local l2 = lip.lipschitz { network = net, norm = "l2", degree = 2, products = "path", quiet = true, samples = 500 }
    expect(l2.best <= l2.ubp and l2.best <= l2.certified).to_be(true)
    expect(l2.lbs <= l2.best).to_be(true)
  end)
end)
