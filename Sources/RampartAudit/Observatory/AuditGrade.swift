import Rampart

/// A letter grade of the HTTP Observatory, from `A+` down to `F`.
///
/// Grades compare by strength: `AuditGrade.aPlus > .a`, so `report.grade >= minimum` reads as
/// "at least as good as". Parse one from its letter with `AuditGrade("B-")`.
///
/// The grade follows from the score: 100 and above is `A+`, then a band of 5 or 10 points per
/// grade down to 0–24, which is `F`.
///
/// See [MDN: HTTP Observatory, Tests & Scoring, Grading chart](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public enum AuditGrade: String, Sendable, Hashable, CaseIterable, Codable, Comparable, LosslessStringConvertible {
    /// `F`: 0–24.
    case f = "F"
    /// `D-`: 25–29.
    case dMinus = "D-"
    /// `D`: 30–39.
    case d = "D"
    /// `D+`: 40–44.
    case dPlus = "D+"
    /// `C-`: 45–49.
    case cMinus = "C-"
    /// `C`: 50–59.
    case c = "C"
    /// `C+`: 60–64.
    case cPlus = "C+"
    /// `B-`: 65–69.
    case bMinus = "B-"
    /// `B`: 70–79.
    case b = "B"
    /// `B+`: 80–84.
    case bPlus = "B+"
    /// `A-`: 85–89.
    case aMinus = "A-"
    /// `A`: 90–99.
    case a = "A"
    /// `A+`: 100 and above.
    case aPlus = "A+"

    /// The grade for a final score, per the Observatory's grading chart.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(score: Int) {
        switch score {
        case 100...: self = .aPlus
        case 90...: self = .a
        case 85...: self = .aMinus
        case 80...: self = .bPlus
        case 70...: self = .b
        case 65...: self = .bMinus
        case 60...: self = .cPlus
        case 50...: self = .c
        case 45...: self = .cMinus
        case 40...: self = .dPlus
        case 30...: self = .d
        case 25...: self = .dMinus
        default: self = .f
        }
    }

    /// Parses a grade written as the Observatory writes it (`A+`, `b-`, ` C `); case and
    /// surrounding spaces do not matter. Returns `nil` for anything else (`E`, `A++`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init?(_ description: String) {
        let trimmed = HeaderGrammar.trimOWS(Substring(description))
        let upper = String(decoding: trimmed.utf8.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 0x20 : $0 }, as: UTF8.self)
        guard let grade = AuditGrade(rawValue: upper) else { return nil }
        self = grade
    }

    /// The grade's letter, as the Observatory prints it (`A+`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var description: String { rawValue }

    /// The lowest score that earns this grade.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var minimumScore: Int {
        switch self {
        case .aPlus: 100
        case .a: 90
        case .aMinus: 85
        case .bPlus: 80
        case .b: 70
        case .bMinus: 65
        case .cPlus: 60
        case .c: 50
        case .cMinus: 45
        case .dPlus: 40
        case .d: 30
        case .dMinus: 25
        case .f: 0
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// Whether `lhs` is a weaker grade than `rhs` (`F < A+`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static func < (lhs: AuditGrade, rhs: AuditGrade) -> Bool { lhs.rank < rhs.rank }
}
