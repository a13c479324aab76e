import LipLP
@testable import LipGLPK
import Testing
import LipTestSupport

let allMethods: [LPMethod] = [.primalSimplex, .dualSimplex, .interiorPoint, .automatic]

