import CGLPK

/// The version of the linked GLPK library ("5.0"), from `glp_version()`.
public func glpkVersion() -> String {
    String(cString: glp_version())
}
