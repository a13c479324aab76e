--- lip.report: tables, CSV, JSON, SVG plots and progress lines for experiment scripts.
--
-- Pure Lua 5.4, no native code: it works inside liplua and under a plain `lua5.4`.
--
--   local report = require "lip.report"
--   print(report.table(rows, { "width", "ubp", "lbs", "lipopt3" }))
--   report.csv("out/results.csv", rows, columns)
--   report.json("out/results.json", { rows = rows, machine = "..." })
--   report.svg_plot("out/bounds.svg", { title = "...", xlabel = "width", ylabel = "bound",
--     log_y = true, series = { { name = "UBP", points = {{10, 3.2}, {20, 5.1}} },
--                              { name = "LBS", points = ..., lower_bound = true } } })
--
-- Rows are tables keyed by column name ({ width = 10, ubp = 3.2 }) or arrays ({ 10, 3.2 });
-- a column is a key (string or integer) or a table { key = ..., title = ..., format = ..., missing = ... }
-- where `format` is a string.format pattern or a function value -> string, and `missing` the text
-- of an absent value (default "").

local report = {}

local docs = {}
report.__docs = docs

local function doc(name, text)
  docs[name] = text
end

local floor, huge, mtype = math.floor, math.huge, math.type
local sfmt, srep, concat = string.format, string.rep, table.concat

local function is_nan(x) return x ~= x end
local function is_finite(x) return x == x and x ~= huge and x ~= -huge end

-- ------------------------------------------------------------------------------------------
-- Numbers
-- ------------------------------------------------------------------------------------------

doc("format_number", [==[
report.format_number(x [, digits]) -> string
  Integers print in full; floats with `digits` significant digits (default 6) in %g style;
  nan, inf and -inf print as "nan", "inf", "-inf".]==])
function report.format_number(x, digits)
  if mtype(x) == "integer" then return sfmt("%d", x) end
  if is_nan(x) then return "nan" end
  if x == huge then return "inf" end
  if x == -huge then return "-inf" end
  return sfmt("%." .. (digits or 6) .. "g", x)
end

doc("exact_number", [==[
report.exact_number(x) -> string
  The shortest "%.Ng" (N = 15..17) that reads back as the same double: exact, and short for
  values such as 0.1. Integers print in full. Used by csv and json.]==])
