import Hummingbird
import Logging
import NIOCore
import Rampart
import RampartHummingbird
import RampartSQLite

/// The reference application's request context.
public typealias AppRequestContext = BasicRampartRequestContext

/// What the reference application runs on: keys, database and session manager.
public struct AppServices: Sendable {
    /// The master keys.
    public let keyRing: KeyRing
    /// The SQLite database in the data directory.
    public let database: RampartDatabase
    /// The session store.
    public let sessionStore: SQLiteSessionStore
    /// The session manager.
    public let sessions: SessionManager

    /// Loads the keys (from `RAMPART_KEYS`, else the key file, creating it on first run) and
    /// opens the database.
    public init(_ configuration: AppConfiguration, logger: Logger) throws {
        let (ring, source) = try KeyRing.load(environment: configuration.environment, keyFile: configuration.keyFilePath)
        switch source {
        case .environment:
            logger.info("Rampart keys loaded from RAMPART_KEYS", metadata: ["rampart.keys": "\(ring.all.count)"])
        case .existingFile(let path):
            logger.info("Rampart keys loaded from key file", metadata: ["rampart.keyFile": .string(path)])
        case .createdFile(let path):
            logger.notice("Rampart generated a key and created the key file (mode 0600)", metadata: ["rampart.keyFile": .string(path)])
        }
        keyRing = ring
        database = try RampartDatabase(path: configuration.databasePath)
        sessionStore = SQLiteSessionStore(database: database)
        sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(sessionStore)), keyRing: ring)
    }
}

extension SessionKey where Value == Int {
    /// How many times this session has loaded the home page.
    static let visits = SessionKey("visits")
}

/// Builds the reference application's router: every route behind Rampart's middleware.
public func buildRouter(_ configuration: AppConfiguration, services: AppServices) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: try SecurityHeadersMiddleware(headers: configuration.headers, transport: configuration.transport))
    router.get(.init(stringLiteral: AppConfiguration.healthPath)) { _, _ in
        "ok\n"
    }
    router.add(middleware: SessionMiddleware(manager: services.sessions))
    router.get("/") { _, context in
        let visits = (context.session[.visits] ?? 0) + 1
        context.session[.visits] = visits
        return HTMLResponse(html: DemoPage.render(nonce: context.security.cspNonce, isSecure: context.security.isSecure, visits: visits))
    }
    return router
}

/// Builds the reference application, ready to run with `runService()`.
public func buildApplication(
    _ configuration: AppConfiguration,
    logger: Logger = Logger(label: "rampart"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let services = try AppServices(configuration, logger: logger)
    let router = try buildRouter(configuration, services: services)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port)),
        services: [StorePurgeService(store: services.sessionStore, logger: logger)],
        onServerRunning: onServerRunning,
        logger: logger
    )
}
