import CLua
import Foundation
import LipLua
import Testing

/// A Swift object whose live instances are counted, to watch `__gc` release them.
final class Tracked {
    nonisolated(unsafe) static var live = 0
    let value: Double
    init(_ value: Double) { self.value = value; Tracked.live += 1 }
    deinit { Tracked.live -= 1 }
}

func makeVM() throws -> LuaVM {
    let vm = try LuaVM()
    vm.register(module: "t", name: "add", doc: "t.add(a, b) -> a + b") { call in
        call.push(try call.number(1) + call.number(2))
    }
    vm.register(module: "t", name: "fail", doc: "raises") { _ in throw LuaRaise("nope from Swift") }
    vm.register(module: "t", name: "sum", doc: "sum of a table") { call in
        call.push(try call.numbers(1).reduce(0, +))
    }
    vm.register(module: "t", name: "shape", doc: "rows and columns of a nested table") { call in
        let m = try call.matrix(1)
        call.push(m.count); call.push(m.first?.count ?? 0)
        return 2
    }
    vm.register(module: "t", name: "opts", doc: "options") { call in
        let o = try call.options(1, allowed: ["degree", "sparsity", "products"])
        return call.push(try o.integer("degree") ?? -1)
    }
    vm.register(module: "t", name: "apply", doc: "calls f(x) from Swift") { call in
        let f = try call.function(1)
        return call.push(try f.callNumber(try call.number(2), what: "f"))
    }
    vm.registerType(Tracked.self, name: "Tracked", rawMethods: [
        "value": { call in call.push(try call.object(1, as: Tracked.self).value) },
        "explode": { call in _ = try call.object(1, as: Tracked.self); throw LuaRaise("exploded") },
    ], describe: { "Tracked(\($0.value))" })
    vm.register(module: "t", name: "make", doc: "a Tracked") { call in
        call.push(object: Tracked(try call.number(1)))
    }
    vm.register(module: "t", name: "unwrap", doc: "value of a Tracked") { call in
        call.push(try call.object(1, as: Tracked.self).value)
    }
    vm.register(module: "t", name: "record", doc: "a record") { call in
        call.pushRecord(["n": 3, "name": "x", "xs": [1.5, 2.5], "nested": ["a": [1, 2]]])
    }
    return vm
}

func message(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "(no error)" } catch let e as LuaError { return e.message } catch { return "\(error)" }
}

@Suite(.serialized) struct BridgeTests {
    @Test func swiftErrorBecomesCatchableLuaErrorWithPosition() throws {
        let vm = try makeVM()
        let r = try vm.run(string: """
            local t = require("_lip").t
            local ok, e = pcall(function()
              return t.fail()
            end)
            return ok, e
            """, chunkName: "@spec.lua")
        #expect(r.first?.boolValue == false)
        #expect(r[1].stringValue == "spec.lua:3: nope from Swift")
    }

    @Test func badArgumentMessageNamesArgumentTypeAndLine() throws {
        let vm = try makeVM()
        let m = message { try vm.run(string: "local t = require('_lip').t\nreturn t.add(1, nil)", chunkName: "@file.lua") }
        #expect(m == "file.lua:2: bad argument #2 to 'add' (number expected, got nil)")
        let m2 = message { try vm.run(string: "local t = require('_lip').t\nreturn t.sum({1, 'x'})", chunkName: "@f.lua") }
        #expect(m2 == "f.lua:2: bad argument #1 to 'sum' (element [2]: number expected, got string)")
        // numeric strings convert like luaL_checknumber
        #expect(try vm.run(string: "return require('_lip').t.add('2', 3)").first?.doubleValue == 5)
    }

    @Test func tablesOfNumbersAndNestedTables() throws {
        let vm = try makeVM()
        let r = try vm.run(string: "local t = require('_lip').t; return t.sum({1, 2, 3.5}), t.shape({{1,2,3},{4,5,6}})")
        #expect(r.map(\.doubleValue) == [6.5, 2, 3])
        let m = message { try vm.run(string: "return require('_lip').t.shape({{1,2},3})") }
        #expect(m.contains("bad argument #1 to 'shape' (element [2]: table of numbers expected, got number)"))
    }

