-- LiPopt on a trained, pruned 784-300-100-10 network (docs/METHOD.md §6): the ℓ∞ Lipschitz constant
-- of one logit, globally and on ℓ∞ balls around test images, beside UBP and LBS.
--
--   liplua scripts/paper/mnist.lua                       (the committed ReLU network, logit 1)
--   liplua scripts/paper/mnist.lua --model models/fashion-mnist-300-100-elu-pruned.safetensors
--   liplua scripts/paper/mnist.lua --images 5 --radius 0.02 --degrees 3,4
local lip = require "lip"
local report = lip.report
local clock = lip.script.clock

local o = lip.shard.parse(arg, {   -- plus --shard i/n, --merge, --fresh, --plan (lip.shard)
  usage = "liplua scripts/paper/mnist.lua [options]",
  description = "LiPopt-k vs UBP and LBS on a pruned 784-300-100-10 network, globally and around test images.",
  { "model", "string", lip.script.dir() .. "/../../models/fashion-mnist-300-100-relu-pruned.safetensors", "network file (safetensors, npz or JSON)" },
  { "activation", "string", "", "hidden activation (default: elu if the file name says so, else relu)" },
  { "logit", "integer", 1, "output logit (1-based)" },
  { "degrees", "list", { 3 }, "LiPopt degrees k" },
  { "family", "string", "path", "product family (path scales with the number of paths; by_input is the published one)" },
  { "budget", "number", 600, "time limit of one LiPopt LP solve, seconds" },
  { "images", "integer", 3, "number of test images for local bounds (0: none)" },
  { "radius", "number", 0.02, "ℓ∞ radius of the local balls (pixels in [0, 1])" },
  { "data", "string", lip.script.dir() .. "/../../models/fashion-mnist-t10k-first16-images-idx3-ubyte", "IDX file of test images" },
  { "samples", "integer", 5000, "LBS sample points (global: uniform in [0,1]^784, plus every image of --data)" },
  { "witness_time", "number", 30, "time limit of the certified-witness search (a lower bound that is a proof), seconds; 0: no witness row" },
  { "no_global", "flag", false, "skip the global setting" },
  { "no_global_lipopt", "flag", false, "global setting: baselines only (LiPopt-3 there takes minutes)" },
  { "out", "string", "results/mnist", "output folder" },
  { "sdp", "flag", false, "also the Shor SDP (relaxation sdp; two hidden layers: the chained form, DSDP, minutes globally)" },
  { "sdp_solver", "string", "auto", "SDP solver with --sdp: auto, dsdp, lowrank (one hidden layer only)" },
})
lip.script.mkdir(o.out)
local act = o.activation ~= "" and o.activation or ((o.model:find("[^r]elu") or o.model:find("^elu")) and "elu" or "relu")
local net = lip.nn.load(o.model, { activation = act, output = o.logit })
print(string.format("%s: %s", o.model, tostring(net)))

local rows = {}
local t0 = clock()
-- The gradient's ℓ1 norm (the ℓ∞ Lipschitz constant's dual norm) at a point.
local function grad_l1(x)
  local g, s = net:gradient(x), 0
  for i = 1, #g do s = s + math.abs(g[i]) end
  return s
end

