-- liplua's benchmarks, end to end through the Lua API (release build: scripts/tools/bench).
--   liplua scripts/tools/bench.lua [--only poly,hierarchy,mnist,lp] [--seeds 10] [--out DIR]
-- Sections:
--   poly       build the norm-gradient polynomial: (80,80,1) s=20, dense (80,80,1),
--              784-300-100-10 with 5% of the weights kept at random (docs/METHOD.md §2; goal < 1 s)
--   hierarchy  LiPopt on random ELU networks, seeds 0..N-1, medians: (80,80,1) s=10 and s=20
--              at k=3, (40,40,1) s=21 at k=4, families by_input and path
--   mnist      (784,300,100,1), 5% of weights kept, blank 2-pixel border, k=3, path family
--   lp         a 100,000-column, 1,000,000-nonzero LP built in Lua and solved by GLPK
--   cg         LiPopt-k by column generation (by_input, warm-started GLPK) beside full LPs, each
--              run in its own process: (20,20,10,1) dense with biases and (40,40,1) s=21 at
--              k=3 and 4, (80,80,1) s=20 k=3 also cold, as a full LP with GLPK and with Clp
--              (barrier; "failed" when the clp program is missing)
local lip = require "lip"
local native = require "_lip"
local report = lip.report
local clock = lip.script.clock

