import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Rampart
import RampartBoard
import RampartHummingbird
import RampartPostgres
import RampartSQLite
import ServiceLifecycle
import Synchronization

/// The reference application's request context.
public typealias AppRequestContext = BasicRampartRequestContext

extension AppServices {
    /// What runs beside the Hummingbird server: the PostgreSQL pool (when used; listed first,
    /// it stops last, after the server has finished its requests) and the purge of expired rows.
    public var backgroundServices: [any Service] {
        var services: [any Service] = []
        if let postgresPool { services.append(PoolService(pool: postgresPool)) }
        services.append(StorePurgeService(stores: purgeableStores, logger: logger))
        return services
    }
}

/// Keeps the PostgreSQL pool (started before the app, to migrate) running until the app
/// shuts down.
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
    let pages = Board.refusalPages(templates: board.templates)
    router.add(
        middleware: try SecurityHeadersMiddleware(
            headers: configuration.headers,
            transport: configuration.transport,
            refusalPages: pages,
            resourceIsolation: configuration.resourceIsolation
        )
    )
    router.add(middleware: UnroutedMiddleware(routes: { list.matcher.withLock { $0 } }))
    recorder.get(AppConfiguration.healthPath, csp: "strict", "Health check (no session; exempt from the HTTPS redirect)") { _, _ in
        "ok\n"
    }
    router.add(middleware: SessionMiddleware(manager: services.sessions))
    router.add(middleware: CSRFMiddleware(configuration: services.csrf))
    for route in board.routes() { recorder.add(route) }
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
