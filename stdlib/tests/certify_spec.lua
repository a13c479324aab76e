-- Specs for lip.certify. Run under liplua from the repository root:
--   liplua stdlib/tests/certify_spec.lua
-- Oracles: a network whose margin is affine on the ball (its exact Lipschitz constant and
-- certified radius are computed by hand), the certificate's arithmetic by hand, and on random
-- ReLU/ELU networks the sampled gradients (each bound must be >= every sampled ‖∇ margin‖₁ in
-- the ball) and sampled points (a certified image keeps its class at every sampled point).

local lip = require "lip"
local certify = lip.certify

local H = require("tests.harness")("certify")
local it, raises = H.it, H.raises

local function close(a, b, tol, what)
  assert(math.abs(a - b) <= (tol or 1e-9) * math.max(1, math.abs(b)), (what or "") .. ": " .. tostring(a) .. " vs " .. tostring(b))
end

it("the certificate's arithmetic: ratios, holds, balls, certified_at", function()
  assert(certify.ratio(0.65, 3.5) <= 0.65 / 3.5 and certify.ratio(0.65, 3.5) >= 0.65 / 3.5 * (1 - 1e-14))
  assert(certify.ratio(-1, 2) == 0 and certify.ratio(0, 2) == 0)
  assert(certify.ratio(1, 0) == math.huge)
  assert(certify.holds(0.65, 3.5, 0.1) and not certify.holds(0.65, 3.5, 0.2))
  assert(not certify.holds(1.0, 2.0, 0.5), "margin = L·eps exactly is not certified")
  -- classes 1, 3, 4: margins 2, 1, 4 and bounds 10, 20, 10: ratios 0.2, 0.05, 0.4
  local ok, r, worst = certify.ball({ [1] = 2, [3] = 1, [4] = 4 }, { [1] = 10, [3] = 20, [4] = 10 }, 0.04)
  assert(ok and worst == 3)
  close(r, 0.04)   -- capped by the ball
  ok, r, worst = certify.ball({ [1] = 2, [3] = 1, [4] = 4 }, { [1] = 10, [3] = 20, [4] = 10 }, 0.1)
  assert(not ok and worst == 3)
  close(r, 0.05, 1e-12)
  ok, r = certify.ball({ [1] = 2, [3] = 1 }, { [1] = 10 }, 0.01)
  assert(not ok and r == nil, "a missing bound certifies nothing")
  local balls = { { eps = 0.01, ratio = 0.03 }, { eps = 0.05, ratio = 0.02 } }
  assert(certify.certified_at(balls, 0.01))      -- ball 0.01: 0.03 > 0.01
  assert(certify.certified_at(balls, 0.015))     -- ball 0.05: 0.02 > 0.015 (valid: 0.015 <= 0.05)
  assert(not certify.certified_at(balls, 0.02))  -- 0.02 is not > 0.02, and ball 0.01 is too small
  assert(not certify.certified_at(balls, 0.06))
  assert(not certify.certified_at({ { eps = 0.01, ratio = nil } }, 0.005))
end)

-- h = relu(x + 1) (both neurons active on [0,1]^2), f1 = 2 h1 - h2, f2 = 0.5 h1 + h2:
-- f1 - f2 = 1.5 x1 - 2 x2 - 0.5, Lipschitz constant (ℓ∞ input) 3.5 on every ball in [0,1]^2.
local function affine_net()
  return lip.nn.from_weights({ { { 1, 0 }, { 0, 1 } }, { { 2, -1 }, { 0.5, 1 } } }, { { 1, 1 }, { 0, 0 } },
    { activation = "relu" })
end

