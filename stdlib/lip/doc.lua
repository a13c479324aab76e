--- lip.doc: one source of documentation per function.
-- Native functions are declarations (name, typed parameters with docs, results, description)
-- whose text and parameter lists live in _lip._doc; Lua modules call
-- lip.doc.register(fn, "text" [, name [, decl]]) next to the definition. help(x) prints the
-- text; doc.write_stubs writes LuaLS annotations (---@param / ---@return) from the same data.
local native = require "_lip"
local doc = {}

local by_value = setmetatable({}, { __mode = "k" })   -- function/table -> entry
local by_name = {}                                    -- "lp.solve" -> entry

local function add(value, name, text, decl)
  local e = { name = name, text = text, params = decl and decl.params, returns = decl and decl.returns,
              method = decl and decl.method }
  if value ~= nil then by_value[value] = e end
  if name then by_name[name] = e end
  return value
end

for fn, e in pairs(native._doc or {}) do add(fn, e.name, e.text, e) end

--- doc.register(fn_or_name, text [, name [, decl]]) -> fn_or_name
-- Attaches `text` to a function (or table); `name` (e.g. "nn.load") lets help("nn.load")
-- and the editor stubs find it; `decl` = { params = {{name =, type =, doc =, optional =}},
-- returns = {{name =, type =}} } gives the stubs their types. Returns its first argument.
function doc.register(value, text, name, decl)
  if type(text) ~= "string" then error("lip.doc.register: text must be a string", 2) end
  if type(value) == "string" then return add(nil, value, text, decl) end
  return add(value, name, text, decl)
end