    @Test func luaErrorBecomesSwiftThrowWithTraceback() throws {
        let vm = try makeVM()
        do {
            try vm.run(string: "local function f() error('deep') end\nf()", chunkName: "@x.lua")
            Issue.record("no error")
        } catch let e as LuaError {
            #expect(e.message == "x.lua:1: deep")
            #expect(e.traceback.hasPrefix("stack traceback:"))
            #expect(e.traceback.contains("in local 'f'") || e.traceback.contains("in function 'f'"))
        }
        // syntax errors
        #expect(message { try vm.run(string: "x = = 1", chunkName: "=s") }.hasPrefix("s:1:"))
    }

    @Test func luaFunctionsCalledFromSwift() throws {
        let vm = try makeVM()
        #expect(try vm.run(string: "return require('_lip').t.apply(function(x) return x * x + 1 end, 3)").first?.doubleValue == 10)
        // a Lua error inside the callback travels Swift -> Lua as an ordinary error
        let m = message { try vm.run(string: "return require('_lip').t.apply(function(x) error('inside') end, 3)", chunkName: "@cb.lua") }
        #expect(m == "cb.lua:1: inside")
        let m2 = message { try vm.run(string: "return require('_lip').t.apply(function(x) return 'a' end, 3)", chunkName: "@cb.lua") }
        #expect(m2 == "cb.lua:1: f must return a number, got string")
        // and a Swift caller gets a throw
        let f = try vm.run(string: "return function(a, b) if b == 0 then error('div by zero') end return a / b end")
        guard case .function(let fn)? = f.first else { Issue.record("not a function"); return }
        #expect(try fn.callNumber(1, 4) == 0.25)
        #expect(message { try fn.callNumber(1, 0) }.hasSuffix("div by zero"))
    }

    @Test func optionsRejectUnknownKeys() throws {
        let vm = try makeVM()
        #expect(try vm.run(string: "return require('_lip').t.opts{degree = 3}").first?.doubleValue == 3)
        #expect(try vm.run(string: "return require('_lip').t.opts()").first?.doubleValue == -1)
        let m = message { try vm.run(string: "return require('_lip').t.opts{degre = 3}", chunkName: "@o.lua") }
        #expect(m == "o.lua:1: bad argument #1 to 'opts' (unknown option 'degre'; did you mean 'degree'? allowed: degree, products, sparsity)")
        let m2 = message { try vm.run(string: "return require('_lip').t.opts{degree = 'x'}", chunkName: "@o.lua") }
        #expect(m2 == "o.lua:1: bad argument #1 to 'opts' (option 'degree': integer expected, got string)")
        let m3 = message { try vm.run(string: "return require('_lip').t.opts{degree = 2.5}") }
        #expect(m3.contains("option 'degree': number has no integer representation"))
    }

    @Test func userdataLifetimeFollowsGC() throws {
        let start = Tracked.live
        do {
            let vm = try makeVM()
            try vm.run(string: """
                local t = require('_lip').t
                for i = 1, 1000 do
                  local o = t.make(i)
                  assert(o:value() == i and t.unwrap(o) == i)
                  assert(not pcall(o.explode, o))
                end
                collectgarbage(); collectgarbage()
                """)
            #expect(Tracked.live == start)
            // objects still referenced survive a collection; close() releases them
            try vm.run(string: "keep = { require('_lip').t.make(1), require('_lip').t.make(2) }; collectgarbage()")
            #expect(Tracked.live == start + 2)
            #expect(try vm.run(string: "return tostring(keep[2])").first?.stringValue == "Tracked(2.0)")
            vm.close()
            #expect(Tracked.live == start)
        }
        #expect(Tracked.live == start)
    }

