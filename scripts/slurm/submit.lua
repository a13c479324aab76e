-- Writes and submits a Slurm job array for a liplua sweep script, plus its merge job.
-- Usually run through scripts/slurm/submit (which finds the liplua binary):
--
--   scripts/slurm/submit [options] -- SCRIPT [script options]
--
-- It asks the script for its plan (SCRIPT --plan: the items and their time/size estimates),
-- writes <out>/slurm/<sweep>-array.sbatch (from array.sbatch.in) and submits it, then writes
-- and submits <out>/slurm/<sweep>-merge.sbatch with --dependency=afterok on the array. It
-- prints the job ids, and a last line "array_job=ID merge_job=ID" for scripts.
local shard = require("lip").shard
local script = require("lip").script

-- Split our options from the sweep's command at "--".
local ours, cmd = {}, nil
for k = 1, #arg do
  if cmd then cmd[#cmd + 1] = arg[k]
  elseif arg[k] == "--" then cmd = {}
  else ours[#ours + 1] = arg[k] end
end
ours[0] = arg[0]
local spec = {
  usage = "scripts/slurm/submit [options] -- SCRIPT [script options]",
  description = "Writes and submits a Slurm job array (one task per shard) and a merge job for a liplua sweep script.",
  { "tasks", "integer", 0, "array tasks (default: one per item, at most --max_tasks)" },
  { "max_tasks", "integer", 100, "the largest array the default picks" },
  { "parallel", "integer", 0, "at most this many tasks at once (%N in --array; 0: no limit)" },
  { "time", "number", 0, "minutes per task (default: the plan's estimate for the largest slice, x1.25, + 5)" },
  { "max_time", "number", 7 * 24 * 60, "cap of the default time, minutes" },
  { "mem", "integer", 0, "MB per task (default: 2.5 x the plan's largest LP estimate + 512, at least 1024)" },
  { "merge_time", "number", 30, "minutes for the merge job" },
  { "merge_mem", "integer", 2048, "MB for the merge job" },
  { "signal", "integer", 120, "seconds before the time limit at which Slurm sends SIGINT (rows are kept, exit 130)" },
  { "sbatch", "strings", {}, "extra #SBATCH lines' options, comma separated (e.g. --partition=short,--account=me)" },
  { "liplua", "string", "", "the liplua binary the jobs run (default: this one)" },
  { "fresh", "flag", false, "remove the sweep's shard files before submitting (recompute everything)" },
  { "no_merge", "flag", false, "submit the array only" },
  { "dry_run", "flag", false, "write the job files and print the sbatch commands; submit nothing" },
}
local o = script.options(ours, spec)
local function fail(msg, code) io.stderr:write("submit: ", msg, "\n"); os.exit(code or 2) end
if not cmd or #cmd == 0 then fail("no script: scripts/slurm/submit [options] -- SCRIPT [script options]\n" .. script.usage(spec)) end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  local pwd = os.getenv("PWD")
  if not pwd or pwd == "" then
    local p = io.popen("pwd"); pwd = p:read("l"); p:close()
  end
  if path == "." or path == "" then return pwd end
  return pwd .. "/" .. path:gsub("^%./", "")
end

-- The liplua binary: --liplua, else the interpreter running us (arg's lowest index).
local liplua = o.liplua
if liplua == "" then
  local lowest = 0
  while arg[lowest - 1] do lowest = lowest - 1 end
  liplua = arg[lowest]
end
if not liplua:find("/") then
  local p = io.popen("command -v " .. q(liplua)); liplua = p:read("l") or liplua; p:close()
end
liplua = abs(liplua)
local workdir = abs(".")

for _, a in ipairs(cmd) do
  if a == "--shard" or a:match("^%-%-shard=") or a == "--merge" or a == "--plan" then
    fail("leave " .. a .. " out of the script's options: every task gets its own shard")
  end
  if a == "--fresh" then fail("pass --fresh before '--' (submit removes the shard files once, before the array starts)") end
end

-- The plan.
local command = {}
for k, a in ipairs(cmd) do command[k] = q(a) end
local plan_cmd = q(liplua) .. " " .. table.concat(command, " ") .. " --plan"
local p = io.popen(plan_cmd .. " 2>&1")
local text = p:read("a")
local _, _, code = p:close()
local plan
for line in text:gmatch("[^\n]+") do
  if line:find('^{"') and line:find('"liplua_plan"') then plan = shard.decode(line) end
end
if code ~= 0 or not plan then
  fail("'" .. plan_cmd .. "' failed (exit " .. tostring(code) .. "):\n" .. text, 1)
end
local items = plan.items
local tasks = o.tasks > 0 and o.tasks or math.min(items, o.max_tasks)
if tasks > items then fail(string.format("--tasks %d: the sweep has only %d items (a task would have no work)", tasks, items)) end
if tasks < 1 then fail("--tasks must be at least 1") end

-- Time and memory per task from the plan.
local worst = 0
for i = 1, tasks do
  local s = 0
  for _, k in ipairs(shard.slice(items, i, tasks)) do s = s + (plan.estimates[k].seconds or 60) end
  worst = math.max(worst, s)
end
local minutes = o.time > 0 and o.time or math.min(o.max_time, math.ceil(worst * 1.25 / 60) + 5)
local mem = o.mem > 0 and o.mem or math.max(1024, math.ceil(2.5 * (plan.memory_bytes or 0) / 2 ^ 20) + 512)
local function slurm_time(m)
  local s = math.ceil(m * 60)
  return string.format("%d-%02d:%02d:%02d", s // 86400, s % 86400 // 3600, s % 3600 // 60, s % 60)
end
local signal = math.min(o.signal, math.max(10, math.floor(minutes * 60 / 4)))

local out = abs(plan.out)
local logs = out .. "/slurm"
assert(os.execute("mkdir -p " .. q(logs)), "cannot create " .. logs)
if o.fresh then
  local set_dir = abs(plan.set_dir)
  for _, f in ipairs(shard._list_dir(set_dir)) do
    if f:match("^shard%-%d+%-of%-%d+%.jsonl$") then assert(os.remove(set_dir .. "/" .. f)) end
  end
end

local here = arg[0]:match("^(.*)/[^/]+$") or "."
local function fill(template, values)
  local fh = assert(io.open(here .. "/" .. template, "r"))
  local t = fh:read("a")
  fh:close()
  return (t:gsub("{{([%u_]+)}}", function(k)
    if values[k] == nil then error("template " .. template .. ": no value for {{" .. k .. "}}") end
    return tostring(values[k])
  end))
end
local extra = {}
for _, s in ipairs(o.sbatch) do extra[#extra + 1] = "#SBATCH " .. s end
local values = {
  NAME = plan.name, TASKS = tasks, THROTTLE = o.parallel > 0 and ("%" .. o.parallel) or "",
  TIME = slurm_time(minutes), MEM = mem, SIGNAL = signal, WORKDIR = workdir, LOGS = logs,
  EXTRA = table.concat(extra, "\n"), LIPLUA = q(liplua), COMMAND = table.concat(command, " "),
  SET_DIR = abs(plan.set_dir), OUT = q(plan.out), MERGE_TIME = slurm_time(o.merge_time), MERGE_MEM = o.merge_mem,
  SIZE_NOTE = string.format("%d items in %d tasks; largest slice estimated at %.0f s (upper bound from the budgets), largest LP %.0f MB",
    items, tasks, worst, (plan.memory_bytes or 0) / 2 ^ 20),
}
local array_file = logs .. "/" .. plan.name .. "-array.sbatch"
shard.write_atomic(array_file, fill("array.sbatch.in", values))
print(string.format("%s: %d items in %d tasks, %s and %d MB per task (estimate: %.0f s for the largest slice)",
  plan.name, items, tasks, values.TIME, mem, worst))

local function sbatch(args)
  local c = "sbatch --parsable " .. args
  if o.dry_run then print("  would run: " .. c); return "DRYRUN" end
  local ph = io.popen(c .. " 2>&1")
  local r = ph:read("a")
  local _, _, rc = ph:close()
  local id = r:match("^(%d+)")
  if rc ~= 0 or not id then fail("'" .. c .. "' failed: " .. r, 1) end
  return id
end
local array_id = sbatch(q(array_file))
print(string.format("submitted array job %s (%s, tasks 1-%d); logs in %s", array_id, array_file, tasks, logs))
local merge_id = "none"
if not o.no_merge then
  values.ARRAY_JOB = array_id
  local merge_file = logs .. "/" .. plan.name .. "-merge.sbatch"
  shard.write_atomic(merge_file, fill("merge.sbatch.in", values))
  merge_id = sbatch("--dependency=afterok:" .. array_id .. " --kill-on-invalid-dep=yes " .. q(merge_file))
  print(string.format("submitted merge job %s (%s), runs when every task of %s succeeded", merge_id, merge_file, array_id))
end
print(string.format("array_job=%s merge_job=%s", array_id, merge_id))
