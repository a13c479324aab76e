--- lip.options: option lists declared once and checked once.
--
-- A spec is a list of fields { name =, type =, doc =, default =, required = }. Native functions
-- declare theirs in Swift; `options.of(fn, i)` reads the fields of argument i of a native
-- function from its declaration, so a Lua function that forwards options to natives composes
-- their lists instead of copying them. `options.split` checks a caller's table against
-- several specs at once (unknown keys are an error with a "did you mean" hint) and returns the
-- slice each step needs.
local native = require "_lip"
local options = {}

--- options.of(fn, i) -> spec: the declared option fields of argument i of a native function.
function options.of(fn, i)
  local d = native._doc and native._doc[fn]
  local p = d and d.params and d.params[i]
  if not (p and p.fields) then
    error("lip.options.of: argument " .. tostring(i) .. " of " .. tostring(d and d.name or fn) .. " declares no options", 2)
  end
  return p.fields
end

--- options.spec{ {name, type, doc, default}, ... } -> spec: a Lua-side option list.
function options.spec(list)
  local out = {}
  for i, f in ipairs(list) do
    out[i] = { name = f[1] or f.name, type = f[2] or f.type, doc = f[3] or f.doc or "",
               default = f[4] or f.default, required = f.required }
  end
  return out
end

--- options.union(spec1, spec2, ...) -> spec: the fields of all (a name listed twice once).
function options.union(...)
  local out, seen = {}, {}
  for _, s in ipairs { ... } do
    for _, f in ipairs(s) do
      if not seen[f.name] then seen[f.name] = true; out[#out + 1] = f end
    end
  end
  return out
end

--- options.without(spec, {names}) -> spec without those fields.
function options.without(spec, names)
  local drop = {}
  for _, n in ipairs(names) do drop[n] = true end
  local out = {}
  for _, f in ipairs(spec) do if not drop[f.name] then out[#out + 1] = f end end
  return out
end

--- options.names(spec) -> sorted list of names.
function options.names(spec)
  local out = {}
  for _, f in ipairs(spec) do out[#out + 1] = f.name end
  table.sort(out)
  return out
end

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:sub(i, i) == b:sub(j, j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

--- options.closest(word, names) -> the name within edit distance 2, or nil.
function options.closest(word, names)
  local best, bd = nil, 3
  for _, n in ipairs(names) do
    local d = distance(word, n)
    if d < bd then best, bd = n, d end
  end
  return best
end

--- options.split(fname, given, specs [, level]) -> slices, all
-- Checks `given` (nil = {}) against the union of the specs: keys must be strings naming a
-- field (else an error at the caller's caller, with a hint). Returns one table per spec with
-- the given keys of that spec, and `all` (a shallow copy of given).
function options.split(fname, given, specs, level)
  level = (level or 2) + 1
  given = given == nil and {} or given
  if type(given) ~= "table" then
    error(fname .. ": options table expected, got " .. type(given), level)
  end
  local owner = {}
  for k, s in ipairs(specs) do
    for _, f in ipairs(s) do owner[f.name] = owner[f.name] or {}; table.insert(owner[f.name], k) end
  end
  local all, names = {}, {}
  for n in pairs(owner) do names[#names + 1] = n end
  table.sort(names)
  for key in pairs(given) do
    if type(key) ~= "string" then
      error(fname .. ": option keys must be names, got " .. type(key) .. " " .. tostring(key) ..
            "; allowed: " .. table.concat(names, ", "), level)
    end
    if not owner[key] then
      local near = options.closest(key, names)
      error(fname .. ": unknown option '" .. key .. "'" .. (near and ("; did you mean '" .. near .. "'?") or ";") ..
            " allowed: " .. table.concat(names, ", "), level)
    end
  end
  local slices = {}
  for k = 1, #specs do slices[k] = {} end
  for key, v in pairs(given) do
    all[key] = v
    for _, k in ipairs(owner[key]) do slices[k][key] = v end
  end
  return slices, all
end

--- options.call(fname, level, fn, ...) -> results of fn(...)
-- Calls a native on behalf of a Lua API function and re-raises its error at the user's line,
-- named after the API function ("lip.hierarchy.krivine: option 'degree': ...") instead of the
-- native's internal name and stdlib position. Interrupts pass through unchanged.
function options.call(fname, level, fn, ...)
  local r = table.pack(pcall(fn, ...))
  if r[1] then return table.unpack(r, 2, r.n) end
  local msg = r[2]
  if type(msg) ~= "string" then error(msg, 0) end
  if msg:find("interrupted!", 1, true) then error(msg, 0) end
  -- Only errors positioned inside the stdlib are re-raised; a user callback's error keeps its
  -- own position.
  local body, n = msg:gsub("^[^\n:]-lip/[%w_]+%.lua:%d+: ", "", 1)
  if n == 0 then error(msg, 0) end
  local detail = body:match("^bad argument #%d+ to '[^']*' %((.*)%)$")
  error(fname .. ": " .. (detail or body), level + 1)
end


do
  local doc = require "lip.doc"
  doc.register(options.of, "lip.options.of(fn, i) -> spec\nThe declared option fields of argument i of a native function.", "options.of")
  doc.register(options.spec, "lip.options.spec{ {name, type, doc, default}, ... } -> spec\nA Lua-side option list.", "options.spec")
  doc.register(options.union, "lip.options.union(spec1, spec2, ...) -> spec\nThe fields of all specs (a name once).", "options.union")
  doc.register(options.without, "lip.options.without(spec, names) -> spec\nThe spec without the named fields.", "options.without")
  doc.register(options.names, "lip.options.names(spec) -> names\nThe sorted field names.", "options.names")
  doc.register(options.closest, "lip.options.closest(word, names) -> name or nil\nThe name within edit distance 2 (for \"did you mean\").", "options.closest")
  doc.register(options.split, [==[
lip.options.split(fname, given, specs [, level]) -> slices, all
Checks an options table against several specs (unknown keys are an error naming fname, with a
"did you mean" hint) and returns the slice of each spec and a copy of all given options.]==], "options.split")
  doc.register(options.call, [==[
lip.options.call(fname, level, fn, ...) -> results
Calls a native for a Lua API function and re-raises its errors at the user's line, named after
fname; errors of user callbacks keep their own position; interrupts pass through.]==], "options.call")
end

return options
