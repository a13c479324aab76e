-- Specs for lip.shard: shard specifications, Slurm's array variables, slices, the JSON-lines
-- codec, and whole sweeps (one process, shards + merge, resume, refusals) in temporary folders.
-- Run under liplua from the repository root: liplua stdlib/tests/shard_spec.lua
-- Oracles: hand-computed slices and task numbers; a one-process sweep is the oracle for the
-- merged shards; python3's json module (when on the PATH) reads the lines the encoder writes.

local shard = require "lip.shard"
local report = require "lip.report"

local H = require("tests.harness")("shard")
local it, raises = H.it, H.raises

shard.raise_errors = true

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

local function read(path)
  local fh = assert(io.open(path, "rb"))
  local s = fh:read("a")
  fh:close()
  return s
end

local function write(path, s)
  local fh = assert(io.open(path, "wb"))
  fh:write(s)
  fh:close()
end

local function same(a, b, where)
  where = where or "$"
  if type(a) ~= type(b) then error(where .. ": " .. type(a) .. " vs " .. type(b), 2) end
  if type(a) == "table" then
    for k, v in pairs(a) do same(v, b[k], where .. "." .. tostring(k)) end
    for k in pairs(b) do if a[k] == nil then error(where .. "." .. tostring(k) .. " missing", 2) end end
  elseif type(a) == "number" then
    if a ~= a then assert(b ~= b, where .. ": nan vs " .. tostring(b))
    else
      assert(a == b and math.type(a) == math.type(b), where .. ": " .. tostring(a) .. " (" .. math.type(a)
        .. ") vs " .. tostring(b) .. " (" .. tostring(math.type(b)) .. ")")
    end
  else
    assert(a == b, where .. ": " .. tostring(a) .. " vs " .. tostring(b))
  end
end

it("parses i/n and refuses what is out of range", function()
  local i, n = shard.parse_spec("2/4")
  assert(i == 2 and n == 4)
  i, n = shard.parse_spec(" 1 / 1 ")
  assert(i == 1 and n == 1)
  raises(function() shard.parse_spec("0/4") end, "out of range: shards are numbered 1%.%.4")
  raises(function() shard.parse_spec("5/4") end, "out of range")
  raises(function() shard.parse_spec("1/0") end, "at least 1")
  raises(function() shard.parse_spec("a/b") end, "expected i/n")
  raises(function() shard.parse_spec("1.5/4") end, "expected i/n")
  raises(function() shard.parse_spec("3") end, "expected i/n")
  local _, e = pcall(shard.parse_spec, "9/4")
  local _, code = shard.is_error(e)
  assert(code == 2, "exit code " .. tostring(code))
end)

it("reads Slurm's array variables (1-based, 0-based, stepped) and refuses broken ones", function()
  local function env(t) return function(k) return t[k] end end
  assert(shard.from_env(env {}) == nil)
  local i, n = shard.from_env(env { SLURM_ARRAY_TASK_ID = "3", SLURM_ARRAY_TASK_MIN = "1", SLURM_ARRAY_TASK_MAX = "4", SLURM_ARRAY_TASK_COUNT = "4" })
  assert(i == 3 and n == 4)
  i, n = shard.from_env(env { SLURM_ARRAY_TASK_ID = "0", SLURM_ARRAY_TASK_MIN = "0", SLURM_ARRAY_TASK_MAX = "9" })
  assert(i == 1 and n == 10)
  -- --array=10-20:5 has tasks 10, 15, 20: task 15 is shard 2 of 3.
  i, n = shard.from_env(env { SLURM_ARRAY_TASK_ID = "15", SLURM_ARRAY_TASK_MIN = "10", SLURM_ARRAY_TASK_MAX = "20",
                              SLURM_ARRAY_TASK_STEP = "5", SLURM_ARRAY_TASK_COUNT = "3" })
  assert(i == 2 and n == 3)
  raises(function() shard.from_env(env { SLURM_ARRAY_TASK_ID = "2" }) end, "SLURM_ARRAY_TASK_MIN is not")
  raises(function() shard.from_env(env { SLURM_ARRAY_TASK_ID = "x", SLURM_ARRAY_TASK_MIN = "1" }) end, "not a whole number")
  -- --array=1,3,7 (COUNT 3, MAX 7): not contiguous.
  raises(function() shard.from_env(env { SLURM_ARRAY_TASK_ID = "3", SLURM_ARRAY_TASK_MIN = "1", SLURM_ARRAY_TASK_MAX = "7",
                                         SLURM_ARRAY_TASK_COUNT = "3" }) end, "not contiguous")
end)

it("slices round robin, covering every item exactly once", function()
  same(shard.slice(10, 1, 4), { 1, 5, 9 })
  same(shard.slice(10, 4, 4), { 4, 8 })
  same(shard.slice(3, 4, 4), {})
  for count = 0, 13 do
    for n = 1, 6 do
      local seen = {}
      for i = 1, n do for _, k in ipairs(shard.slice(count, i, n)) do
        assert(not seen[k], "item " .. k .. " twice"); seen[k] = i
        assert((k - 1) % n + 1 == i)
      end end
      for k = 1, count do assert(seen[k], "item " .. k .. " of " .. count .. " missing for n = " .. n) end
    end
  end
end)

