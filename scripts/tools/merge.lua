-- Merges the shard files of sweeps (lip.shard) into the outputs a one-process run writes.
--
--   liplua scripts/tools/merge.lua DIR            every sweep under DIR/shards
--   liplua scripts/tools/merge.lua DIR NAME ...   only the named sweeps (e.g. random-1hidden)
--
-- DIR is the --out folder the shards wrote to (DIR/shards/<sweep>/shard-i-of-n.jsonl); the
-- shards folder or one sweep's folder are accepted too. For each sweep the script recorded in
-- its shard files runs with --merge --out DIR: it reads the options the shards ran with,
-- checks that every row is there exactly once (missing rows are listed with the shard that
-- owns them; duplicates, corrupt lines and rows of other options are refused) and writes its
-- CSV, JSON, Markdown and plots. Exit 0 only when every sweep merged.
local shard = require("lip").shard

if arg[1] == nil or arg[1] == "-h" or arg[1] == "--help" then
  print("usage: liplua scripts/tools/merge.lua DIR [SWEEP ...]\n"
    .. "Merges DIR/shards/<sweep>/shard-i-of-n.jsonl into the sweep's outputs in DIR.")
  os.exit(arg[1] == nil and 2 or 0)
end

local function exists(path)
  local fh = io.open(path, "rb")
  if fh then fh:close() return true end
  return false
end

local dir = arg[1]:gsub("/+$", "")
local out, only = dir, {}
for k = 2, #arg do only[arg[k]] = true end
-- Accept DIR/shards and DIR/shards/<sweep> too.
if #shard._list_dir(dir .. "/shards") == 0 then
  local parent, base = dir:match("^(.*)/([^/]+)$")
  if base == "shards" then
    out = parent
  elseif parent and parent:match("/shards$") or parent == "shards" then
    out = parent:gsub("/?shards$", "")
    if out == "" then out = "." end
    only[base] = true
  end
end

local ok, sets = pcall(shard.sets, out)
if not ok then
  io.stderr:write("merge: ", tostring(shard.is_error(sets) or sets), "\n")
  os.exit(1)
end
local chosen = {}
for _, s in ipairs(sets) do
  if next(only) == nil or only[s.name] then chosen[#chosen + 1] = s end
end
for name in pairs(only) do
  local found = false
  for _, s in ipairs(sets) do found = found or s.name == name end
  if not found then io.stderr:write("merge: no sweep '", name, "' under ", out, "/shards\n"); os.exit(1) end
end
if #chosen == 0 then
  io.stderr:write("merge: no shard files under ", out, "/shards (expected ", out,
    "/shards/<sweep>/shard-i-of-n.jsonl, written by a script run with --out ", out, ")\n")
  os.exit(1)
end

for _, s in ipairs(chosen) do
  local script = s.header.script
  if type(script) ~= "string" or not exists(script) then
    io.stderr:write(string.format("merge: sweep '%s' was written by %s, which is not readable from here; "
      .. "run it from the same folder (the repository root), or run that script with --merge --out %s\n",
      s.name, tostring(script), out))
    os.exit(1)
  end
  print(string.format("== %s: %s --merge --merge_set %s --out %s", s.name, script, s.name, out))
  local chunk, err = loadfile(script)
  if not chunk then io.stderr:write("merge: ", err, "\n"); os.exit(1) end
  local saved = arg
  arg = { [0] = script, "--merge", "--merge_set", s.name, "--out", out }
  chunk(table.unpack(arg))
  arg = saved
end
