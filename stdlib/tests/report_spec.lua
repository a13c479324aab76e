-- Specs for lip.report. Plain Lua 5.4 with assert; run from the repository root:
--   LUA_PATH="stdlib/?.lua;stdlib/?/init.lua" lua5.4 stdlib/tests/report_spec.lua
-- Oracles: a small JSON decoder and CSV parser written here, and, when python3 is on the
-- PATH, python's json, csv and xml.etree parsers reading the files report writes.

local report = require "lip.report"

local H = require("tests.harness")("report")
local it, raises = H.it, H.raises

local function tmp(ext)
  local p = os.tmpname()
  os.remove(p)
  return p .. ext
end

local function read(path)
  local fh = assert(io.open(path, "rb"))
  local s = fh:read("a")
  fh:close()
  return s
end

-- python3 available? Runs a script with the arguments, returns stdout or nil.
local function python(script, ...)
  local ok = os.execute("python3 -c '' >/dev/null 2>&1")
  if not ok then return nil end
  local sfile = tmp(".py")
  local fh = assert(io.open(sfile, "w"))
  fh:write(script)
  fh:close()
  local args = { "python3", sfile }
  for _, a in ipairs({ ... }) do args[#args + 1] = "'" .. a:gsub("'", "'\\''") .. "'" end
  local p = io.popen(table.concat(args, " ") .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  os.remove(sfile)
  assert(code == 0, "python3 failed: " .. out)
  return out
end

-- A small JSON decoder (the oracle for the encoder). Objects and arrays are returned with
-- a __kind field in their metatable so the two can be told apart.
local function json_decode(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local function fail(msg) error("json_decode: " .. msg .. " at " .. pos, 0) end
  local value
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = s:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1 break end
      if c:byte() < 0x20 then fail("raw control character in string") end
      if c == "\\" then
        local e = s:sub(pos + 1, pos + 1)
        local map = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if map[e] then out[#out + 1] = map[e]; pos = pos + 2
        elseif e == "u" then
          local hex = s:sub(pos + 2, pos + 5)
          assert(hex:match("^%x%x%x%x$"), "bad \\u escape")
          out[#out + 1] = utf8.char(tonumber(hex, 16)); pos = pos + 6
        else fail("bad escape \\" .. e) end
      else out[#out + 1] = c; pos = pos + 1 end
    end
    return table.concat(out)
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = setmetatable({}, { __kind = "object" })
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1 return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str(); ws()
        if s:sub(pos, pos) ~= ":" then fail("expected :") end
        pos = pos + 1
        t[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return t elseif d ~= "," then fail("expected , or }") end
      end
    elseif c == "[" then
      local t = setmetatable({}, { __kind = "array" })
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1 return t end
      local n = 0
      while true do
        n = n + 1
        local v = value()
        t[n] = v == nil and "<null>" or v; ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return t elseif d ~= "," then fail("expected , or ]") end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4 return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" then fail("unexpected " .. c) end
      pos = pos + #num
      if num:find("[.eE]") then return tonumber(num) + 0.0 end
      return math.tointeger(tonumber(num))
    end
  end
  local v = value(); ws()
  if pos <= #s then fail("trailing text") end
  return v
end

local function kind(t) local mt = getmetatable(t) return mt and mt.__kind end

-- ------------------------------------------------------------------------------------------

it("format_number: integers in full, floats to 6 significant digits, nan/inf", function()
  assert(report.format_number(12345678) == "12345678")
  assert(report.format_number(1 / 3) == "0.333333")
  assert(report.format_number(2 / 3, 3) == "0.667")
  assert(report.format_number(0 / 0) == "nan")
  assert(report.format_number(math.huge) == "inf" and report.format_number(-math.huge) == "-inf")
end)

it("exact_number reads back to the same double", function()
  for _, x in ipairs({ 0.1, 1 / 3, 2 ^ -1074, 1e300, -123.456, 2 ^ 53 + 0.0, math.pi }) do
    assert(tonumber(report.exact_number(x)) == x, x)
  end
  assert(report.exact_number(0.1) == "0.1")
end)

it("table: columns aligned, numbers right, text left", function()
  local rows = {
    { name = "a", v = 1.5, n = 3 },
    { name = "longer", v = 0 / 0, n = 12345 },
    { name = "θ₃", v = 1e-9 },
  }
  local t = report.table(rows, { "name", "v", { key = "n", title = "count" } })
  local lines = {}
  for l in t:gmatch("[^\n]+") do lines[#lines + 1] = l end
  assert(#lines == 5, t)
  assert(lines[1]:find("^name%s+v%s+count$"), lines[1])
  assert(lines[2]:find("^%-+  %-+  %-+$"), lines[2])
  -- The numeric column "count" is the last: right aligned, so every line with a count ends
  -- at the same display column as the header.
  local w = utf8.len(lines[1])
  assert(utf8.len(lines[3]) == w and utf8.len(lines[4]) == w, t)
  -- Text is left aligned: names start at column 1; "θ₃" counts as two columns.
  assert(lines[3]:sub(1, 1) == "a" and lines[5]:find("^θ₃"), t)
  -- "v" column: right edges of 1.5, nan, 1e-09 coincide.
  local e3 = select(2, lines[3]:find("1.5", 1, true))
  local e4 = select(2, lines[4]:find("nan", 1, true))
  local e5 = utf8.len(lines[5]:sub(1, select(2, lines[5]:find("1e-09", 1, true))))
  assert(e3 == e4 and e4 == e5, t)
end)

it("table: inferred columns and format option", function()
  local t = report.table({ { 1, "x" }, { 22, "yy" } })
  assert(t:find("^ 1  2\n%-%-  %-%-\n 1  x\n22  yy$"), t)
  local f = report.table({ { a = 1 / 3 } }, { { key = "a", format = "%.2f" } })
  assert(f:find("0.33", 1, true), f)
  local g = report.table({ { a = 2 } }, { { key = "a", format = function(v) return "<" .. v .. ">" end } })
  assert(g:find("<2>", 1, true), g)
  raises(function() report.table("rows") end, "rows must be a list")
  raises(function() report.table({ 1 }) end, "row 1 is a number")
end)

it("markdown: header, alignment row, escaped pipes", function()
  local m = report.markdown({ { a = "x|y", b = 2 } }, { "a", "b" })
  local lines = {}
  for l in m:gmatch("[^\n]+") do lines[#lines + 1] = l end
  assert(#lines == 3)
  assert(lines[1] == "| a | b |")
  assert(lines[2] == "|---|---:|")
  assert(lines[3] == "| x\\|y | 2 |")
end)

-- Minimal RFC 4180 parser (the Lua-side oracle).
local function parse_csv(s)
  local rows, row, field, i, quoted = {}, {}, {}, 1, false
  while i <= #s do
    local c = s:sub(i, i)
    if quoted then
      if c == '"' and s:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
      elseif c == '"' then quoted = false
      else field[#field + 1] = c end
    elseif c == '"' then quoted = true
    elseif c == "," then row[#row + 1] = table.concat(field); field = {}
    elseif c == "\r" and s:sub(i + 1, i + 1) == "\n" then
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}; i = i + 1
    else field[#field + 1] = c end
    i = i + 1
  end
  assert(#field == 0 and #row == 0, "CSV does not end with CRLF")
  return rows
end

it("csv: shape, quoting and exact numbers (Lua parser and python csv)", function()
  local rows = {
    { k = 3, name = 'a "quoted", text', v = 0.1 },
    { k = 4, name = "line\nbreak", v = 1 / 3 },
    { k = 5, v = 0 / 0 },
  }
  local path = tmp(".csv")
  assert(report.csv(path, rows, { "k", "name", "v" }) == path)
  local text = read(path)
  local parsed = parse_csv(text)
  assert(#parsed == 4, "header + 3 rows")
  for _, r in ipairs(parsed) do assert(#r == 3, "3 fields per line") end
  assert(parsed[1][1] == "k" and parsed[1][2] == "name" and parsed[1][3] == "v")
  assert(parsed[2][2] == 'a "quoted", text' and parsed[3][2] == "line\nbreak")
  assert(tonumber(parsed[3][3]) == 1 / 3 and parsed[4][2] == "" and parsed[4][3] == "nan")
  local out = python([[
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print(len(rows), *[len(r) for r in rows])
print(repr(rows[1][1]), repr(rows[2][1]), float(rows[2][2]) == 1/3)
]], path)
  if out then
    assert(out:find("^4 3 3 3 3\n"), out)
    assert(out:find([['a "quoted", text' 'line\nbreak' True]], 1, true), out)
  end
  os.remove(path)
end)

local sample = {
  name = "run \"1\"\n\tend\\",
  ctrl = "\0\1\31\127",
  utf = "θ₃ ≤ λ",
  rows = { { degree = 3, certified = 1.25, status = "optimal" }, { degree = 4, certified = 0 / 0 } },
  empty = {},
  obj = report.json_object(),
  arr = report.json_array({}),
  sparse = { [1] = "a", [3] = "c" },
  numkeys = { [10] = true, [2] = false },
  inf = math.huge,
  float = 2.0,
  third = 1 / 3,
  tiny = 2 ^ -1074,
  int = -7,
  yes = true,
}

local function check_decoded(d)
  assert(kind(d) == "object")
  assert(d.name == "run \"1\"\n\tend\\")
  assert(d.ctrl == "\0\1\31\127")
  assert(d.utf == "θ₃ ≤ λ")
  assert(kind(d.rows) == "array" and #d.rows == 2)
  assert(d.rows[1].degree == 3 and d.rows[1].certified == 1.25 and d.rows[1].status == "optimal")
  assert(d.rows[2].certified == nil, "nan -> null")
  assert(kind(d.empty) == "array" and next(d.empty) == nil)
  assert(kind(d.obj) == "object" and next(d.obj) == nil)
  assert(kind(d.arr) == "array")
  assert(kind(d.sparse) == "object" and d.sparse["1"] == "a" and d.sparse["3"] == "c")
  assert(kind(d.numkeys) == "object" and d.numkeys["10"] == true and d.numkeys["2"] == false)
  assert(d.inf == nil, "inf -> null")
  assert(d.float == 2.0 and math.type(d.float) == "float")
  assert(d.third == 1 / 3 and d.tiny == 2 ^ -1074)
  assert(d.int == -7 and math.type(d.int) == "integer")
  assert(d.yes == true)
end

it("json: round trip through a decoder, compact and indented", function()
  check_decoded(json_decode(report.json_encode(sample)))
  local pretty = report.json_encode(sample, { indent = "  " })
  assert(pretty:find('\n  "arr": %[%],\n'), pretty)
  check_decoded(json_decode(pretty))
  -- Keys are sorted, so the text is deterministic.
  assert(report.json_encode({ b = 1, a = 2, [3] = 0 }) == '{"3":0,"a":2,"b":1}')
  assert(report.json_encode("\u{7f}x") == '"\\u007fx"')
end)

it("json: python's json module reads the file; invalid UTF-8 is replaced", function()
  local path = tmp(".json")
  report.json(path, sample)
  local text = read(path)
  assert(text:sub(-1) == "\n")
  check_decoded(json_decode(text))
  local out = python([[
import json, sys
v = json.load(open(sys.argv[1], encoding="utf-8"))
print(json.dumps(v, sort_keys=True))
]], path)
  if out then check_decoded(json_decode(out)) end
  os.remove(path)
  assert(json_decode(report.json_encode("a\xffb")) == "a\u{FFFD}b")
end)

it("json: errors name the place", function()
  raises(function() report.json_encode({ a = { f = print } }) end, "function at %$%.a%.f")
  local t = {}
  t.self = t
  raises(function() report.json_encode(t) end, "cycle at %$%.self")
  raises(function() report.json_encode({ [true] = 1 }) end, "boolean key")
  raises(function() report.json("/nonexistent-dir/x.json", {}) end, "cannot write")
end)

it("nice ticks: 1-2-5 steps covering the range", function()
  for _, case in ipairs({ { 0, 1 }, { 0.13, 7.9 }, { -3, 250 }, { 1e-4, 3e-4 }, { 5, 5 } }) do
    local ticks = report._nice_ticks(case[1], case[2], 6)
    assert(#ticks >= 2 and #ticks <= 13, #ticks)
    assert(ticks[1] <= case[1] + 1e-12 and ticks[#ticks] >= case[2] - 1e-12)
    local step = ticks[2] - ticks[1]
    local m = step / 10 ^ math.floor(math.log(step, 10) + 1e-9)
    local ok = false
    for _, v in ipairs({ 1, 2, 5, 10 }) do if math.abs(m - v) < 1e-6 then ok = true end end
    assert(ok, "step " .. step)
  end
end)

-- A well-formedness check in Lua: every tag closed in order, attributes quoted.
local function check_xml(s)
  local stack = {}
  for tag in s:gmatch("<([^>]*)>") do
    if tag:sub(1, 1) == "/" then
      assert(table.remove(stack) == tag:sub(2), "mismatched </" .. tag:sub(2) .. ">")
    elseif tag:sub(-1) ~= "/" and tag:sub(1, 1) ~= "?" then
      stack[#stack + 1] = tag:match("^(%S+)")
    end
    local rest = tag:gsub('"[^"]*"', "")
    assert(not rest:find("[<&]"), "unescaped text in tag: " .. tag)
  end
  assert(#stack == 0, "unclosed <" .. tostring(stack[#stack]) .. ">")
end

it("svg_plot: well-formed, one group per series, lower bounds dashed", function()
  local path = tmp(".svg")
  local spec = {
    title = "Bounds <ELU> & widths", xlabel = "width", ylabel = "Lipschitz bound", log_y = true,
    series = {
      { name = "UBP", points = { { 10, 30 }, { 20, 80 }, { 40, 300 } } },
      { name = "LiPopt-3", points = { { 10, 5 }, { 20, 9 }, { 40, 0 / 0 } } },
      { name = "LBS", points = { { 10, 2 }, { 20, 3 }, { 40, 4 } }, lower_bound = true },
      { name = "samples", points = { { 15, 1 }, { 25, -1 } }, style = "points" },
    },
  }
  local svg = report.svg_plot(path, spec)
  assert(read(path) == svg)
  check_xml(svg)
  local groups, dashed = 0, 0
  for g in svg:gmatch('<g class="series"[^>]*>.-</g>') do
    groups = groups + 1
    if g:find("stroke%-dasharray") then dashed = dashed + 1 end
  end
  assert(groups == 4 and dashed == 1, groups .. " " .. dashed)
  assert(svg:find("Bounds &lt;ELU&gt; &amp; widths", 1, true))
  -- Skipped points: the nan of LiPopt-3 and y = -1 on the log axis: 3+2+3+1 circles.
  local n = 0
  for g in svg:gmatch('<g class="series"[^>]*>.-</g>') do
    n = n + select(2, g:gsub("<circle", ""))
  end
  assert(n == 9, n)
  local out = python([[
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
groups = [g for g in root.iter(ns + "g") if g.get("class") == "series"]
print(root.tag == ns + "svg", len(groups), ",".join(g.get("data-name") for g in groups),
      sum(1 for g in groups for p in g.iter(ns + "polyline") if p.get("stroke-dasharray")))
]], path)
  if out then assert(out == "True 4 UBP,LiPopt-3,LBS,samples 1\n", out) end
  os.remove(path)
  raises(function() report.svg_plot(nil, { series = { { points = { { 1 } } } } }) end, "not {x, y}")
  raises(function() report.svg_plot(nil, {}) end, "series")
end)

it("row: one line with every field; missing fields as -, a missing certificate as uncertified", function()
  local line = report.row {
    degree = 3, method = "LiPopt-3", family = "multilinear", certified = 1.2345678912, solver_value = 1.2345,
    rows = 10, columns = 20, nonzeros = 30, build_seconds = 0.014, solve_seconds = 1.5, status = "optimal",
  }
  assert(not line:find("\n"))
  for _, piece in ipairs({ "LiPopt-3", "multilinear", "certified=1.2345679", "solver=1.2345", "rows=10",
                           "columns=20", "nonzeros=30", "build=0.01s", "solve=1.50s", "optimal" }) do
    assert(line:find(piece, 1, true), piece .. " missing in " .. line)
  end
  local partial = report.row { degree = 2, status = "infeasible" }
  assert(partial:find("certified=uncertified", 1, true) and partial:find("infeasible", 1, true), partial)
  assert(partial:find("LiPopt-2", 1, true) and partial:find("rows=-", 1, true), partial)
  local sdp = report.row { method = "SDP", order = 7, certified = 2.5, solver_value = 2.4, status = "optimal" }
  assert(sdp:find("order=7", 1, true), sdp)
  raises(function() report.row(3) end, "result")
end)

it("table: results default to the result columns; plain rows to their plain fields", function()
  local t = report.table { { relaxation = "lp", method = "LiPopt-2", status = "optimal", certified = 1.5,
                             solver_value = 1.5, rows = 3, columns = 4, nonzeros = 5, certificate = { { coefficient = 1 } } } }
  assert(t:find("solver value", 1, true) and not t:find("table:", 1, true), t)
  local u = report.table { { relaxation = "lp", method = "LiPopt-2", status = "infeasible" } }
  assert(u:find("uncertified", 1, true), u)
  local plain = report.table { { a = 1, nested = { 1 } }, { b = "x" } }
  assert(plain:find("a", 1, true) and plain:find("b", 1, true) and not plain:find("table:", 1, true) and not plain:find("nested", 1, true), plain)
end)

it("progress: silent unless stderr is a terminal", function()
  -- The native table lives in package.loaded._lip (liplua) and is stubbed here.
  local real_stderr, real_global, real_loaded = io.stderr, rawget(_G, "_lip"), package.loaded["_lip"]
  local written = {}
  io.stderr = { write = function(_, s) written[#written + 1] = s end, flush = function() end }
  local ok, err = pcall(function()
    rawset(_G, "_lip", nil)
    package.loaded["_lip"] = { isatty = function() return false end }
    assert(report.is_tty() == false)
    report.progress(1, 4, "x")
    package.loaded["_lip"] = nil
    assert(report.is_tty() == false, "no native table: not a terminal")
    report.progress(1, 4, "x")
    assert(#written == 0)
    package.loaded["_lip"] = { isatty = function(fd) return fd == 2 end }
    assert(report.is_tty() == true)
    report.progress(2, 4, "solve")
    report.progress(4, 4, "solve")
  end)
  io.stderr = real_stderr
  rawset(_G, "_lip", real_global)
  package.loaded["_lip"] = real_loaded
  assert(ok, err)
  local s = table.concat(written)
  assert(s == "\rsolve 2/4 (50%)\rsolve 4/4 (100%)\n", s)
end)

it("docs: every public function has a doc block", function()
  for name, v in pairs(report) do
    if type(v) == "function" and not name:find("^_") then
      assert(report.__docs[name], "no doc for report." .. name)
    end
  end
end)

H.finish()
