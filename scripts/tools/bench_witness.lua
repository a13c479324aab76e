-- Witness and exact-value benchmarks (lower bounds that are proofs), through the Lua API.
--   scripts/tools/bench --script scripts/tools/bench_witness.lua  (or: liplua scripts/tools/bench_witness.lua)
--   liplua scripts/tools/bench_witness.lua [--only witness,exact] [--images 4] [--budget 60]
--          [--local_budget 10] [--mip_budget 600] [--out DIR]
-- Sections:
--   witness  certified witness `lower` beside LBS (10,000 samples) and UBP on the committed pruned
--            784-300-100-10 networks (ReLU, ELU; models/, output = 1, the first logit) and a dense
--            random 784-500-10 ReLU network (PyTorch init, bias, seed 0, output = 1):
--            global on [0,1]^784, global on the radius-10 box around test image 1 (NOT clipped to
--            [0,1]), local radius 0.02 and 0.1 around the committed test images (clipped to [0,1]).
--            LBS is computed once (timed separately) and handed to the search, which starts from its
--            best point; the search has `--budget` seconds (global) / `--local_budget` (local).
--   sweep    the dense network, global [0,1]^784: the witness reached within 1, 2, 5, 10, 20, 60 s
--   exact    exact Lipschitz constants by MIP (GLPK branch and cut) of a random [784,20,20,2] ReLU
--            network (seed 0, output = 1): local radius 0.005, 0.01, 0.02 around image 1 (clipped to
--            [0,1]) and global on [0,1]^784, linf and l1, `--mip_budget` seconds each; the interval
--            [lower (proven), upper (GLPK's bound)] when it does not finish.
-- Times: wall clock (native clock) and process CPU (os.clock); the machine may be shared.
local lip = require "lip"
local native = require "_lip"
local report = lip.report

local o = lip.script.options(arg, {
  usage = "liplua scripts/tools/bench_witness.lua [options]",
  { "only", "strings", { "witness", "sweep", "exact" }, "sections to run" },
  { "images", "integer", 4, "test images for the local rows (1..16)" },
  { "budget", "number", 60, "witness search seconds, global rows" },
  { "local_budget", "number", 10, "witness search seconds, local rows" },
  { "mip_budget", "number", 600, "MIP seconds per exact row" },
  { "nets", "strings", { "dense", "relu", "elu" }, "networks of the witness section" },
  { "radii", "list", { 0.005, 0.01, 0.02 }, "local radii of the exact section (plus the global box)" },
  { "out", "string", "results/bench-witness", "output folder (CSV/JSON)" },
})
lip.script.mkdir(o.out)
local want = {}
for _, s in ipairs(o.only) do want[s] = true end
local all = {}

local images = lip.data.idx("models/fashion-mnist-t10k-first16-images-idx3-ubyte")
local function image(k) return lip.data.image(images, k) end
local function const(n, v) local t = {} for i = 1, n do t[i] = v end return t end
local function cpu() return os.clock() end

print(string.format("witness benchmarks (%s)", native.version():match("^[^\n]*")))

local function networks()
  local out = {}
  for _, which in ipairs(o.nets) do
    if which == "dense" then
      out[#out + 1] = { "dense 784-500-10 relu (random)",
        lip.nn.random { sizes = { 784, 500, 10 }, activation = "relu", bias = true, seed = 0, output = 1 } }
    else
      out[#out + 1] = { "pruned 784-300-100-10 " .. which,
        lip.nn.load("models/fashion-mnist-300-100-" .. which .. "-pruned.safetensors", { activation = which, output = 1 }) }
    end
  end
  return out
end

if want.witness then
  print("\n== certified witness vs LBS (10,000 samples) and UBP")
  local rows = {}
  local columns = { "network", "domain", "lbs", "lower", { key = "ratio", title = "lower/lbs", format = "%.3f" },
    "ubp", { key = "gap", title = "ubp/lower", format = "%.2f" }, "source",
    { key = "lbs_s", title = "LBS s", format = "%.1f" }, { key = "wall", title = "search s", format = "%.1f" },
    { key = "cpu", title = "search cpu s", format = "%.1f" }, "lp", "drops" }
  for _, pair in ipairs(networks()) do
    local name, net = pair[1], pair[2]
    local domains = {
      { "global [0,1]", { box = { lower = const(784, 0), upper = const(784, 1) } }, o.budget },
    }
    do
      local x, lo, hi = image(1), {}, {}
      for i = 1, 784 do lo[i], hi[i] = x[i] - 10, x[i] + 10 end
      domains[#domains + 1] = { "image 1 +-10 (not clipped)", { box = { lower = lo, upper = hi } }, o.budget }
    end
    for _, r in ipairs({ 0.02, 0.1 }) do
      for k = 1, o.images do
        domains[#domains + 1] = { string.format("image %d +-%g", k, r), { box = { center = image(k), radius = r }, domain = { 0, 1 } }, o.local_budget }
      end
    end
    for _, d in ipairs(domains) do
      local label, opts, budget = d[1], d[2], d[3]
      local box = opts.box
      if box.center then
        local lo, hi = {}, {}
        for i = 1, 784 do lo[i] = math.max(0, box.center[i] - box.radius); hi[i] = math.min(1, box.center[i] + box.radius) end
        box = { lower = lo, upper = hi }
      end
      local t0 = native.clock()
      local lbs, arg0 = native.bounds.sampled(net, "linf", { samples = 10000, box = box, seed = 0 })
      local lbs_s = native.clock() - t0
      local ubp = native.bounds.product(net, "linf", { input_box = box })
      local so = { box = opts.box, domain = opts.domain, time_limit = budget, lbs = { value = lbs, point = arg0 } }
      local t1, c1 = native.clock(), cpu()
      local w = native.witness.search(net, "linf", so)
      local drops = {}
      for k, v in pairs(w.drops) do drops[#drops + 1] = k .. " " .. v end
      table.sort(drops)
      local row = { network = name, domain = label, lbs = lbs, lower = w.lower, ratio = (w.lower or 0) / lbs, ubp = ubp,
                    gap = ubp / (w.lower or 0), source = w.source, lbs_s = lbs_s, wall = native.clock() - t1,
                    cpu = cpu() - c1, lp = w.lp_solves, drops = table.concat(drops, ", "), by_source = w.by_source }
      rows[#rows + 1] = row
      print(report.table({ row }, columns))
    end
  end
  print("\nsummary:")
  print(report.table(rows, columns))
  report.csv(o.out .. "/witness.csv", rows, columns)
  all.witness = rows
end

if want.sweep then
  print("\n== dense 784-500-10 ReLU, global [0,1]^784: witness lower by time budget (LBS given)")
  local net = lip.nn.random { sizes = { 784, 500, 10 }, activation = "relu", bias = true, seed = 0, output = 1 }
  local box = { lower = const(784, 0), upper = const(784, 1) }
  local t0, c0 = native.clock(), cpu()
  local lbs, arg0 = native.bounds.sampled(net, "linf", { samples = 10000, box = box, seed = 0 })
  print(string.format("LBS (10,000 samples) %.6g in %.1f s wall, %.1f s cpu", lbs, native.clock() - t0, cpu() - c0))
  local rows = {}
  local columns = { { key = "budget", format = "%g" }, "lower", { key = "ratio", title = "lower/lbs", format = "%.3f" }, "source",
    { key = "wall", title = "s", format = "%.1f" }, { key = "cpu", title = "cpu s", format = "%.1f" } }
  for _, b in ipairs({ 1, 2, 5, 10, 20, 60 }) do
    local t, c = native.clock(), cpu()
    local w = native.witness.search(net, "linf", { box = box, time_limit = b, lbs = { value = lbs, point = arg0 } })
    rows[#rows + 1] = { budget = b, lower = w.lower, ratio = w.lower / lbs, source = w.source, wall = native.clock() - t, cpu = cpu() - c }
    print(report.table({ rows[#rows] }, columns))
  end
  report.csv(o.out .. "/sweep.csv", rows, columns)
  all.sweep = rows
end

if want.exact then
  print(string.format("\n== exact Lipschitz constants by MIP, random [784,20,20,2] ReLU (seed 0), up to %g s each", o.mip_budget))
  local rows = {}
  local columns = { "domain", "norm", "status", "lower", "upper", "witness_lower", "binaries", "nodes",
    { key = "wall", title = "s", format = "%.1f" }, { key = "cpu", title = "cpu s", format = "%.1f" }, "method" }
  local net = lip.nn.random { sizes = { 784, 20, 20, 2 }, activation = "relu", bias = true, seed = 0, output = 1 }
  local domains = {}
  for _, r in ipairs(o.radii) do
    domains[#domains + 1] = { string.format("image 1 +-%g", r), { box = { center = image(1), radius = r }, domain = { 0, 1 } } }
  end
  domains[#domains + 1] = { "global [0,1]", { box = { lower = const(784, 0), upper = const(784, 1) } } }
  for _, d in ipairs(domains) do
    for _, norm in ipairs({ "linf", "l1" }) do
      local t, c = native.clock(), cpu()
      local opts = { box = d[2].box, domain = d[2].domain, time_limit = o.mip_budget, method = "mip" }
      local r = native.witness.exact(net, norm, opts)
      local row = { domain = d[1], norm = norm, status = r.status,
                    lower = r.lower, upper = r.upper, witness_lower = r.witness and r.witness.lower,
                    binaries = r.binaries, nodes = r.nodes, wall = native.clock() - t, cpu = cpu() - c, method = r.method }
      rows[#rows + 1] = row
      print(report.table({ row }, columns))
    end
  end
  print("\nsummary (upper = GLPK's bound, a floating-point claim; lower proven):")
  print(report.table(rows, columns))
  report.csv(o.out .. "/exact.csv", rows, columns)
  all.exact = rows
end

report.json(o.out .. "/bench-witness.json", all)
print("\nwrote " .. o.out .. "/witness.csv, exact.csv, bench-witness.json")
