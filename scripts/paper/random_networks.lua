-- LiPopt-k beside UBP and LBS on random networks, as in LiPopt's experiments (docs/METHOD.md §6):
-- bias-free ELU networks with PyTorch's default initialisation, banded sparsity s (hidden
-- neuron j sees inputs i with |i - j| <= (s - 1)/2), a scalar output, N networks per
-- (width, sparsity). Prints a table while it runs; writes CSV, JSON and SVG plots.
--
--   liplua scripts/paper/random_networks.lua                    (a few minutes on 2 cores)
--   liplua scripts/paper/random_networks.lua --hidden 2 --widths 20 --sparsities 3,5
--   liplua scripts/paper/random_networks.lua --paper            (the paper-sized grid)
local lip = require "lip"
local report = lip.report
local clock = lip.script.clock

local o = lip.shard.parse(arg, {   -- plus --shard i/n, --merge, --fresh, --plan (lip.shard)
  usage = "liplua scripts/paper/random_networks.lua [options]",
  description = "LiPopt-k vs the product bound (UBP) and the sampled lower bound (LBS) on random ELU networks.",
  { "hidden", "integer", 1, "hidden layers (1 or 2); every layer has the same width" },
  { "widths", "list", { 20, 40 }, "widths (input and hidden)" },
  { "sparsities", "list", { 5, 10 }, "band sparsities s" },
  { "nets", "integer", 3, "networks per configuration (seeds first_seed..)" },
  { "first_seed", "integer", 0, "seed of the first network" },
  { "degrees", "list", { 3 }, "LiPopt degrees k" },
  { "families", "strings", { "by_input", "path" }, "product families (registered names; --define adds your own)" },
  { "activation", "string", "elu", "hidden activation (a registered name; --define adds your own)" },
  { "budget", "number", 60, "time limit of one LiPopt LP solve, seconds" },
  { "max_columns", "integer", 400000, "refuse (and report) LPs estimated above this many columns" },
  { "samples", "integer", 2000, "LBS sample points in [-5, 5]^n" },
  { "witness_time", "number", 60, "time limit of the certified-witness search (a lower bound that is a proof; a safety net: the search is bounded by its work), seconds; 0: no witness row" },
  { "out", "string", "results/random", "output folder" },
  { "paper", "flag", false, "the paper-sized grid (1 hidden: widths 40, 80, s = 5..20; 10 networks; k = 3, 4)" },
  { "quiet", "flag", false, "no per-run lines" },
  { "no_sdp", "flag", false, "skip the SDP (the Shor relaxation; cheap here: order 1 + inputs + hidden)" },
  { "sdp_solver", "string", "auto", "SDP solver: auto, dsdp, lowrank (one hidden layer only)" },
})
if o.paper then
  -- The paper-sized grid; LPs above --max_columns are reported as refused, not dropped.
  o.widths = o.hidden == 1 and { 40, 80 } or { 20, 40 }
  o.sparsities = o.hidden == 1 and { 5, 10, 15, 20 } or { 3, 5, 7, 9 }
  o.nets = 10
  o.degrees = { 3, 4 }
end
if o.hidden ~= 1 and o.hidden ~= 2 then io.stderr:write("--hidden must be 1 or 2\n"); os.exit(2) end
lip.script.mkdir(o.out)

