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
    /// The used one-time token store.
    public let usedTokens: SQLiteUsedTokenStore
    /// The CSRF configuration.
    public let csrf: CSRFConfiguration

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
        usedTokens = SQLiteUsedTokenStore(database: database)
        csrf = try CSRFConfiguration(
            oneTimeTokens: try OneTimeTokens(keyRing: ring, actions: ["demo.once"], store: usedTokens),
            oneTimeRoutes: [.init(.post, "/csrf-demo/once", action: "demo.once")]
        )
    }
}

/// The demo form: one note, echoed back escaped.
struct DemoForm: Decodable {
    var note: String

    /// Reads a URL-encoded form of at most 16 KiB; anything else is a 400, never a 500.
    static func read(_ request: Request) async throws -> DemoForm {
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        guard let form = try? URLEncodedFormDecoder().decode(DemoForm.self, from: String(buffer: body)), form.note.count <= 200 else {
            throw HTTPError(.badRequest, message: "expected a form with a note of at most 200 characters")
        }
        return form
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
    router.add(middleware: CSRFMiddleware(configuration: services.csrf))
    router.get("/") { _, context in
        let visits = (context.session[.visits] ?? 0) + 1
        context.session[.visits] = visits
        return HTMLResponse(html: DemoPage.render(
            nonce: context.security.cspNonce,
            isSecure: context.security.isSecure,
            visits: visits,
            csrfField: context.csrf.hiddenField(),
            oneTimeField: try context.csrf.oneTimeField(action: "demo.once")
        ))
    }
    router.post("/csrf-demo") { request, _ in
        let form = try await DemoForm.read(request)
        return HTMLResponse(html: DemoPage.accepted(note: form.note, kind: "masked session token").html)
    }
    router.post("/csrf-demo/once") { request, _ in
        let form = try await DemoForm.read(request)
        return HTMLResponse(html: DemoPage.accepted(note: form.note, kind: "one-time token").html)
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
        services: [StorePurgeService(stores: [services.sessionStore, services.usedTokens], logger: logger)],
        onServerRunning: onServerRunning,
        logger: logger
    )
}
