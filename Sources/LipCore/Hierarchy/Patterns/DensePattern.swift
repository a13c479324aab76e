extension SparsityPattern {
    /// `dense`: one set with every variable.
    public static let dense = SparsityPattern(name: "dense", summary: "one set with every variable") { problem in
        [Array(0..<problem.variableCount)]
    }
}
