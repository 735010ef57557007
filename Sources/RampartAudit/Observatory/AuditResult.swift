/// The result of one test: the outcome, its modifier and a one-line explanation.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditResult: Sendable, Hashable, Codable {
    /// The test, by its Observatory name (`content-security-policy`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let test: AuditTest
    /// The result identifier (`csp-implemented-with-no-unsafe-default-src-none`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let outcome: AuditOutcome
    /// The score modifier of ``outcome``.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var modifier: Int { outcome.modifier }
    /// Whether the test passed.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var passed: Bool { outcome.isPassing }
    /// Whether the result counts towards the score (false for the informational COOP and COEP).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var isScored: Bool { outcome.isScored }
    /// One line: what was found, with the value that decided it where that helps.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let explanation: String

    /// Creates a result; the explanation defaults to the outcome's summary.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(_ outcome: AuditOutcome, detail: String? = nil) {
        self.test = outcome.test
        self.outcome = outcome
        self.explanation = detail.map { "\(outcome.summary) (\($0))" } ?? outcome.summary
    }

    enum CodingKeys: String, CodingKey { case test, result, modifier, pass, scored, explanation }

    /// Decodes a result from the JSON report; the modifier and pass/fail follow from the outcome.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.outcome = try container.decode(AuditOutcome.self, forKey: .result)
        self.test = outcome.test
        self.explanation = try container.decode(String.self, forKey: .explanation)
    }

    /// Encodes the result for the JSON report: test, result, modifier, pass, scored and explanation.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(test, forKey: .test)
        try container.encode(outcome, forKey: .result)
        try container.encode(modifier, forKey: .modifier)
        try container.encode(passed, forKey: .pass)
        try container.encode(isScored, forKey: .scored)
        try container.encode(explanation, forKey: .explanation)
    }
}
