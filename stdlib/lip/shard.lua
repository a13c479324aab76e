--- lip.shard: sharded, resumable sweeps for experiment scripts (one machine or a Slurm array).
--
--   local o = lip.shard.parse(arg, spec)          -- lip.script.options plus --shard, --merge, ...
--   local items = {}                                -- the whole sweep, in a fixed order
--   for _, w in ipairs(o.widths) do items[#items + 1] = { key = "w=" .. w, width = w } end
--   local rows = lip.shard.run(o, { name = "widths", items = items, work = function(item)
--     return { { width = item.width, bound = ... } }  -- the rows of one item
--   end })
--   if not rows then return end                    -- a shard of several: its rows are on disk
--   -- rows: every item's rows in item order, exactly as a one-process run computes them
--
-- Each item has a stable key. Shard i of n takes the items i, i+n, i+2n, ... (round robin, so
-- slices of a grid that grows in cost are balanced). Finished rows go, item by item, to
-- <out>/shards/<name>/shard-<i>-of-<n>.jsonl (JSON lines, flushed and fsync'd per item, writes
-- checked); a re-run skips items found in any shard file of the same sweep; Ctrl-C ends the
-- run with exit 130 after the finished items are on disk. `--merge` (or
-- liplua scripts/tools/merge.lua DIR) reads every shard file of the sweep and returns all
-- rows, so the script writes the same outputs as a one-process run; it refuses (exit 1) when
-- rows are missing (listing them), duplicated, corrupt, or from other options.
local shard = {}

local report = require "lip.report"

local function doc(fn, text, name)
  local ok, d = pcall(require, "lip.doc")
  if ok and type(d) == "table" and d.register then d.register(fn, text, "shard." .. name) end
end

local sfmt, concat = string.format, table.concat

-- ------------------------------------------------------------------------------------------
-- Failing: a clear message and an exit code (scripts), or an error (library use, specs).
-- ------------------------------------------------------------------------------------------

--- The error raised by shard functions: a table { shard_error = message, code = exit code }.
local ShardError = {}
ShardError.__index = ShardError
ShardError.__tostring = function(e) return e.message end

local function fail(code, fmt, ...)
  error(setmetatable({ message = sfmt(fmt, ...), code = code }, ShardError), 0)
end

--- shard.is_error(e) -> message, exit code when e is an error raised by lip.shard.
function shard.is_error(e)
  if getmetatable(e) == ShardError then return e.message, e.code end
  return nil
end

-- Script entry points (parse, run) print the message and exit with its code, unless
-- shard.raise_errors is true (the specs set it).
shard.raise_errors = false
local function guarded(f)
  return function(...)
    if shard.raise_errors then return f(...) end
    local r = table.pack(pcall(f, ...))
    if r[1] then return table.unpack(r, 2, r.n) end
    local msg, code = shard.is_error(r[2])
    if msg then
      io.stdout:flush()
      io.stderr:write(msg, "\n")
      os.exit(code)
    end
    error(r[2], 0)
  end
end

-- ------------------------------------------------------------------------------------------
-- Interrupts
-- ------------------------------------------------------------------------------------------

--- shard.is_interrupt(err) -> boolean: Ctrl-C's "interrupted!" error (from liplua's hook).
function shard.is_interrupt(err)
  return type(err) == "string" and (err == "interrupted!" or err:find("interrupted!$") ~= nil
    or err:find("^[^\n]*interrupted!\n") ~= nil)
end
doc(shard.is_interrupt, [==[
lip.shard.is_interrupt(err) -> boolean
True for the error Ctrl-C raises ("interrupted!"), also with a position prefix or traceback.]==],
  "is_interrupt")

--- shard.pcall(f, ...): pcall that lets Ctrl-C through (re-raises "interrupted!").
function shard.pcall(f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] and shard.is_interrupt(r[2]) then error(r[2], 0) end
  return table.unpack(r, 1, r.n)
end
doc(shard.pcall, [==[
lip.shard.pcall(f, ...) -> ok, ...
pcall for sweep scripts: catches errors (a refused LP, a bad configuration) like pcall, but
re-raises Ctrl-C's "interrupted!" so an interrupted run stops (exit 130) instead of recording
the interrupt as a result.]==], "pcall")

-- ------------------------------------------------------------------------------------------
-- JSON lines: rows are flat tables of strings, numbers and booleans. Non-finite numbers are
-- written as {"$float": "inf" | "-inf" | "nan"} (JSON has none); integers stay integers and
-- floats floats, so a row read back is the row that was written.
-- ------------------------------------------------------------------------------------------

