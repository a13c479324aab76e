-- A user sparsity pattern in one file: the by_input pattern written in Lua from the problem's
-- structure, registered as "my_by_input". For each input i: its dual variables and every
-- derivative variable reachable from it.
local lip = require "lip"
return lip.sparsity.define {
  name = "my_by_input",
  summary = "by_input, written in Lua",
  sets = function(problem)
    local st = problem:structure()
    local out = {}
    for i, duals in ipairs(st.duals) do
      local set = {}
      for _, v in ipairs(duals) do set[#set + 1] = v end
      for _, v in ipairs(st.input_reach[i]) do set[#set + 1] = v end
      if #duals > 0 then out[#out + 1] = set end
    end
    return out
  end,
}
