-- Timings of the relaxation "sdp" through the Lua path (lip.lipschitz), one case per process
-- so that the peak memory printed is that case's:
--
--   liplua scripts/tools/bench_sdp.lua [model] [solver] [radius|global] [image]
--   liplua scripts/tools/bench_sdp.lua models/fashion-mnist-500-relu-dense.safetensors dsdp global
--   liplua scripts/tools/bench_sdp.lua models/fashion-mnist-500-relu-dense.safetensors lowrank 0.1 1
--
-- Prints one line of key=value pairs: certified bound, solver value, order, seconds (wall and
-- CPU), peak RSS, the machine's load. Use a release build (swift build -c release).
--
-- Measured 2026-12-02 (release build, 2 cores shared with other builds, load 1.5–5.5; CPU is
-- the process's, wall is inflated by the load), trained dense nets of models/, logit 1, ℓ∞,
-- boxes around test image 1 clipped to [0, 1]:
--   784-500  global   order 1,285  dsdp     358.585518 (rel. corr. 9e-10)  404 it.   CPU 110–117 s  147 MB
--   784-500  global   order 1,285  lowrank  358.585608 (rel. corr. 3e-7)   162 sw.   CPU 2.6 s      119 MB
--   784-500  r = 0.1  order 1,215  dsdp     331.872479                              CPU 117 s      144 MB
--   784-500  r = 0.1  order 1,215  lowrank  331.872576                              CPU 2.1 s      111 MB
--   784-500  r = 10   as global (every neuron unstable); r = 0.01: order 866, lowrank 232.7355 in 0.7 s CPU
--   784-1024 global   order 1,809  lowrank  488.371868 (rel. corr. 1.4e-7)          CPU 10.8 s     234 MB
--   784-1024 r = 0.1  order 1,621  lowrank  447.153989; dsdp stopped at its 500-iteration cap
--                                           (certified 9015, a theorem but above UBP 3564)
-- UBP 2513.9 (784-500), 3563.7 (784-1024); LBS (200 samples in [-5, 5]^784) 262.0 and 338.9.
local lip = require "lip"
local model = arg[1] or lip.script.dir() .. "/../../models/fashion-mnist-500-relu-dense.safetensors"
local solver = arg[2] or "auto"
local radius = arg[3] or "global"
local image = math.tointeger(tonumber(arg[4] or "1"))
local net = lip.nn.load(model, { activation = "relu", output = 1 })
local opts = { network = net, relaxation = "sdp", sdp_solver = solver, samples = 200, quiet = true }
if radius ~= "global" then
  local data = lip.data.idx(lip.script.dir() .. "/../../models/fashion-mnist-t10k-first16-images-idx3-ubyte")
  opts.input_box = { center = lip.data.image(data, image), radius = tonumber(radius) }
  opts.domain = { 0, 1 }
end
local load = (io.open("/proc/loadavg") or { read = function() return "?" end, close = function() end })
local la = load:read("l") or "?"; if load.close then load:close() end
local c0, t0 = os.clock(), lip.script.clock()
local r = lip.lipschitz(opts)
local s = r.results.sdp
print(string.format("model=%s solver=%s box=%s order=%s iterations=%s constraints=%s free=%s status=%s certified=%s solver_value=%.9g " ..
  "rel_correction=%s ubp=%.6g lbs=%.6g solve_s=%.2f certify_s=%.2f total_s=%.2f cpu_s=%.1f peak_rss_mb=%.0f load=%s",
  (model:match("([^/]+)$") or model), s.solver or solver, radius, tostring(s.order), tostring(s.iterations), tostring(s.constraints), tostring(s.free),
  s.status, s.certified and string.format("%.9g", s.certified) or "none", s.solver_value or 0 / 0,
  s.correction and string.format("%.2e", s.correction / math.abs(s.solver_value)) or "none", r.ubp, r.lbs,
  s.solve_seconds or 0, s.certify_seconds or 0, lip.script.clock() - t0, os.clock() - c0, (s.peak_memory or 0) / 1e6,
  la:gsub(" ", "/")))