local huge = math.huge
local function tag_floats(v, where)
  local t = type(v)
  if t == "number" then
    if v ~= v then return { ["$float"] = "nan" } end
    if v == huge then return { ["$float"] = "inf" } end
    if v == -huge then return { ["$float"] = "-inf" } end
    return v
  elseif t == "table" then
    local out = {}
    for k, x in pairs(v) do out[k] = tag_floats(x, where .. "." .. tostring(k)) end
    return setmetatable(out, getmetatable(v))
  elseif t == "string" or t == "boolean" then
    return v
  end
  error(sfmt("lip.shard: cannot store a %s at %s (rows hold strings, numbers and booleans)", t, where), 0)
end

local function untag_floats(v)
  if type(v) ~= "table" then return v end
  local f = v["$float"]
  if f ~= nil and next(v, next(v)) == nil then
    if f == "nan" then return 0 / 0 elseif f == "inf" then return huge elseif f == "-inf" then return -huge end
  end
  for k, x in pairs(v) do v[k] = untag_floats(x) end
  return v
end

--- shard.encode(value) -> one line of JSON (no newline).
function shard.encode(value)
  return report.json_encode(tag_floats(value, "$"))
end

doc(shard.encode, [==[
lip.shard.encode(value) -> string
One line of JSON for a row or header: sorted keys, exact numbers, non-finite numbers as
{"$float": "inf"|"-inf"|"nan"} so that lip.shard.decode gives the same value back.]==], "encode")
doc(shard.is_error, [==[
lip.shard.is_error(e) -> message, exit_code | nil
For an error raised by lip.shard (a refusal with its exit code: 2 for bad options, 1 for bad
files and failed writes).]==], "is_error")

