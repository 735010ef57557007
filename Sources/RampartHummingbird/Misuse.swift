import Logging
import Synchronization

/// A programmer error in how Rampart is wired: a missing middleware, or middleware in the wrong
/// order. Loud by default: `assertionFailure` in debug builds, and one `error` log line per kind
/// in release builds (the request then fails closed: a detached session saves nothing, a CSRF
/// check without a session refuses).
///
/// The right order is ``SecurityHeadersMiddleware``, then ``SessionMiddleware``, then
/// ``CSRFMiddleware``, which is what ``RampartSetup``'s ``RampartMiddleware`` installs.
///
/// See [OWASP Secure Product Design](https://cheatsheetseries.owasp.org/cheatsheets/Secure_Product_Design_Cheat_Sheet.html).
public enum RampartMisuse: String, Sendable, CaseIterable {
    /// `context.session` read on a route without ``SessionMiddleware``.
    case sessionWithoutMiddleware
    /// `context.csrf` read on a route without ``SessionMiddleware``.
    case csrfWithoutMiddleware
    /// ``CSRFMiddleware`` runs before (or without) ``SessionMiddleware``.
    case csrfBeforeSessions
    /// ``SecurityHeadersMiddleware`` runs inside ``SessionMiddleware`` instead of outside it.
    case headersInsideSessions
    /// The router has no ``SecurityHeadersMiddleware`` (found by ``RampartWiring/check(_:logger:)``).
    case noSecurityHeaders

    /// What went wrong and the right order.
    public var message: String {
        let order = "add SecurityHeadersMiddleware, then SessionMiddleware, then CSRFMiddleware (or RampartSetup's middleware, which does)"
        return switch self {
        case .sessionWithoutMiddleware: "context.session was read on a route without SessionMiddleware; nothing it holds is saved: \(order)"
        case .csrfWithoutMiddleware: "context.csrf was read on a route without SessionMiddleware; its tokens never verify: \(order)"
        case .csrfBeforeSessions: "CSRFMiddleware runs before SessionMiddleware, so no token can verify: \(order)"
        case .headersInsideSessions:
            "SecurityHeadersMiddleware runs inside SessionMiddleware, so session errors go out without security headers: \(order)"
        case .noSecurityHeaders: "the router has no SecurityHeadersMiddleware, so no response carries security headers: \(order)"
        }
    }

    /// Replaces what happens on misuse (tests record it instead of stopping the process).
    public static func setHandler(_ handler: (@Sendable (RampartMisuse) -> Void)?) {
        custom.withLock { $0 = handler }
    }

    private static let custom = Mutex<(@Sendable (RampartMisuse) -> Void)?>(nil)
    private static let logged = Mutex<Set<RampartMisuse>>([])

    /// Reports a misuse: the custom handler if set, else an assertion in debug and one error log
    /// line per kind.
    static func report(_ misuse: RampartMisuse, logger: Logger) {
        if let handler = custom.withLock({ $0 }) {
            handler(misuse)
            return
        }
        if logged.withLock({ $0.insert(misuse).inserted }) {
            logger.error("Rampart is wired wrongly", metadata: ["rampart.misuse": .string(misuse.rawValue), "rampart.fix": .string(misuse.message)])
        }
        assertionFailure("Rampart: " + misuse.message)
    }
}
