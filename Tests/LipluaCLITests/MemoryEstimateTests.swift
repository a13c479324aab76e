import Foundation
import Testing

/// `KrivineHierarchy.estimate`'s peak memory against the peak resident set (VmHWM, reset first) measured in a
/// process of its own (the liplua binary, so no other test's allocations count): building the
/// (80,80,1) s=10 LiPopt-3 by_input LP (6,277 × 38,498, 129,926 nonzeros) and running GLPK's
/// primal simplex on it for 1.5 s (its working memory is allocated at the start; the solve
/// itself would take ~15 s). The estimate is an estimate: it must be within a factor of 2.
@Suite struct MemoryEstimateTests {
    @Test func estimateIsWithinAFactorOfTheMeasuredPeak() throws {
        let script = try tempFile("mem.lua", """
            local lip = require "lip"
            local native = require "_lip"
            local net = lip.nn.random { sizes = { 80, 80, 1 }, sparsity = 10, seed = 0 }
            local problem = lip.lipschitz_problem { network = net }
            local e = lip.hierarchy.krivine(problem, { degree = 3, estimate_only = true, quiet = true })
            collectgarbage()
            -- The kernel's peak (VmHWM) is reset to the current resident set, then read back.
            local function status(field)
              local f = assert(io.open("/proc/self/status"))
              local text = f:read("a"); f:close()
              return tonumber(text:match(field .. ":%s*(%d+)")) * 1024
            end
            local reset = io.open("/proc/self/clear_refs", "w")
            if reset then reset:write("5"); reset:close() end
            local before = status("VmRSS")
            -- No time limit on building (a debug build under load is slow); 1.5 s for the solve.
            local lp = native.hierarchy.apply(problem, { degree = 3 })
            local r = native.lp.solve_program(lp, { method = "primal", time_limit = 1.5 })
            print(string.format("%d %d %s %d", math.floor(e.memory_bytes), status("VmHWM") - before, type(r), lp:sizes().nonzeros))
            """)
        let r = try liplua([script])
        #expect(r.status == 0, "\(r.stderr)")
        let parts = r.stdout.split(separator: " ").map(String.init)
        guard parts.count == 4, let estimate = Double(parts[0]), let measured = Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Issue.record("unexpected output: \(r.stdout) \(r.stderr)"); return
        }
        #expect(measured > 20e6, "the solve allocated only \(measured) bytes")
        let ratio = estimate / measured
        #expect(ratio >= 0.5 && ratio <= 2, "estimate \(estimate) vs measured peak growth \(measured) (ratio \(ratio))")
    }
}
