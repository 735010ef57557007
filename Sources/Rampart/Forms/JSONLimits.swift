/// Limits on JSON request bodies: size (413 above it) and nesting depth (400 above it).
///
/// Size is checked against `Content-Length` before reading, then while the body streams. Depth
/// is checked by a byte scan before any decoding, so a `[[[[…` bomb never reaches a recursive
/// decoder.
///
/// See [RFC 8259 §9](https://www.rfc-editor.org/rfc/rfc8259#section-9) (implementations may
/// limit nesting) and [OWASP REST Security Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html).
public struct JSONLimits: Sendable, Hashable {
    /// The largest body accepted, in bytes. 1 MiB by default.
    public let maximumBytes: Int
    /// The deepest nesting of arrays and objects accepted. 64 by default.
    public let maximumDepth: Int

    /// Creates limits.
    /// - Throws: ``SecurityConfigurationError`` naming `maximumJSONBytes` or `maximumJSONDepth` when not positive.
    public init(maximumBytes: Int = 1024 * 1024, maximumDepth: Int = 64) throws(SecurityConfigurationError) {
        guard maximumBytes > 0 else {
            throw SecurityConfigurationError(
                setting: "maximumJSONBytes",
                value: String(maximumBytes),
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        guard maximumDepth > 0 else {
            throw SecurityConfigurationError(
                setting: "maximumJSONDepth",
                value: String(maximumDepth),
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        self.maximumBytes = maximumBytes
        self.maximumDepth = maximumDepth
    }

    /// 1 MiB and depth 64.
    public static let standard = try! JSONLimits()

    /// Whether `bytes` nest arrays and objects deeper than `maximumDepth` (brackets inside strings
    /// do not count).
    public func exceedsDepth(_ bytes: some Sequence<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