    @Test func userdataTypeErrors() throws {
        let vm = try makeVM()
        let m = message { try vm.run(string: "return require('_lip').t.unwrap({})", chunkName: "@u.lua") }
        #expect(m == "u.lua:1: bad argument #1 to 'unwrap' (Tracked expected, got table)")
        let m2 = message { try vm.run(string: "local o = require('_lip').t.make(1); return o.value(5)", chunkName: "@u.lua") }
        #expect(m2 == "u.lua:1: bad argument #1 to 'value' (Tracked expected, got number)")
        let m3 = message { try vm.run(string: "local o = require('_lip').t.make(1); return o:explode()", chunkName: "@u.lua") }
        #expect(m3 == "u.lua:1: exploded")
    }

    @Test func manyStatesOpenAndClose() throws {
        let start = Tracked.live
        for k in 0..<500 {
            let vm = try makeVM()
            let r = try vm.run(string: "local o = require('_lip').t.make(...); return o:value() + 1", arguments: ["\(k)"])
            #expect(r.first?.doubleValue == Double(k + 1))
        }
        #expect(Tracked.live == start)
    }

    @Test func raisingToStringDoesNotCrash() throws {
        let vm = try makeVM()
        let setup = "local bad = setmetatable({}, { __tostring = function() error('tostring failed') end })\n"
        // as an error object
        let m = message { try vm.run(string: setup + "error(bad)") }
        #expect(!m.isEmpty)
        // printed through the REPL formatter
        let r = try vm.run(string: setup + "return require('lip.repl').format(bad)")
        #expect(r.first?.stringValue?.contains("__tostring failed") == true)
        // through tostring in a pcall
        #expect(try vm.run(string: setup + "return pcall(tostring, bad)").first?.boolValue == false)
        #expect(try vm.run(string: "return 1 + 1").first?.doubleValue == 2)
    }

    @Test func pushingSwiftValues() throws {
        let vm = try makeVM()
        let r = try vm.run(string: """
            local r = require('_lip').t.record()
            return r.n, r.name, r.xs[2], #r.xs, r.nested.a[2], math.type(r.n)
            """)
        #expect(r.map(\.description) == ["3", "\"x\"", "2.5", "2", "2", "\"integer\""])
    }

    @Test func evaluateTriesExpressionFirst() throws {
        let vm = try makeVM()
        #expect(try vm.evaluate("1 + 2").first?.doubleValue == 3)
        #expect(try vm.evaluate("y = 7").isEmpty)
        #expect(try vm.evaluate("y * 2").first?.doubleValue == 14)
    }

    @Test func documentationReachesHelp() throws {
        let vm = try makeVM()
        #expect(vm.documentation["t.add"] == "t.add(a, b) -> a + b")
        let r = try vm.run(string: "return require('lip.doc').get(require('_lip').t.add), require('lip.doc').get('lp.solve')")
        #expect(r.first?.stringValue == "t.add(a, b) -> a + b")
        #expect(r[1].stringValue?.hasPrefix("lip.lp.solve(problem)") == true)
    }

    @Test func stdlibIsFoundAndLazyModulesLoad() throws {
        let vm = try makeVM()
        #expect(vm.stdlibDirectory != nil)
        let r = try vm.run(string: "local lip = require 'lip'; return rawget(lip, 'lp') == nil, type(lip.lp.solve), rawget(lip, 'lp') ~= nil")
        #expect(r.map(\.description) == ["true", "\"function\"", "true"])
        let m = message { try vm.run(string: "return require('lip').nosuch", chunkName: "@m.lua") }
        #expect(m.hasPrefix("m.lua:1: lip has no field 'nosuch'"))
    }

    @Test func missingSolverIsAClearError() throws {
        let vm = try makeVM()
        let m = message { try vm.run(string: "return require('lip').lp.solve{objective = {1}}", chunkName: "@s.lua") }
        #expect(m.contains("no LP solver is registered"))
    }
}
