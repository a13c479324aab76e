import Foundation
import LipControl

/// A JSON value that keeps the order of object keys and the exact text of numbers.
///
/// Foundation's JSONSerialization returns dictionaries (key order lost) and on Linux reads
/// numbers through NSDecimalNumber; the safetensors header's key order and exact weights
/// matter here, so headers and JSON network files are read with `OrderedJSON.parse`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's source text (converted on use: `double` is correctly rounded, `int` exact).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value of `key` in an object (first occurrence), nil otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let kv) = self { return kv.first { $0.key == key }?.value }
        return nil
    }
    public var objectEntries: [(key: String, value: JSONValue)]? { if case .object(let kv) = self { return kv }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    /// The number as the nearest Double (Swift's parser rounds correctly); nil for non-numbers.
    public var double: Double? { if case .number(let t) = self { return Double(t) }; return nil }
    /// The number as an Int when its text is an integer that fits (no rounding, no 1e300).
    public var int: Int? {
        guard case .number(let t) = self else { return nil }
        if let i = Int(t) { return i }
        // 3.0 or 3e0: integral values written as decimals, when exactly representable
        if let d = Double(t), d.isFinite, d == d.rounded(), Swift.abs(d) < 9.0e15 { return Int(d) }
        return nil
    }
    var kindName: String {
        switch self {
        case .null: return "null"; case .bool: return "a boolean"; case .number: return "a number"
        case .string: return "a string"; case .array: return "an array"; case .object: return "an object"
        }
    }
}

/// A small strict JSON reader (RFC 8259): ordered objects, exact number text, a depth limit,
/// and every position checked against the input length. Errors give the 1-based byte offset.
public enum OrderedJSON {
    public static func parse<C: RandomAccessCollection>(_ bytes: C, source: String, maxDepth: Int = 64) throws -> JSONValue
    where C.Element == UInt8 {
        let b = Array(bytes)
        var p = Parser(b: b, source: source, maxDepth: maxDepth)
        p.skipWS()
        let v = try p.value(depth: 0)
        p.skipWS()
        guard p.i == b.count else { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    struct Parser {
        let b: [UInt8]
        let source: String
        let maxDepth: Int
        var i = 0
        init(b: [UInt8], source: String, maxDepth: Int) { self.b = b; self.source = source; self.maxDepth = maxDepth }

        func fail(_ m: String) -> NetworkFileError { .malformed("\(source): invalid JSON at byte \(Swift.min(i, b.count) + 1): \(m)") }
        mutating func skipWS() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        mutating func expect(_ s: String) throws {
            for c in s.utf8 { guard i < b.count, b[i] == c else { throw fail("expected '\(s)'") }; i += 1 }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
            guard i < b.count else { throw fail("unexpected end of input") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1; skipWS()
                var kv: [(key: String, value: JSONValue)] = []
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
                while true {
                    skipWS()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let k = try string()
                    skipWS(); try expect(":"); skipWS()
                    kv.append((k, try value(depth: depth + 1)))
                    skipWS()
                    guard i < b.count else { throw fail("unterminated object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1; skipWS()
                var a: [JSONValue] = []
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    skipWS()
                    a.append(try value(depth: depth + 1))
                    skipWS()
                    guard i < b.count else { throw fail("unterminated array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default: return try number()
            }
        }

        mutating func number() throws -> JSONValue {
            let start = i
            func digits() -> Int { let s = i; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }; return i - s }
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            guard digits() > 0 else { throw fail("expected a value (NaN and Infinity are not JSON)") }
            if b[intStart] == 0x30 && i - intStart > 1 { throw fail("leading zeros are not allowed in numbers") }
            if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw fail("digits expected after '.'") } }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("digits expected in the exponent") }
            }
            guard i - start <= 400 else { throw fail("a number of \(i - start) characters") }
            return .number(String(decoding: b[start..<i], as: UTF8.self))
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]; i += 1
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("bad \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1  // opening quote
            var out = [UInt8]()
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]; i += 1
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { throw fail("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard i < b.count else { throw fail("unterminated escape") }
                let e = b[i]; i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var u = try hex4()
                    if (0xD800..<0xDC00).contains(u), i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00..<0xE000).contains(lo) else { throw fail("bad surrogate pair") }
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(u) else { throw fail("bad \\u escape (lone surrogate)") }
                    out += Array(String(Character(s)).utf8)
                default: throw fail("bad escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return s
        }
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
