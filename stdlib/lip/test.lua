--- lip.test: a small spec runner (describe / it / expect), used by stdlib/tests/*_spec.lua.
-- The Swift test suite runs every spec file through the VM, so a failing spec fails CI.
-- From the command line: liplua stdlib/lip/test.lua stdlib/tests/lp_spec.lua ...
local T = {}

local current = { name = "", cases = {} }   -- the describe block being collected
local roots = {}

--- T.describe(name, body): groups cases; nests.
function T.describe(name, body)
  local parent = current
  local block = { name = (parent.name ~= "" and parent.name .. " " or "") .. name, cases = {} }
  parent.cases[#parent.cases + 1] = block
  current = block
  local ok, err = pcall(body)
  current = parent
  if not ok then
    block.cases[#block.cases + 1] = { name = "(describe body)", fn = function() error(err, 0) end }
  end
end

--- T.it(name, fn): one test case.
function T.it(name, fn)
  current.cases[#current.cases + 1] = { name = name, fn = fn }
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "table" then
    local ok, repl = pcall(require, "lip.repl")
    if ok then return repl.format(v, 2) end
  end
  return tostring(v)
end

local function deep_equal(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do if not deep_equal(v, b[k], seen) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- T.expect(value) -> matchers: to_equal(x) (deep), to_be(x) (==), to_be_near(x, tol),
-- to_be_truthy(), to_be_nil(), to_match(pattern), to_contain(plain substring or element),
-- to_be_less_than(x), to_be_greater_than(x), to_fail([substring]) (value is a function),
-- each also as not_to_... via expect(v).never.<matcher>.
function T.expect(actual)
  local function check(pass, message, negate)
    if negate then pass = not pass; message = "not " .. message end
    if not pass then error("expected " .. show(actual) .. " " .. message, 3) end
  end
  local function matchers(negate)
    local m = {}
    function m.to_equal(x) check(deep_equal(actual, x), "to equal " .. show(x), negate) end
    function m.to_be(x) check(actual == x, "to be " .. show(x), negate) end
    function m.to_be_near(x, tol)
      tol = tol or 1e-9
      local ok = type(actual) == "number" and math.abs(actual - x) <= tol * math.max(1, math.abs(x))
      check(ok, string.format("to be within %g (relative) of %.17g", tol, x), negate)
    end
    function m.to_be_truthy() check(actual and true or false, "to be truthy", negate) end
    function m.to_be_nil() check(actual == nil, "to be nil", negate) end
    function m.to_match(p) check(type(actual) == "string" and actual:match(p) ~= nil, "to match " .. show(p), negate) end
    function m.to_contain(x)
      local found = false
      if type(actual) == "string" then found = actual:find(x, 1, true) ~= nil
      elseif type(actual) == "table" then for _, v in pairs(actual) do if deep_equal(v, x) then found = true end end end
      check(found, "to contain " .. show(x), negate)
    end
    function m.to_be_less_than(x) check(actual < x, "to be less than " .. show(x), negate) end
    function m.to_be_greater_than(x) check(actual > x, "to be greater than " .. show(x), negate) end
    function m.to_fail(substring)
      local ok, err = pcall(actual)
      if negate then
        if not ok then error("expected no error, got: " .. tostring(err), 2) end
        return
      end
      if ok then error("expected an error" .. (substring and (" containing " .. show(substring)) or "") .. ", but the call succeeded", 2) end
      if substring and not tostring(err):find(substring, 1, true) then
        error("expected an error containing " .. show(substring) .. ", got: " .. tostring(err), 2)
      end
      return err
    end
    return m
  end
  local m = matchers(false)
  m.never = matchers(true)
  return m
end

--- T.expect_error(fn, substring) -> message: fn() must raise an error containing substring.
function T.expect_error(fn, substring) return T.expect(fn).to_fail(substring) end

local function run_block(block, results, out)
  for _, c in ipairs(block.cases) do
    if c.cases then
      run_block(c, results, out)
    else
      local name = (block.name ~= "" and block.name .. " " or "") .. c.name
      local ok, err = xpcall(c.fn, debug.traceback)
      if ok then
        results.passed = results.passed + 1
      else
        results.failed = results.failed + 1
        results.failures[#results.failures + 1] = { name = name, message = tostring(err) }
        if out then out:write("FAIL ", name, "\n  ", tostring(err):gsub("\n", "\n  "), "\n") end
      end
    end
  end
end

--- T.run_file(path [, out]) -> results { passed, failed, failures = {{name, message}} }
-- Loads a spec file (which calls describe/it), runs its cases and reports failures to `out`
-- (a file, e.g. io.stderr) if given. A spec file that fails to load counts as one failure.
function T.run_file(path, out)
  local results = { passed = 0, failed = 0, failures = {}, file = path }
  local saved_current, saved = current, nil
  current = { name = "", cases = {} }
  local chunk, err = loadfile(path)
  local ok = chunk ~= nil
  if ok then ok, err = xpcall(chunk, debug.traceback) end
  local collected = current
  current = saved_current
  if not ok then
    results.failed = 1
    results.failures[1] = { name = "(loading " .. path .. ")", message = tostring(err) }
    if out then out:write("FAIL loading ", path, "\n  ", tostring(err), "\n") end
    return results
  end
  run_block(collected, results, out)
  return results
end

--- T.summary(results) -> "name: n passed, m failed" plus failure messages.
function T.summary(r)
  local lines = { string.format("%s: %d passed, %d failed", r.file or "spec", r.passed, r.failed) }
  for _, f in ipairs(r.failures) do lines[#lines + 1] = "  FAIL " .. f.name .. "\n    " .. f.message:gsub("\n", "\n    ") end
  return table.concat(lines, "\n")
end

-- Documentation when lip.doc exists (inside liplua); the runner also works under plain lua5.4.
do
  local ok, doc = pcall(require, "lip.doc")
  if ok and type(doc) == "table" and type(doc.register) == "function" then
    doc.register(T.describe, "lip.test.describe(name, body)\nGroups cases; body calls it(...).", "test.describe")
    doc.register(T.it, "lip.test.it(name, fn)\nOne case: fn raises (e.g. through expect) to fail.", "test.it")
    doc.register(T.expect, [==[
lip.test.expect(actual) -> matcher
:to_be(x) (==), :to_equal(t) (deep), :to_be_near(x, tol), :to_contain(s), :to_fail([substring]).]==], "test.expect")
    doc.register(T.expect_error, "lip.test.expect_error(fn, substring)\nfn must raise an error containing substring.", "test.expect_error")
    doc.register(T.run_file, "lip.test.run_file(path [, out]) -> results\nRuns a spec file: {passed, failed, failures}.", "test.run_file")
    doc.register(T.summary, "lip.test.summary(results) -> text\nA line per file plus the failure messages.", "test.summary")
  end
end

if ... ~= "lip.test" then
  -- run as a script: liplua stdlib/lip/test.lua spec1.lua spec2.lua ... (the specs'
  -- require "lip.test" must find this instance, which collects their cases)
  package.loaded["lip.test"] = T
  local failed = 0
  for _, path in ipairs(arg or {}) do
    local r = T.run_file(path, io.stderr)
    print(string.format("%s: %d passed, %d failed", path, r.passed, r.failed))
    failed = failed + r.failed
  end
  os.exit(failed == 0 and 0 or 1)
end

return T
