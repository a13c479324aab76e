--- lip.repl: the interactive loop's evaluator and value printer.
-- The host reads lines (libedit on a terminal) and calls repl.feed(line); feed returns
-- "more" when the chunk is incomplete (prompt ">> "), "done" otherwise (prompt "> ").
local repl = {}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return "<" .. type(v) .. ": __tostring failed: " .. tostring(s) .. ">"
end

local function scalar(v)
  if type(v) == "string" then return string.format("%q", v):gsub("\\\n", "\\n") end
  if math.type(v) == "float" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%.1f", v) end
    return string.format("%.14g", v)
  end
  return safe_tostring(v)
end

--- repl.format(value [, depth [, max_items]]) -> string
-- A readable rendering: nested tables up to `depth` levels (default 3), keys sorted,
-- sequences as {1, 2, 3}, at most `max_items` entries per table (default 30), cycles
-- marked <cycle>, metatables with __tostring used.
function repl.format(v, depth, max_items)
  depth = depth or 3
  max_items = max_items or 30
  local seen = {}
  local function fmt(x, level, indent)
    if type(x) ~= "table" then return scalar(x) end
    local mt = getmetatable(x)
    if type(mt) == "table" and rawget(mt, "__tostring") then return safe_tostring(x) end
    if seen[x] then return "<cycle>" end
    if level >= depth then return "{...}" end
    seen[x] = true
    local n = #x
    local keys = {}
    for k in pairs(x) do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    table.sort(keys, key_order)
    local parts, count = {}, 0
    for i = 1, n do
      count = count + 1
      if count > max_items then parts[#parts + 1] = "... (" .. (n - i + 1 + #keys) .. " more)"; break end
      parts[#parts + 1] = fmt(x[i], level + 1, indent .. "  ")
    end
    if count <= max_items then
      for idx, k in ipairs(keys) do
        count = count + 1
        if count > max_items then parts[#parts + 1] = "... (" .. (#keys - idx + 1) .. " more)"; break end
        local ks = is_identifier(k) and k or ("[" .. scalar(k) .. "]")
        parts[#parts + 1] = ks .. " = " .. fmt(x[k], level + 1, indent .. "  ")
      end
    end
    seen[x] = nil
    if #parts == 0 then return "{}" end
    local one = "{" .. table.concat(parts, ", ") .. "}"
    if #one <= 78 and not one:find("\n") then return one end
    return "{\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
  end
  return fmt(v, 0, "")
end

--- repl.print(...): prints each value formatted, tab-separated.
function repl.print(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = repl.format((select(i, ...))) end
  print(table.concat(out, "\t"))
end

local buffer = nil   -- lines of an incomplete chunk

local function report(err)
  io.stderr:write(tostring(err), "\n")
  io.stderr:flush()
end

--- repl.feed(line) -> "more" | "done"
-- Evaluates a line like lua.c: first `return <line>`, then as a statement; an incomplete
-- chunk ("... near <eof>") waits for more lines. Results are printed with repl.format;
-- errors are printed to stderr with a traceback and the loop continues.
function repl.feed(line)
  local chunk, err
  if buffer == nil then
    chunk = load("return " .. line, "=stdin", "t")
    if chunk then buffer = { line } end
  end
  if not chunk then
    buffer = buffer or {}
    buffer[#buffer + 1] = line
    chunk, err = load(table.concat(buffer, "\n"), "=stdin", "t")
    if not chunk then
      if err:sub(-5) == "<eof>" then return "more" end
      buffer = nil
      report(err)
      return "done"
    end
  end
  buffer = nil
  local results = table.pack(xpcall(chunk, function(e)
    local msg = type(e) == "string" and e or safe_tostring(e)
    local tb = debug.traceback(msg, 2)
    -- drop the frames of the REPL itself (everything from xpcall down)
    local cut = tb:find("\n%s*%[C%]: in function 'xpcall'")
    return cut and tb:sub(1, cut - 1) or tb
  end))
  if not results[1] then
    report(results[2])
  elseif results.n > 1 then
    repl.print(table.unpack(results, 2, results.n))
  end
  io.stdout:flush()
  return "done"
end

--- repl.reset(): drops an incomplete chunk (after Ctrl-C).
function repl.reset() buffer = nil end

do
  local ok, doc = pcall(require, "lip.doc")
  if ok and type(doc) == "table" then
    doc.register(repl.format, "lip.repl.format(v [, depth [, max_items]]) -> text\nA readable rendering of a value (tables nested to depth, cycles marked).", "repl.format")
    doc.register(repl.print, "lip.repl.print(...)\nPrints values as the REPL does.", "repl.print")
    doc.register(repl.feed, "lip.repl.feed(line) -> status\nFeeds one line to the REPL (continuation lines for incomplete statements).", "repl.feed")
    doc.register(repl.reset, "lip.repl.reset()\nDrops a pending incomplete statement.", "repl.reset")
  end
end

return repl
