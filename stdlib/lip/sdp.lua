--- lip.sdp: semidefinite programs and the Shor relaxation of the Lipschitz problem.
-- The functions are the native ones (documented with their declarations: help(lip.sdp.solve),
-- help(lip.sdp.shor)); this module also registers the relaxation "sdp" with lip.relaxation,
-- so lip.lipschitz{network = net, relaxation = "sdp"} and relaxation = "best" (lp and sdp, the
-- smaller certificate wins) work by name.
local native = require "_lip"
local doc = require "lip.doc"
local options = require "lip.options"
local sdp = {}

local nsdp = native.sdp or error("this host has no native sdp module", 2)

sdp.solve = nsdp.solve
sdp.shor = nsdp.shor
sdp.solvers = nsdp.solvers

--- The options of lip.sdp.shor (declared by the native).
sdp.shor_options = options.of(nsdp.shor, 2)

-- The relaxation's options: those of shor under names that do not collide with other
-- relaxations' and lip.lipschitz's own (the LP's `solver` is an LP solver, lip.lipschitz's
-- `seed` is the LBS seed), so relaxation = "best" can pass one table to every relaxation.
local renamed = { solver = "sdp_solver", rank = "sdp_rank", seed = "sdp_seed", verbosity = "sdp_verbosity" }
local dropped = { estimate_only = true }
sdp.relaxation_options = {}
for _, f in ipairs(sdp.shor_options) do
  if not dropped[f.name] then
    local g = {}
    for k, v in pairs(f) do g[k] = v end
    g.name = renamed[f.name] or f.name
    sdp.relaxation_options[#sdp.relaxation_options + 1] = g
  end
end
local original = {}
for from, to in pairs(renamed) do original[to] = from end

local NAME = "lip.sdp.relaxation"

--- sdp.relaxation(problem, options) -> result: the relaxation "sdp" (lip.sdp.shor with the
-- relaxation's option names).
function sdp.relaxation(problem, opts)
  local s = options.split(NAME, opts, { sdp.relaxation_options }, 2)[1]
  local o = {}
  for k, v in pairs(s) do o[original[k] or k] = v end
  if o.progress == nil and not o.quiet and native.isatty and native.isatty(2) then o.progress = true end
  return options.call(NAME, 2, nsdp.shor, problem, o)
end
doc.register(sdp.relaxation, [==[
lip.sdp.relaxation(problem, options) -> result
The relaxation "sdp": the Shor SDP of max p (help(lip.sdp.shor)), solved and certified. Its
options are those of lip.sdp.shor with solver, rank, seed, verbosity renamed sdp_solver,
sdp_rank, sdp_seed, sdp_verbosity (so that they do not collide with the LP's solver and the
LBS seed of lip.lipschitz): sdp_solver = "auto" | "dsdp" | "lowrank", formulation = "auto" |
"maxcut" | "chained", time_limit, tolerance, max_iterations, max_memory, progress, quiet.
With relaxation = "best", lip.lipschitz runs lp and sdp, each with the same time_limit, and
reports both in results and the smaller certificate as upper.]==], "sdp.relaxation")

doc.register(sdp, [==[
lip.sdp: semidefinite programs and the Shor relaxation (the relaxation "sdp").
  lip.sdp.solve{ blocks =, cost =, constraints =, ... } or { maxcut = Q }: a general block SDP,
      solved by a registered solver and certified (help(lip.sdp.solve)).
  lip.sdp.shor(problem, options): the Shor SDP of a lip.lipschitz_problem (help(lip.sdp.shor)).
  lip.sdp.solvers(): "lowrank", "auto", and "dsdp" in liplua.
  lip.lipschitz{ network = net, relaxation = "sdp" | "best", sdp_solver =, formulation = }.
Every bound called certified is a theorem: the solver's dual is checked by a Cholesky
factorisation with a rigorous rounding-error bound (Rump 2006), rounded upward; when the proof
fails the status is "uncertified" and certified is nil.]==], "sdp")

require("lip.relaxation").define {
  name = "sdp",
  summary = "the Shor SDP relaxation (MAXCUT form for one hidden layer, chained above; DSDP or low rank), certified by a verified Cholesky",
  options = sdp.relaxation_options,
  solve = sdp.relaxation,
}

return sdp
