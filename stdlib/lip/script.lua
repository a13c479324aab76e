--- lip.script: command-line options for shareable experiment scripts.
--   local opts = lip.script.options(arg, {
--     usage = "liplua scripts/paper/random.lua [options]",
--     { "widths", "list", {20, 40}, "hidden widths" },
--     { "budget", "number", 60, "seconds per LiPopt run" },
--     { "paper", "flag", false, "the paper-sized grid" },
--   })
-- Options are written --name value or --name=value; lists are comma separated; --help prints
-- the usage and exits 0; an unknown option or a bad value prints the usage and exits 2.
local doc = require "lip.doc"
local script = {}

--- script.dir([level]) -> the directory of the calling script (or of the function `level`
-- frames up), so a script finds its files wherever it is run from.
function script.dir(level)
  local src = debug.getinfo((level or 1) + 1, "S").source
  local path = src:match("^@(.*)$") or "."
  return path:match("^(.*)/[^/]*$") or "."
end
doc.register(script.dir, [==[
lip.script.dir() -> directory
The directory of the calling script: build paths of files that travel with the script from
it (script.dir() .. "/../../models/x.safetensors"), so the script runs from any directory.]==], "script.dir")

local function parse_value(kind, text, name)
  if kind == "number" then
    local v = tonumber(text)
    if not v then return nil, "--" .. name .. " needs a number, got '" .. text .. "'" end
    return v
  elseif kind == "integer" then
    local v = math.tointeger(tonumber(text))
    if not v then return nil, "--" .. name .. " needs an integer, got '" .. text .. "'" end
    return v
  elseif kind == "list" or kind == "strings" then
    local out = {}
    for item in text:gmatch("[^,]+") do
      if kind == "list" then
        local v = tonumber(item)
        if not v then return nil, "--" .. name .. " needs comma-separated numbers, got '" .. text .. "'" end
        out[#out + 1] = v
      else
        out[#out + 1] = item
      end
    end
    return out
  end
  return text
end

local function show(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = tostring(x) end
    return table.concat(parts, ",")
  end
  return tostring(v)
end

function script.usage(spec)
  local lines = { "usage: " .. (spec.usage or "liplua script.lua [options]") }
  if spec.description then lines[#lines + 1] = spec.description end
  lines[#lines + 1] = "options:"
  for _, o in ipairs(spec) do
    local name, kind, default, help = o[1], o[2], o[3], o[4]
    local left = "  --" .. name .. (kind == "flag" and "" or (" " .. kind:upper()))
    lines[#lines + 1] = string.format("%-28s %s%s", left, help or "",
      (kind ~= "flag" and default ~= nil) and (" (default " .. show(default) .. ")") or "")
  end
  lines[#lines + 1] = string.format("%-28s %s", "  --define FILE", "run a Lua file first (user activations, norms, families, patterns, relaxations registered there are usable by name); repeatable")
  lines[#lines + 1] = string.format("%-28s %s", "  --help", "this text")
  return table.concat(lines, "\n")
end

function script.options(argv, spec)
  local values, kinds = {}, {}
  for _, o in ipairs(spec) do
    kinds[o[1]] = o[2]
    local d = o[3]
    if type(d) == "table" then local c = {}; for i, x in ipairs(d) do c[i] = x end; d = c end
    values[o[1]] = d
  end
  local function fail(msg)
    io.stderr:write(msg, "\n", script.usage(spec), "\n")
    os.exit(2)
  end
  local i = 1
  argv = argv or {}
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then print(script.usage(spec)); os.exit(0) end
    if a == "--define" or a:match("^%-%-define=") then
      local file = a:match("^%-%-define=(.*)$")
      if not file then i = i + 1; file = argv[i] end
      if not file then fail("--define needs a Lua file") end
      local chunk, err = loadfile(file)
      if not chunk then fail("--define: " .. tostring(err)) end
      chunk()
      i = i + 1
      goto continue
    end
    local name, inline = a:match("^%-%-([%w_%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w_%-]+)$") end
    if not name then fail("unexpected argument '" .. a .. "'") end
    name = name:gsub("%-", "_")
    local kind = kinds[name]
    if not kind then fail("unknown option --" .. name) end
    if kind == "flag" then
      values[name] = true
    else
      local text = inline
      if text == nil then i = i + 1; text = argv[i] end
      if text == nil then fail("--" .. name .. " needs a value") end
      local v, err = parse_value(kind, text, name)
      if v == nil then fail(err) end
      values[name] = v
    end
    i = i + 1
    ::continue::
  end
  return values
end
doc.register(script.options, [==[
lip.script.options(arg, spec) -> values
Parses a script's command line: spec is a list of {name, kind, default, help} with kind
"number", "integer", "string", "list" (comma-separated numbers), "strings" or "flag", plus
optional usage and description fields. --help prints the usage and exits 0; unknown options
and bad values print the usage on stderr and exit 2. --define FILE (repeatable) runs a Lua
file first, so user activations, norms, families, patterns and relaxations it registers are
usable by name in the other options (e.g. --families by_input,my_family).]==], "script.options")

--- script.mkdir(path): creates a folder (and parents) if missing.
function script.mkdir(path)
  local ok = os.execute("mkdir -p '" .. path:gsub("'", "'\\''") .. "'")
  if not ok then error("cannot create folder " .. path, 2) end
  return path
end
doc.register(script.mkdir, "lip.script.mkdir(path)\nCreates a folder and its parents if missing.", "script.mkdir")

--- script.clock() -> seconds (wall clock, sub-second resolution when available).
function script.clock()
  local native = require "_lip"
  if native.clock then return native.clock() end
  return os.time()
end


doc.register(script.clock, "lip.script.clock() -> seconds\nMonotonic wall-clock seconds (for timing).", "script.clock")
doc.register(script.usage, "lip.script.usage(spec) -> text\nThe usage text of a script's option spec.", "script.usage")

return script
