--- lip.relaxation: the registry of relaxations of max p (the seam every certified bound goes
-- through). A relaxation is a Lua table { name, summary, options = spec, solve = function(problem,
-- options) -> result }, registered by name; the built-ins register themselves the same way
-- (lip.hierarchy registers "lp", the Krivine LP; further modules register theirs), so
-- lip.lipschitz{relaxation = name} and the paper scripts find user relaxations by name too.
--
-- Every result has the shared shape: relaxation, method, status, certified (the theorem:
-- max p <= certified; nil when nothing could be proved, printed "uncertified"), solver_value
-- (the solver's number, an estimate), correction (certified - solver_value), sizes (and flat
-- rows/columns/nonzeros or order), seconds with build_seconds/solve_seconds/certify_seconds,
-- solver, message, and the relaxation's own details.
local doc = require "lip.doc"
local options = require "lip.options"
local relaxation = {}

local registry, order = {}, {}

--- relaxation.define{ name =, summary =, options = spec, solve = function(problem, options) } -> name
function relaxation.define(spec)
  if type(spec) ~= "table" then error("lip.relaxation.define: table expected, got " .. type(spec), 2) end
  options.split("lip.relaxation.define", spec, { options.spec {
    { "name", "string" }, { "summary", "string" }, { "options", "table" }, { "solve", "function" },
    { "best", "boolean" } } }, 2)
  if type(spec.name) ~= "string" or spec.name == "" then error("lip.relaxation.define: needs name = \"...\"", 2) end
  if type(spec.solve) ~= "function" then error("lip.relaxation.define: relaxation '" .. spec.name .. "' needs solve = function(problem, options)", 2) end
  if registry[spec.name] == nil then order[#order + 1] = spec.name end
  registry[spec.name] = { name = spec.name, summary = spec.summary or "", options = spec.options or {},
                          solve = spec.solve, best = spec.best ~= false }
  return spec.name
end
doc.register(relaxation.define, [==[
lip.relaxation.define{ name = , summary = , options = spec, solve = function(problem, options) -> result,
                       best = true } -> name
Registers a relaxation by name (replacing a previous one of the same name). options is its
option list (lip.options.spec{...} or fields of natives via lip.options.of); solve receives
the checked options. best = false keeps it out of relaxation = "best". The result should have
the shared shape (see help(lip.relaxation)).]==], "relaxation.define")

--- relaxation.get(name) -> entry
function relaxation.get(name)
  local r = registry[name]
  if not r then
    local near = options.closest(tostring(name), order)
    error("unknown relaxation '" .. tostring(name) .. "'" .. (near and ("; did you mean '" .. near .. "'?") or "") ..
          "; registered: " .. table.concat(order, ", ") .. "; define your own with lip.relaxation.define{...}", 2)
  end
  return r
end
doc.register(relaxation.get, [==[
lip.relaxation.get(name) -> { name, summary, options, solve }
A registered relaxation ("lp": the Krivine LP; "sdp" when the SDP module is loaded).]==], "relaxation.get")

--- relaxation.names() -> names in registration order
function relaxation.names()
  local out = {}
  for i, n in ipairs(order) do out[i] = n end
  return out
end
doc.register(relaxation.names, "lip.relaxation.names() -> {names}\nThe registered relaxations.", "relaxation.names")

--- relaxation.solve(name, problem, options) -> result (options checked against its spec)
function relaxation.solve(name, problem, opts)
  local r = relaxation.get(name)
  local slices = options.split("lip.relaxation.solve(" .. name .. ")", opts, { r.options }, 2)
  return r.solve(problem, slices[1])
end
doc.register(relaxation.solve, [==[
lip.relaxation.solve(name, problem, options) -> result
Runs a registered relaxation with options checked against its list.]==], "relaxation.solve")

-- The built-in relaxations register themselves when their modules load (they require this
-- module, so it is published first).
package.loaded["lip.relaxation"] = relaxation
require "lip.hierarchy"
if (require "_lip").sdp then require "lip.sdp" end   -- registers "sdp"

return relaxation