local function run(label, problem, box, domain, skip_lipopt, extra_points)
  local t = clock()
  local lbs, lbs_point = lip.bounds.sampled(net, "linf", { samples = o.samples, box = box, seed = 0 })
  local sampled = lbs
  -- Uniform points of [0,1]^784 are noise images; the data points themselves are samples too.
  for _, x in ipairs(extra_points or {}) do lbs = math.max(lbs, grad_l1(x)) end
  rows[#rows + 1] = { setting = label, method = "LBS", kind = "lower estimate", bound = lbs, seconds = clock() - t }
  -- A lower bound that is a proof: the sampled points, the images and a search, each checked
  -- with directed rounding at a point where f is differentiable.
  local witness = nil
  if o.witness_time > 0 then
    t = clock()
    local w = lip.bounds.witness(net, "linf", { box = box, lbs = { value = sampled, point = lbs_point },
                                                points = extra_points, time_limit = o.witness_time, kicks = false })
    witness = w.lower
    rows[#rows + 1] = { setting = label, method = "witness", kind = w.lower and "lower certificate" or "no witness",
                        bound = w.lower, seconds = clock() - t, note = (w.source or "none") .. (w.stop_reason and (" (stopped: " .. w.stop_reason .. ")") or "") }
  end
  t = clock()
  local ubp = lip.bounds.product(net, "linf", problem.input_box and { input_box = problem.input_box, domain = domain } or nil)
  rows[#rows + 1] = { setting = label, method = "UBP", kind = "certificate", bound = ubp, seconds = clock() - t }
  -- The chain every certificate must satisfy: LBS (and a witness) <= certified <= UBP.
  local function chain_violated(c)
    return c and (c < lbs * (1 - 1e-9) or c > ubp * (1 + 1e-9) or (witness and c < witness))
  end
  local p = problem.problem
  local info = p:info()
  print(string.format("%s: p has %d terms in %d variables", label, info.terms, info.variables))
  for _, k in ipairs(skip_lipopt and {} or o.degrees) do
    local ok, r = lip.shard.pcall(lip.hierarchy.krivine, p, { degree = k, products = o.family, time_limit = o.budget })
    local row = { setting = label, method = string.format("LiPopt-%d %s", k, o.family) }
    if ok then
      row.kind = r.status == "optimal" and "certificate" or ("certificate (" .. r.status .. ")")
      row.bound, row.solver_value, row.seconds = r.certified, r.solver_value, r.seconds
      row.rows, row.columns, row.nonzeros = r.rows, r.columns, r.nonzeros
      print("  " .. report.row(r))
      if chain_violated(r.certified) then
        row.kind = row.kind .. " CHAIN VIOLATED"
      end
    else
      row.kind = "refused"
      row.note = tostring(r):gsub("\n.*", "")
      print("  refused: " .. row.note)
    end
    rows[#rows + 1] = row
  end
  if o.sdp then   -- the Shor SDP beside LiPopt-k (the paper's comparison), with its order
    local ok, r = lip.shard.pcall(lip.sdp.shor, p, { solver = o.sdp_solver, time_limit = o.budget, quiet = true })
    local row = { setting = label, method = "SDP" }
    if ok then
      row.kind = r.status == "optimal" and "certificate" or ("certificate (" .. r.status .. ")")
      row.bound, row.solver_value, row.seconds, row.order, row.rows = r.certified, r.solver_value, r.seconds, r.order, r.constraints
      print(string.format("  SDP (%s, %s): bound %s, order %d, %d constraints, %.2f s", r.solver, r.formulation,
        r.certified and string.format("%.6g", r.certified) or "uncertified", r.order, r.constraints, r.seconds))
      if chain_violated(r.certified) then
        row.kind = row.kind .. " CHAIN VIOLATED"
      end
    else
      row.kind = "refused"
      row.note = tostring(r):gsub("\n.*", "")
      print("  SDP refused: " .. row.note)
    end
    rows[#rows + 1] = row
  end
end

local n = net:sizes()[1]
-- The sweep's items (the global setting, then one per image); lip.shard runs this process's
-- slice, resumes, or merges the shards' rows.
local items = {}
if not o.no_global then items[#items + 1] = { key = "global" } end
for i = 1, o.images > 0 and math.min(o.images, lip.data.idx(o.data).shape[1]) or 0 do
  items[#items + 1] = { key = "image " .. i, image = i }
end
local all = lip.shard.run(o, { name = "mnist", items = items,
  estimate = function(item) return (#o.degrees + (o.sdp and 1 or 0)) * o.budget + 10, nil end,
  work = function(item)
rows = {}
if item.key == "global" then
  local lo, hi = {}, {}
  for i = 1, n do lo[i], hi[i] = 0, 1 end
  local images = lip.data.idx(o.data)
  local points = {}
  for i = 1, images.shape[1] do points[i] = lip.data.image(images, i) end
  run("global", { problem = lip.lipschitz_problem { network = net, norm = "linf" } }, { lower = lo, upper = hi }, nil,
      o.no_global_lipopt, points)
end
if item.image then
  local images = lip.data.idx(o.data)
  for i = item.image, item.image do
    local x = lip.data.image(images, i)
    local box = { center = x, radius = o.radius }
    local lo, hi = {}, {}
    for j = 1, n do lo[j] = math.max(0, x[j] - o.radius); hi[j] = math.min(1, x[j] + o.radius) end
    local problem = lip.lipschitz_problem { network = net, norm = "linf", input_box = box, domain = { 0, 1 } }
    run(string.format("image %d, eps %g", i, o.radius), { problem = problem, input_box = box }, { lower = lo, upper = hi }, { 0, 1 })
  end
end
return rows
end })
if not all then return end   -- a shard of several (merge later) or --plan
rows = all

local columns = { { key = "setting", title = "setting" }, { key = "method", title = "method" },
  { key = "kind", title = "kind" }, { key = "bound", title = "bound" }, { key = "solver_value", title = "solver value" },
  { key = "rows", title = "rows" }, { key = "columns", title = "columns" }, { key = "order", title = "SDP order" },
  { key = "seconds", title = "seconds", format = "%.2f" } }
print()
print(report.table(rows, columns))
local stem = o.out .. "/mnist"
report.csv(stem .. ".csv", rows, { "setting", "method", "kind", "bound", "solver_value", "rows", "columns", "nonzeros", "order", "seconds", "note" })
report.json(stem .. ".json", { options = o, model = o.model, activation = act, rows = rows, seconds = clock() - t0 })
report.write(stem .. ".md", report.markdown(rows, columns) .. "\n")
-- Plot: bound per setting and method (settings on the x axis).
local settings, index = {}, {}
for _, r in ipairs(rows) do if not index[r.setting] then settings[#settings + 1] = r.setting; index[r.setting] = #settings end end
local by_method, order = {}, {}
for _, r in ipairs(rows) do
  if r.bound then
    if not by_method[r.method] then by_method[r.method] = {}; order[#order + 1] = r.method end
    table.insert(by_method[r.method], { index[r.setting], r.bound })
  end
end
local series = {}
for _, m in ipairs(order) do series[#series + 1] = { name = m, points = by_method[m], lower_bound = m == "LBS" or m == "witness", style = "points" } end
report.svg_plot(stem .. ".svg", { title = "pruned 784-300-100-10, logit " .. o.logit,
  xlabel = "setting: " .. table.concat(settings, "; "):gsub("image ", "img "), ylabel = "ℓ∞ Lipschitz bound",
  log_y = true, series = series })
print(string.format("\nwrote %s.csv, .json, .md, .svg (%.1f s in all)", stem, clock() - t0))
