import Foundation
import LipClp
import LipDSDP
import LipGLPK
import LipLP
import LipLua
import Testing

/// Every stdlib/tests/*_spec.lua, run through a VM with GLPK registered, so Lua failures
/// fail `swift test`.
let specFiles: [String] = {
    let dir = LuaStdlib.sourceTree + "/tests"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix("_spec.lua") }.sorted().map { dir + "/" + $0 }
}()

@Suite struct LuaSpecs {
    @Test func specFilesExist() {
        #expect(specFiles.contains { $0.hasSuffix("lp_spec.lua") })
    }

    @Test(arguments: specFiles)
    func spec(_ path: String) throws {
        let vm = try LuaVM()
        vm.setSolver(GLPKSolver())            // as the liplua executable sets it up
        vm.registerSolver(ClpSolver())
        vm.registerSolver(AutomaticLPSolver(builtIn: GLPKSolver()))
        vm.registerSDPSolver(DSDPSolver())
        vm.lpWriter = { lp, path, format in
            if format == "lp" { try GLPKSolver().write(lp, to: path, format: .cplexLP) } else { _ = try lp.writeMPS(to: path) }
        }
        let r = try vm.run(string: """
            local T = require "lip.test"
            local r = T.run_file(...)
            return r.passed, r.failed, T.summary(r)
            """, chunkName: "=(spec runner)", arguments: [path])
        let passed = r[0].doubleValue ?? 0, failed = r[1].doubleValue ?? -1
        if failed != 0 { Issue.record(Comment(rawValue: r[2].stringValue ?? "spec failed")) }
        #expect(passed > 0, "no cases ran in \(path)")
    }
}