local function type_summary(value)
  local mt = getmetatable(value)
  local tname = type(mt) == "table" and rawget(mt, "__name") or nil
  if not tname then return nil end
  local methods = type(mt.__index) == "table" and mt.__index or {}
  local keys = {}
  for k in pairs(methods) do keys[#keys + 1] = k end
  table.sort(keys)
  local lines = { tostring(value), tname .. " methods (help(obj.method) for details):" }
  for _, k in ipairs(keys) do
    local e = by_value[methods[k]]
    lines[#lines + 1] = string.format("  :%-18s %s", k, e and (e.text:match("\n([^\n]*)") or "") or "")
  end
  return table.concat(lines, "\n")
end

--- doc.get(x) -> text or nil, name
-- The documentation of a function, a userdata (its type and methods), a table or a name
-- ("lp.solve", "lip.lp.solve", "Network:forward").
function doc.get(x)
  local e
  if type(x) == "string" then
    local key = x:gsub("^lip%.", "")
    e = by_name[key]
    if not e then
      -- a module name: load it (it registers its documentation) and look again
      local modname, field = key:match("^([%w_]+)%.?([%w_]*)$")
      local lip = require "lip"
      if modname and lip._modules[modname] then
        local ok, mod = pcall(function() return lip[modname] end)
        if ok and field == "" then return doc.describe_module(modname, mod), "lip." .. modname end
        if ok and type(mod) == "table" and mod[field] ~= nil then e = by_value[mod[field]] end
      end
    end
  elseif type(x) == "userdata" then
    local text = type_summary(x)
    if text then return text end
  elseif x ~= nil then
    e = by_value[x]
  end
  if e then return e.text, e.name end
  return nil
end

--- doc.describe_module(name, mod) -> text listing the module's documented fields.
function doc.describe_module(name, mod)
  local lines = { "lip." .. name .. ": " .. ((require "lip")._modules[name] or "") }
  local keys = {}
  if type(mod) == "table" then for k in pairs(mod) do if type(k) == "string" then keys[#keys + 1] = k end end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local e = by_value[mod[k]]
    local first = e and (e.text:match("\n([^\n]*)") or e.text:match("^[^\n]*")) or type(mod[k])
    lines[#lines + 1] = string.format("  %-20s %s", k, first)
  end
  return table.concat(lines, "\n")
end

--- doc.entries() -> sorted list of { name, text, params, returns } (for editor stubs).
function doc.entries()
  local list = {}
  for name, e in pairs(by_name) do
    list[#list + 1] = { name = name, text = e.text, params = e.params, returns = e.returns, method = e.method }
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

--- help([x]): prints the documentation of x (a function, a module table, a value such as a
-- network, or a name); without argument, lists the modules of lip.
function doc.help(...)
  if select("#", ...) == 0 then
    local lip = require "lip"
    print("lip modules (help(lip.name) or help(\"name\") for details):")
    for _, k in ipairs(lip.module_names()) do
      print(string.format("  lip.%-10s %s", k, lip._modules[k]))
    end
    print("  lip.lipschitz      the one-call path: lip.lipschitz{network = net, ...}")
    return
  end
  local x = ...
  if x == nil then
    print("help: the value is nil. In scripts, load the library first (local lip = require \"lip\"; it is also the " ..
          "global lip), then help(lip.nn.random), help(net), help(\"hierarchy.krivine\").")
    return
  end
  local text = doc.get(x)
  if not text and type(x) == "table" then
    local lip = require "lip"
    if x == lip then return doc.help() end
    for k in pairs(lip._modules) do
      if rawget(lip, k) == x then text = doc.describe_module(k, x) end
    end
  end
  print(text or ("no documentation for " .. tostring(x) .. " (a " .. type(x) .. ")"))
end

local function stub_type(t)
  if t == nil or t == "" then return "any" end
  return (t:gsub('"', "'"))
end

--- doc.write_stubs(path): writes LuaLS annotations (---@meta) of every documented name, with
-- ---@param and ---@return from the declarations (options tables as inline table types).
function doc.write_stubs(path)
  local f = assert(io.open(path, "w"))
  f:write("---@meta\n-- Generated by lip.doc.write_stubs (scripts/tools/stubs.lua) from the declarations.\n\n")
  f:write("---@class lip\nlip = {}\n\n")
  local classes, modules = {}, {}
  for _, e in ipairs(doc.entries()) do
    local cls = e.name:match("^([%u][%w_]*):")
    if cls and not classes[cls] then classes[cls] = true; f:write("---@class lip.", cls, "\nlip.", cls, " = {}\n\n") end
    local mod = not cls and e.name:gsub("^lip%.", ""):match("^([%w_]+)%.")
    if mod and not modules[mod] then modules[mod] = true; f:write("lip.", mod, " = {}\n") end
  end
  f:write("\n")
  for _, e in ipairs(doc.entries()) do
    for line in e.text:gmatch("[^\n]+") do f:write("--- ", line, "\n") end
    local params = e.params
    local names = {}
    if params then
      for _, p in ipairs(params) do
        if not (e.method and p.name == "self") then
          local ty = stub_type(p.type)
          if p.fields then
            local parts = {}
            for _, fld in ipairs(p.fields) do
              parts[#parts + 1] = fld.name .. (fld.required and "" or "?") .. ": " .. stub_type(fld.type)
            end
            ty = "{" .. table.concat(parts, ", ") .. "}"
          end
          local text = (p.doc or ""):gsub("\n", " ")
          f:write("---@param ", p.name, p.optional and "?" or "", " ", ty, text ~= "" and (" " .. text) or "", "\n")
          names[#names + 1] = p.name
        end
      end
    else
      local sig = e.text:match("^[^\n]*%(([^)]*)%)")
      if sig then
        for arg in sig:gmatch("[%w_%.]+") do
          if arg ~= "" and not arg:find("%.") then
            f:write("---@param ", arg, sig:find("%[[^%]]*" .. arg) and "?" or "", " any\n")
            names[#names + 1] = arg
          end
        end
      elseif e.text:match("^[^\n]*{") then
        f:write("---@param options table\n"); names[1] = "options"
      end
    end
    for _, r in ipairs(e.returns or {}) do f:write("---@return ", stub_type(r.type), " ", r.name, "\n") end
    if not e.returns then
      local ret = e.text:match("^[^\n]*%->%s*([^\n]+)")
      if ret then f:write("---@return any ", (ret:gsub("%s+$", "")), "\n") end
    end
    local cls, meth = e.name:match("^([%u][%w_]*):([%w_]+)$")
    if cls then
      f:write("function lip.", cls, ":", meth, "(", table.concat(names, ", "), ") end\n\n")
    elseif not e.name:find("%.__") then
      local fname = e.name:gsub("^lip%.", "")
      f:write("function lip.", fname, "(", table.concat(names, ", "), ") end\n\n")
    end
  end
  f:close()
end


doc.register(doc.register, [==[
lip.doc.register(fn_or_name, text [, name [, decl]]) -> fn_or_name
Attaches documentation to a function or table; name makes help("name") find it; decl gives
the editor stubs parameter and result types ({params = {{name =, type =, optional =}}, returns = ...}).]==], "doc.register")
doc.register(doc.get, "lip.doc.get(x) -> text, name\nThe documentation of a function, value (its type and methods), table or name.", "doc.get")
doc.register(doc.help, "lip.doc.help([x])\nPrints the documentation of x (also the global help(x)); without argument, the modules.", "doc.help")
doc.register(doc.entries, "lip.doc.entries() -> {{name, text, params, returns}, ...}\nEvery documented name, sorted.", "doc.entries")
doc.register(doc.describe_module, "lip.doc.describe_module(name, mod) -> text\nThe documented fields of a module, one line each.", "doc.describe_module")
doc.register(doc.write_stubs, "lip.doc.write_stubs(path)\nWrites LuaLS annotations (---@param, ---@return) of every documented name (scripts/tools/stubs.lua).", "doc.write_stubs")

return doc
