-- LiPopt's published product family ("by_input") written in Lua as a hierarchy variant,
-- registered as "by_input_lua". It reproduces the built-in family's LP and bound: for each
-- input v and each (k-1)-subset S of the derivative variables reachable from v, every sign
-- choice over {t_v} ∪ S; then, on the graph joining derivative variables reachable from a
-- common input (visited in first-seen order), for each vertex u every sign choice over
-- {u} ∪ S with S a (k-1)-subset of its not yet visited neighbours. Lua describes the sets;
-- Swift expands their sign choices (so this is fine for small and medium networks).
local lip = require "lip"

local function subsets(items, r, emit)
  local n, idx = #items, {}
  if r > n then return end
  if r == 0 then emit({}) return end
  for i = 1, r do idx[i] = i end
  while true do
    local s = {}
    for i = 1, r do s[i] = items[idx[i]] end
    emit(s)
    local i = r
    while i >= 1 and idx[i] == n - r + i do i = i - 1 end
    if i < 1 then return end
    idx[i] = idx[i] + 1
    for j = i + 1, r do idx[j] = idx[j - 1] + 1 end
  end
end

return lip.hierarchy.define_family {
  name = "by_input_lua",
  summary = "the published LiPopt family, in Lua",
  build = function(problem, k, _)
    local st = problem:structure()
    local index = {}
    for i, name in ipairs(problem:variables()) do index[name] = i end
    local function by_index(a, b) return index[a] < index[b] end
    local sign_sets = {}
    local order, seen, adjacent = {}, {}, {}
    for v, duals in ipairs(st.duals) do
      local reach = {}
      for _, s in ipairs(st.input_reach[v]) do reach[#reach + 1] = s end
      table.sort(reach, by_index)
      subsets(reach, k - 1, function(S)
        for _, t in ipairs(duals) do
          local set = { t }
          for _, s in ipairs(S) do set[#set + 1] = s end
          sign_sets[#sign_sets + 1] = set
        end
      end)
      if #reach >= 2 then
        for _, a in ipairs(reach) do if not seen[a] then seen[a] = true; order[#order + 1] = a end end
        for _, a in ipairs(reach) do
          adjacent[a] = adjacent[a] or {}
          for _, b in ipairs(reach) do if a ~= b then adjacent[a][b] = true end end
        end
      end
    end
    local removed = {}
    for _, u in ipairs(order) do
      local nb = {}
      for b in pairs(adjacent[u] or {}) do if not removed[b] then nb[#nb + 1] = b end end
      table.sort(nb, by_index)
      subsets(nb, k - 1, function(S)
        local set = { u }
        for _, s in ipairs(S) do set[#set + 1] = s end
        sign_sets[#sign_sets + 1] = set
      end)
      removed[u] = true
    end
    return { sign_sets = sign_sets }
  end,
}