local o = lip.script.options(arg, {
  usage = "liplua scripts/tools/bench.lua [options]",
  { "only", "strings", { "poly", "hierarchy", "mnist", "lp" }, "sections to run (also: cg)" },
  { "seeds", "integer", 10, "random networks per hierarchy configuration" },
  { "families", "strings", { "by_input", "path" }, "families for the hierarchy section" },
  { "budget", "number", 600, "LP time limit per run, seconds" },
  { "out", "string", "results/bench", "output folder (CSV/JSON)" },
  { "cg_case", "string", "", "internal: run one column-generation case (network:k:how) and print its row" },
  { "k4_by_input", "flag", false, "also run by_input on (40,40,1) s=21 k=4 (a 78,426 x 1,048,882 LP: about 100 s per interior-point iteration here)" },
})
local function mb(bytes) return bytes / 2 ^ 20 end
if o.cg_case ~= "" then
  -- One run of the cg section, in a process of its own.
  local name, k, how = o.cg_case:match("^(%w+):(%d+):([%w_]+)$")
  k = tonumber(k)
  local nets = {
    dense = { "(20,20,10,1) dense, bias", function() return lip.nn.random { sizes = { 20, 20, 10, 1 }, bias = true, seed = 0 } end },
    s21 = { "(40,40,1) s=21", function() return lip.nn.random { sizes = { 40, 40, 1 }, sparsity = 21, seed = 0 } end },
    s20 = { "(80,80,1) s=20", function() return lip.nn.random { sizes = { 80, 80, 1 }, sparsity = 20, seed = 0 } end },
  }
  local problem = lip.lipschitz_problem { network = nets[name][2]() }
  local t, c = clock(), os.clock()
  local opts = { degree = k, time_limit = o.budget, quiet = true }
  if how == "cg" or how == "cg_cold" then
    opts.column_generation = true
    if how == "cg_cold" then opts.warm_start = false end
  elseif how == "clp" then
    opts.solver = "clp"; opts.method = "interior"
  else
    opts.solver = how
  end
  local ok, r = pcall(lip.hierarchy.krivine, problem, opts)
  local seconds, cpu = clock() - t, os.clock() - c
  if not ok then print("CGROW " .. string.format("{ network = %q, k = %d, how = %q, status = %q }", nets[name][1], k, how, tostring(r):sub(1, 60))); os.exit(0) end
  local solve, pricing = 0, 0
  for _, rd in ipairs(r.rounds or {}) do solve = solve + (rd.solve_seconds or 0); pricing = pricing + (rd.pricing_seconds or 0) end
  local row = { network = nets[name][1], k = k, how = how == "cg" and "column generation" or how == "cg_cold" and "column generation (cold)" or ("full LP (" .. how .. ")"),
                bound = r.certified, status = r.status, converged = r.converged ~= nil and tostring(r.converged) or "",
                rounds = r.rounds and #r.rounds or nil, used = r.columns, priced = r.columns_priced,
                seconds = seconds, cpu = cpu, solve = r.rounds and solve or r.solve_seconds, pricing = r.rounds and pricing or nil,
                peak_rss_mb = mb(native.peak_rss()) }
  local parts = {}
  for key, v in pairs(row) do parts[#parts + 1] = string.format("%s = %s", key, type(v) == "string" and string.format("%q", v) or string.format("%.17g", v)) end
  table.sort(parts)
  print("CGROW { " .. table.concat(parts, ", ") .. " }")
  os.exit(0)
end
lip.script.mkdir(o.out)
local want = {}
for _, s in ipairs(o.only) do want[s] = true end
local function median(xs)
  local c = {}
  for i, x in ipairs(xs) do c[i] = x end
  table.sort(c)
  local n = #c
  if n == 0 then return nil end
  return n % 2 == 1 and c[(n + 1) // 2] or (c[n // 2] + c[n // 2 + 1]) / 2
end
local all = {}

print(string.format("liplua benchmarks (%s)", native.version and native.version():match("^[^\n]*") or "liplua"))

if want.poly then
  print("\n== norm-gradient polynomial (build p from the network; best of 3)")
  local cases = {
    { "(80,80,1) s=20", function() return lip.nn.random { sizes = { 80, 80, 1 }, sparsity = 20, seed = 0 } end },
    { "(80,80,1) dense", function() return lip.nn.random { sizes = { 80, 80, 1 }, seed = 0 } end },
    { "784-300-100-10, 5% kept", function()
        return lip.nn.random { sizes = { 784, 300, 100, 10 }, activation = "relu", seed = 0 }:pruned(0.05, 0)
      end },
  }
  local rows = {}
  for _, c in ipairs(cases) do
    local net = c[2]()
    local best, info = math.huge, nil
    for _ = 1, 3 do
      local t = clock()
      local problem = lip.lipschitz_problem { network = net }
      best = math.min(best, clock() - t)
      info = problem:info()
    end
    rows[#rows + 1] = { network = c[1], terms = info.terms, variables = info.variables, seconds = best,
                        peak_rss_mb = mb(native.peak_rss()) }
  end
  print(report.table(rows, { "network", "terms", "variables", { key = "seconds", format = "%.4f" },
                             { key = "peak_rss_mb", title = "peak RSS MB", format = "%.0f" } }))
  all.poly = rows
end

if want.hierarchy then
  print(string.format("\n== LiPopt on random ELU networks (seeds 0..%d, medians)", o.seeds - 1))
  local configs = { { 80, 10, 3 }, { 80, 20, 3 }, { 40, 21, 4 } }
  local rows = {}
  for _, cfg in ipairs(configs) do
    local width, s, k = cfg[1], cfg[2], cfg[3]
    for _, fam in ipairs(o.families) do
      if k == 4 and fam == "by_input" and not o.k4_by_input then goto next_family end
      do
      local b, build, solve, total, r0 = {}, {}, {}, {}, nil
      local ubp, statuses = {}, {}
      for seed = 0, o.seeds - 1 do
        local net = lip.nn.random { sizes = { width, width, 1 }, sparsity = s, activation = "elu", seed = seed }
        local t = clock()
        local problem = lip.lipschitz_problem { network = net }
        local r = lip.hierarchy.krivine(problem, { degree = k, products = fam, time_limit = o.budget, quiet = true })
        local wall = clock() - t
        b[#b + 1] = r.certified or 0 / 0
        build[#build + 1] = r.build_seconds
        solve[#solve + 1] = r.solve_seconds
        total[#total + 1] = wall
        ubp[#ubp + 1] = lip.bounds.product(net, "linf")
        statuses[r.status] = (statuses[r.status] or 0) + 1
        r0 = r0 or r
      end
      local st = {}
      for key, v in pairs(statuses) do st[#st + 1] = key .. " " .. v end
      rows[#rows + 1] = {
        network = string.format("(%d,%d,1) s=%d", width, width, s), k = k, family = fam,
        bound = median(b), ubp = median(ubp), rows = r0.rows, columns = r0.columns, nonzeros = r0.nonzeros,
        build = median(build), solve = median(solve), total = median(total), status = table.concat(st, ", "),
      }
      print(report.table({ rows[#rows] }, { "network", "k", "family", "bound", "ubp", "rows", "columns", "nonzeros",
        { key = "build", format = "%.3f" }, { key = "solve", format = "%.2f" }, { key = "total", format = "%.2f" }, "status" }))
      end
      ::next_family::
    end
  end
  print("\nsummary (medians over seeds; rows/columns/nonzeros of seed 0; seconds wall clock):")
  print(report.table(rows, { "network", "k", "family", "bound", "ubp", "rows", "columns", "nonzeros",
    { key = "build", format = "%.3f" }, { key = "solve", format = "%.2f" }, { key = "total", format = "%.2f" }, "status" }))
  all.hierarchy = rows
end

if want.mnist then
  print("\n== (784,300,100,1), 5% of weights kept at random, blank 2-pixel border, LiPopt-3 path")
  local net = lip.nn.random { sizes = { 784, 300, 100, 1 }, activation = "relu", seed = 0 }:pruned(0.05, 0)
  -- Blank border: zero the first-layer columns of pixels within 2 of the image edge.
  local W1 = net:layer(1)
  local Ws, bs = { W1.weights }, {}
  for i = 1, 784 do
    local r, c = (i - 1) // 28, (i - 1) % 28
    if r < 2 or r > 25 or c < 2 or c > 25 then for j = 1, 300 do Ws[1][j][i] = 0 end end
  end
  Ws[2], Ws[3] = net:layer(2).weights, net:layer(3).weights
  net = lip.nn.from_weights(Ws, nil, { activation = "relu" })
  local t = clock()
  local problem = lip.lipschitz_problem { network = net }
  local pt = clock() - t
  local info = problem:info()
  local r = lip.hierarchy.krivine(problem, { degree = 3, products = "path", time_limit = o.budget })
  local row = { terms = info.terms, variables = info.variables, poly_seconds = pt, status = r.status,
                certified = r.certified, ubp = lip.bounds.product(net, "linf"), rows = r.rows, columns = r.columns, nonzeros = r.nonzeros,
                build = r.build_seconds, solve = r.solve_seconds, total = clock() - t, peak_rss_mb = mb(native.peak_rss()) }
  print(report.table({ row }, { "terms", "variables", "status", "certified", "ubp", "rows", "columns", "nonzeros",
    { key = "build", format = "%.2f" }, { key = "solve", format = "%.1f" }, { key = "total", format = "%.1f" },
    { key = "peak_rss_mb", title = "peak RSS MB", format = "%.0f" } }))
  all.mnist = row
end

if want.lp then
  print("\n== a 100,000-column, 1,000,000-nonzero LP built in Lua, solved by GLPK")
  local n, m, k = 100000, 10000, 10
  local seed = 42
  local function rand()
    seed = (seed * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (seed >> 11) / 4503599627370496.0
  end
  local t0 = clock()
  local ia, ja, ar, rowsum, obj = {}, {}, {}, {}, {}
  for i = 1, m do rowsum[i] = 0 end
  local nz = 0
  for j = 1, n do
    obj[j] = 0.5 + rand()
    local start = (j * m) // n      -- banded: column j touches rows near j·m/n
    for q = 1, k do
      local i = (start + q * 7) % m + 1
      local v = 0.1 + rand()
      nz = nz + 1
      ia[nz], ja[nz], ar[nz] = i, j, v
      rowsum[i] = rowsum[i] + v
    end
  end
  local upper = {}
  for i = 1, m do upper[i] = 0.25 * rowsum[i] end
  local built = clock() - t0
  local r = lip.lp.solve { sense = "max", objective = obj, ia = ia, ja = ja, ar = ar, num_rows = m,
                           row_upper = upper, columns = { upper = 1 }, time_limit = o.budget }
  local row = { columns = n, rows = m, nonzeros = nz, lua_build = built, read = r.read_seconds,
                solve = r.seconds, status = r.status, objective = r.objective, method = r.method }
  print(report.table({ row }, { "columns", "rows", "nonzeros", { key = "lua_build", format = "%.2f" },
    { key = "read", title = "Lua->LP", format = "%.2f" }, { key = "solve", format = "%.2f" }, "status", "objective", "method" }))
  all.lp = row
end

if want.cg then
  -- Each run in its own liplua process (peak RSS is per process): this script re-runs itself
  -- with --cg_case. The figures of Sources/LipCore/Hierarchy/README.md come from here.
  print("\n== LiPopt-k by column generation (warm-started GLPK), beside full LPs (seed 0)")
  local runs = {
    { "dense", 3, "cg" }, { "dense", 4, "cg" },
    { "s21", 3, "cg" }, { "s21", 4, "cg" },
    { "s20", 3, "cg" }, { "s20", 3, "cg_cold" }, { "s20", 3, "glpk" }, { "s20", 3, "clp" },
  }
  local rows = {}
  local exe = arg[-1] or "liplua"
  for _, run in ipairs(runs) do
    local cmd = string.format("%q %q --cg_case %s:%d:%s --budget %g 2>&1", exe, arg[0], run[1], run[2], run[3], o.budget)
    local t = clock()
    local h = io.popen(cmd)
    local out = h:read("a")
    h:close()
    local line = out:match("CGROW (.-)\n")
    if line then
      local row = load("return " .. line)()
      row.wall = clock() - t
      rows[#rows + 1] = row
      print(report.table({ row }, { "network", "k", "how", "bound", "status", "rounds", "used", "priced",
        { key = "seconds", format = "%.1f" }, { key = "cpu", format = "%.1f" }, { key = "solve", format = "%.1f" },
        { key = "pricing", format = "%.1f" }, { key = "peak_rss_mb", title = "peak RSS MB", format = "%.0f" } }))
    else
      print(run[1], run[2], run[3], "failed:\n" .. out)
    end
  end
  print("\nsummary (seconds: wall clock of the solve; cpu: process CPU seconds; 2 cores shared):")
  print(report.table(rows, { "network", "k", "how", "bound", "status", "converged", "rounds", "used", "priced",
    { key = "seconds", format = "%.1f" }, { key = "cpu", format = "%.1f" }, { key = "solve", format = "%.1f" },
    { key = "pricing", format = "%.1f" }, { key = "peak_rss_mb", title = "peak RSS MB", format = "%.0f" } }))
  all.cg = rows
end

report.json(o.out .. "/bench.json", all)
print("\nwrote " .. o.out .. "/bench.json")
