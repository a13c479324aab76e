import Foundation
import LipControl
import LipGLPK
import LipLua
import Testing
import XCTest

/// A VM with `t.each(f, seconds, n)`: calls f(0..n-1) the way LipCore calls a Lua activation
/// (a closure that cannot throw: an error becomes NaN and the loop goes on), under a deadline
/// of `seconds` for the native call; returns the sum. And `t.count()`, the Lua calls that ran.
func stopVM() throws -> LuaVM {
    let vm = try LuaVM()
    vm.register(module: "t", name: "each", doc: "calls f(i) for i < n, swallowing errors") { call in
        let f = try call.function(1)
        let seconds = try call.number(2)
        let n = Int(try call.number(3))
        return call.vm.withDeadline(seconds: seconds) {
            var sum = 0.0
            for i in 0..<n { sum += (try? f.callNumber(Double(i), what: "f")) ?? .nan }
            return call.push(sum)
        }
    }
    vm.register(module: "t", name: "fails_later", doc: "calls f once (errors swallowed), then fails itself") { call in
        let f = try call.function(1)
        _ = try? f.callNumber(1, what: "f")
        throw LuaRaise("a later error that only follows from the callback's")
    }
    vm.setSolver(GLPKSolver())
    return vm
}

@Suite struct LuaCallbackStops {
    /// A callback that loops forever is stopped by the deadline of the native call that runs
    /// it; the later calls of the loop fail at once (oracle: the Lua-side call counter is 1,
    /// and the wall time is the deadline plus a little).
    @Test func loopingCallbackHitsTheNativeCallsDeadline() throws {
        let vm = try stopVM()
        let t0 = monotonicSeconds()
        let r = try vm.run(string: """
            local t = require("_lip").t
            calls = 0
            local ok, e = pcall(t.each, function(x) calls = calls + 1; while true do end end, 0.4, 1000)
            return ok, e, calls
            """, chunkName: "@stop.lua")
        let wall = monotonicSeconds() - t0
        #expect(r[0].boolValue == false)
        #expect(r[1].stringValue?.hasSuffix("time limit reached") == true, "\(r[1])")
        #expect(r[2].doubleValue == 1, "the loop re-entered Lua after the deadline: \(r[2]) calls")
        #expect(wall > 0.35 && wall < 1.5, "\(wall) s")
        // The deadline ended with the native call: the same VM runs Lua again.
        #expect(try vm.run(string: "return 6 * 7").first?.doubleValue == 42)
        let ok = try vm.run(string: "return require('_lip').t.each(function(x) return x end, 10, 4)")
        #expect(ok.first?.doubleValue == Double(0 + 1 + 2 + 3))
    }

    /// The first error a callback raises is the native call's error, even when the code in
    /// between swallowed it and failed later for a reason that only follows from it.
    @Test func firstCallbackErrorWins() throws {
        let vm = try stopVM()
        let r = try vm.run(string: """
            local t = require("_lip").t
            local ok, e = pcall(t.fails_later, function(x) error("boom in the callback") end)
            local ok2, e2 = pcall(t.each, function(x) if x == 2 then error("third call fails") end return x end, 100, 5)
            local ok3, v3 = pcall(t.each, function(x) return 1 end, 100, 3)
            return ok, e, ok2, e2, ok3, v3
            """, chunkName: "@first.lua")
        #expect(r[0].boolValue == false)
        #expect(r[1].stringValue?.contains("boom in the callback") == true, "\(r[1])")
        #expect(r[2].boolValue == false)
        #expect(r[3].stringValue?.contains("third call fails") == true, "\(r[3])")
        // Nothing is carried into the next native call.
        #expect(r[4].boolValue == true && r[5].doubleValue == 3)
    }

    /// lip.hierarchy.krivine with a Lua product family whose build loops: time_limit stops it.
    @Test func krivineProductsCallbackHitsTimeLimit() throws {
        let vm = try stopVM()
        let t0 = monotonicSeconds()
        let r = try vm.run(string: """
            local lip = require "lip"
            local net = lip.nn.random { sizes = { 3, 3, 1 }, activation = "elu", seed = 1 }
            local problem = lip.lipschitz_problem { network = net }
            lip.hierarchy.define_family { name = "looping", build = function() while true do end end }
            return pcall(lip.hierarchy.krivine, problem, { degree = 3, quiet = true, time_limit = 0.5,
              products = "looping" })
            """, chunkName: "@kr.lua")
        let wall = monotonicSeconds() - t0
        #expect(r[0].boolValue == false)
        #expect(r[1].stringValue?.contains("time limit reached") == true, "\(r[1])")
        #expect(wall < 2.5, "\(wall) s")
    }
}

/// Interrupts of Lua callbacks through `Interrupt.request()` from another thread. XCTest: the
/// interrupt flag is process-wide, and `swift test` runs XCTest cases one at a time, apart
/// from the parallel swift-testing suites.
final class LuaInterruptTests: XCTestCase {
    override func tearDown() { Interrupt.clear() }