--- shard.decode(text) -> value: strict JSON (the whole text one value); numbers with a
-- fraction or exponent are floats, others integers; raises "…at byte N" on malformed text.
function shard.decode(s)
  local pos = 1
  local function bad(msg) error(sfmt("%s at byte %d", msg, pos), 0) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local a, b = s:find('^[^"\\%c]+', pos)
      if a then out[#out + 1] = s:sub(a, b); pos = b + 1 end
      local c = s:sub(pos, pos)
      if c == '"' then pos = pos + 1; break end
      if c == "" then bad("unterminated string") end
      if c ~= "\\" then bad("control character in a string") end
      local e = s:sub(pos + 1, pos + 1)
      if escapes[e] then
        out[#out + 1] = escapes[e]; pos = pos + 2
      elseif e == "u" then
        local h = s:match("^%x%x%x%x", pos + 2)
        if not h then bad("bad \\u escape") end
        local cp = tonumber(h, 16)
        pos = pos + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local l = s:match("^\\u(%x%x%x%x)", pos)
          local lo = l and tonumber(l, 16)
          if not lo or lo < 0xDC00 or lo > 0xDFFF then bad("unpaired surrogate") end
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
          pos = pos + 6
        elseif cp >= 0xDC00 and cp <= 0xDFFF then
          bad("unpaired surrogate")
        end
        out[#out + 1] = utf8.char(cp)
      else
        bad("bad escape")
      end
    end
    return concat(out)
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return report.json_object(t) end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then bad("expected a key") end
        local k = str()
        ws()
        if s:sub(pos, pos) ~= ":" then bad("expected ':'") end
        pos = pos + 1
        if t[k] ~= nil then bad("duplicate key '" .. k .. "'") end
        t[k] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then pos = pos - 1; bad("expected ',' or '}'") end
      end
    elseif c == "[" then
      local t, n = {}, 0
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return report.json_array(t) end
      while true do
        n = n + 1
        local v = value()
        if v == nil then bad("null in an array") end
        t[n] = v
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then pos = pos - 1; bad("expected ',' or ']'") end
      end
    elseif c == '"' then
      return str()
    elseif s:find("^true", pos) then pos = pos + 4; return true
    elseif s:find("^false", pos) then pos = pos + 5; return false
    elseif s:find("^null", pos) then pos = pos + 4; return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" or not s:find("^-?0[%.eE]", pos) and s:find("^-?0%d", pos)
         or not num:find("^-?%d+%.%d+") and num:find("%.") or num:find("[eE]$") or num:find("[eE][-+]$") then
        bad("unexpected character '" .. c .. "'")
      end
      pos = pos + #num
      if num:find("[%.eE]") then return tonumber(num) + 0.0 end
      local i = math.tointeger(tonumber(num))
      return i or tonumber(num)
    end
  end
  local ok, v = pcall(function()
    local v = value()
    ws()
    if pos <= #s then bad("text after the value") end
    return v
  end)
  if not ok then error("JSON: " .. tostring(v), 0) end
  return untag_floats(v)
end
doc(shard.decode, [==[
lip.shard.decode(text) -> value
Strict JSON reader for shard files: the text must be one value; numbers with a fraction or
exponent read as floats, others as integers; {"$float": "inf"|"-inf"|"nan"} reads as that
float (lip.shard.encode writes non-finite numbers so). Malformed text raises "JSON: … at byte N".]==],
  "decode")

-- ------------------------------------------------------------------------------------------
-- Files: checked, flushed, fsync'd writes; atomic replacement.
-- ------------------------------------------------------------------------------------------

local function native_fsync(fh)
  local lip = package.loaded["_lip"]
  if type(lip) == "table" and type(lip.fsync) == "function" then return lip.fsync(fh) end
  return true
end

--- shard.append(path, line): appends one line (newline added), flushes and fsyncs; raises
-- a clear error when any step fails (a full disk, a file-size limit, a read-only folder).
function shard.append(path, line)
  local fh, err = io.open(path, "a")
  if not fh then fail(1, "cannot append to %s: %s", path, tostring(err)) end
  local ok, werr = fh:write(line, "\n")
  local fok, ferr = fh:flush()
  local sok, serr = true, nil
  if ok and fok then sok, serr = native_fsync(fh) end
  local cok, cerr = fh:close()
  local why = (not ok and werr) or (not fok and ferr) or (not sok and serr) or (not cok and cerr)
  if why then fail(1, "cannot write %s: %s (the rows before this one are kept)", path, tostring(why)) end
end

doc(shard.append, [==[
lip.shard.append(path, line)
Appends one line (a newline is added) to path, then flushes and fsyncs it; every step is
checked and a failure raises "cannot write <path>: <reason>" (exit 1 in scripts).]==], "append")

--- shard.write_atomic(path, text): writes text to a temporary file beside path, checks every
-- write, flushes, fsyncs and renames it over path. On failure path is left as it was, the
-- temporary file is removed, and an error names the file and the reason.
function shard.write_atomic(path, text)
  local ok, err = pcall(report.write, path, text)
  if not ok then fail(1, "%s", tostring(err)) end
  return path
end
doc(shard.write_atomic, [==[
lip.shard.write_atomic(path, text) -> path
Writes text to path atomically: a temporary file in the same folder, every write checked,
flushed and fsync'd, then renamed over path. A failure (full disk, `ulimit -f`, no such folder)
raises an error naming the file and leaves an earlier path untouched.]==], "write_atomic")

local function read_all(path)
  local fh = io.open(path, "rb")
  if not fh then return nil end
  local s = fh:read("a")
  fh:close()
  return s
end

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- The entries of a folder (sorted); {} when it does not exist.
local function list_dir(dir)
  local p = io.popen("ls -1 " .. shell_quote(dir) .. " 2>/dev/null")
  if not p then return {} end
  local names = {}
  for line in p:lines() do names[#names + 1] = line end
  p:close()
  table.sort(names)
  return names
end
shard._list_dir = list_dir

local function mkdir_p(dir)
  local ok = os.execute("mkdir -p " .. shell_quote(dir))
  if not ok then fail(1, "cannot create folder %s", dir) end
end

-- ------------------------------------------------------------------------------------------
-- Shard specifications
-- ------------------------------------------------------------------------------------------

--- shard.parse_spec(text) -> i, n: "i/n" with 1 <= i <= n.
function shard.parse_spec(text)
  local si, sn = tostring(text):match("^%s*(%-?%d+)%s*/%s*(%-?%d+)%s*$")
  local i, n = math.tointeger(tonumber(si or "")), math.tointeger(tonumber(sn or ""))
  if not i or not n then
    fail(2, "--shard '%s': expected i/n with whole numbers, e.g. --shard 2/4 (shard 2 of 4)", tostring(text))
  end
  if n < 1 then fail(2, "--shard %d/%d: the number of shards must be at least 1", i, n) end
  if i < 1 or i > n then fail(2, "--shard %d/%d is out of range: shards are numbered 1..%d", i, n, n) end
  return i, n
end
doc(shard.parse_spec, [==[
lip.shard.parse_spec("i/n") -> i, n
Parses a shard specification: shard i of n, 1 <= i <= n. Anything else raises an error
that names the problem (exit code 2 in scripts).]==], "parse_spec")

--- shard.from_env([getenv]) -> i, n or nil: the shard of a Slurm array task:
-- (SLURM_ARRAY_TASK_ID - MIN) / STEP + 1 of COUNT (or (MAX - MIN) / STEP + 1).
function shard.from_env(getenv)
  getenv = getenv or os.getenv
  local id = getenv("SLURM_ARRAY_TASK_ID")
  if id == nil or id == "" then return nil end
  local function int(name, default)
    local v = getenv(name)
    if v == nil or v == "" then return default end
    local x = math.tointeger(tonumber(v))
    if not x then fail(2, "%s='%s' is not a whole number", name, v) end
    return x
  end
  local tid, min, max = int("SLURM_ARRAY_TASK_ID"), int("SLURM_ARRAY_TASK_MIN"), int("SLURM_ARRAY_TASK_MAX")
  local step = int("SLURM_ARRAY_TASK_STEP", 1)
  local count = int("SLURM_ARRAY_TASK_COUNT")
  if min == nil then
    fail(2, "SLURM_ARRAY_TASK_ID=%d is set but SLURM_ARRAY_TASK_MIN is not: pass --shard i/n", tid)
  end
  if step < 1 or (tid - min) % step ~= 0 then
    fail(2, "SLURM_ARRAY_TASK_ID=%d is not on the array's grid (min %d, step %d): pass --shard i/n", tid, min, step)
  end
  local n = count or (max and (max - min) // step + 1)
  if not n then fail(2, "SLURM_ARRAY_TASK_ID=%d without SLURM_ARRAY_TASK_COUNT or _MAX: pass --shard i/n", tid) end
  if max and count and (max - min) // step + 1 ~= count then
    fail(2, "the Slurm array %d-%d:%d is not contiguous (%d tasks): submit it as --array=1-N, or pass --shard i/n",
      min, max, step, count)
  end
  local i = (tid - min) // step + 1
  if i < 1 or i > n then fail(2, "SLURM_ARRAY_TASK_ID=%d gives shard %d of %d, out of range", tid, i, n) end
  return i, n
end
doc(shard.from_env, [==[
lip.shard.from_env([getenv]) -> i, n | nil
The shard of a Slurm array task: i = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / STEP + 1 of
n = SLURM_ARRAY_TASK_COUNT (or (MAX - MIN) / STEP + 1); nil outside an array. An array that is
not contiguous is refused (submit --array=1-N).]==], "from_env")

--- shard.slice(count, i, n) -> { item indices of shard i of n }: i, i + n, i + 2n, ...
function shard.slice(count, i, n)
  local out = {}
  for k = i, count, n do out[#out + 1] = k end
  return out
end
doc(shard.slice, [==[
lip.shard.slice(count, i, n) -> { indices }
The items of shard i of n among count items: i, i + n, i + 2n, ... (round robin, so a grid
whose cost grows along the list is spread evenly). Deterministic: it depends on nothing else.]==],
  "slice")

-- ------------------------------------------------------------------------------------------
-- Options
-- ------------------------------------------------------------------------------------------

--- The options every sharded script gets (appended to its spec by shard.parse).
shard.option_spec = {
  { "shard", "string", "", "i/n: run only shard i of n (default: the Slurm array task's, else 1/1)" },
  { "merge", "flag", false, "compute nothing: merge the shard files under --out into the outputs" },
  { "merge_set", "string", "", "with --merge: which sweep under --out/shards (when it holds several)" },
  { "fresh", "flag", false, "discard this sweep's earlier rows under --out instead of resuming" },
  { "plan", "flag", false, "print the sweep's items and size estimates as JSON, compute nothing" },
}

--- Options that do not change the work (not compared between shards and runs).
shard.not_work = { out = true, shard = true, merge = true, merge_set = true, fresh = true, plan = true,
                   quiet = true }

local function work_options(o, extra)
  local w = {}
  for k, v in pairs(o) do
    if not shard.not_work[k] and not (extra and extra[k]) then w[k] = v end
  end
  return w
end

local function script_name(path)
  return (tostring(path or "?"):match("([^/]+)$") or "?")
end

local function set_dir(out, name) return out .. "/shards/" .. name end

--- Reads a shard file: header, entries (in file order), an incomplete last line, or raises.
local function read_shard_file(path)
  local text = read_all(path)
  if text == nil then fail(1, "cannot read shard file %s", path) end
  if text == "" then fail(1, "shard file %s is empty (no header): remove it and run its shard again", path) end
  local lines, incomplete = {}, nil
  local start = 1
  while start <= #text do
    local nl = text:find("\n", start, true)
    if not nl then incomplete = text:sub(start); break end
    lines[#lines + 1] = text:sub(start, nl - 1)
    start = nl + 1
  end
  if #lines == 0 then
    fail(1, "shard file %s has no complete header line: remove it and run its shard again", path)
  end
  local ok, header = pcall(shard.decode, lines[1])
  if not ok or type(header) ~= "table" or header.liplua_shard ~= 1 then
    fail(1, "shard file %s: line 1 is not a liplua shard header (%s): the file is corrupt; remove it and run its shard again",
      path, ok and "wrong fields" or header)
  end
  local entries = {}
  for ln = 2, #lines do
    local okl, e = pcall(shard.decode, lines[ln])
    if not okl then
      fail(1, "shard file %s: line %d is corrupt (%s); remove the file (or that line) and run its shard again", path, ln, e)
    end
    if type(e) ~= "table" or type(e.key) ~= "string" or math.type(e.index) ~= "integer" or type(e.rows) ~= "table" then
      fail(1, "shard file %s: line %d is not a row entry {key, index, rows}; the file is corrupt", path, ln)
    end
    e.line = ln
    entries[#entries + 1] = e
  end
  return header, entries, incomplete
end
shard._read_shard_file = read_shard_file

--- The shard files of a set folder: { { path, i, n }, ... } sorted by n then i.
local function shard_files(dir)
  local files = {}
  for _, name in ipairs(list_dir(dir)) do
    local i, n = name:match("^shard%-(%d+)%-of%-(%d+)%.jsonl$")
    if i then files[#files + 1] = { path = dir .. "/" .. name, i = tonumber(i), n = tonumber(n), name = name } end
  end
  table.sort(files, function(a, b) if a.n ~= b.n then return a.n < b.n end return a.i < b.i end)
  return files
end

--- The sweeps (set folders) under <out>/shards, each with its header: { { name, dir, header } }.
function shard.sets(out)
  local sets = {}
  for _, name in ipairs(list_dir(out .. "/shards")) do
    local dir = set_dir(out, name)
    local files = shard_files(dir)
    if #files > 0 then
      local header = read_shard_file(files[1].path)
      sets[#sets + 1] = { name = name, dir = dir, header = header, files = files }
    end
  end
  return sets
end
doc(shard.sets, [==[
lip.shard.sets(out) -> { {name, dir, header, files}, ... }
The sweeps that have shard files under out/shards (header: script, options, items, ...).]==], "sets")

local parse = guarded(function(argv, spec)
  local full = {}
  for k, v in pairs(spec) do full[k] = v end
  for _, e in ipairs(shard.option_spec) do full[#full + 1] = e end
  local script = require "lip.script"
  local o = script.options(argv, full)
  if o.shard ~= "" and not o.merge then shard.parse_spec(o.shard) end   -- refuse a bad spec at once
  if o.merge then
    -- Merge: the work options are the ones the shards ran with (from their headers).
    if not o.out or o.out == "" then fail(2, "--merge needs --out DIR (the folder the shards wrote to)") end
    local me = script_name(argv and argv[0])
    local mine = {}
    local ok, sets = pcall(shard.sets, o.out)
    if not ok then error(sets, 0) end
    for _, s in ipairs(sets) do
      if script_name(s.header.script) == me and (o.merge_set == "" or o.merge_set == s.name) then mine[#mine + 1] = s end
    end
    if #mine == 0 then
      fail(1, "--merge: no shard files of %s%s under %s/shards", me,
        o.merge_set ~= "" and (" for sweep '" .. o.merge_set .. "'") or "", o.out)
    end
    if #mine > 1 then
      local names = {}
      for k, s in ipairs(mine) do names[k] = s.name end
      fail(2, "--merge: %s/shards holds %d sweeps of %s (%s): pass --merge_set NAME, or merge them all with liplua scripts/tools/merge.lua %s",
        o.out, #mine, me, concat(names, ", "), o.out)
    end
    local recorded = mine[1].header.options
    if type(recorded) ~= "table" then fail(1, "shard header of %s has no options", mine[1].dir) end
    for k, v in pairs(recorded) do
      if not shard.not_work[k] then o[k] = v end
    end
    o.merge_set = mine[1].name
  end
  return o
end)

--- shard.parse(arg, spec) -> options
shard.parse = parse
doc(shard.parse, [==[
lip.shard.parse(arg, spec) -> options
lip.script.options(arg, spec) plus the sweep options --shard i/n, --merge, --merge_set NAME,
--fresh and --plan. With --merge the work options are those recorded in the shard files under
--out (so `script --merge --out DIR` needs no other option).]==], "parse")

-- ------------------------------------------------------------------------------------------
-- The sweep
-- ------------------------------------------------------------------------------------------

local function check_items(items, name)
  if type(items) ~= "table" then fail(1, "lip.shard.run: items must be a list") end
  local seen = {}
  for k, it in ipairs(items) do
    if type(it) ~= "table" or type(it.key) ~= "string" or it.key == "" then
      fail(1, "lip.shard.run (%s): item %d needs key = a non-empty string", name, k)
    end
    if seen[it.key] then
      fail(1, "lip.shard.run (%s): items %d and %d have the same key '%s' (keys must identify items)", name, seen[it.key], k, it.key)
    end
    seen[it.key] = k
  end
  return seen
end

local function same_options(a, b)
  return shard.encode(a) == shard.encode(b)
end

local function describe_difference(a, b)
  local keys, seen = {}, {}
  for k in pairs(a) do if not seen[k] then seen[k] = true; keys[#keys + 1] = k end end
  for k in pairs(b) do if not seen[k] then seen[k] = true; keys[#keys + 1] = k end end
  table.sort(keys)
  local diffs = {}
  for _, k in ipairs(keys) do
    local x, y = shard.encode(a[k] == nil and "(unset)" or a[k]), shard.encode(b[k] == nil and "(unset)" or b[k])
    if x ~= y then diffs[#diffs + 1] = sfmt("%s %s vs %s", k, x, y) end
    if #diffs >= 4 then break end
  end
  return concat(diffs, "; ")
end

--- Reads every shard file of the set; checks headers against the options and item keys.
-- Returns rows_by_key (key -> { rows, file, line }), problems (duplicates etc.), files.
local function collect(dir, name, options, by_key, strict, own)
  local done, files, duplicates, incomplete = {}, shard_files(dir), {}, {}
  local readable = {}
  for _, f in ipairs(files) do
    local ok, header, entries, partial = pcall(read_shard_file, f.path)
    if not ok then
      -- While working, another task's file may be mid-creation or broken: it holds no rows
      -- this run can trust, so it is skipped here (merge, which is strict, reports it).
      if strict or f.path == own then error(header, 0) end
      goto continue
    end
    readable[#readable + 1] = f
    if header.name ~= name then
      fail(1, "shard file %s belongs to sweep '%s', not '%s'", f.path, tostring(header.name), name)
    end
    if type(header.options) ~= "table" or not same_options(header.options, options) then
      fail(1, "shard file %s was written with other options (%s): use another --out, or --fresh to discard its rows",
        f.path, describe_difference(type(header.options) == "table" and header.options or {}, options))
    end
    if header.shard ~= f.i or header.shards ~= f.n then
      fail(1, "shard file %s: its header says shard %s/%s; the file is misnamed or corrupt", f.path,
        tostring(header.shard), tostring(header.shards))
    end
    if partial then incomplete[#incomplete + 1] = f end
    f.entries = #entries
    for _, e in ipairs(entries) do
      local k = by_key[e.key]
      if not k then
        fail(1, "shard file %s line %d: row '%s' is not an item of this sweep (corrupt, or written by other code)",
          f.path, e.line, e.key)
      end
      if e.index ~= k then
        fail(1, "shard file %s line %d: row '%s' says item %d, the sweep has it at %d (written by other code?)",
          f.path, e.line, e.key, e.index, k)
      end
      local prev = done[e.key]
      if prev then
        duplicates[#duplicates + 1] = sfmt("'%s' in %s line %d and %s line %d", e.key, prev.file, prev.line, f.path, e.line)
      else
        done[e.key] = { rows = e.rows, file = f.path, line = e.line }
      end
    end
    ::continue::
  end
  files = readable
  if strict and #duplicates > 0 then
    fail(1, "%d row(s) claimed by two shard files (two runs of the same shard at once?): %s%s; remove one copy",
      #duplicates, concat(duplicates, "; ", 1, math.min(#duplicates, 5)), #duplicates > 5 and "; ..." or "")
  end
  return done, files, incomplete
end

local function ordered_rows(items, done)
  local rows = {}
  for _, it in ipairs(items) do
    for _, r in ipairs(done[it.key].rows) do rows[#rows + 1] = r end
  end
  return rows
end

--- Merge: every item must have its rows exactly once.
local function merge(items, by_key, dir, name, options)
  local done, files, incomplete = collect(dir, name, options, by_key, true)
  if #files == 0 then fail(1, "merge: no shard files in %s", dir) end
  if #incomplete > 0 then
    local names = {}
    for k, f in ipairs(incomplete) do names[k] = f.path end
    fail(1, "merge: %s end(s) in an incomplete row (the shard was killed while writing it): run shard(s) %s again to resume",
      concat(names, ", "), (function() local t = {} for k, f in ipairs(incomplete) do t[k] = f.i .. "/" .. f.n end return concat(t, ", ") end)())
  end
  local missing = {}
  for k, it in ipairs(items) do
    if not done[it.key] then missing[#missing + 1] = k end
  end
  if #missing > 0 then
    -- Name the owner of each missing row under the split the files use (the largest n).
    local n = files[#files].n
    local have = {}
    for _, f in ipairs(files) do if f.n == n then have[f.i] = true end end
    local lines, absent = {}, {}
    for m, k in ipairs(missing) do
      local i = (k - 1) % n + 1
      if not have[i] then absent[i] = true end
      if m <= 20 then lines[#lines + 1] = sfmt("  %s (item %d, shard %d/%d%s)", items[k].key, k, i, n,
        have[i] and "" or ", no file") end
    end
    if #missing > 20 then lines[#lines + 1] = sfmt("  ... and %d more", #missing - 20) end
    local absent_list = {}
    for i in pairs(absent) do absent_list[#absent_list + 1] = i end
    table.sort(absent_list)
    local absent_text = ""
    if #absent_list > 0 then
      local t = {}
      for k, i in ipairs(absent_list) do t[k] = sfmt("%s/shard-%d-of-%d.jsonl", dir, i, n) end
      absent_text = sfmt("; missing shard file(s): %s", concat(t, ", "))
    end
    fail(1, "merge: %d of %d rows of '%s' are missing%s (run their shards again, with the same options, to compute them):\n%s",
      #missing, #items, name, absent_text, concat(lines, "\n"))
  end
  local counts = {}
  for _, f in ipairs(files) do counts[#counts + 1] = sfmt("%d/%d: %d", f.i, f.n, f.entries) end
  return ordered_rows(items, done), sfmt("merged %d items of '%s' from %d shard file(s) (%s)", #items, name, #files,
    concat(counts, ", "))
end

local function plan(o, spec, items)
  local est = {}
  local total_seconds, max_memory = 0, 0
  for k, it in ipairs(items) do
    local s, m
    if spec.estimate then s, m = spec.estimate(it) end
    est[k] = { key = it.key, seconds = s, memory_bytes = m }
    total_seconds = total_seconds + (s or 0)
    if m and m > max_memory then max_memory = m end
  end
  print(shard.encode({
    liplua_plan = 1, name = spec.name, script = arg and arg[0], items = #items,
    seconds = total_seconds, memory_bytes = max_memory, estimates = est,
    out = o.out, set_dir = set_dir(o.out, spec.name),
  }))
end

local function check_rows(rows, key)
  if type(rows) ~= "table" then
    fail(1, "item '%s': the work function returned a %s, expected a list of rows", key, type(rows))
  end
  for k, r in ipairs(rows) do
    if type(r) ~= "table" then fail(1, "item '%s': row %d is a %s, expected a table", key, k, type(r)) end
    for f, v in pairs(r) do
      local t = type(v)
      if type(f) ~= "string" or (t ~= "string" and t ~= "number" and t ~= "boolean") then
        fail(1, "item '%s': row %d field %s is a %s; shard rows hold strings, numbers and booleans",
          key, k, tostring(f), t)
      end
    end
  end
end

local function interrupted_status(rows)
  for _, r in ipairs(rows) do
    if r.status == "interrupted" or r.kind == "interrupted" then return true end
  end
  return false
end

local run = guarded(function(o, spec)
  if type(spec) ~= "table" or type(spec.name) ~= "string" or not spec.name:match("^[%w_.%-]+$") then
    fail(1, "lip.shard.run: spec.name must be a file-name-safe string (letters, digits, _ . -)")
  end
  if type(spec.work) ~= "function" and not o.merge and not o.plan then
    fail(1, "lip.shard.run: spec.work must be a function(item) -> rows")
  end
  local name, items = spec.name, spec.items
  local by_key = check_items(items, name)
  local out = o.out or "."
  local dir = set_dir(out, name)
  local options = work_options(o, spec.not_work)
  local quiet = spec.quiet   -- the scripts' --quiet silences their per-run lines, not these

  if o.plan then plan(o, spec, items); return nil end
  if o.merge then
    if o.merge_set ~= "" and o.merge_set ~= name then
      fail(1, "--merge: the shard files under %s/shards are of sweep '%s', the options give '%s'", out, o.merge_set, name)
    end
    local rows, text = merge(items, by_key, dir, name, options)
    print(text)
    return rows
  end

  local i, n
  if o.shard and o.shard ~= "" then i, n = shard.parse_spec(o.shard) else i, n = shard.from_env() end
  i, n = i or 1, n or 1
  if #items == 0 then fail(1, "%s: the sweep has no items (check the options)", name) end
  local mine = shard.slice(#items, i, n)
  if #mine == 0 then
    fail(2, "shard %d/%d of '%s' has no work: the sweep has %d item(s); use at most %d shards", i, n, name, #items, #items)
  end
  if o.fresh then
    if n > 1 then
      fail(2, "--fresh discards every shard's rows; use it without --shard (scripts/slurm/submit --fresh clears them before an array starts)")
    end
    for _, f in ipairs(shard_files(dir)) do
      local ok, err = os.remove(f.path)
      if not ok then fail(1, "--fresh: cannot remove %s: %s", f.path, tostring(err)) end
    end
  end
  mkdir_p(dir)
  local path = sfmt("%s/shard-%d-of-%d.jsonl", dir, i, n)
  local done, _, incomplete = collect(dir, name, options, by_key, false, path)
  -- My own file ending in a partial row (killed mid-write): drop that row and redo it.
  for _, f in ipairs(incomplete) do
    if f.path == path then
      local text = read_all(path)
      local keep = text:sub(1, (text:find("\n[^\n]*$") or 0))
      io.stderr:write(sfmt("%s: dropping an incomplete last row (the run was killed while writing it); it is computed again\n", path))
      shard.write_atomic(path, keep)
    end
  end
  if not read_all(path) then
    -- Created whole (temporary file + rename): other tasks never see a file without header.
    shard.write_atomic(path, shard.encode({
      liplua_shard = 1, name = name, script = arg and arg[0], shard = i, shards = n, items = #items,
      options = options,
    }) .. "\n")
  end

  local todo = {}
  for _, k in ipairs(mine) do if not done[items[k].key] then todo[#todo + 1] = k end end
  local resumed = #mine - #todo
  if not quiet and (resumed > 0 or n > 1) then
    print(sfmt("%s: shard %d/%d: %d of %d items%s, rows in %s", name, i, n, #mine, #items,
      resumed > 0 and sfmt(" (%d done earlier, resuming)", resumed) or "", path))
  end
  local computed = 0
  local function stop_interrupted(where)
    io.stdout:flush()
    io.stderr:write(sfmt("\ninterrupted%s: %d of %d items of shard %d/%d are in %s; run the same command again to resume\n",
      where, resumed + computed, #mine, i, n, path))
    os.exit(130)
  end
  local ok, err = xpcall(function()
    for m, k in ipairs(todo) do
      local item = items[k]
      local okw, rows = xpcall(spec.work, function(e)
        if shard.is_interrupt(e) or shard.is_error(e) then return e end
        return debug.traceback(tostring(e), 2)
      end, item)
      if not okw then
        if shard.is_interrupt(rows) then stop_interrupted(" during '" .. item.key .. "'") end
        if shard.is_error(rows) then error(rows, 0) end
        fail(1, "%s: item '%s' failed: %s\n(%d of %d items of shard %d/%d are kept in %s)", name, item.key,
          tostring(rows), resumed + computed, #mine, i, n, path)
      end
      check_rows(rows, item.key)
      if interrupted_status(rows) then stop_interrupted(" during '" .. item.key .. "' (a solver stopped)") end
      shard.append(path, shard.encode({ key = item.key, index = k, rows = rows }))
      io.stdout:flush()   -- a job's log shows each finished item at once
      computed = computed + 1
      if spec.progress then spec.progress(resumed + m, #mine) end
    end
  end, function(e) return e end)
  if not ok then
    if shard.is_interrupt(err) then stop_interrupted("") end
    error(err, 0)
  end

  if n > 1 then
    if not quiet then
      print(sfmt("%s: shard %d/%d done (%d items computed, %d resumed); when all %d shards are done: liplua scripts/tools/merge.lua %s",
        name, i, n, computed, resumed, n, out))
    end
    return nil
  end
  local rows = merge(items, by_key, dir, name, options)
  return rows
end)

--- shard.run(options, spec) -> rows | nil
shard.run = run
doc(shard.run, [==[
lip.shard.run(options, { name = "stem", items = { {key = "...", ...}, ... }, work = function(item) -> rows,
                         estimate = function(item) -> seconds, memory_bytes, not_work = {opt = true},
                         progress = function(done, total) }) -> rows | nil
Runs a sweep with the options from lip.shard.parse. Item keys must be unique; rows are flat
tables of strings, numbers and booleans. Shard i/n (--shard, else the Slurm array task,
else 1/1) computes items i, i+n, ...; each finished item's rows are appended to
out/shards/<name>/shard-i-of-n.jsonl (flushed, fsync'd, writes checked) and items found in any
shard file of the sweep are skipped (resume). Returns every row in item order for a 1/1 run
and for --merge (after checking that no row is missing, duplicated, corrupt or from other
options), nil for a shard of several and for --plan (which prints the items and estimates as
JSON). Ctrl-C: exit 130 after the finished items are on disk; a write failure, a bad shard
spec, an empty slice: a message and a non-zero exit.]==], "run")

return shard
