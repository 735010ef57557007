import Hummingbird
import HummingbirdCore
import Logging
import Rampart
import RampartSQLite
import ServiceLifecycle

/// Rampart for a Hummingbird app, assembled in the one correct order: security headers and the
/// host and HTTPS checks first, then sessions, then CSRF; the connection limits in the server;
/// keys loaded (or created), the embedded SQLite store opened, and its purge scheduled.
///
/// ```swift
/// let rampart = try await RampartSetup.configure(.defaults(allowedHosts: ["example.com"]))
/// let router = Router(context: BasicRampartRequestContext.self)
/// router.add(middleware: rampart.middleware)
/// // … routes …
/// let app = Application(router: router, server: rampart.server, services: rampart.services)
/// ```
///
/// Each piece stays available on its own (``SecurityHeadersMiddleware``, ``SessionMiddleware``,
/// ``CSRFMiddleware``, `HTTPServerBuilder.rampartHTTP1`) for an app that wants only some.
///
/// See [OWASP Cheat Sheet Series](https://cheatsheetseries.owasp.org/).
public struct RampartSetup<Context: RampartRequestContext>: Sendable {
    /// Headers, sessions and CSRF, in that order, as one middleware.
    public let middleware: RampartMiddleware<Context>
    /// An HTTP/1.1 server with the connection limits and timeouts.
    public let server: HTTPServerBuilder
    /// What runs beside the server: the purge of expired sessions and used tokens.
    public let services: [any Service]
    /// The master keys.
    public let keyRing: KeyRing
    /// The session manager (SQLite store).
    public let sessions: SessionManager
    /// The CSRF configuration.
    public let csrf: CSRFConfiguration

    /// Validates the options, loads the keys (`RAMPART_KEYS`, else the key file, created with
    /// one new key on first run), opens the SQLite database in the data directory and builds
    /// every piece.
    /// - Throws: `SecurityConfigurationError` naming a bad setting, or a key error naming the
    ///   bad key source.
    public static func configure(
        _ options: RampartOptions,
        context: Context.Type = Context.self,
        logger: Logger = Logger(label: "rampart")
    ) async throws -> RampartSetup {
        let transport = try options.transportSecurity()
        let (ring, _) = try KeyRing.load(environment: KeyRing.processEnvironment, keyFile: options.dataDirectory + "/keys")
        let database = try RampartDatabase(path: options.dataDirectory + "/rampart.sqlite")
        let store = SQLiteSessionStore(database: database)
        let usedTokens = SQLiteUsedTokenStore(database: database)
        let sessions = SessionManager(configuration: try options.sessionConfiguration(store: store), keyRing: ring)
        let csrf = try options.csrfConfiguration(keyRing: ring, usedTokens: usedTokens)
        return RampartSetup(
            middleware: RampartMiddleware(
                headers: try SecurityHeadersMiddleware(
                    headers: options.headers,
                    transport: transport,
                    refusalPages: options.refusalPages,
                    resourceIsolation: options.resourceIsolation
                ),
                sessions: SessionMiddleware(manager: sessions),
                csrf: CSRFMiddleware(configuration: csrf)
            ),
            server: try .rampartHTTP1(limits: options.limits, headers: options.headers, refusalPages: options.refusalPages),
            services: [StorePurgeService(stores: [store, usedTokens], logger: logger)],
            keyRing: ring,
            sessions: sessions,
            csrf: csrf
        )
    }
}

extension RampartSetup where Context == BasicRampartRequestContext {
    /// ``configure(_:context:logger:)`` for routers on ``BasicRampartRequestContext``.
    public static func configure(_ options: RampartOptions, logger: Logger = Logger(label: "rampart")) async throws -> RampartSetup {
        try await configure(options, context: BasicRampartRequestContext.self, logger: logger)
    }
}

/// Security headers, sessions and CSRF in the order they must run, as one middleware: the
/// headers reach every response (errors and refusals included), the session is there before
/// the CSRF check needs it, and the check runs before any handler.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct RampartMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let headers: SecurityHeadersMiddleware<Context>
    let sessions: SessionMiddleware<Context>
    let csrf: CSRFMiddleware<Context>

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await headers.handle(request, context: context) { request, context in
            try await sessions.handle(request, context: context) { request, context in
                try await csrf.handle(request, context: context, next: next)
            }
        }
    }
}
