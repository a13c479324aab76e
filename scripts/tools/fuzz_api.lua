-- A seeded fuzzer of the Lua API surface: calls every documented lip.* function and method
-- with generated arguments (good values, bad values, NaN/±inf, huge and negative integers,
-- wrong types, malformed tables, callbacks that fail or return garbage) and checks that every
-- call either returns or raises a Lua error with a message. A crash, an abort or a hang ends
-- the process: run it from a harness that checks the exit status (scripts/tools/fuzz).
--   liplua scripts/tools/fuzz_api.lua [--calls N] [--seed S] [--dir DIR]
-- Run in a scratch directory: string arguments are names inside --dir only.
local lip = require "lip"
local o = lip.script.options(arg, {
  usage = "liplua scripts/tools/fuzz_api.lua [options]",
  { "calls", "integer", 20000, "calls to make" },
  { "seed", "integer", 1, "random seed (same seed, same calls)" },
  { "dir", "string", os.getenv("TMPDIR") or "/tmp", "scratch directory for any file a call writes" },
  { "verbose", "flag", false, "print every call" },
})

math.randomseed(o.seed)
local R = math.random
local nan, inf = 0 / 0, math.huge
local dir = o.dir:gsub("/$", "")

-- Values worth trying: good ones of each kind, and the classics that broke things.
local nets = {
  lip.nn.random { sizes = { 2, 3, 1 }, seed = 1 },
  lip.nn.random { sizes = { 3, 4, 2, 2 }, sparsity = 2, activation = "relu", bias = true, seed = 2 },
  lip.nn.random { sizes = { 1, 2, 1 }, activation = "tanh", seed = 3 },
}
local problems = {
  lip.lipschitz_problem { network = nets[1] },
  lip.lipschitz_problem { network = nets[2], norm = "l1", input_box = { center = { 0, 0, 0 }, radius = 0.5 } },
  lip.lipschitz_problem { network = nets[3], norm = "l2" },
}
local x1, x2 = lip.poly.variables { "x", "y" }
local polys = { x1, x1 * x2 + 1, x1 ^ 2 }
local acts = { lip.act.relu, lip.act.elu, lip.act.leaky_relu(-2) }
local lp_small = { objective = { 1, 1 }, rows = { { coef = { 1, 1 }, lower = 1 } } }
local built_lp = lip.hierarchy.apply(problems[1], { degree = 2, products = "path" })

local strings = { "", "relu", "elu", "linf", "l1", "l2", "path", "by_input", "multilinear", "dense", "chordal",
  "leaky_relu(0.1)", "leaky_relu(nan)", "elu(1e308)", "nope", "mps", "lp", "auto", "interior", "primal",
  "\0", string.rep("a", 5000), "t1", "s1_1", "x", dir .. "/f.mps", dir .. "/n.safetensors", dir .. "/n.json",
  dir .. "/x.csv", dir .. "/missing.npz", dir .. "/sub/dir" }
local numbers = { 0, 1, -1, 2, 3, 0.5, -0.5, 1e-300, 1e300, nan, inf, -inf, 2 ^ 31, 2 ^ 53, -(2 ^ 40),
  math.maxinteger, math.mininteger, 12, 13, 64, 100 }

