-- Specs for the native witness module (_lip.witness): certified witnesses, the search, exact
-- values. Needs liplua (the native module and GLPK); under plain Lua the cases are skipped.
-- Oracles: gradients computed by hand (W1 = {{1,2,3},{-1,0,1}}, c^T W2 = {1,2}) and brute force.

local H = require("tests.harness")("witness")
local it, raises = H.it, H.raises

local native = package.loaded["_lip"] or rawget(_G, "_lip")
if type(native) ~= "table" or type(native.witness) ~= "table" then
  print("witness: skipped (needs liplua)")
  return H.finish()
end
local lip = require "lip"

local net = lip.nn.from_weights({ { { 1, 2, 3 }, { -1, 0, 1 } }, { { 1, 2 } } }, nil, { activation = "relu" })
local box = { lower = { -1, -1, -1 }, upper = { 1, 1, 1 } }

it("certifies a hand-computed gradient and says why it refuses", function()
  -- x = (0.1, 0.1, 0.3): z = (1.2, 0.2), both active, grad f = (-1, 2, 5).
  local w = assert(native.witness.certify(net, "linf", { 0.1, 0.1, 0.3 }, { box = box }))
  assert(w.lower <= 8 and w.lower >= 8 * (1 - 1e-14), w.lower)
  assert(w.pattern[1][1] == 1 and w.pattern[1][2] == 1)
  local w1 = assert(native.witness.certify(net, "l1", { 0.1, 0.1, 0.3 }, { box = box }))
  assert(w1.lower <= 5 and w1.lower >= 5 * (1 - 1e-14))
  local none, why = native.witness.certify(net, "linf", { 0.5, 0, 0.5 }, { box = box })  -- z2 = 0
  assert(none == nil and why == "margin_too_small", why)
  none, why = native.witness.certify(net, "linf", { 2, 0, 0 }, { box = box })
  assert(none == nil and why == "outside_domain", why)
  raises(function() native.witness.certify(net, "linf", { 0, 0, 0 }, { bogus = 1 }) end, "unknown option 'bogus'")
end)

it("searches: the best pattern (1, 1) gives 8; drops are counted", function()
  local r = native.witness.search(net, "linf", { box = box, samples = 200, points = { { 2, 0, 0 } } })
  assert(r.lower <= 8 and r.lower >= 8 * (1 - 1e-14), r.lower)
  assert(r.drops.outside_domain == 1)
  assert(r.lbs <= 8 + 1e-12 and r.lower >= r.lbs * (1 - 1e-12))
  for i = 1, 3 do assert(r.witness.point[i] >= -1 and r.witness.point[i] <= 1) end
end)

it("exact values: the MIP and pattern enumeration agree with the hand maximum", function()
  -- On [-1, 1]^3 the patterns (1,1), (1,0), (0,1) are realisable: |.|_1 = 8, 6, 4.
  for _, method in ipairs({ "mip", "pattern_enumeration" }) do
    local e = native.witness.exact(net, "linf", { box = box, method = method })
    assert(e.exact and e.status == "exact", e.message)
    assert(math.abs(e.value - 8) <= 1e-9, e.value)
    assert(e.method == method and e.upper_is_proof == false)
  end
  local p = native.witness.exact(net, "linf", { quantity = "max_p" })
  assert(p.method == "vertex_enumeration" and math.abs(p.value - 8) <= 1e-12)
end)

it("lip.lipschitz: the lower bound is a checked witness, below the exact value and every certificate", function()
  -- On [-1, 1]^3 the exact local constant is 8 (pattern (1, 1)); LBS is an estimate below it.
  local r = lip.lipschitz { network = net, input_box = box, degree = 2, samples = 50 }
  assert(r.lower_kind == "witness", r.lower_kind)
  assert(r.lower <= 8 and r.lower >= 8 * (1 - 1e-14), r.lower)
  assert(r.upper >= 8 * (1 - 1e-12) and r.chain_ok)
  assert(r.lbs <= r.lower * (1 + 1e-12))
  local s = lip.lipschitz { network = net, input_box = box, degree = 2, samples = 50, lower = "sampled" }
  assert(s.lower_kind == "sampled" and s.lower == s.lbs)
  raises(function() lip.lipschitz { network = net, lower = "guess" } end, "lower = 'guess' is not one of witness, sampled")
  raises(function() lip.lipschitz { network = net, witness = { bogus = 1 } } end, "unknown option 'bogus'")
  -- Random ReLU nets: witness <= exact (MIP) <= LiPopt-3 certified <= UBP.
  for seed = 1, 3 do
    local n2 = lip.nn.random { sizes = { 4, 6, 1 }, seed = seed, activation = "relu", bias = true }
    local b = { lower = { -1, -1, -1, -1 }, upper = { 1, 1, 1, 1 } }
    local e = native.witness.exact(n2, "linf", { box = b, method = "pattern_enumeration" })
    assert(e.exact, e.message)
    local q = lip.lipschitz { network = n2, input_box = b, degree = 3, samples = 200, seed = seed }
    assert(q.lower_kind == "witness")
    assert(q.lower <= e.value * (1 + 1e-12), q.lower .. " > exact " .. e.value)
    assert(e.value <= q.upper * (1 + 1e-9), "exact " .. e.value .. " > certified " .. q.upper)
    assert(q.upper <= q.ubp * (1 + 1e-12) and q.chain_ok)
  end
end)

it("lip.bounds.exact: vertex enumeration and, beyond 24 variables, the MIP, saying which", function()
  local v, _, m = lip.bounds.exact(lip.lipschitz_problem { network = net })
  assert(math.abs(v - 8) < 1e-12 and m == "vertex_enumeration")
  -- 30 hidden ReLU neurons (> 24 variables): the MIP's max p against the hand maximum
  -- max over t in {-1, 1}^2 of sum_j max(0, c_j (W1_j . t)) (s_j in [0, 1] chosen per neuron).
  local big = lip.nn.random { sizes = { 2, 30, 1 }, seed = 4, activation = "relu" }
  local value, _, method, r = lip.bounds.exact(big, "linf", { time_limit = 120 })
  assert(method == "mip", method)
  assert(value and r.exact, r.message)
  local W, c = big:layer(1).weights, big:layer(2).weights[1]
  local hand = 0
  for _, t in ipairs { { 1, 1 }, { 1, -1 }, { -1, 1 }, { -1, -1 } } do
    local sum = 0
    for j = 1, 30 do sum = sum + math.max(0, c[j] * (W[j][1] * t[1] + W[j][2] * t[2])) end
    hand = math.max(hand, sum)
  end
  assert(math.abs(value - hand) <= 1e-7 * (1 + hand), value .. " vs " .. hand)
  raises(function() lip.bounds.exact(42) end, "LipschitzProblem or a lip.Network expected")
end)

H.finish()
