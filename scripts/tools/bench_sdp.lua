-- Timings of the relaxation "sdp" through the Lua path (lip.lipschitz), one case per process
-- so that the peak memory printed is that case's:
--
--   liplua scripts/tools/bench_sdp.lua [model] [solver] [radius|global] [image]
--   liplua scripts/tools/bench_sdp.lua models/fashion-mnist-500-relu-dense.safetensors dsdp global
--   liplua scripts/tools/bench_sdp.lua models/fashion-mnist-500-relu-dense.safetensors lowrank 0.1 1
--
-- Prints one line of key=value pairs: certified bound, solver value, order, seconds (wall and
-- CPU), peak RSS, the machine's load. Use a release build (swift build -c release).
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
