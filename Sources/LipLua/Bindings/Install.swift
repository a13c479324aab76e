extension LuaVM {
    /// Installs every native module into `_lip` when a state is created. Each binding file
    /// adds one `installX()` line here.
    func installBindings() {
        installLP()
        installLPSolverDefinition()
        installData()
        installActivations()
        installNorms()
        installNetworks()
        installPolynomials()
        installProblems()
        installBounds()
        installHierarchy()
        installFiles()
        installWitness()
        installSDP()
    }
}
