-- The host's Lua side: lazy modules, documentation, the REPL printer, the spec runner.
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect

describe("lip umbrella", function()
  it("loads modules lazily and caches them", function()
    local lip = require "lip"
    expect(lip.lp).to_be(require "lip.lp")
    expect(rawget(lip, "lp")).to_be(lip.lp)
  end)
  it("rejects unknown names", function()
    expect(function() return (require "lip").nosuchthing end).to_fail("lip has no field 'nosuchthing'")
  end)
  it("finds the stdlib from package.path", function()
    expect(package.searchpath("lip.repl", package.path)).to_match("lip/repl%.lua$")
  end)
end)

describe("lip.doc", function()
  local doc = require "lip.doc"
  it("keeps native documentation", function()
    expect(doc.get((require "lip").lp.solve)).to_match("^lip%.lp%.solve%(problem%)")
    expect(doc.get("lip.lp.solve")).to_be(doc.get("lp.solve"))
  end)
  it("registers Lua functions once", function()
    local function f() end
    expect(doc.register(f, "f(x): doubles x", "demo.f")).to_be(f)
    expect(doc.get(f)).to_be("f(x): doubles x")
    expect(doc.get("demo.f")).to_be("f(x): doubles x")
  end)
  it("describes a module by listing its documented fields", function()
    expect(doc.get("lp")).to_contain("dense_rows")
  end)
end)

describe("lip.repl.format", function()
  local fmt = require("lip.repl").format
  it("prints sequences, sorted keys and nesting", function()
    expect(fmt({ 1, 2, 3 })).to_be("{1, 2, 3}")
    expect(fmt({ b = 1, a = { 2, "x" } })).to_be('{a = {2, "x"}, b = 1}')
    expect(fmt({ [10] = true, ["not id"] = 1 })).to_be('{[10] = true, ["not id"] = 1}')
    expect(fmt(1.0)).to_be("1.0")
    expect(fmt(0.1)).to_be("0.1")
  end)
  it("marks cycles and bounds depth", function()
    local t = { name = "t" }
    t.self = t
    expect(fmt(t)).to_be('{name = "t", self = <cycle>}')
    expect(fmt({ { { { 1 } } } })).to_be("{{{{...}}}}")
  end)
  it("truncates long tables", function()
    local t = {}
    for i = 1, 100 do t[i] = i end
    expect(fmt(t)).to_contain("... (70 more)")
  end)
end)

describe("lip.test itself", function()
  it("reports failures of a spec file", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write([[
      local T = require "lip.test"
      T.describe("inner", function()
        T.it("passes", function() T.expect(1 + 1).to_be(2) end)
        T.it("fails", function() T.expect(1 + 1).to_be(3) end)
      end)
    ]])
    f:close()
    local r = T.run_file(path)
    os.remove(path)
    expect(r.passed).to_be(1)
    expect(r.failed).to_be(1)
    expect(r.failures[1].name).to_be("inner fails")
    expect(r.failures[1].message).to_contain("expected 2 to be 3")
  end)
  it("compares numbers with a relative tolerance", function()
    expect(function() expect(1.0).to_be_near(1.1, 1e-3) end).to_fail("to be within")
    expect(1e6 + 1e-4).to_be_near(1e6, 1e-9)
  end)
end)
