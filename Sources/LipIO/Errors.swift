import Foundation
import LipControl

/// Errors from reading or writing network and data files. Every message names the file and
/// the tensor, node, member or layer at fault, and what to do; indices are 1-based.
public enum NetworkFileError: Error, CustomStringConvertible, Equatable {
    case io(String)
    case malformed(String)
    case unsupportedDType(String)
    case missingTensor(String)
    case unexpectedTensor(String)
    case shape(String)
    case nonFinite(String)
    case unknownFormat(String)
    /// A declared size that overflows, does not fit the file, or exceeds the memory budget.
    case size(String)
    /// An operator, attribute or layer type liplua does not import.
    case unsupported(String)
    /// The layer order cannot be decided from the file (see `StateDict` for the rules).
    case order(String)
    /// An activation name the resolver does not know.
    case activation(String)

    public var description: String {
        switch self {
        case .io(let m), .malformed(let m), .unsupportedDType(let m), .missingTensor(let m), .unexpectedTensor(let m),
             .shape(let m), .nonFinite(let m), .unknownFormat(let m), .size(let m), .unsupported(let m),
             .order(let m), .activation(let m): return m
        }
    }
}

/// Runs `body`, turning a `SizeError` (overflow, negative size, budget) into
/// `NetworkFileError.size` prefixed with the file name.
@inline(__always) func sized<T>(_ source: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as SizeError { throw NetworkFileError.size("\(source): \(e.message)") }
}