it("encodes rows as JSON lines that read back identically (integers, floats, inf, nan, text)", function()
  local row = { a = 1, b = 1.0, c = 0.1, d = -2.5e-300, e = 1 / 0, f = -1 / 0, g = 0 / 0, h = "x \"q\" \n\t\1 é ✓",
                i = true, j = false, k = math.maxinteger, l = 2 ^ 60, m = 123456789012345678 }
  local line = shard.encode(row)
  assert(not line:find("\n"), "one line")
  same(shard.decode(line), row)
  same(shard.decode('{"x": [1, 2.0, -3e2, "\\u00e9\\ud83d\\ude00"], "y": {}}'), { x = { 1, 2.0, -300.0, "é😀" }, y = {} })
  for _, bad in ipairs({ '{"a":1', '{"a":1}x', '{"a":01}', '{"a":1.}', '{"a":}', '[1,]', '{"a":1,"a":2}',
                         '"\\ud800"', '{"a":"\1"}', '', 'nul', '{"a":1e}' }) do
    raises(function() shard.decode(bad) end, "JSON")
  end
  local py = os.execute("python3 -c '' >/dev/null 2>&1")
  if py then
    local p = os.tmpname()
    write(p, line .. "\n")
    local pipe = io.popen("python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); print(r[\"c\"], r[\"e\"], r[\"h\"] == \"x \\\"q\\\" \\n\\t\\x01 é ✓\")' " .. p)
    local out = pipe:read("a")
    pipe:close()
    os.remove(p)
    assert(out:find("^0%.1 {'%$float': 'inf'} True"), "python read: " .. out)
  end
end)

