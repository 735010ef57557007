/// A graded audit: the score, the grade and every test's result.
///
/// The score starts at 100. Penalties (negative modifiers) come off first; only when the
/// result is still 90 or more are the bonuses (positive modifiers) added. The score never goes
/// below 0, and the grade follows from it (``AuditGrade/init(score:)``).
///
/// See [MDN: HTTP Observatory, Tests & Scoring, Scoring methodology](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditReport: Sendable, Hashable, Codable {
    /// The URL requested.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let url: AuditURL
    /// The URL of the response graded, after redirects.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let finalURL: AuditURL
    /// The final score, 0 or more.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let score: Int
    /// The grade for ``score``.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let grade: AuditGrade
    /// One result per test, in ``AuditTest/all`` order.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let results: [AuditResult]

    /// Creates a report, computing the score and grade from the results.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(url: AuditURL, finalURL: AuditURL, results: [AuditResult]) {
        self.url = url
        self.finalURL = finalURL
        self.results = results
        self.score = Self.score(results)
        self.grade = AuditGrade(score: score)
    }

    /// The Observatory's two rounds: penalties, then bonuses only from 90 up.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static func score(_ results: [AuditResult]) -> Int {
        let scored = results.filter(\.isScored)
        var score = 100 + scored.map(\.modifier).filter { $0 < 0 }.reduce(0, +)
        if score >= 90 {
            score += scored.map(\.modifier).filter { $0 > 0 }.reduce(0, +)
        }
        return max(score, 0)
    }

    /// The result of one test, if it ran.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public subscript(test: AuditTest) -> AuditResult? {
        results.first { $0.test == test }
    }
}
