import HTTPTypes

/// The `Referrer-Policy` header: how much of this page's URL is sent in `Referer`.
///
/// The default is `no-referrer`. A list of tokens may be given; browsers use the last one they
/// understand, so older fallbacks go first.
///
/// See [W3C Referrer Policy §4](https://www.w3.org/TR/referrer-policy/#referrer-policies) and
/// [MDN: Referrer-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Referrer-Policy).
public struct ReferrerPolicy: SecurityHeaderPolicy, Hashable {
    /// One referrer policy token.
    public struct Token: Hashable, Sendable, CustomStringConvertible {
        /// The token as sent.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let noReferrer = Token("no-referrer")
        public static let noReferrerWhenDowngrade = Token("no-referrer-when-downgrade")
        public static let origin = Token("origin")
        public static let originWhenCrossOrigin = Token("origin-when-cross-origin")
        public static let sameOrigin = Token("same-origin")
        public static let strictOrigin = Token("strict-origin")
        public static let strictOriginWhenCrossOrigin = Token("strict-origin-when-cross-origin")
        /// `unsafe-url`: sends the full URL, path and query included, even to other sites and over HTTP.
        public static let unsafeURL = Token("unsafe-url")

        static let all: [Token] = [
            .noReferrer, .noReferrerWhenDowngrade, .origin, .originWhenCrossOrigin, .sameOrigin,
            .strictOrigin, .strictOriginWhenCrossOrigin, .unsafeURL,
        ]
    }

    /// The tokens, in the order they are sent.
    public let tokens: [Token]
    public let headerField: HTTPField

    /// Creates a policy from one or more tokens; the last one a browser knows wins.
    public init(_ tokens: Token...) throws {
        try self.init(tokens: tokens)
    }

    /// Creates a policy from a list of tokens.
    public init(tokens: [Token]) throws {
        guard !tokens.isEmpty else {
            throw SecurityConfigurationError(setting: "Referrer-Policy", value: "", reason: .empty, message: "at least one token is needed")
        }
        guard Set(tokens).count == tokens.count else {
            throw SecurityConfigurationError(
                setting: "Referrer-Policy",
                value: tokens.map(\.rawValue).joined(separator: ", "),
                reason: .duplicate,
                message: "a token is listed twice"
            )
        }
        self.tokens = tokens
        self.headerField = HTTPField(name: .referrerPolicy, value: tokens.map(\.rawValue).joined(separator: ", "))
    }

    /// Parses a header value such as `"no-referrer, strict-origin-when-cross-origin"`.
    public init(parsing text: String) throws {
        var tokens: [Token] = []
        for part in HeaderGrammar.split(Substring(text), on: UInt8(ascii: ",")) {
            let lower = HeaderGrammar.asciiLowercased(part)
            guard let token = Token.all.first(where: { $0.rawValue == lower }) else {
                throw SecurityConfigurationError(
                    setting: "Referrer-Policy",
                    value: String(part),
                    reason: .invalidValue,
                    message: "unknown referrer policy token"
                )
            }
            tokens.append(token)
        }
        try self.init(tokens: tokens)
    }

    /// `no-referrer`.
    public static let noReferrer = try! ReferrerPolicy(.noReferrer)
    /// `strict-origin-when-cross-origin`, the browsers' own default.
    public static let strictOriginWhenCrossOrigin = try! ReferrerPolicy(.strictOriginWhenCrossOrigin)
}