-- A sweep over 7 items; item k yields two rows with values computable by hand.
local function sweep(out, extra)
  local calls = {}
  local items = {}
  for k = 1, 7 do items[k] = { key = "item-" .. k, k = k } end
  local o = { out = out, shard = "", merge = false, merge_set = "", fresh = false, plan = false, scale = 3 }
  for key, v in pairs(extra or {}) do o[key] = v end
  local rows = shard.run(o, { name = "toy", items = items, quiet = true, work = function(item)
    calls[#calls + 1] = item.k
    return { { k = item.k, part = "a", value = item.k * o.scale + 0.5 },
             { k = item.k, part = "b", value = 1 / item.k, flag = item.k % 2 == 0 } }
  end })
  return rows, calls
end

local function expected_rows(scale)
  local rows = {}
  for k = 1, 7 do
    rows[#rows + 1] = { k = k, part = "a", value = k * (scale or 3) + 0.5 }
    rows[#rows + 1] = { k = k, part = "b", value = 1 / k, flag = k % 2 == 0 }
  end
  return rows
end

it("a one-process run returns every row in item order and resumes without recomputing", function()
  local out = tmpdir()
  local rows, calls = sweep(out)
  same(rows, expected_rows())
  assert(#calls == 7)
  local file = out .. "/shards/toy/shard-1-of-1.jsonl"
  local text = read(file)
  local n = select(2, text:gsub("\n", ""))
  assert(n == 8, "header + 7 lines, got " .. n)
  local rows2, calls2 = sweep(out)
  same(rows2, rows)
  assert(#calls2 == 0, "a re-run computes nothing")
  -- --fresh recomputes.
  local _, calls3 = sweep(out, { fresh = true })
  assert(#calls3 == 7)
end)

it("shards 1..3 of 3 merge into exactly the one-process rows", function()
  local out = tmpdir()
  local all = {}
  for i = 1, 3 do
    local rows, calls = sweep(out, { shard = i .. "/3" })
    assert(rows == nil, "a shard of several returns nil")
    same(calls, shard.slice(7, i, 3))
    for _, k in ipairs(calls) do all[#all + 1] = k end
  end
  assert(#all == 7)
  local merged = sweep(out, { merge = true })
  same(merged, expected_rows())
  -- Rows done by shards are not recomputed by a later 1/1 run either.
  local rows, calls = sweep(out)
  same(rows, expected_rows())
  assert(#calls == 0)
end)

it("merge names missing rows and missing shard files; refuses duplicates, corrupt lines, other options", function()
  local out = tmpdir()
  sweep(out, { shard = "1/3" })
  sweep(out, { shard = "3/3" })
  -- shard 2 (items 2 and 5) never ran
  raises(function() sweep(out, { merge = true }) end, "2 of 7 rows of 'toy' are missing; missing shard file%(s%): .*shard%-2%-of%-3%.jsonl")
  raises(function() sweep(out, { merge = true }) end, "item%-5 %(item 5, shard 2/3, no file%)")
  sweep(out, { shard = "2/3" })
  same(sweep(out, { merge = true }), expected_rows())
  -- a line of shard 3 copied into shard 1: two shards claim a row
  local f1, f3 = out .. "/shards/toy/shard-1-of-3.jsonl", out .. "/shards/toy/shard-3-of-3.jsonl"
  local good1 = read(f1)
  local line3 = read(f3):match("\n([^\n]+)\n")
  write(f1, good1 .. line3 .. "\n")
  raises(function() sweep(out, { merge = true }) end, "claimed by two shard files.*item%-3")
  -- a corrupt line
  write(f1, good1 .. "{\"key\": \"item-9\", \"rows\": [\n")
  raises(function() sweep(out, { merge = true }) end, "shard%-1%-of%-3%.jsonl: line %d+ is corrupt")
  -- a row of another sweep
  write(f1, good1 .. shard.encode({ key = "item-99", index = 99, rows = {} }) .. "\n")
  raises(function() sweep(out, { merge = true }) end, "'item%-99' is not an item of this sweep")
  -- an incomplete last line (killed mid-write): merge refuses, a re-run of that shard repairs it
  write(f1, good1 .. "{\"key\": \"item-4\", \"ind")
  raises(function() sweep(out, { merge = true }) end, "incomplete row .*run shard%(s%) 1/3 again")
  local _, calls = sweep(out, { shard = "1/3" })
  assert(#calls == 0, "the complete rows of shard 1 are kept")
  same(sweep(out, { merge = true }), expected_rows())
  -- other options
  raises(function() sweep(out, { merge = true, scale = 4 }) end, "written with other options %(scale 3 vs 4%)")
  -- an empty or headerless file
  write(f1, "")
  raises(function() sweep(out, { merge = true }) end, "is empty %(no header%)")
  write(f1, "garbage\n")
  raises(function() sweep(out, { merge = true }) end, "line 1 is not a liplua shard header")
end)

it("a worker skips another shard's file that is mid-creation; merge still refuses it", function()
  local out = tmpdir()
  sweep(out, { shard = "1/2" })
  write(out .. "/shards/toy/shard-2-of-2.jsonl", "")   -- shard 2 just opened its file
  local rows, calls = sweep(out, { shard = "1/2" })
  assert(rows == nil and #calls == 0, "shard 1 resumes, undisturbed")
  raises(function() sweep(out, { merge = true }) end, "shard%-2%-of%-2%.jsonl is empty")
  os.remove(out .. "/shards/toy/shard-2-of-2.jsonl")
  sweep(out, { shard = "2/2" })
  local text = read(out .. "/shards/toy/shard-2-of-2.jsonl")
  assert(text:find('^{"items":7,"liplua_shard":1'), "the header is written whole: " .. text:sub(1, 40))
  same(sweep(out, { merge = true }), expected_rows())
end)

it("refuses an empty slice, a bad spec, --fresh on a shard, duplicate keys and non-scalar rows", function()
  local out = tmpdir()
  raises(function() sweep(out, { shard = "8/9" }) end, "shard 8/9 of 'toy' has no work: the sweep has 7 item%(s%); use at most 7 shards")
  raises(function() sweep(out, { shard = "0/3" }) end, "out of range")
  raises(function() sweep(out, { shard = "1/2", fresh = true }) end, "%-%-fresh discards every shard's rows")
  local o = { out = out, shard = "", merge = false, merge_set = "", fresh = false, plan = false }
  raises(function() shard.run(o, { name = "dup", items = { { key = "a" }, { key = "a" } }, work = function() return {} end }) end,
    "items 1 and 2 have the same key 'a'")
  raises(function() shard.run(o, { name = "bad", items = { { key = "a" } }, work = function() return { { t = {} } } end }) end,
    "row 1 field t is a table")
  raises(function() shard.run(o, { name = "bad/name", items = { { key = "a" } }, work = function() return {} end }) end,
    "file%-name%-safe")
end)

it("lets Ctrl-C's error through shard.pcall and keeps other errors", function()
  local ok, err = shard.pcall(error, "refused: too big", 0)
  assert(not ok and err == "refused: too big")
  local ok2, err2 = pcall(shard.pcall, error, "interrupted!", 0)
  assert(not ok2 and err2 == "interrupted!", "re-raised: " .. tostring(err2))
  assert(shard.is_interrupt("script.lua:12: interrupted!"))
  assert(not shard.is_interrupt("interrupted! by nothing"))
end)

it("write_atomic replaces a file whole and leaves it unchanged on failure", function()
  local dir = tmpdir()
  local p = dir .. "/a.txt"
  shard.write_atomic(p, "first\n")
  shard.write_atomic(p, "second\n")
  assert(read(p) == "second\n")
  raises(function() shard.write_atomic(dir .. "/no/such/dir/b.txt", "x") end, "cannot write .*b%.txt")
  raises(function() report.write(dir .. "/no/such/c.txt", "x") end, "report%.write: cannot write")
  local listing = shard._list_dir(dir)
  same(listing, { "a.txt" })
end)

H.finish()
