-- The sparsity claim on a convolutional network: the committed Fashion-MNIST CNN (conv 1→8
-- 3×3 stride 2, conv 8→16 3×3 stride 2, linear 576→10, ReLU; models/README.md), loaded from
-- ONNX with its convolutions unrolled to sparse layers. For a logit, globally and on ℓ∞ balls
-- around test images: UBP, LBS, LiPopt-k (path; by_input where it fits; column generation
-- when a family is too large to build), the SDP where it fits, and the LP sizes beside those
-- of a dense network of the same layer shapes (computed, not built: it would not fit).
--   liplua scripts/paper/cnn.lua                      (local balls around 2 images)
--   liplua scripts/paper/cnn.lua --global --images 0  (the global constant: large LPs)
local lip = require "lip"
local report = lip.report
local clock = lip.script.clock
local models = lip.script.dir() .. "/../../models/"

local o = lip.script.options(arg, {
  usage = "liplua scripts/paper/cnn.lua [options]",
  { "model", "string", models .. "fashion-mnist-cnn-8-16.onnx", "network file (ONNX recommended)" },
  { "data", "string", models .. "fashion-mnist-t10k-first16-images-idx3-ubyte", "IDX file of test images" },
  { "output", "integer", 1, "the logit (1-based)" },
  { "images", "integer", 2, "local balls around the first N test images" },
  { "radius", "number", 0.02, "ℓ∞ radius of the balls (clipped to [0, 1])" },
  { "global", "flag", false, "also the global constant (input in [0,1]^784 for LBS; LPs of millions of columns)" },
  { "degree", "integer", 3, "LiPopt degree k (the network has depth 3)" },
  { "families", "strings", { "path", "by_input" }, "product families" },
  { "relaxations", "strings", { "lp", "sdp" }, "relaxations to run where they fit (registered names)" },
  { "max_columns", "integer", 400000, "build a family's LP up to this many (estimated) columns; above, column generation" },
  { "budget", "number", 600, "time limit per bound, seconds" },
  { "samples", "integer", 2000, "LBS sample points" },
  { "out", "string", "results/cnn", "output folder" },
})
lip.script.mkdir(o.out)

local net, load_report = lip.nn.load(o.model, { output = o.output })
print(load_report.summary)
local sizes = net:sizes()

-- Sizes of LiPopt-k on a dense network with these layer widths, by the families' formulas
-- (the path family: every path is a term with one variable per layer; by_input: every input
-- reaches every hidden neuron).
local function choose(n, k)
  if k < 0 or k > n then return 0 end
  local r = 1
  for i = 1, k do r = r * (n - i + 1) / i end
  return r
end
local function dense_estimate(family, k)
  local terms = 1
  for l = 1, #sizes - 1 do terms = terms * sizes[l] end   -- n0 · n1 · ... · n_{d-1} paths
  local depth = #sizes - 1
  if family == "path" then return { columns = 1 + terms * 2 ^ depth, nonzeros = 1 + terms * 3 ^ depth } end
  if family == "by_input" then
    local m = 0
    for l = 2, #sizes - 1 do m = m + sizes[l] end         -- hidden neurons, all reachable
    local sets = sizes[1] * choose(m, k - 1) + choose(m, k)  -- per input, then the clique's graph part
    return { columns = 1 + sets * 2 ^ k, nonzeros = 1 + sets * 3 ^ k }
  end
end

