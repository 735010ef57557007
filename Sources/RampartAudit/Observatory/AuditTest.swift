/// One test of the HTTP Observatory, named as the Observatory names it
/// (`content-security-policy`, `cookies`, …).
///
/// Subresource Integrity is not tested: it needs the page's HTML, and Rampart audits headers.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditTest: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Observatory's name for the test.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let rawValue: String
    /// The test's title, for people.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var title: String {
        Self.titles.first { $0.0 == self }?.1 ?? rawValue
    }

    /// Creates a test from its Observatory name.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// `content-security-policy`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let contentSecurityPolicy = AuditTest(rawValue: "content-security-policy")
    /// `cookies`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookies = AuditTest(rawValue: "cookies")
    /// `cross-origin-resource-sharing`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let crossOriginResourceSharing = AuditTest(rawValue: "cross-origin-resource-sharing")
    /// `redirection`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirection = AuditTest(rawValue: "redirection")
    /// `referrer-policy`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let referrerPolicy = AuditTest(rawValue: "referrer-policy")
    /// `strict-transport-security`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let strictTransportSecurity = AuditTest(rawValue: "strict-transport-security")
    /// `x-content-type-options`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xContentTypeOptions = AuditTest(rawValue: "x-content-type-options")
    /// `x-frame-options`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptions = AuditTest(rawValue: "x-frame-options")
    /// `cross-origin-resource-policy`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let crossOriginResourcePolicy = AuditTest(rawValue: "cross-origin-resource-policy")
    /// `cross-origin-opener-policy`: informational only (see ``AuditOutcome/isScored``).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let crossOriginOpenerPolicy = AuditTest(rawValue: "cross-origin-opener-policy")
    /// `cross-origin-embedder-policy`: informational only (see ``AuditOutcome/isScored``).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let crossOriginEmbedderPolicy = AuditTest(rawValue: "cross-origin-embedder-policy")

    /// Every test, in the order reports list them.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let all: [AuditTest] = titles.map(\.0)

    private static let titles: [(AuditTest, String)] = [
        (.contentSecurityPolicy, "Content Security Policy (CSP)"),
        (.cookies, "Cookies"),
        (.crossOriginResourceSharing, "Cross Origin Resource Sharing (CORS)"),
        (.redirection, "Redirection"),
        (.referrerPolicy, "Referrer Policy"),
        (.strictTransportSecurity, "Strict Transport Security (HSTS)"),
        (.xContentTypeOptions, "X-Content-Type-Options"),
        (.xFrameOptions, "X-Frame-Options"),
        (.crossOriginResourcePolicy, "Cross Origin Resource Policy"),
        (.crossOriginOpenerPolicy, "Cross Origin Opener Policy"),
        (.crossOriginEmbedderPolicy, "Cross Origin Embedder Policy"),
    ]

    /// The Observatory identifier.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var description: String { rawValue }

    /// Decodes the value from its string form, as written in the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the value in its string form, for the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
