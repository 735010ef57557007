/// One thing ``DeploymentCheck`` found: a severity, a stable id and a message.
///
/// The header rules live in this module; the reference app adds the rules for its own server,
/// key-file and database settings (`RampartApp`), and `rampart check` prints them all, one
/// ``description`` per line.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
public struct DeploymentFinding: Sendable, Hashable, CustomStringConvertible {
    /// How bad a finding is.
    public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
        /// Informational: worth knowing, nothing to fix.
        case info
        /// Probably a mistake, or a weakness to fix when possible.
        case warning
        /// Unsafe to deploy: `rampart check` exits non-zero.
        case error

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// How bad it is.
    public let severity: Severity
    /// A stable, dotted identifier, such as `transport.plain-http`, for silencing or scripting.
    public let id: String
    /// What is wrong and what to do about it, on one line.
    public let message: String

    /// Creates a finding.
    public init(severity: Severity, id: String, message: String) {
        self.severity = severity
        self.id = id
        self.message = message
    }

    /// `error transport.plain-http: …` on one line: control characters in the message (which
    /// may quote a configured value) are shown escaped, so they cannot forge another line.
    public var description: String {
        var text = "\(severity.rawValue) \(id): "
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\r": text += "\\r"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}