local rows, sizes_rows = {}, {}
local function add(r) rows[#rows + 1] = r; return r end

local function run(label, problem_spec, lbs_box)
  local t = clock()
  local lbs = lip.bounds.sampled(net, "linf", { samples = o.samples, box = lbs_box, seed = 0 })
  add { setting = label, method = "LBS", kind = "lower estimate", bound = lbs, seconds = clock() - t }
  t = clock()
  local ubp = lip.bounds.product(net, "linf", { input_box = problem_spec.input_box, domain = problem_spec.domain })
  add { setting = label, method = "UBP", kind = "certificate", bound = ubp, seconds = clock() - t }
  t = clock()
  local problem = lip.lipschitz_problem(problem_spec)
  local info = problem:info()
  print(string.format("%s: p has %d terms in %d variables (%.1f s)", label, info.terms, info.variables, clock() - t))
  local have = {}
  for _, n in ipairs(lip.relaxation.names()) do have[n] = true end
  for _, rel in ipairs(o.relaxations) do
    if rel == "lp" then
      for _, fam in ipairs(o.families) do
        local ok, est = pcall(lip.hierarchy.estimate, problem, { degree = o.degree, products = fam })
        local dense = dense_estimate(fam, o.degree)
        sizes_rows[#sizes_rows + 1] = { setting = label, family = fam, columns = ok and est.columns or nil,
          nonzeros = ok and est.nonzeros or nil, dense_columns = dense and dense.columns, dense_nonzeros = dense and dense.nonzeros,
          ratio = (ok and dense) and dense.columns / est.columns or nil }
        local method = string.format("LiPopt-%d %s", o.degree, fam)
        if not ok then
          add { setting = label, method = method, kind = "refused", note = tostring(est):gsub("^[^\n]-:%d+: ", "") }
        else
          local cg = est.columns > o.max_columns
          local r
          ok, r = lip.shard.pcall(lip.hierarchy.krivine, problem, { degree = o.degree, products = fam, time_limit = o.budget,
            column_generation = cg, quiet = true })
          if ok then
            add { setting = label, method = method .. (cg and " (column generation)" or ""),
                  kind = r.certified and "certificate" or "uncertified", bound = r.certified, status = r.status,
                  rows = r.rows, columns = r.columns, seconds = r.seconds }
            print("  " .. report.row(r))
          else
            add { setting = label, method = method, kind = "refused", note = tostring(r):gsub("\n.*", "") }
          end
        end
      end
    elseif have[rel] then
      local ok, r = lip.shard.pcall(lip.relaxation.solve, rel, problem, { time_limit = o.budget })
      if ok then
        add { setting = label, method = r.method or rel, kind = r.certified and "certificate" or "uncertified",
              bound = r.certified, status = r.status, seconds = r.seconds }
        print("  " .. report.row(r))
      else
        add { setting = label, method = rel, kind = "refused", note = tostring(r):gsub("\n.*", "") }
      end
    end
  end
end

local n = sizes[1]
local images = lip.data.idx(o.data)
for i = 1, o.images do
  local x = lip.data.image(images, i)
  local lo, hi = {}, {}
  for j = 1, n do lo[j], hi[j] = math.max(0, x[j] - o.radius), math.min(1, x[j] + o.radius) end
  run(string.format("image %d, eps %g", i, o.radius), { network = net, input_box = { center = x, radius = o.radius },
      domain = { 0, 1 } }, { lower = lo, upper = hi })
end
if o.global then
  local lo, hi = {}, {}
  for j = 1, n do lo[j], hi[j] = 0, 1 end
  run("global", { network = net }, { lower = lo, upper = hi })
end

local cols = { "setting", "method", "kind", { key = "bound", missing = "-" }, "status", "rows", "columns",
               { key = "seconds", format = "%.1f" }, "note" }
print("\n" .. report.table(rows, cols))
print("\nLiPopt LP sizes, this CNN against a dense network of the same widths " .. table.concat(sizes, "-") .. " (estimates; the dense network with global ranges: every path present):")
local scols = { "setting", "family", "columns", "nonzeros", { key = "dense_columns", title = "dense columns", format = "%.3g" },
                { key = "dense_nonzeros", title = "dense nonzeros", format = "%.3g" }, { key = "ratio", title = "dense/CNN", format = "%.3g" } }
print(report.table(sizes_rows, scols))
report.csv(o.out .. "/cnn.csv", rows, { "setting", "method", "kind", "bound", "status", "rows", "columns", "seconds", "note" })
report.csv(o.out .. "/cnn-sizes.csv", sizes_rows, { "setting", "family", "columns", "nonzeros", "dense_columns", "dense_nonzeros", "ratio" })
report.json(o.out .. "/cnn.json", { model = o.model, network = tostring(net), load = load_report.summary, rows = rows, sizes = sizes_rows })
print("wrote " .. o.out .. "/cnn.csv, cnn-sizes.csv, cnn.json")
