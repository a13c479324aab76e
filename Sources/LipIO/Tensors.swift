import Foundation
import LipCore

/// A named array read from a file, converted to Double, in row-major (C) order.
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Double]
    /// The dtype it was stored with ("F32", "<f8", ...), for messages.
    public var dtype: String
    public init(name: String, shape: [Int], values: [Double], dtype: String = "F64") {
        self.name = name; self.shape = shape; self.values = values; self.dtype = dtype
    }
}

/// Turns an activation name recorded in a file ("relu", "elu", "leaky_relu(0.2)",
/// "elu(0.5)", or a user-defined name) into an `Activation`. The Lua binding passes its
/// registry (built-ins and `lip.act.define`d activations), so a Lua-defined activation loads
/// by name; throw for names you do not know.
public typealias ActivationResolver = (String) throws -> Activation

public enum BuiltinActivations {
    /// The built-ins of `Activation.named`, plus the parameterised forms that
    /// `Activation.name` writes: "leaky_relu(α)" and "elu(α)" (α a finite number).
    public static func resolve(_ name: String) throws -> Activation {
        do { return try builtins.activation(name) } catch {
            throw NetworkFileError.activation("unknown activation '\(name)' (built in: \(Activation.builtinNames.joined(separator: ", ")), leaky_relu(α), elu(α)); define it (lip.act.define{name = \"\(name)\", ...}) before loading, or pass activation = ... to override the file")
        }
    }
    private static let builtins = Registries.builtin()
    /// `resolve` as an `ActivationResolver` value.
    public static var resolver: ActivationResolver { { try resolve($0) } }
}

/// The resolver's name for an activation written by `Activation.name` (LeakyRelu/Elu of
/// ONNX carry α exactly as the file's float gives it).
func activationName(_ base: String, alpha: Double?) -> String {
    switch base {
    case "leaky_relu": return "leaky_relu(\(alpha ?? 0.01))"
    case "elu": return (alpha ?? 1) == 1 ? "elu" : "elu(\(alpha!))"
    default: return base
    }
}
