import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Rampart
import RampartHummingbird
import RampartPostgres
import RampartSQLite
import ServiceLifecycle
import Synchronization

/// The reference application's request context.
public typealias AppRequestContext = BasicRampartRequestContext

/// What the reference application runs on: keys, database, stores and the CSRF configuration.
public struct AppServices: Sendable {
    /// The open database.
    public enum Storage: Sendable {
        /// Embedded SQLite: sessions, used tokens and the board's tables in one file.
        case sqlite(RampartDatabase)
        /// A PostgreSQL server shared by every instance.
        case postgres(RampartPostgresDatabase)
    }

    /// The master keys.
    public let keyRing: KeyRing
    /// The database.
    public let storage: Storage
    /// The session store.
    public let sessionStore: any SessionStore
    /// The session manager.
    public let sessions: SessionManager
    /// The used one-time token store.
    public let usedTokens: any UsedTokenStore
    /// The board's data.
    public let repository: any AppRepository
    /// The CSRF configuration.
    public let csrf: CSRFConfiguration
    /// What runs beside the server: the PostgreSQL pool (when used) and the purge of expired rows.
    public let backgroundServices: [any Service]

    /// Loads the keys (from `RAMPART_KEYS`, else the key file, creating it on first run) and
    /// opens the database: SQLite, or PostgreSQL after waiting for it to answer (with backoff,
    /// up to ``AppConfiguration/startupRetry``) and migrating under an advisory lock.
    /// - Throws: ``SecurityConfigurationError`` naming `dataDirectory` when the folder cannot be
    ///   created or written, a key error naming the bad entry, or ``DatabaseUnreachableError``.
    public init(_ configuration: AppConfiguration, logger: Logger) async throws {
        try Self.checkWritable(directory: configuration.dataDirectory)
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
        var background: [any Service] = []
        switch configuration.database {
        case .sqlite(let path):
            let database = try RampartDatabase(path: path, migrations: SQLiteAppRepository.migrations)
            storage = .sqlite(database)
            sessionStore = SQLiteSessionStore(database: database)
            usedTokens = SQLiteUsedTokenStore(database: database)
            repository = SQLiteAppRepository(database: database)
        case .postgres(let url):
            let database = try RampartPostgresDatabase(url: url, maximumConnections: configuration.databasePoolSize, logger: logger)
            let pool = Task { _ = try? await database.run() }
            do {
                try await database.waitUntilReachable(retry: configuration.startupRetry, logger: logger)
                try await database.migrate(RampartPostgresDatabase.rampartMigrations + PostgresAppRepository.migrations)
            } catch {
                pool.cancel()
                throw error
            }
            logger.info("Rampart storage: \(configuration.database)")
            storage = .postgres(database)
            sessionStore = PostgresSessionStore(database: database, logger: logger)
            usedTokens = PostgresUsedTokenStore(database: database, logger: logger)
            repository = PostgresAppRepository(database: database, logger: logger)
            background.append(PoolService(pool: pool))
        }
        sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(sessionStore)), keyRing: ring)
        csrf = try CSRFConfiguration(
            exemptions: [
                .path("/csp-reports", reason: "browsers send CSP reports without cookies or tokens; it only stores capped, deduplicated reports")
            ],
            oneTimeTokens: try OneTimeTokens(keyRing: ring, actions: ["profile.delete", "profile.export"], store: usedTokens),
            oneTimeRoutes: [.init(.post, "/profile/delete", action: "profile.delete"), .init(.post, "/profile/export", action: "profile.export")],
            maximumFormBytes: 64 * 1024
        )
        background.append(StorePurgeService(stores: [sessionStore, usedTokens, repository], logger: logger))
        backgroundServices = background
    }

    /// Keeps the PostgreSQL pool (started before the app, to migrate) running until the app
    /// shuts down; listed first, it stops last, after the server has finished its requests.
    struct PoolService: Service {
        let pool: Task<Void, Never>

        func run() async throws {
            await withTaskCancellationOrGracefulShutdownHandler {
                await pool.value
            } onCancelOrGracefulShutdown: {
                pool.cancel()
            }
        }
    }

    /// Creates the data directory (mode 0700) if needed and checks that it can be written.
    static func checkWritable(directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SecurityConfigurationError(
                    setting: "dataDirectory",
                    value: directory,
                    reason: .invalidValue,
                    message: "exists but is not a folder"
                )
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SecurityConfigurationError(
                    setting: "dataDirectory",
                    value: directory,
                    reason: .invalidValue,
                    message: "cannot be created (check the parent folder's permissions)"
                )
            }
        }
        guard manager.isWritableFile(atPath: directory) else {
            throw SecurityConfigurationError(
                setting: "dataDirectory",
                value: directory,
                reason: .invalidValue,
                message: "is not writable by this user"
            )
        }
    }
}

