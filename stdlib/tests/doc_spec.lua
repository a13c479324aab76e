-- Documentation comes from declarations: every exported function has help, values describe
-- their type and methods, and the editor stubs carry parameter and result types.
local T = require "lip.test"
local describe, it, expect = T.describe, T.it, T.expect
local lip = require "lip"
local doc = require "lip.doc"

describe("help and stubs", function()
  it("documents every function of every module", function()
    local missing = {}
    for _, m in ipairs(lip.module_names()) do
      local mod = lip[m]
      if type(mod) == "table" then
        for k, v in pairs(mod) do
          if type(v) == "function" and not k:match("^_") and not doc.get(v) then missing[#missing + 1] = m .. "." .. k end
        end
      end
    end
    table.sort(missing)
    expect(table.concat(missing, ", ")).to_be("")
  end)

  it("describes values by their type and methods, and methods by their declaration", function()
    local net = lip.nn.random { sizes = { 2, 3, 1 } }
    local text = doc.get(net)
    expect(text).to_contain("Network methods")
    expect(text).to_contain(":gradient")
    local f = doc.get(net.forward)
    expect(f).to_contain("obj:forward(x) -> y")
    expect(f).to_contain("a list of finite numbers")
    expect(doc.get(lip.lipschitz_problem { network = net })).to_contain("LipschitzProblem methods")
    expect(doc.get("nn.random")).to_contain("sizes (a list of integers")
    expect(doc.get(lip.hierarchy.apply)).to_contain("degree (an integer in 1..12, default 3)")
    expect(doc.get(lip.data.image)).to_contain("1-based")
    expect(doc.get(lip)).to_be(nil)  -- the umbrella lists modules through help(), not a text
  end)

  it("writes stubs with typed parameters and results", function()
    local path = os.tmpname()
    doc.write_stubs(path)
    local text = io.open(path):read("a")
    os.remove(path)
    expect(text).to_contain("---@param spec {sizes: integer[], sparsity?: integer")
    expect(text).to_contain("---@return lip.Network network")
    expect(text).to_contain("function lip.nn.random(spec) end")
    expect(text).to_contain("function lip.Network:forward(x) end")
    expect(text).to_contain("---@param x number[]")
  end)
end)
