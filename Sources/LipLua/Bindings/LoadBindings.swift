import LipCore

// Loading networks from files: the options of lip.nn.load and the call into the file readers.

extension LuaVM {
    static let loadFields: [Field] = [
        Field("activation", .activation, "hidden activation for files that record none (state dicts); overrides recorded ones", default: "relu"),
        Field("output", .output, "the scalar output: an index (from 1), {margin = {i, j}} or a vector c", default: "1"),
    ]

    static func loadNetwork(_ a: Arguments) throws -> Network {
        let path: String = a.get("path")!
        return try NetworkFile.load(path, activation: a.get("activation") ?? .relu, output: .index(0))
    }
}
