extension SparsityPattern {
    /// `by_last_hidden`: for each neuron j of the last hidden layer, I_j = {s_{d−1,j}} ∪
    /// everything that reaches j (`LipschitzProblem.lastHiddenReach`).
    public static let byLastHidden = SparsityPattern(
        name: "by_last_hidden", summary: "for each last-hidden neuron, everything that reaches it") { problem in
        if problem.lastHiddenReach.isEmpty {
            throw HierarchyError.missingStructure(
                "the by_last_hidden pattern needs lastHiddenReach (built from a network); use the chordal or by_input pattern")
        }
        let byInput = dualVariablesByInput(problem)
        return problem.lastHiddenReach.map { entry in
            var s = Set(entry.derivatives)
            for i in entry.inputs { for t in byInput[i] ?? [] { s.insert(t) } }
            return s.sorted()
        }
    }
}
