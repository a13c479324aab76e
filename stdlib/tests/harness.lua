--- The cases of a spec that also runs under plain Lua 5.4 (no liplua):
--   local H = require "tests.harness" ("report")
--   H.it("name", function() ... end) ... H.finish()
-- Run as a script (lua5.4 stdlib/tests/<name>_spec.lua), the cases run at once and finish()
-- prints "<name>: P passed, F failed" and raises when one failed; under the spec runner
-- (lip.test.run_file, used by the Swift suite) they are registered with lip.test instead.
return function(name)
  local H = {}
  H.standalone = type(arg) == "table" and type(arg[0]) == "string"
    and arg[0]:find(name .. "_spec%.lua$") ~= nil
  local passed, failed = 0, 0
  if H.standalone then
    function H.it(case, fn)
      local ok, err = xpcall(fn, debug.traceback)
      if ok then passed = passed + 1 else
        failed = failed + 1
        io.stderr:write("FAIL " .. name .. ": " .. case .. "\n" .. tostring(err) .. "\n")
      end
    end
  else
    H.it = require("lip.test").it
  end
  function H.raises(fn, pattern)
    local ok, err = pcall(fn)
    assert(not ok, "expected an error matching " .. pattern)
    assert(tostring(err):find(pattern), "error '" .. tostring(err) .. "' does not match " .. pattern)
  end
  function H.finish()
    if not H.standalone then return end
    print(string.format("%s: %d passed, %d failed", name, passed, failed))
    if failed > 0 then error(name .. "_spec: " .. failed .. " failed", 0) end
  end
  return H
end
