import Logging
import Rampart
import RampartSQLite
import Synchronization
import Vapor

/// Rampart for a Vapor app, assembled in the one correct order by one call: keys loaded (or
/// created), the embedded SQLite store opened and its purge scheduled, then the security
/// headers with the host and HTTPS checks, sessions, and CSRF, on every route.
///
/// ```swift
/// try await RampartVapor.install(on: app, .defaults(allowedHosts: ["example.com"]))
/// app.get { req in HTMLResponse("<form method=post>\(req.csrf.hiddenField())…</form>") }
/// ```
///
/// Each piece stays available on its own (``RampartSecurityMiddleware``,
/// ``RampartSessionMiddleware``, ``RampartCSRFMiddleware``) for an app that wants only some.
///
/// See [OWASP Secure Headers Project](https://owasp.org/www-project-secure-headers/) and
/// [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct RampartVapor: Sendable {
    /// The keys (from `RAMPART_KEYS`, or the key file in the data directory, created if missing).
    public let keyRing: KeyRing
    /// The session manager over the SQLite store.
    public let sessions: SessionManager
    /// The CSRF configuration in force.
    public let csrf: CSRFConfiguration

    /// Loads the keys, opens the SQLite store, and adds ``RampartSecurityMiddleware``,
    /// ``RampartSessionMiddleware`` and ``RampartCSRFMiddleware`` to `app.middleware`, in that
    /// order, after Vapor's own. Call it before adding routes or other middleware. Unless the
    /// app set one, Vapor's idle timeout is set to `HTTPLimits.standard.idleTimeout` (30 s): a
    /// connection that sends and receives nothing for that long is closed.
    /// - Throws: `SecurityConfigurationError` naming a bad setting, or the key file's or
    ///   database's error, at startup.
    @discardableResult
    public static func install(on app: Application, _ options: RampartOptions) async throws -> RampartVapor {
        let transport = try options.transportSecurity()
        let (ring, _) = try KeyRing.load(environment: KeyRing.processEnvironment, keyFile: options.dataDirectory + "/keys")
        let database = try RampartDatabase(path: options.dataDirectory + "/rampart.sqlite")
        let store = SQLiteSessionStore(database: database)
        let usedTokens = SQLiteUsedTokenStore(database: database)
        let sessions = SessionManager(configuration: try options.sessionConfiguration(store: store), keyRing: ring)
        let csrf = try options.csrfConfiguration(keyRing: ring, usedTokens: usedTokens)
        app.middleware.use(
            try RampartSecurityMiddleware(
                headers: options.headers,
                transport: transport,
                refusalPages: options.refusalPages,
                limits: options.limits,
                resourceIsolation: options.resourceIsolation
            )
        )
        // A connection silent for this long is closed (Vapor has no timeout by default, so a
        // slowloris client or an idle keep-alive connection is held forever).
        if app.http.server.configuration.idleTimeout == nil {
            app.http.server.configuration.idleTimeout = .seconds(Int64(HTTPLimits.standard.idleTimeout.components.seconds))
        }
        app.middleware.use(RampartSessionMiddleware(manager: sessions))
        app.middleware.use(RampartCSRFMiddleware(configuration: csrf))
        app.lifecycle.use(StorePurge(stores: [store, usedTokens], logger: app.logger))
        return RampartVapor(keyRing: ring, sessions: sessions, csrf: csrf)
    }
}

/// Deletes expired rows (sessions, used one-time tokens, any `PurgeableStore`) every five
/// minutes while the app runs: `app.lifecycle.use(StorePurge(stores: [...], logger: app.logger))`.
///
/// Several instances may run it against one shared store: a purge is a single `DELETE … WHERE
/// expires_at <= now`.
///
/// See [Vapor: lifecycle handlers](https://docs.vapor.codes/advanced/services/).
public final class StorePurge: LifecycleHandler, Sendable {
    let stores: [any PurgeableStore]
    let interval: Duration
    let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Creates the handler; it purges every `interval` (5 minutes by default) once the app booted.
    public init(stores: [any PurgeableStore], interval: Duration = .seconds(300), logger: Logger) {
        self.stores = stores
        self.interval = interval
        self.logger = logger
    }

    /// Starts the purge loop.
    public func didBootAsync(_ application: Application) async throws {
        let stores = self.stores
        let interval = self.interval
        let logger = self.logger
        task.withLock {
            $0 = Task {
                while !Task.isCancelled {
                    for store in stores {
                        do {
                            _ = try await store.purgeExpired(now: WallClock.system.now())
                        } catch {
                            logger.warning(
                                "Rampart could not purge expired rows",
                                metadata: ["rampart.error": .string(String(describing: type(of: error)))]
                            )
                        }
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }

    /// Stops the purge loop.
    public func shutdownAsync(_ application: Application) async {
        task.withLock { $0?.cancel() }
    }
}

/// An HTML page from trusted markup (`Markup`, whose interpolations are escaped), sent as
/// `text/html; charset=utf-8`.
///
/// See [MDN: Content-Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Type).
public struct HTMLResponse: AsyncResponseEncodable, Sendable {
    /// The page.
    public let html: String
    /// The status, `200 OK` by default.
    public let status: HTTPResponseStatus

    /// A page from markup.
    public init(_ markup: Markup, status: HTTPResponseStatus = .ok) {
        self.html = markup.html
        self.status = status
    }

    public func encodeResponse(for request: Request) async throws -> Response {
        Response(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: html))
    }
}