    func testLoopingCallbackIsStoppedByInterrupt() throws {
        Interrupt.clear()
        let vm = try stopVM()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { Interrupt.request() }
        let t0 = monotonicSeconds()
        // No deadline (1e9 s): only the interrupt can stop it.
        let r = try vm.run(string: """
            local t = require("_lip").t
            calls = 0
            local ok, e = pcall(t.each, function(x) calls = calls + 1; while true do end end, 1e9, 1000)
            return ok, e, calls
            """, chunkName: "@int.lua")
        let wall = monotonicSeconds() - t0
        // The pcall returned, but the hook stops the chunk right after it (the flag is still
        // set) unless it is short: either way "interrupted!" and one Lua call.
        XCTAssertEqual(r[0].boolValue, false)
        XCTAssertTrue(r[1].stringValue?.hasSuffix("interrupted!") == true, "\(r[1])")
        XCTAssertEqual(r[2].doubleValue, 1)
        XCTAssertLessThan(wall, 1.5)
    }

    func testCallWhileInterruptPendingFailsAtOnceWithTypedError() throws {
        let vm = try stopVM()
        guard case .function(let f)? = try vm.run(string: "calls = 0; return function(x) calls = calls + 1; return x end").first else {
            return XCTFail("no function")
        }
        Interrupt.request()
        XCTAssertThrowsError(try f.callNumber(1)) { e in
            XCTAssertEqual(e as? LuaInterruption, LuaInterruption(.interrupted))
        }
        Interrupt.clear()
        XCTAssertEqual(try vm.run(string: "return calls").first?.doubleValue, 0)
        XCTAssertEqual(try f.callNumber(5), 5)
    }

    /// A loop inside a coroutine created before the interrupt stops too (coroutine.resume and
    /// coroutine.wrap watch the coroutine while it runs; no hook is on before the interrupt).
    func testLoopInsideACoroutineStops() throws {
        for form in ["local ok, e = coroutine.resume(coroutine.create(function() while true do end end))",
                     "coroutine.wrap(function() while true do end end)()"] {
            Interrupt.clear()
            let vm = try stopVM()
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { Interrupt.request() }
            let t0 = monotonicSeconds()
            XCTAssertThrowsError(try vm.interruptible { try vm.run(string: form + "\nwhile true do end", chunkName: "@co.lua") }, form) { e in
                XCTAssertTrue("\(e)".contains("interrupted!"), "\(e)")
            }
            XCTAssertLessThan(monotonicSeconds() - t0, 1.5, form)
        }
    }

    /// Plain Lua code under `interruptible` (what the executable runs scripts in) stops too,
    /// also when it catches the error with pcall in a loop.
    func testInterruptibleLuaStops() throws {
        let vm = try stopVM()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { Interrupt.request() }
        let t0 = monotonicSeconds()
        XCTAssertThrowsError(try vm.interruptible {
            try vm.run(string: "while true do pcall(function() while true do end end) end")
        }) { e in
            XCTAssertTrue("\(e)".contains("interrupted!"), "\(e)")
        }
        XCTAssertLessThan(monotonicSeconds() - t0, 1.5)
    }
}

/// coroutine.resume and coroutine.wrap keep Lua's behaviour under liplua's watching versions:
/// values in and out, yields, errors with the caller's position, dead coroutines.
@Suite struct CoroutineSemantics {
    @Test func resumeAndWrapBehaveAsInLua() throws {
        let vm = try stopVM()
        let r = try vm.run(string: """
            local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b); return c * 2, "done" end)
            local r1 = table.pack(coroutine.resume(co, 1, 2))
            local r2 = table.pack(coroutine.resume(co, 5))
            local r3 = table.pack(coroutine.resume(co))
            local g = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
            local w1, w2 = g(1), g(5)
            local ok1, e1 = pcall(g)
            local h = coroutine.wrap(function() error("boom") end)
            local ok2, e2 = pcall(function() h() end)
            local ok3, e3 = pcall(coroutine.wrap(function() error({code = 7}) end))
            return r1.n, r1[1], r1[2], r2.n, r2[1], r2[2], r2[3], r3[1], r3[2], w1, w2, ok1, e1, ok2, e2, ok3, type(e3) == "table" and e3.code
            """, chunkName: "@co.lua")
        let v = r.map { "\($0.stringValue ?? $0.doubleValue.map { String($0) } ?? $0.boolValue.map { String($0) } ?? "?")" }
        #expect(v == ["2.0", "true", "3.0", "3.0", "true", "10.0", "done", "false", "cannot resume dead coroutine",
                      "2.0", "10.0", "false", "cannot resume dead coroutine", "false", "co.lua:9: co.lua:8: boom", "false", "7.0"], "\(v)")
    }
}
