import Foundation
import HTTPTypes
import Logging
import NIOCore
import Rampart
import RampartBoard
import RampartVapor
import Synchronization
import Vapor

/// The reference board on Vapor: the same routes, templates, storage and settings as
/// `rampart serve` (which serves it on Hummingbird), behind `RampartVapor`'s middleware.
///
/// The board's domain (`RampartBoard`) holds no HTTP framework; this type only registers its
/// routes on a Vapor application and turns a Vapor request into a `BoardRequest`.
///
/// See [Vapor: routing](https://docs.vapor.codes/basics/routing/).
public enum VaporBoard {
    /// The board's settings on `app`: its services (keys, database, stores) opened, Rampart's
    /// middleware added (headers with the host and HTTPS checks, the 404/405 answer, sessions,
    /// CSRF), every route registered, and the purge and PostgreSQL pool tied to the app's
    /// lifecycle. Call it on a fresh application, before `execute()`.
    /// - Returns: The routes registered, with their CSRF mode and CSP.
    /// - Throws: `SecurityConfigurationError` naming a bad setting, or the database's error.
    @discardableResult
    public static func configure(_ app: Application, _ configuration: AppConfiguration) async throws -> [RouteInfo] {
        let services = try await AppServices(configuration, logger: app.logger)
        let board = try await Board(services: services, configuration: configuration)
        app.http.server.configuration.hostname = configuration.hostname
        app.http.server.configuration.port = configuration.port
        app.http.server.configuration.serverName = nil
        // Vapor's only connection timeout: a connection silent this long is closed (slowloris,
        // stalled bodies, idle keep-alive). The header-section and target limits are checked
        // by RampartSecurityMiddleware.
        app.http.server.configuration.idleTimeout = .seconds(Int64(configuration.limits.idleTimeout.components.seconds))
        if let tls = configuration.tls {
            app.http.server.configuration.tlsConfiguration = try tlsConfiguration(tls)
        }
        // Vapor's own error middleware goes: Rampart's writes every refusal and error.
        app.middleware = Middlewares()
        let boardRoutes = board.routes()
        let routes =
            [RouteInfo(method: .get, path: AppConfiguration.healthPath, csp: "strict", summary: "Health check", csrf: services.csrf)]
            + boardRoutes.map { RouteInfo(method: $0.method, path: $0.path, csp: $0.csp, summary: $0.summary, csrf: services.csrf) }
        let matcher = RouteMatcher(routes)
        app.middleware.use(
            try RampartSecurityMiddleware(
                headers: configuration.headers,
                transport: configuration.transport,
                refusalPages: Board.refusalPages(templates: board.templates),
                limits: configuration.limits,
                resourceIsolation: configuration.resourceIsolation
            )
        )
        app.middleware.use(Unrouted(matcher: matcher))
        app.middleware.use(RampartSessionMiddleware(manager: services.sessions))
        app.middleware.use(RampartCSRFMiddleware(configuration: services.csrf))
        app.get(PathComponent(stringLiteral: String(AppConfiguration.healthPath.dropFirst()))) { _ in "ok\n" }
        for route in boardRoutes {
            let handler = route.handler
            let path = route.segments.map { $0.isParameter ? PathComponent.parameter($0.text) : PathComponent.constant($0.text) }
            // Streamed: the board reads each body under its own limit (forms 16 KiB, uploads
            // under their UploadPolicy, JSON under JSONLimits), not under Vapor's collection.
            app.on(HTTPMethod(rawValue: route.method.rawValue), path, body: .stream) { request in
                let answer = try await handler(BoardRequest(request))
                return Response(rampartStatus: answer.status, headerFields: answer.headers, body: answer.body)
            }
        }
        app.lifecycle.use(StorePurge(stores: services.purgeableStores, logger: app.logger))
        if let pool = services.postgresPool { app.lifecycle.use(PoolStop(pool: pool)) }
        return routes
    }

    /// Answers what the routes do not, before sessions and CSRF: 404 for a path no route has,
    /// 405 with `Allow` for a path that exists with other methods (as on Hummingbird).
    struct Unrouted: AsyncMiddleware {
        let matcher: RouteMatcher

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let allowed = matcher.allowedMethods(for: request.url.path)
            if allowed.isEmpty { throw RequestRefusal.notFound }
            guard allowed.contains(request.method.rawValue) else {
                throw RequestRefusal.methodNotAllowed(HTTPRequest.Method(request.method.rawValue) ?? .get, allowed: allowed)
            }
            return try await next.respond(to: request)
        }
    }

    /// Stops the PostgreSQL pool after the server has finished its requests.
    final class PoolStop: LifecycleHandler, Sendable {
        let pool: Task<Void, Never>
        init(pool: Task<Void, Never>) { self.pool = pool }
        func shutdownAsync(_ application: Application) async {
            pool.cancel()
            await pool.value
        }
    }
}

extension BoardRequest {
    /// The board's view of a Vapor request, after Rampart's middleware ran.
    init(_ request: Request) {
        var parameters: [String: String] = [:]
        for name in request.parameters.allNames { parameters[name] = request.parameters.get(name) }
        self.init(
            method: HTTPRequest.Method(request.method.rawValue) ?? .get,
            path: request.url.path,
            query: request.url.query,
            headers: request.rampartHeaderFields,
            parameters: parameters,
            peerAddress: request.rampartPeerAddress,
            nonce: request.lazyCSPNonce,
            csrf: request.rampartCSRFIfChecked,
            logger: request.logger,
            session: { try await request.rampartSession },
            body: Body(
                collect: { limit, what in try await request.collectBody(limit: limit, what: what) },
                multipart: { policy in try await request.multipartForm(policy: policy) }
            )
        )
    }
}