for _, relaxation in ipairs({ "lp", "ubp", "best" }) do
  it("an affine margin: bound 3.5, radius 0.65/3.5, certified at 0.1 not 0.3 (" .. relaxation .. ")", function()
    local r = certify.image { network = affine_net(), x = { 0.9, 0.1 }, label = 0, radii = { 0.1, 0.3 },
                              relaxation = relaxation, options = { degree = 2, samples = 100 } }
    assert(r.predicted == 0)
    close(r.logits[1], 2.7); close(r.logits[2], 2.05)
    assert(#r.margins == 2)
    for _, m in ipairs(r.margins) do
      close(m.margin, 0.65, 1e-7, "margin")
      close(m.bound, 3.5, 1e-7, "bound")
      assert(m.bound >= 3.5 * (1 - 1e-12), "a certificate is never below the true constant")
    end
    local b1, b2 = r.balls[1], r.balls[2]
    assert(b1.eps == 0.1 and b1.certified and b1.status == "certified")
    close(b1.radius, 0.1)
    assert(b2.eps == 0.3 and not b2.certified and b2.status == "not certified")
    close(b2.radius, 0.65 / 3.5, 1e-7)
    -- the truth at the radius' edge: x - (r, -r) gives margin 0 (a counterexample just past it)
    local e = 0.65 / 3.5
    local f = affine_net():outputs({ 0.9 - e - 1e-9, 0.1 + e + 1e-9 })
    assert(f[1] < f[2], "just past the certified radius the class changes: the radius is tight here")
  end)
end

it("a misclassified image is not certified and costs no LP", function()
  local r = certify.image { network = affine_net(), x = { 0.9, 0.1 }, label = 1, radii = { 0.01 } }
  assert(r.predicted == 0)
  local b = r.balls[1]
  assert(not b.certified and b.status == "misclassified" and b.radius == 0 and b.lps == 0 and #r.margins == 0)
end)

it("refuses an unknown relaxation and a label outside the outputs; lip.relaxation.define adds one", function()
  raises(function() certify.image { network = affine_net(), x = { 0.5, 0.5 }, label = 0, relaxation = "nope" } end,
    "relaxation 'nope' is not available")
  raises(function() certify.image { network = affine_net(), x = { 0.5, 0.5 }, label = 2 } end, "label 2 is not a class")
  -- A stand-in relaxation registered like any other: a fixed bound exercises the bookkeeping.
  lip.relaxation.define { name = "fixed7", best = false, solve = function()
    return { relaxation = "fixed7", method = "fixed", status = "optimal", certified = 7.0 } end }
  local r = certify.image { network = affine_net(), x = { 0.9, 0.1 }, label = 0, radii = { 0.05, 0.1 }, relaxation = "fixed7" }
  assert(r.balls[1].certified and not r.balls[2].certified)        -- 0.65 > 0.35, 0.65 < 0.7
  close(r.balls[2].radius, 0.65 / 7, 1e-7)
end)

it("random networks: every bound >= sampled gradients in the ball; certified images keep their class", function()
  local checked, certified = 0, 0
  for seed = 1, 6 do
    local act = seed % 2 == 0 and "elu" or "relu"
    local net = lip.nn.random { sizes = { 4, 6, 5, 3 }, activation = act, bias = true, seed = seed }
    local rng = seed * 7919
    local function rand() rng = (rng * 1103515245 + 12345) % 2147483648; return rng / 2147483648 end
    local x = {}
    for i = 1, 4 do x[i] = rand() end
    local logits = net:outputs(x)
    local y = 1
    for j = 2, 3 do if logits[j] > logits[y] then y = j end end
    local eps = 0.05
    local r = certify.image { network = net, x = x, label = y - 1, radii = { eps }, relaxation = "lp",
                              options = { degree = 3, family = "path", samples = 50 } }
    for _, m in ipairs(r.margins) do
      assert(m.bound, "seed " .. seed .. ": no bound (" .. tostring(m.status) .. ")")
      local g_net = net:with_output { margin = { y, m.class + 1 } }
      for _ = 1, 300 do
        local p = {}
        for i = 1, 4 do p[i] = math.max(0, math.min(1, x[i] + (2 * rand() - 1) * eps)) end
        local g, s = g_net:gradient(p), 0
        for i = 1, #g do s = s + math.abs(g[i]) end
        assert(s <= m.bound * (1 + 1e-9), "seed " .. seed .. ": sampled ‖∇‖₁ " .. s .. " > bound " .. m.bound)
        checked = checked + 1
      end
    end
    if r.balls[1].certified then
      certified = certified + 1
      for _ = 1, 500 do
        local p = {}
        for i = 1, 4 do p[i] = math.max(0, math.min(1, x[i] + (2 * rand() - 1) * eps)) end
        local f = net:outputs(p)
        for j = 1, 3 do assert(j == y or f[y] > f[j], "seed " .. seed .. ": a certified image changes class") end
      end
    end
  end
  assert(checked > 0)
  assert(certified >= 2, "only " .. certified .. " of 6 images certified: the class-keeping check hardly ran")
end)

it("early_stop (with the LBS pre-check) certifies exactly the balls a full run certifies", function()
  local hopeless, agree = 0, 0
  for seed = 11, 18 do
    local net = lip.nn.random { sizes = { 4, 6, 5, 3 }, activation = seed % 2 == 0 and "elu" or "relu", bias = true, seed = seed }
    local x = { 0.2 + 0.07 * (seed % 5), 0.5, 0.9 - 0.05 * (seed % 3), 0.3 }
    local f = net:outputs(x)
    local y = 1
    for j = 2, 3 do if f[j] > f[y] then y = j end end
    local radii = { 0.01, 0.05, 0.2, 0.5 }
    local opts = { degree = 3, samples = 100 }
    local full = certify.image { network = net, x = x, label = y - 1, radii = radii, options = opts }
    local fast = certify.image { network = net, x = x, label = y - 1, radii = radii, options = opts, early_stop = true }
    local fast_lps, full_lps = 0, 0
    for k = 1, #radii do
      assert(full.balls[k].eps == fast.balls[k].eps)
      assert(full.balls[k].certified == fast.balls[k].certified,
        "seed " .. seed .. " eps " .. radii[k] .. ": full " .. tostring(full.balls[k].certified) .. ", early stop " .. fast.balls[k].status)
      fast_lps, full_lps = fast_lps + fast.balls[k].lps, full_lps + full.balls[k].lps
      if fast.balls[k].status:find("not certifiable") then hopeless = hopeless + 1 end
      agree = agree + 1
    end
    assert(fast_lps <= full_lps)
  end
  assert(hopeless >= 2, "the LBS pre-check never decided a ball (" .. hopeless .. ")")
end)

H.finish()