local t_start = clock()
local methods = { "LBS", "witness", "UBP" }
for _, k in ipairs(o.degrees) do
  for _, fam in ipairs(o.families) do methods[#methods + 1] = string.format("LiPopt-%d %s", k, fam) end
end

if not o.no_sdp then methods[#methods + 1] = "SDP" end

print(string.format("random networks: %d hidden layer(s), widths %s, sparsities %s, %d networks each, degrees %s, families %s, budget %gs",
  o.hidden, table.concat(o.widths, ","), table.concat(o.sparsities, ","), o.nets,
  table.concat(o.degrees, ","), table.concat(o.families, ","), o.budget))
-- The sweep's items (one network each); lip.shard runs this process's slice and resumes.
local items = {}
for _, width in ipairs(o.widths) do
  for _, s in ipairs(o.sparsities) do
    for n = 0, o.nets - 1 do
      items[#items + 1] = { key = string.format("w=%d s=%d seed=%d", width, s, o.first_seed + n),
                            width = width, s = s, seed = o.first_seed + n }
    end
  end
end
local runs = lip.shard.run(o, { name = string.format("random-%dhidden", o.hidden), items = items,
  estimate = function() return (#o.degrees * #o.families + (o.no_sdp and 0 or 1)) * o.budget + 5, nil end,
  progress = function(i, n) report.progress(i, n, "networks") end,
  work = function(item)
      local out = {}        -- one row per (network, method)
      local function add(row) out[#out + 1] = row end
      local width, s, seed = item.width, item.s, item.seed
      local sizes = { width }
      for _ = 1, o.hidden do sizes[#sizes + 1] = width end
      sizes[#sizes + 1] = 1
      local net = lip.nn.random { sizes = sizes, sparsity = s, activation = o.activation, bias = false, seed = seed }
      local base = { hidden = o.hidden, width = width, sparsity = s, seed = seed }
      local function row(method, bound, seconds, status, extra)
        local r = { method = method, bound = bound, seconds = seconds, status = status }
        for key, v in pairs(base) do r[key] = v end
        for key, v in pairs(extra or {}) do r[key] = v end
        add(r)
        return r
      end
      local t = clock()
      local lbs, lbs_point = lip.bounds.sampled(net, "linf", { samples = o.samples, seed = seed })
      row("LBS", lbs, clock() - t, "estimate")
      -- A lower bound that is a proof: LBS's best point and a search for a larger gradient,
      -- each checked with directed rounding (lower <= |grad f(x)|_1 <= L).
      local witness = nil
      if o.witness_time > 0 then
        t = clock()
        local w = lip.bounds.witness(net, "linf", { lbs = { value = lbs, point = lbs_point }, seed = seed,
                                                    time_limit = o.witness_time, kicks = false })
        witness = w.lower
        row("witness", w.lower, clock() - t, w.lower and "certified lower" or "no witness", { source = w.source })
      end
      t = clock()
      local ubp = lip.bounds.product(net, "linf")
      row("UBP", ubp, clock() - t, "certified")
      local problem = lip.lipschitz_problem { network = net, norm = "linf" }
      -- The chain every certificate must satisfy: LBS (and a witness) <= certified <= UBP.
      local function chain_violated(c)
        return c and (c < lbs * (1 - 1e-9) or c > ubp * (1 + 1e-9) or (witness and c < witness))
      end
      if not o.no_sdp then   -- the Shor SDP beside LiPopt-k (the paper's comparison)
        local ok, r = lip.shard.pcall(lip.sdp.shor, problem, { solver = o.sdp_solver, time_limit = o.budget, quiet = true })
        if ok then
          local x = row("SDP", r.certified, r.seconds, r.status == "optimal" and "certified" or r.status,
                        { solver_value = r.solver_value, order = r.order, rows = r.constraints, solver = r.solver })
          if chain_violated(r.certified) then
            x.status = x.status .. " (chain violated!)"
          end
          if not o.quiet then
            print(string.format("  w=%d s=%d seed=%d  %-20s bound %-12.6g LBS %.6g UBP %.6g  order %d  %.2fs  %s",
              width, s, seed, "SDP", r.certified or 0 / 0, lbs, ubp, r.order, r.seconds, x.status))
          end
        else
          row("SDP", nil, 0, "refused: " .. tostring(r):gsub("\n.*", ""))
        end
      end
      for _, k in ipairs(o.degrees) do
        for _, fam in ipairs(o.families) do
          local method = string.format("LiPopt-%d %s", k, fam)
          local ok, r = lip.shard.pcall(lip.hierarchy.krivine, problem, { degree = k, products = fam, time_limit = o.budget,
                                                                      max_columns = o.max_columns })
          if ok then
            local status = r.status == "optimal" and "certified" or r.status
            local x = row(method, r.certified, r.seconds, status,
                          { solver_value = r.solver_value, rows = r.rows, columns = r.columns, nonzeros = r.nonzeros,
                            build_seconds = r.build_seconds, solve_seconds = r.solve_seconds })
            if chain_violated(r.certified) then
              x.status = x.status .. " (chain violated!)"
            end
            if not o.quiet then
              print(string.format("  w=%d s=%d seed=%d  %-20s bound %-12.6g LBS %.6g UBP %.6g  %dx%d  %.2fs  %s",
                width, s, seed, method, r.certified or 0 / 0, lbs, ubp, r.rows, r.columns, r.seconds, x.status))
            end
          else
            row(method, nil, 0, "refused: " .. tostring(r):gsub("\n.*", ""))
            if not o.quiet then print(string.format("  w=%d s=%d seed=%d  %-20s refused: %s", width, s, seed, method, tostring(r):gsub("\n.*", ""))) end
          end
        end
      end
      return out
  end })
if not runs then return end   -- a shard of several (merge later) or --plan

-- Summary per (width, sparsity, method): mean and median bound and time over the networks.
local function median(xs)
  if #xs == 0 then return nil end
  table.sort(xs)
  local m = #xs // 2
  return #xs % 2 == 1 and xs[m + 1] or (xs[m] + xs[m + 1]) / 2
end
local summary = {}
for _, width in ipairs(o.widths) do
  for _, s in ipairs(o.sparsities) do
    for _, method in ipairs(methods) do
      local bounds, times, ok, n = {}, {}, 0, 0
      for _, r in ipairs(runs) do
        if r.width == width and r.sparsity == s and r.method == method then
          n = n + 1
          if r.bound then bounds[#bounds + 1] = r.bound; times[#times + 1] = r.seconds end
          if r.status == "certified" or r.status == "estimate" or r.status == "certified lower" then ok = ok + 1 end
        end
      end
      local sum, tsum = 0, 0
      for i = 1, #bounds do sum = sum + bounds[i]; tsum = tsum + times[i] end
      summary[#summary + 1] = {
        hidden = o.hidden, width = width, sparsity = s, method = method,
        kind = method == "LBS" and "lower estimate" or method == "witness" and "lower certificate" or "certificate",
        mean = #bounds > 0 and sum / #bounds or nil, median = median(bounds),
        mean_seconds = #times > 0 and tsum / #times or nil, completed = string.format("%d/%d", ok, n),
      }
    end
  end
end

local columns = {
  { key = "width", title = "width" }, { key = "sparsity", title = "s" }, { key = "method", title = "method" },
  { key = "kind", title = "kind" }, { key = "mean", title = "mean bound" }, { key = "median", title = "median" },
  { key = "mean_seconds", title = "mean s", format = "%.2f" }, { key = "completed", title = "done" },
}
print()
print(report.table(summary, columns))

local stem = string.format("%s/random-%dhidden", o.out, o.hidden)
report.csv(stem .. "-runs.csv", runs, { "hidden", "width", "sparsity", "seed", "method", "bound", "status",
  "seconds", "solver_value", "rows", "columns", "nonzeros", "build_seconds", "solve_seconds", "order", "solver" })
report.csv(stem .. "-summary.csv", summary, { "hidden", "width", "sparsity", "method", "kind", "mean", "median", "mean_seconds", "completed" })
report.json(stem .. ".json", { options = o, runs = runs, summary = summary,
  machine = { seconds = clock() - t_start } })
report.write(stem .. "-summary.md", report.markdown(summary, columns) .. "\n")

-- Plots: mean bound versus sparsity per method (one plot per width), and bound versus time.
for _, width in ipairs(o.widths) do
  local series = {}
  for _, method in ipairs(methods) do
    local pts = {}
    for _, r in ipairs(summary) do
      if r.width == width and r.method == method and r.mean then pts[#pts + 1] = { r.sparsity, r.mean } end
    end
    if #pts > 0 then series[#series + 1] = { name = method, points = pts, lower_bound = method == "LBS" or method == "witness" } end
  end
  report.svg_plot(string.format("%s-w%d-bound-vs-sparsity.svg", stem, width), {
    title = string.format("ℓ∞ bounds: %d hidden x %d wide, mean of %d nets", o.hidden, width, o.nets),
    xlabel = "band sparsity s", ylabel = "bound", series = series })
end
local tseries = {}
for _, method in ipairs(methods) do
  if method ~= "LBS" and method ~= "witness" and method ~= "UBP" then
    local pts = {}
    for _, r in ipairs(runs) do if r.method == method and r.bound then pts[#pts + 1] = { r.seconds, r.bound / (r.seconds and 1 or 1) } end end
    tseries[#tseries + 1] = { name = method, points = pts, style = "points" }
  end
end
report.svg_plot(stem .. "-bound-vs-time.svg", { title = "LiPopt bound versus time (every network)",
  xlabel = "seconds", ylabel = "certified bound", series = tseries })
print(string.format("\nwrote %s-runs.csv, -summary.csv, -summary.md, .json and SVG plots (%.1f s in all)", stem, clock() - t_start))
