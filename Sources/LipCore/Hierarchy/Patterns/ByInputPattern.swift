extension SparsityPattern {
    /// `by_input`: for each input coordinate v, I_v = {dual variables of v} ∪ the derivative
    /// variables reachable from v (`LipschitzProblem.inputReach`).
    public static let byInput = SparsityPattern(
        name: "by_input", summary: "for each input, its dual variables and every derivative variable it reaches") { problem in
        let byInput = dualVariablesByInput(problem)
        if problem.inputReach.isEmpty || byInput.isEmpty {
            throw HierarchyError.missingStructure(
                "the by_input pattern needs the problem's dual variables and inputReach (built from a network); use the chordal or dense pattern, or give sets")
        }
        var out: [[Int]] = []
        for (v, reach) in problem.inputReach.enumerated() {
            let duals = byInput[v] ?? []
            if duals.isEmpty { continue }
            out.append(Array(Set(duals + reach)).sorted())
        }
        return out
    }
}