local function rnd(t) return t[R(#t)] end

local gen
local function gen_table(depth)
  local kind = R(6)
  if kind == 1 then return {} end
  if kind == 2 then local t = {}; for i = 1, R(4) do t[i] = gen(depth + 1) end; return t end
  if kind == 3 then local t = {}; for i = 1, R(5) do t[i] = rnd(numbers) end; return t end
  if kind == 4 then local t = {}; for i = 1, R(3) do t[rnd(strings)] = gen(depth + 1) end; return t end
  if kind == 5 then return { lower = { 0, 0 }, upper = { 1, rnd(numbers) } } end
  return { { 1, 2 }, { rnd(numbers), 4 } }
end

function gen(depth)
  depth = depth or 0
  local k = R(depth > 2 and 4 or 11)
  if k == 1 then return nil end
  if k == 2 then return rnd(numbers) end
  if k == 3 then return rnd(strings) end
  if k == 4 then return R(2) == 1 end
  if k == 5 then return gen_table(depth) end
  if k == 6 then return rnd(nets) end
  if k == 7 then return rnd(problems) end
  if k == 8 then return rnd(polys) end
  if k == 9 then return rnd(acts) end
  if k == 10 then return function(...) local r = R(4); if r == 1 then error("callback fails") elseif r == 2 then return nan end return ... end end
  return R(2) == 1 and lp_small or built_lp
end

-- Options tables built from a function's declared fields: right names with random values,
-- plus sometimes a misspelt key.
local doc = require "lip.doc"
local function gen_options(fields)
  local t = {}
  for _, f in ipairs(fields or {}) do
    if R(3) == 1 then
      local ty = f.type or ""
      if ty:find("integer") and R(2) == 1 then t[f.name] = rnd(numbers)
      elseif ty:find("number") and R(2) == 1 then t[f.name] = rnd(numbers)
      elseif ty:find("string") and R(2) == 1 then t[f.name] = rnd(strings)
      elseif ty:find("boolean") and R(2) == 1 then t[f.name] = R(2) == 1
      else t[f.name] = gen(1) end
    end
  end
  if R(8) == 1 then t.degre = 3 end
  return t
end

-- Every documented function (natives with their declarations, Lua functions by name).
local targets = {}
for _, e in ipairs(doc.entries()) do
  local fname = e.name:gsub("^lip%.", "")
  local skip = fname:match("^test%.") or fname:match("^repl%.") or fname:match("%.__") or fname:match("^doc%.")
    or fname == "script.options" or fname == "script.mkdir"
  if not skip then targets[#targets + 1] = e end
end
table.sort(targets, function(a, b) return a.name < b.name end)

local function resolve(e)
  local cls, meth = e.name:match("^([%u][%w_]*):([%w_]+)$")
  if cls then return cls, meth end
  local f = lip
  for part in e.name:gsub("^lip%.", ""):gmatch("[^%.]+") do
    if type(f) ~= "table" then return nil end
    local ok, v = pcall(function() return f[part] end)
    if not ok then return nil end
    f = v
  end
  return f
end

local instances = { Network = nets, LipschitzProblem = problems, Polynomial = polys, Activation = acts,
                    Norm = { lip.norm.linf, lip.norm.l1 }, LinearProgram = { built_lp } }

local stats = { calls = 0, ok = 0, errors = 0, bad_errors = 0 }
for i = 1, o.calls do
  local e = targets[R(#targets)]
  local fn, meth = resolve(e)
  local args = {}
  local nparams = e.params and #e.params or R(3)
  for k = 1, nparams + (R(10) == 1 and 1 or 0) do
    local p = e.params and e.params[k]
    if p and p.fields and R(4) ~= 1 then args[k] = gen_options(p.fields) else args[k] = gen(0) end
  end
  local call
  if type(fn) == "string" then
    local pool = instances[fn]
    if pool then
      local obj = R(6) == 1 and gen(0) or rnd(pool)
      call = function() local f = obj[meth]; return f(obj, table.unpack(args, 2, nparams)) end
    end
  elseif type(fn) == "function" then
    call = function() return fn(table.unpack(args, 1, nparams)) end
  end
  if call then
    stats.calls = stats.calls + 1
    if o.verbose then io.stderr:write(i, " ", e.name, "\n") end
    local ok, err = pcall(call)
    if ok then
      stats.ok = stats.ok + 1
    else
      stats.errors = stats.errors + 1
      if type(err) ~= "string" or #err == 0 then
        stats.bad_errors = stats.bad_errors + 1
        io.stderr:write("error without a message from ", e.name, ": ", tostring(err), "\n")
      end
    end
  end
  if i % 64 == 0 then collectgarbage("step") end
end
print(string.format("fuzz_api: seed %d, %d functions, %d calls: %d returned, %d raised an error (%d without a message)",
  o.seed, #targets, stats.calls, stats.ok, stats.errors, stats.bad_errors))
os.exit(stats.bad_errors == 0 and 0 or 1)
