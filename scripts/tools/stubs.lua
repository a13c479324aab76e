-- Regenerates the editor stubs stdlib/_meta/lip.lua (for the Lua language server) from the
-- same documentation text help() prints:   liplua scripts/tools/stubs.lua
local lip = require "lip"
for _, m in ipairs(lip.module_names()) do pcall(function() return lip[m] end) end
local out = (arg and arg[1]) or "stdlib/_meta/lip.lua"
require("lip.doc").write_stubs(out)
print("wrote " .. out)
