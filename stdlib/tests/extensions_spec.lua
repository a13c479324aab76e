-- User extension points against the built-ins they copy: a Lua-defined activation, norm,
-- product family and sparsity pattern each give the built-in's bound to 1e-9, are usable by
-- name, and a hierarchy variant written in Lua reproduces the published LiPopt bounds.
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect
local lip = require "lip"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local examples = here .. "/../../scripts/examples/"
local data = here .. "/../../Tests/data/"
for _, f in ipairs { "activation_leaky.lua", "norm_box.lua", "family_multilinear_plus.lua",
                     "pattern_by_input.lua", "family_by_input.lua" } do
  dofile(examples .. f)
end

local function krivine(problem, o)
  o.quiet = true
  local r = lip.hierarchy.krivine(problem, o)
  expect(r.status).to_be("optimal")
  return r.certified
end

describe("user extensions, one Lua file each", function()
  it("an activation defined in Lua gives the built-in's bound and is usable by name", function()
    local a = lip.nn.random { sizes = { 4, 5, 3, 1 }, activation = "leaky0.1", seed = 2, bias = true }
    local b = lip.nn.random { sizes = { 4, 5, 3, 1 }, activation = lip.act.leaky_relu(0.1), seed = 2, bias = true }
    for _, box in ipairs { false, true } do
      local ib = box and { center = { 0.1, -0.2, 0.3, 0 }, radius = 0.4 } or nil
      local pa = lip.lipschitz_problem { network = a, input_box = ib }
      local pb = lip.lipschitz_problem { network = b, input_box = ib }
      expect(krivine(pa, { degree = 3, products = "path" })).to_be_near(krivine(pb, { degree = 3, products = "path" }), 1e-9)
    end
    local r = lip.lipschitz { network = a, activation = nil, degree = 3, products = "path", samples = 200 }
    expect(r.chain_ok).to_be(true)
    expect(lip.act.get("leaky0.1"):name()).to_be("leaky0.1")
    T.expect_error(function() lip.act.define { name = "relu", f = function(x) return x end, derivative_range = { 1, 1 } } end,
                   "built-in")
  end)

  it("a norm defined in Lua gives the built-in's bound; the name decides nothing", function()
    local net = lip.nn.random { sizes = { 3, 4, 1 }, seed = 5 }
    local a = lip.lipschitz_problem { network = net, norm = "my_linf" }
    local b = lip.lipschitz_problem { network = net, norm = "linf" }
    expect(krivine(a, { degree = 2, products = "path" })).to_be_near(krivine(b, { degree = 2, products = "path" }), 1e-9)
    expect((a:exact_max())).to_be_near((b:exact_max()), 1e-12)
    expect(lip.bounds.product(net, "my_linf")).to_be_near(lip.bounds.product(net, "linf"), 1e-12)
    -- The ℓ1 ball as constraints (g = (1 - σᵀt)/2 in [0, 1] for every sign vector σ) under a
    -- name that is not "l1": its exact maximum must be the built-in l1's.
    lip.norm.define { name = "cross3",
      dual = function(g) local m = 0; for i = 1, #g do m = math.max(m, math.abs(g[i])) end; return m end,
      ball = function(t)
        local out = {}
        for mask = 0, (1 << #t) - 1 do
          local s = 1
          for i = 1, #t do s = s - (((mask >> (i - 1)) & 1 == 1) and t[i] or -t[i]) end
          out[#out + 1] = 0.5 * s
        end
        return out
      end }
    local c = lip.lipschitz_problem { network = net, norm = "cross3" }
    local d = lip.lipschitz_problem { network = net, norm = "l1" }
    expect((c:exact_max())).to_be_near((d:exact_max()), 1e-12)
    expect(krivine(c, { degree = 3, products = "path" }) >= (d:exact_max()) - 1e-9).to_be(true)
    T.expect_error(function() lip.norm.define { name = "l1", dual = function() return 0 end, ball = function() return {} end } end,
                   "built-in norm")
  end)

  it("a sparsity pattern defined in Lua gives the built-in's sets and bound", function()
    local net = lip.nn.random { sizes = { 6, 6, 1 }, sparsity = 3, seed = 4 }
    local p = lip.lipschitz_problem { network = net }
    expect(lip.sparsity.sets(p, "my_by_input")).to_equal(lip.sparsity.by_input(p))
    expect(krivine(p, { degree = 2, products = "multilinear", sparsity = "my_by_input" }))
      .to_be_near(krivine(p, { degree = 2, products = "multilinear", sparsity = "by_input" }), 1e-9)
  end)

  it("a product family defined in Lua (described sets) gives the built-in's LP and bound", function()
    local net = lip.nn.random { sizes = { 6, 6, 1 }, sparsity = 3, seed = 4 }
    local p = lip.lipschitz_problem { network = net }
    lip.hierarchy.define_family { name = "path_lua", build = function() return { path = true } end }
    lip.hierarchy.define_family { name = "multilinear_lua", uses_pattern = true,
                                  build = function(_, _, sets) return { sets = sets } end }
    local rp = lip.hierarchy.krivine(p, { degree = 2, products = "path", quiet = true })
    local rl = lip.hierarchy.krivine(p, { degree = 2, products = "path_lua", quiet = true })
    expect(rl.certified).to_be_near(rp.certified, 1e-9)
    expect(rl.columns).to_be(rp.columns)
    expect(krivine(p, { degree = 2, products = "multilinear_lua", sparsity = "chordal" }))
      .to_be_near(krivine(p, { degree = 2, products = "multilinear", sparsity = "chordal" }), 1e-9)
    -- the example family: multilinear inside by_input sets plus path products
    expect(krivine(p, { degree = 2, products = "by_input_sets+" }) <= rp.certified + 1e-9).to_be(true)
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = 2, products = "path", sparsity = "chordal" }) end,
                   "does not use a sparsity pattern")
  end)

  it("LiPopt's published family written in Lua reproduces the published bounds", function()
    for _, c in ipairs { { "ref-20-20-1-s5.npz", 3, 0.4770071652 }, { "ref-10-10-10-1-s3.npz", 3, 0.1064000827 } } do
      local net = lip.nn.load(data .. c[1], { activation = "elu" })
      local p = lip.lipschitz_problem { network = net }
      local lua = lip.hierarchy.krivine(p, { degree = c[2], products = "by_input_lua", quiet = true })
      local swift = lip.hierarchy.krivine(p, { degree = c[2], products = "by_input", quiet = true })
      expect(lua.certified).to_be_near(c[3], 1e-7)
      expect(lua.certified).to_be_near(swift.certified, 1e-9)
      expect(lua.columns).to_be(swift.columns)
      expect(lua.rows).to_be(swift.rows)
    end
  end)

  it("the LiPopt sequence is scriptable: apply, another solve step, invert", function()
    local net = lip.nn.random { sizes = { 5, 5, 1 }, sparsity = 3, seed = 8 }
    local p = lip.lipschitz_problem { network = net }
    local lp, inverse = lip.hierarchy.apply(p, { degree = 3, products = "by_input" })
    local results = {}
    for _, method in ipairs { "primal", "dual", "interior" } do
      local solution = lip.lp.solve_program(lp, { method = method })
      results[method] = lip.hierarchy.invert(inverse, solution).certified
    end
    expect(results.dual).to_be_near(results.primal, 1e-7)
    expect(results.interior).to_be_near(results.primal, 1e-6)
    expect(results.primal).to_be_near(lip.hierarchy.krivine(p, { degree = 3, quiet = true }).certified, 1e-9)
  end)

  it("an LP solver defined in Lua is chosen by name; its point is certified like GLPK's", function()
    local calls = 0
    lip.lp.define_solver { name = "lua_via_table", solve = function(lp, o)
      calls = calls + 1
      lp.solver = "glpk"
      lp.method = o.method == "interior" and "interior" or "dual"
      local r = lip.lp.solve(lp)
      return { status = r.status, objective = r.objective, x = r.x, duals = r.duals, message = "via a Lua table" }
    end }
    local net = lip.nn.random { sizes = { 4, 4, 1 }, sparsity = 3, seed = 2 }
    local p = lip.lipschitz_problem { network = net }
    local a = lip.hierarchy.krivine(p, { degree = 2, products = "path", solver = "lua_via_table", quiet = true })
    local b = lip.hierarchy.krivine(p, { degree = 2, products = "path", quiet = true })
    expect(calls).to_be(1)
    expect(a.solver).to_be("lua_via_table")
    expect(a.certified).to_be_near(b.certified, 1e-9)
    -- a solver returning a point of the wrong length is an error, not a bound
    lip.lp.define_solver { name = "broken", solve = function() return { status = "optimal", objective = 0, x = { 1, 2 } } end }
    T.expect_error(function() lip.hierarchy.krivine(p, { degree = 2, products = "path", solver = "broken", quiet = true }) end, "x must be a list")
    T.expect_error(function() lip.lp.define_solver { name = "glpk", solve = print } end, "built-in solver")
  end)

  it("sweeps report a degree that cannot be built as a status, not an error", function()
    local net = lip.nn.random { sizes = { 3, 3, 3, 1 }, seed = 1 }
    local p = lip.lipschitz_problem { network = net }
    local rs = lip.hierarchy.sweep(p, { 2, 3, 4 }, { products = "path", quiet = true })
    expect(rs[1].status).to_be("refused")
    expect(rs[1].message).to_contain("not covered")
    expect(rs[2].status).to_be("optimal")
    expect(rs[3].status).to_be("optimal")
  end)
end)