/// The routes registered, compiled once the router is built (read by the 404/405 handling).
final class RouteList: Sendable {
    let matcher = Mutex(RouteMatcher([]))
}

/// Builds the reference application's router: every route behind Rampart's middleware.
/// Returns the router, the routes it registered (with their CSRF mode and CSP), and the board's
/// refusal pages, which the server's connection limits use too.
public func buildRouter(
    _ configuration: AppConfiguration,
    services: AppServices
) async throws
    -> (router: Router<AppRequestContext>, routes: [RouteInfo], refusalPages: RefusalPages)
{
    let router = Router(context: AppRequestContext.self)
    let board = try await Board(services: services, configuration: configuration)
    let list = RouteList()
    let recorder = RouteRecorder(router: router, csrf: services.csrf)
    let pages = boardRefusalPages(templates: board.templates)
    router.add(middleware: try SecurityHeadersMiddleware(headers: configuration.headers, transport: configuration.transport, refusalPages: pages))
    router.add(middleware: UnroutedMiddleware(routes: { list.matcher.withLock { $0 } }))
    recorder.get(AppConfiguration.healthPath, csp: "strict", "Health check (no session; exempt from the HTTPS redirect)") { _, _ in
        "ok\n"
    }
    router.add(middleware: SessionMiddleware(manager: services.sessions))
    router.add(middleware: CSRFMiddleware(configuration: services.csrf))
    try board.register(on: recorder)
    list.matcher.withLock { $0 = RouteMatcher(recorder.routes) }
    return (router, recorder.routes, pages)
}

/// Builds the reference application, ready to run with `runService()`.
public func buildApplication(
    _ configuration: AppConfiguration,
    logger: Logger = Logger(label: "rampart"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let services = try await AppServices(configuration, logger: logger)
    let (router, _, pages) = try await buildRouter(configuration, services: services)
    try await RampartWiring.check(router, logger: logger)
    let server: HTTPServerBuilder
    if let tls = configuration.tls {
        server = try .tls(
            .rampartHTTP1(limits: configuration.limits, headers: configuration.headers, isSecure: true, refusalPages: pages),
            tlsConfiguration: try tlsConfiguration(tls)
        )
    } else {
        server = try .rampartHTTP1(limits: configuration.limits, headers: configuration.headers, refusalPages: pages)
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: nil),
        services: services.backgroundServices,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// Loads the certificate chain and key for HummingbirdTLS, naming the file that fails.
func tlsConfiguration(_ files: AppConfiguration.TLSFiles) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    do {
        chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
    } catch {
        throw SecurityConfigurationError(
            setting: "tlsCert",
            value: files.certificatePath,
            reason: .invalidValue,
            message: "cannot read a PEM certificate chain from this file"
        )
    }
    guard !chain.isEmpty else {
        throw SecurityConfigurationError(setting: "tlsCert", value: files.certificatePath, reason: .empty, message: "holds no certificate")
    }
    let key: NIOSSLPrivateKey
    do {
        key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
    } catch {
        throw SecurityConfigurationError(
            setting: "tlsKey",
            value: files.keyPath,
            reason: .invalidValue,
            message: "cannot read a PEM private key from this file"
        )
    }
    var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    return configuration
}