local function exact_number(x)
  if mtype(x) == "integer" then return sfmt("%d", x) end
  for digits = 15, 17 do
    local s = sfmt("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
  return sfmt("%.17g", x)
end
report.exact_number = exact_number

-- ------------------------------------------------------------------------------------------
-- Rows and columns
-- ------------------------------------------------------------------------------------------

local function normalize_columns(rows, columns, caller)
  if columns == nil then
    local first = rows[1]
    if first == nil then return {} end
    columns = {}
    if first.relaxation ~= nil and first.status ~= nil and report.result_columns then
      -- rows are relaxation results: their standard columns
      columns = report.result_columns
    elseif #first > 0 then
      for i = 1, #first do columns[i] = i end
    else
      -- every key holding a plain value in some row (tables and functions are not cells)
      local seen = {}
      for _, r in ipairs(rows) do
        for k, v in pairs(r) do
          local t = type(v)
          if not seen[k] and (t == "number" or t == "string" or t == "boolean") then
            seen[k] = true; columns[#columns + 1] = k
          end
        end
      end
      table.sort(columns, function(a, b) return tostring(a) < tostring(b) end)
    end
  end
  if type(columns) ~= "table" then
    error(caller .. ": columns must be a list of keys or { key = ..., title = ... } tables", 3)
  end
  local out = {}
  for i, c in ipairs(columns) do
    if type(c) == "table" then
      if c.key == nil then error(caller .. ": column " .. i .. " has no key", 3) end
      out[i] = { key = c.key, title = c.title or tostring(c.key), format = c.format, missing = c.missing }
    else
      out[i] = { key = c, title = tostring(c) }
    end
  end
  return out
end

local function check_rows(rows, caller)
  if type(rows) ~= "table" then
    error(caller .. ": rows must be a list of tables, got " .. type(rows), 3)
  end
  for i, r in ipairs(rows) do
    if type(r) ~= "table" then
      error(caller .. ": row " .. i .. " is a " .. type(r) .. ", expected a table", 3)
    end
  end
end

local function cell_text(value, column, digits)
  if value == nil then return column.missing or "" end
  local f = column.format
  if type(f) == "function" then return tostring(f(value)) end
  if type(f) == "string" then return sfmt(f, value) end
  if type(value) == "number" then return report.format_number(value, digits) end
  return tostring(value)
end

local function grid(rows, columns, caller, digits)
  check_rows(rows, caller)
  local cols = normalize_columns(rows, columns, caller)
  local cells, numeric = {}, {}
  for j, c in ipairs(cols) do numeric[j] = true end
  for i, r in ipairs(rows) do
    cells[i] = {}
    for j, c in ipairs(cols) do
      local v = r[c.key]
      cells[i][j] = cell_text(v, c, digits)
      if v ~= nil and type(v) ~= "number" then numeric[j] = false end
    end
  end
  return cols, cells, numeric
end

-- Display width: count UTF-8 code points, not bytes (so "θ₃" is two columns wide).
local function width(s)
  return utf8.len(s) or #s
end

local function pad(s, w, right)
  local n = w - width(s)
  if n <= 0 then return s end
  return right and (srep(" ", n) .. s) or (s .. srep(" ", n))
end

doc("table", [==[
report.table(rows [, columns [, options]]) -> string
  An aligned text table: a header, a rule, one line per row. Numeric columns are right
  aligned, others left aligned; numbers use report.format_number (options.digits
  significant digits, default 6). Missing values print empty.]==])
function report.table(rows, columns, options)
  local cols, cells, numeric = grid(rows, columns, "report.table", options and options.digits)
  local widths = {}
  for j, c in ipairs(cols) do
    widths[j] = width(c.title)
    for i = 1, #cells do widths[j] = math.max(widths[j], width(cells[i][j])) end
  end
  local lines = {}
  local head, rule = {}, {}
  for j, c in ipairs(cols) do
    head[j] = pad(c.title, widths[j], numeric[j])
    rule[j] = srep("-", widths[j])
  end
  lines[1] = concat(head, "  "):gsub("%s+$", "")
  lines[2] = concat(rule, "  ")
  for i = 1, #cells do
    local line = {}
    for j = 1, #cols do line[j] = pad(cells[i][j], widths[j], numeric[j]) end
    lines[#lines + 1] = concat(line, "  "):gsub("%s+$", "")
  end
  return concat(lines, "\n")
end

doc("markdown", [==[
report.markdown(rows [, columns [, options]]) -> string
  A GitHub-flavoured Markdown table; numeric columns are marked right aligned ("---:").
  The characters | in cells are escaped.]==])
function report.markdown(rows, columns, options)
  local cols, cells, numeric = grid(rows, columns, "report.markdown", options and options.digits)
  local function esc(s) return (s:gsub("|", "\\|")) end
  local head, rule = {}, {}
  for j, c in ipairs(cols) do
    head[j] = esc(c.title)
    rule[j] = numeric[j] and "---:" or "---"
  end
  local lines = { "| " .. concat(head, " | ") .. " |", "|" .. concat(rule, "|") .. "|" }
  for i = 1, #cells do
    local line = {}
    for j = 1, #cols do line[j] = esc(cells[i][j]) end
    lines[#lines + 1] = "| " .. concat(line, " | ") .. " |"
  end
  return concat(lines, "\n")
end

-- Atomic, checked writes: a temporary file beside `path`, every write, the flush, the fsync
-- (liplua's _lip.fsync, when present) and the close checked, then a rename over `path`. On
-- failure `path` keeps its earlier content and the temporary file is removed.
local function atomic_write(path, text)
  if type(path) ~= "string" or path == "" then return nil, "a file path is needed, got " .. tostring(path) end
  local tmp = sfmt("%s.tmp-%x%06x", path, os.time(), math.random(0, 0xffffff))
  local fh, err = io.open(tmp, "wb")
  if not fh then return nil, "cannot write " .. path .. ": " .. tostring(err) .. " (does the directory exist?)" end
  local ok, why = fh:write(text)
  if ok then ok, why = fh:flush() end
  local native = package.loaded["_lip"]
  if ok and type(native) == "table" and type(native.fsync) == "function" then ok, why = native.fsync(fh) end
  local cok, cwhy = fh:close()
  if ok and not cok then ok, why = nil, cwhy end
  if ok then ok, why = os.rename(tmp, path) end
  if not ok then
    os.remove(tmp)
    return nil, "cannot write " .. path .. ": " .. tostring(why) .. " (the file is unchanged)"
  end
  return true
end

local function write_file(path, text, caller)
  local ok, err = atomic_write(path, text)
  if not ok then error(caller .. ": " .. err, 3) end
end

doc("write", [==[
report.write(path, text) -> path
  Writes text to path atomically (a temporary file in the same folder, renamed over path)
  with every write, the flush, the fsync and the close checked. report.csv, json and
  svg_plot write this way. A failure raises "report.write: cannot write <path>: <reason>"
  and leaves an earlier file untouched: a script never says "wrote" for a broken file.]==])
function report.write(path, text)
  if type(text) ~= "string" then error("report.write: text must be a string, got " .. type(text), 2) end
  write_file(path, text, "report.write")
  return path
end

local function csv_field(s)
  if s:find('[,"\r\n]') or s:find("^%s") or s:find("%s$") then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

doc("csv_string", [==[
report.csv_string(rows [, columns]) -> string
  RFC 4180 CSV text: a header line, one line per row, fields with commas, quotes or line
  breaks quoted. Numbers are written exactly (shortest form that reads back to the same
  double); nan and inf as "nan", "inf", "-inf"; missing values as empty fields.]==])
function report.csv_string(rows, columns)
  check_rows(rows, "report.csv")
  local cols = normalize_columns(rows, columns, "report.csv")
  local lines = {}
  local head = {}
  for j, c in ipairs(cols) do head[j] = csv_field(c.title) end
  lines[1] = concat(head, ",")
  for i, r in ipairs(rows) do
    local line = {}
    for j, c in ipairs(cols) do
      local v = r[c.key]
      local s
      if v == nil then s = ""
      elseif type(v) == "number" then
        s = is_finite(v) and exact_number(v) or report.format_number(v)
      else s = tostring(v) end
      line[j] = csv_field(s)
    end
    lines[#lines + 1] = concat(line, ",")
  end
  return concat(lines, "\r\n") .. "\r\n"
end

doc("csv", [==[
report.csv(path, rows [, columns]) -> path
  Writes report.csv_string(rows, columns) to `path`.]==])
function report.csv(path, rows, columns)
  write_file(path, report.csv_string(rows, columns), "report.csv")
  return path
end

-- ------------------------------------------------------------------------------------------
-- JSON
-- ------------------------------------------------------------------------------------------

local object_mt = { __jsontype = "object" }
local array_mt = { __jsontype = "array" }

doc("json_object", [==[
report.json_object([t]) -> t
  Marks t (default {}) to encode as a JSON object even when empty or array-like.]==])
function report.json_object(t) return setmetatable(t or {}, object_mt) end

doc("json_array", [==[
report.json_array([t]) -> t
  Marks t (default {}) to encode as a JSON array (an empty unmarked table encodes as []).]==])
function report.json_array(t) return setmetatable(t or {}, array_mt) end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

-- Valid UTF-8 passes through; each invalid byte becomes U+FFFD.
local function utf8_clean(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return concat(out)
end

local function json_string(s)
  s = utf8_clean(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or sfmt("\\u%04x", c:byte())
  end) .. '"'
end

-- Array when every key is an integer 1..n (n = number of keys); marked tables win.
local function is_array(t)
  local mt = getmetatable(t)
  if mt and mt.__jsontype then return mt.__jsontype == "array" end
  local n = 0
  for k in pairs(t) do
    if mtype(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end

local function encode(value, out, indent, level, seen, where)
  local tv = type(value)
  if value == nil then
    out[#out + 1] = "null"
  elseif tv == "boolean" then
    out[#out + 1] = value and "true" or "false"
  elseif tv == "number" then
    if not is_finite(value) then
      out[#out + 1] = "null"
    elseif mtype(value) == "float" and value == floor(value) and math.abs(value) < 2^53 then
      out[#out + 1] = sfmt("%.1f", value)
    else
      out[#out + 1] = exact_number(value)
    end
  elseif tv == "string" then
    out[#out + 1] = json_string(value)
  elseif tv == "table" then
    if seen[value] then error("report.json: cycle at " .. where, 0) end
    seen[value] = true
    local nl, inner, close = "", "", ""
    if indent then
      nl = "\n"
      inner = srep(indent, level + 1)
      close = srep(indent, level)
    end
    if is_array(value) then
      if #value == 0 then
        out[#out + 1] = "[]"
      else
        out[#out + 1] = "[" .. nl
        for i = 1, #value do
          out[#out + 1] = inner
          encode(value[i], out, indent, level + 1, seen, where .. "[" .. i .. "]")
          out[#out + 1] = (i < #value and "," or "") .. nl
        end
        out[#out + 1] = close .. "]"
      end
    else
      local keys = {}
      for k in pairs(value) do
        local tk = type(k)
        if tk ~= "string" and tk ~= "number" then
          error("report.json: a " .. tk .. " key at " .. where .. " (JSON keys are strings)", 0)
        end
        keys[#keys + 1] = k
      end
      table.sort(keys, function(a, b)
        local ta, tb = type(a), type(b)
        if ta ~= tb then return ta == "number" end
        return a < b
      end)
      if #keys == 0 then
        out[#out + 1] = "{}"
      else
        out[#out + 1] = "{" .. nl
        for i, k in ipairs(keys) do
          local ks = type(k) == "string" and k or report.format_number(k, 17)
          out[#out + 1] = inner .. json_string(ks) .. (indent and ": " or ":")
          encode(value[k], out, indent, level + 1, seen, where .. "." .. ks)
          out[#out + 1] = (i < #keys and "," or "") .. nl
        end
        out[#out + 1] = close .. "}"
      end
    end
    seen[value] = nil
  else
    error("report.json: cannot encode a " .. tv .. " at " .. where
      .. " (only nil, booleans, numbers, strings and tables)", 0)
  end
end

doc("json_encode", [==[
report.json_encode(value [, options]) -> string
  JSON text for a Lua value. Tables whose keys are exactly 1..n are arrays, other tables
  objects with sorted keys (numbers before strings); an empty table is [] unless marked with
  report.json_object. nan and ±inf become null (JSON has no such numbers); floats are
  written exactly; integral floats keep a ".0". Strings are escaped; invalid UTF-8 bytes
  become U+FFFD. options.indent (a string such as "  ") pretty-prints. Cycles, functions and
  userdata raise an error naming where they are ($.rows[3].f).]==])
function report.json_encode(value, options)
  local out = {}
  local ok, err = pcall(encode, value, out, options and options.indent, 0, {}, "$")
  if not ok then error(err, 2) end
  return concat(out)
end

doc("json", [==[
report.json(path, value [, options]) -> path
  Writes report.json_encode(value, options) (indent "  " by default) and a newline.]==])
function report.json(path, value, options)
  options = options or { indent = "  " }
  local ok, text = pcall(report.json_encode, value, options)
  if not ok then error(text, 2) end
  write_file(path, text .. "\n", "report.json")
  return path
end

-- ------------------------------------------------------------------------------------------
-- SVG plots
-- ------------------------------------------------------------------------------------------

local palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }

local function xml_escape(s)
  return (tostring(s):gsub("[<>&\"']", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;",
                                         ['"'] = "&quot;", ["'"] = "&#39;" }))
end

-- "Nice" ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
local function nice_ticks(lo, hi, target)
  if lo == hi then
    local d = lo == 0 and 1 or math.abs(lo) * 0.1
    lo, hi = lo - d, hi + d
  end
  local raw = (hi - lo) / (target or 5)
  local p = 10 ^ floor(math.log(raw, 10))
  local step
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    step = m * p
    if step >= raw then break end
  end
  local first = floor(lo / step + 1e-9) * step
  local last = math.ceil(hi / step - 1e-9) * step
  local ticks = {}
  for i = 0, floor((last - first) / step + 0.5) do ticks[#ticks + 1] = first + i * step end
  return ticks, first, last
end
report._nice_ticks = nice_ticks

local function tick_label(v)
  if math.abs(v) < 1e-12 then return "0" end
  return sfmt("%g", tonumber(sfmt("%.6g", v)))
end

doc("svg_plot", [==[
report.svg_plot(path, spec) -> svg text
  A self-contained SVG line/scatter plot, written to `path` unless path is nil.
  spec = { title, xlabel, ylabel, log_y = bool, width = 640, height = 420,
           series = { { name, points = { {x, y}, ... },
                        style = "line" | "points" | "dashed", lower_bound = bool,
                        color = "#rrggbb" }, ... } }
  Axes with ticks at 1-2-5 steps (log_y: at powers of ten), a legend, one <g
  class="series"> per series. A series with lower_bound = true is drawn dashed (lower
  bounds such as LBS are told apart from upper bounds this way). Points with nan/inf
  coordinates, and y <= 0 on a log axis, are skipped.]==])
function report.svg_plot(path, spec)
  if type(spec) ~= "table" or type(spec.series) ~= "table" then
    error("report.svg_plot: spec must be a table with a `series` list", 2)
  end
  local W, H = spec.width or 640, spec.height or 420
  local left, right, top, bottom = 70, 170, 40, 55
  local pw, ph = W - left - right, H - top - bottom
  local log_y = spec.log_y and true or false

  -- Data range over usable points.
  local xmin, xmax, ymin, ymax = huge, -huge, huge, -huge
  local usable = {}
  for si, s in ipairs(spec.series) do
    if type(s) ~= "table" or type(s.points) ~= "table" then
      error("report.svg_plot: series " .. si .. " needs a `points` list of {x, y}", 2)
    end
    local pts = {}
    for pi, p in ipairs(s.points) do
      local x, y = p[1] or p.x, p[2] or p.y
      if type(x) ~= "number" or type(y) ~= "number" then
        error("report.svg_plot: series " .. si .. " point " .. pi .. " is not {x, y} numbers", 2)
      end
      if is_finite(x) and is_finite(y) and (not log_y or y > 0) then
        local yy = log_y and math.log(y, 10) or y
        pts[#pts + 1] = { x, yy }
        xmin, xmax = math.min(xmin, x), math.max(xmax, x)
        ymin, ymax = math.min(ymin, yy), math.max(ymax, yy)
      end
    end
    usable[si] = pts
  end
  if xmin > xmax then xmin, xmax, ymin, ymax = 0, 1, 0, 1 end

  local xticks, x0, x1 = nice_ticks(xmin, xmax, 6)
  local yticks, y0, y1
  if log_y then
    y0, y1 = floor(ymin), math.ceil(ymax)
    if y0 == y1 then y1 = y0 + 1 end
    yticks = {}
    for e = y0, y1 do yticks[#yticks + 1] = e end
  else
    yticks, y0, y1 = nice_ticks(ymin, ymax, 6)
  end
  local function sx(x) return left + (x - x0) / (x1 - x0) * pw end
  local function sy(y) return top + ph - (y - y0) / (y1 - y0) * ph end
  local function f(v) return sfmt("%.2f", v) end

  local o = {}
  o[#o + 1] = sfmt('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
    .. 'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">', W, H, W, H)
  o[#o + 1] = sfmt('<rect x="0" y="0" width="%d" height="%d" fill="white"/>', W, H)
  if spec.title then
    o[#o + 1] = sfmt('<text x="%s" y="22" text-anchor="middle" font-size="15">%s</text>',
      f(left + pw / 2), xml_escape(spec.title))
  end
  -- Grid and ticks.
  o[#o + 1] = '<g class="axes" stroke="#000" fill="none">'
  for _, t in ipairs(xticks) do
    o[#o + 1] = sfmt('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>',
      f(sx(t)), f(top), f(sx(t)), f(top + ph))
  end
  for _, t in ipairs(yticks) do
    o[#o + 1] = sfmt('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>',
      f(left), f(sy(t)), f(left + pw), f(sy(t)))
  end
  o[#o + 1] = sfmt('<rect x="%s" y="%s" width="%s" height="%s"/>', f(left), f(top), f(pw), f(ph))
  o[#o + 1] = '</g>'
  o[#o + 1] = '<g class="ticks" text-anchor="middle">'
  for _, t in ipairs(xticks) do
    o[#o + 1] = sfmt('<text x="%s" y="%s">%s</text>', f(sx(t)), f(top + ph + 16), tick_label(t))
  end
  o[#o + 1] = '</g><g class="ticks" text-anchor="end">'
  for _, t in ipairs(yticks) do
    local label = log_y and ("1e" .. sfmt("%d", t)) or tick_label(t)
    if log_y and t >= 0 and t <= 3 then label = tick_label(10 ^ t) end
    o[#o + 1] = sfmt('<text x="%s" y="%s">%s</text>', f(left - 6), f(sy(t) + 4), label)
  end
  o[#o + 1] = '</g>'
  if spec.xlabel then
    o[#o + 1] = sfmt('<text x="%s" y="%s" text-anchor="middle">%s</text>',
      f(left + pw / 2), f(H - 15), xml_escape(spec.xlabel))
  end
  if spec.ylabel then
    o[#o + 1] = sfmt('<text x="16" y="%s" text-anchor="middle" transform="rotate(-90 16 %s)">%s</text>',
      f(top + ph / 2), f(top + ph / 2), xml_escape(spec.ylabel .. (log_y and " (log scale)" or "")))
  end

  -- Series and legend.
  for si, s in ipairs(spec.series) do
    local color = s.color or palette[(si - 1) % #palette + 1]
    local style = s.style or (s.lower_bound and "dashed" or "line")
    if style ~= "line" and style ~= "points" and style ~= "dashed" then
      error("report.svg_plot: series " .. si .. " style must be \"line\", \"points\" or \"dashed\"", 2)
    end
    local dash = (style == "dashed" or s.lower_bound) and ' stroke-dasharray="6 4"' or ""
    local name = s.name or ("series " .. si)
    o[#o + 1] = sfmt('<g class="series" data-name="%s" stroke="%s" fill="%s">',
      xml_escape(name), color, color)
    local pts = usable[si]
    if style ~= "points" and #pts >= 2 then
      local coords = {}
      for i, p in ipairs(pts) do coords[i] = f(sx(p[1])) .. "," .. f(sy(p[2])) end
      o[#o + 1] = sfmt('<polyline fill="none" stroke-width="2"%s points="%s"/>', dash, concat(coords, " "))
    end
    for _, p in ipairs(pts) do
      o[#o + 1] = sfmt('<circle cx="%s" cy="%s" r="%s"/>', f(sx(p[1])), f(sy(p[2])),
        style == "points" and "3.5" or "2.5")
    end
    o[#o + 1] = '</g>'
    local ly = top + 10 + (si - 1) * 20
    o[#o + 1] = sfmt('<g class="legend"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>'
      .. '<circle cx="%s" cy="%s" r="3" fill="%s"/><text x="%s" y="%s">%s</text></g>',
      f(left + pw + 12), f(ly), f(left + pw + 40), f(ly), color,
      style == "points" and ' stroke-opacity="0"' or dash,
      f(left + pw + 26), f(ly), color, f(left + pw + 46), f(ly + 4), xml_escape(name))
  end
  o[#o + 1] = '</svg>'
  local svg = concat(o, "\n") .. "\n"
  if path then write_file(path, svg, "report.svg_plot") end
  return svg
end

-- ------------------------------------------------------------------------------------------
-- Terminal output
-- ------------------------------------------------------------------------------------------

doc("is_tty", [==[
report.is_tty() -> boolean
  True when stderr is a terminal. Uses the native _lip.isatty(2) (package.loaded._lip)
  when liplua provides it;
  under a plain Lua interpreter it answers false (no progress lines in logs).]==])
function report.is_tty()
  local lip = package.loaded["_lip"] or rawget(_G, "_lip")
  if type(lip) == "table" and type(lip.isatty) == "function" then
    local ok, yes = pcall(lip.isatty, 2)
    return ok and yes == true
  end
  return false
end

doc("progress", [==[
report.progress(i, n [, label])
  Writes "\r<label> i/n (pct%)" to stderr when stderr is a terminal, and a newline when
  i == n; does nothing otherwise, so logs and captured output stay clean.]==])
function report.progress(i, n, label)
  if not report.is_tty() then return end
  local pct = n > 0 and floor(100 * i / n + 0.5) or 100
  io.stderr:write(sfmt("\r%s %d/%d (%d%%)", label or "progress", i, n, pct))
  if i >= n then io.stderr:write("\n") end
  io.stderr:flush()
end

doc("row", [==[
report.row(result) -> string
  One line for a hierarchy result table (fields degree, family, certified, lp_value, rows,
  cols, nnz, build_seconds, solve_seconds, status), e.g.
  "LiPopt-3 multilinear  certified=1.23457  solver=1.23456  rows=120 columns=340 nonzeros=2000
  build=0.01s solve=0.20s  optimal" (a result without a certificate prints "uncertified").
  Missing fields print as "-".]==])
function report.row(r)
  if type(r) ~= "table" then
    error("report.row: expected a relaxation result table, got " .. type(r), 2)
  end
  local function num(v, digits)
    if v == nil then return "-" end
    if type(v) ~= "number" then return tostring(v) end
    return report.format_number(v, digits)
  end
  local function secs(v)
    if type(v) ~= "number" then return "-" end
    return sfmt("%.2fs", v)
  end
  local size = r.order and ("order=" .. num(r.order)) or
    ("rows=" .. num(r.rows) .. " columns=" .. num(r.columns) .. " nonzeros=" .. num(r.nonzeros))
  local certified = r.certified ~= nil and num(r.certified, 8) or "uncertified"
  return sfmt("%s %s  certified=%s  solver=%s  %s  build=%s solve=%s  %s",
    tostring(r.method or (r.degree and ("LiPopt-" .. r.degree)) or "-"), tostring(r.family or ""),
    certified, num(r.solver_value, 8), size, secs(r.build_seconds), secs(r.solve_seconds),
    tostring(r.status or "-"))
end

--- The columns of a relaxation result, for report.table / csv / markdown (the default when the
-- rows are results).
report.result_columns = {
  { key = "method", title = "method" }, { key = "family", title = "family" },
  { key = "certified", title = "certified", missing = "uncertified" },
  { key = "solver_value", title = "solver value" },
  { key = "rows", title = "rows" }, { key = "columns", title = "columns" }, { key = "nonzeros", title = "nonzeros" },
  { key = "build_seconds", title = "build s", format = "%.2f" },
  { key = "solve_seconds", title = "solve s", format = "%.2f" },
  { key = "status", title = "status" },
}

-- Register the documentation with lip.doc when it exists (inside liplua); standalone use
-- needs nothing of it.
do
  local ok, ldoc = pcall(require, "lip.doc")
  if ok and type(ldoc) == "table" and type(ldoc.register) == "function" then
    for name, text in pairs(docs) do
      pcall(ldoc.register, report[name], text, "report." .. name)
    end
  end
end

return report
