/// A configuration value that Rampart refused at startup.
///
/// Every policy validates itself when it is created. A bad value throws this error, which
/// names the setting (usually the header, such as `Content-Security-Policy`), the offending
/// value, and why it was refused, so that a deployment fails fast with an actionable message
/// instead of sending a header that a browser would ignore or misread.
///
/// Values that reach this error are configuration, never secrets, so they are safe to print.
/// Control characters are shown escaped, so that the message itself cannot inject a log line.
///
/// See [MDN: HTTP headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers).
public struct SecurityConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable reason, in the style of NIO's error codes.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidCharacter
            case invalidValue
            case invalidSource
            case unquotedKeyword
            case duplicate
            case noneMixedWithOtherSources
            case missingDefaultSrc
            case conflict
            case notEligible
            case missingDirective
            case empty
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The value holds a byte that is not allowed there, such as CR, LF, `;`, `,` or a quote.
        public static let invalidCharacter = Reason(.invalidCharacter)
        /// The value does not match the grammar of the setting.
        public static let invalidValue = Reason(.invalidValue)
        /// A Content-Security-Policy source expression does not match the CSP grammar.
        public static let invalidSource = Reason(.invalidSource)
        /// A CSP keyword such as `self` was written without its single quotes.
        public static let unquotedKeyword = Reason(.unquotedKeyword)
        /// The same directive, feature or endpoint was given twice.
        public static let duplicate = Reason(.duplicate)
        /// `'none'` was combined with other sources, which makes it meaningless.
        public static let noneMixedWithOtherSources = Reason(.noneMixedWithOtherSources)
        /// The policy has no `default-src`, so anything not listed is allowed.
        public static let missingDefaultSrc = Reason(.missingDefaultSrc)
        /// Two settings contradict each other (for example `X-Frame-Options` and `frame-ancestors`).
        public static let conflict = Reason(.conflict)
        /// An opt-in such as HSTS `preload` is not allowed with the other settings.
        public static let notEligible = Reason(.notEligible)
        /// A setting refers to a directive that the policy does not have.
        public static let missingDirective = Reason(.missingDirective)
        /// A list that must not be empty is empty.
        public static let empty = Reason(.empty)

        public var description: String { base.rawValue }
    }

    /// The setting that was refused, for example `Content-Security-Policy` or `trustedProxies`.
    public let setting: String
    /// The refused value, as configured.
    public let value: String
    /// Why it was refused, as a stable code.
    public let reason: Reason
    /// A human-readable explanation.
    public let message: String

    /// Creates an error for a refused setting.
    public init(setting: String, value: String, reason: Reason, message: String) {
        self.setting = setting
        self.value = value
        self.reason = reason
        self.message = message
    }

    public var description: String {
        "\(setting): \(message) (value: \"\(Self.printable(value))\", reason: \(reason))"
    }

    /// Escapes control characters, quotes and backslashes so the message stays on one line.
    static func printable(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
