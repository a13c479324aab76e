--- lip: the Lua interface of liplua (certified Lipschitz bounds of neural networks).
-- A lazy umbrella: `lip.nn`, `lip.act`, ... load stdlib/lip/<name>.lua on first access, so
-- `require "lip"` costs nothing and a script pays only for the modules it uses.
local lip = {}

--- The submodules `lip.<name>` loads on demand, with a one-line description (shown by help()).
lip._modules = {
  nn        = "networks: load, build, evaluate",
  act       = "activation functions, built-in and user-defined",
  norm      = "norms and their duals",
  poly      = "polynomials (the norm-gradient polynomial)",
  sparsity  = "sparsity patterns of the hierarchy",
  hierarchy = "the LiPopt / Krivine LP hierarchy",
  bounds    = "cheap bounds: product of norms, sampled gradients",
  witness   = "lower bounds that are proofs: certified witnesses, their search, exact values",
  report    = "tables, CSV, JSON of results",
  data      = "data sets",
  lp        = "linear programs: lip.lp.solve{...}",
  sdp       = "semidefinite programs: lip.sdp.solve{...}, the Shor relaxation (relaxation \"sdp\")",
  doc       = "documentation: help(x), lip.doc.register",
  test      = "the spec runner: describe / it / expect",
  repl      = "the interactive loop and value printer",
  script    = "command-line options and helpers for experiment scripts",
  relaxation = "the registry of relaxations (lp, sdp, ...) and their shared result",
  options   = "option lists declared once, composed and checked",
  shard     = "sharded, resumable sweeps: --shard i/n, Slurm arrays, merging",
  certify   = "certified robustness of test images from local Lipschitz bounds",
}

setmetatable(lip, {
  __index = function(t, name)
    if name == "lipschitz" then
      -- the one-call path, loaded on first use (help(lip.lipschitz))
      local f = require("lip.lipschitz").lipschitz
      rawset(t, "lipschitz", f)
      return f
    end
    if type(name) ~= "string" or not lip._modules[name] then
      error("lip has no field '" .. tostring(name) .. "' (modules: " ..
            table.concat(lip.module_names(), ", ") .. ")", 2)
    end
    local path, why = package.searchpath("lip." .. name, package.path)
    if not path then
      error("module lip." .. name .. " is not available: no file lip/" .. name ..
            ".lua on package.path (" .. tostring(why):gsub("\n\t", " "):sub(1, 200) .. ")", 2)
    end
    local ok, mod = pcall(require, "lip." .. name)
    if not ok then error("loading lip." .. name .. " failed: " .. tostring(mod), 2) end
    rawset(t, name, mod)
    return mod
  end,
})

--- The problem builder lives at the top level; lip.lipschitz (the one-call path) loads on
-- first use.
lip.lipschitz_problem = (require "_lip").lipschitz_problem

--- Sorted names of the submodules.
function lip.module_names()
  local names = {}
  for k in pairs(lip._modules) do names[#names + 1] = k end
  table.sort(names)
  return names
end

--- Version information: liplua, Lua, and the registered LP solvers.
function lip.version()
  local native = require "_lip"
  local info = { lua = _VERSION }
  if native.version then info.liplua = native.version() end
  if native.lp and native.lp.solvers then info.solvers = native.lp.solvers() end
  return info
end

return lip
