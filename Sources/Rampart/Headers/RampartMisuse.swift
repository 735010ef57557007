import Synchronization

/// A programmer error in how Rampart is wired: a missing middleware, or middleware in the wrong
/// order. Loud by default: `assertionFailure` in debug builds, and one `error` log line per kind
/// in release builds (the request then fails closed: a detached session saves nothing, a CSRF
/// check without a session refuses). Both adapters report through it, each naming its own pieces
/// (``Names/hummingbird``, ``Names/vapor``).
///
/// The right order is the security headers, then sessions, then CSRF, which is what each
/// adapter's one-call setup installs.
///
/// See [OWASP Secure Product Design](https://cheatsheetseries.owasp.org/cheatsheets/Secure_Product_Design_Cheat_Sheet.html).
public enum RampartMisuse: String, Sendable, CaseIterable {
    /// The session read on a route without the session middleware.
    case sessionWithoutMiddleware
    /// The CSRF helpers read on a route without the session middleware.
    case csrfWithoutMiddleware
    /// The CSRF middleware runs before (or without) the session middleware.
    case csrfBeforeSessions
    /// The security headers middleware runs inside the session middleware instead of outside it.
    case headersInsideSessions
    /// The router has no security headers middleware.
    case noSecurityHeaders

    /// How an adapter names its pieces, for the messages.
    public struct Names: Sendable {
        /// The session accessor (`context.session`).
        public let session: String
        /// The CSRF helpers accessor (`context.csrf`).
        public let csrf: String
        /// The security headers middleware.
        public let headers: String
        /// The session middleware.
        public let sessions: String
        /// The CSRF middleware.
        public let csrfMiddleware: String
        /// The one-call setup that installs all three in order.
        public let setup: String

        public init(session: String, csrf: String, headers: String, sessions: String, csrfMiddleware: String, setup: String) {
            self.session = session
            self.csrf = csrf
            self.headers = headers
            self.sessions = sessions
            self.csrfMiddleware = csrfMiddleware
            self.setup = setup
        }

        /// Hummingbird's names.
        public static let hummingbird = Names(
            session: "context.session",
            csrf: "context.csrf",
            headers: "SecurityHeadersMiddleware",
            sessions: "SessionMiddleware",
            csrfMiddleware: "CSRFMiddleware",
            setup: "RampartSetup's middleware"
        )
        /// Vapor's names.
        public static let vapor = Names(
            session: "req.rampartSession",
            csrf: "req.csrf",
            headers: "RampartSecurityMiddleware",
            sessions: "RampartSessionMiddleware",
            csrfMiddleware: "RampartCSRFMiddleware",
            setup: "RampartVapor.install"
        )
    }

    /// What went wrong and the right order, in an adapter's names.
    public func message(_ names: Names) -> String {
        let order = "add \(names.headers), then \(names.sessions), then \(names.csrfMiddleware) (or \(names.setup), which does)"
        return switch self {
        case .sessionWithoutMiddleware: "\(names.session) was read on a route without \(names.sessions); nothing it holds is saved: \(order)"
        case .csrfWithoutMiddleware: "\(names.csrf) was read on a route without \(names.sessions); its tokens never verify: \(order)"
        case .csrfBeforeSessions: "\(names.csrfMiddleware) runs before \(names.sessions), so no token can verify: \(order)"
        case .headersInsideSessions:
            "\(names.headers) runs inside \(names.sessions), so session errors go out without security headers: \(order)"
        case .noSecurityHeaders: "the router has no \(names.headers), so no response carries security headers: \(order)"
        }
    }

    /// Replaces what happens on misuse (tests record it instead of stopping the process).
    public static func setHandler(_ handler: (@Sendable (RampartMisuse) -> Void)?) {
        custom.withLock { $0 = handler }
    }

    private static let custom = Mutex<(@Sendable (RampartMisuse) -> Void)?>(nil)
    private static let logged = Mutex<Set<RampartMisuse>>([])

    /// Reports a misuse: the custom handler if one is set; otherwise `log` with the message the
    /// first time each kind is seen, then an assertion in debug builds.
    public static func report(_ misuse: RampartMisuse, names: Names, log: (_ kind: String, _ fix: String) -> Void) {
        if let handler = custom.withLock({ $0 }) {
            handler(misuse)
            return
        }
        if logged.withLock({ $0.insert(misuse).inserted }) {
            log(misuse.rawValue, misuse.message(names))
        }
        assertionFailure("Rampart: " + misuse.message(names))
    }
}
