import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Rampart
import RampartBoard
import RampartHummingbird
import RampartMustache

/// Registers routes on a router and records them with their CSRF mode and CSP, so the route
/// list (`rampart routes`) and the 405 handling come from the routes actually registered.
final class RouteRecorder {
    let router: Router<AppRequestContext>
    let csrf: CSRFConfiguration
    private(set) var routes: [RouteInfo] = []

    init(router: Router<AppRequestContext>, csrf: CSRFConfiguration) {
        self.router = router
        self.csrf = csrf
    }

    func record(_ method: HTTPRequest.Method, _ path: String, csp: String, _ summary: String) {
        routes.append(RouteInfo(method: method, path: path, csp: csp, summary: summary, csrf: csrf))
    }

    /// Registers a `GET` route (and its `HEAD`) that is not one of the board's, such as the
    /// health check.
    func get<Output: ResponseGenerator>(
        _ path: String,
        csp: String = "strict (nonce)",
        _ summary: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output
    ) {
        record(.get, path, csp: csp, summary)
        router.get(RouterPath(path), use: handler)
        // HEAD: the same headers, no body (RFC 9110 §9.3.2).
        router.head(RouterPath(path)) { request, context -> Response in
            var response = try await handler(request, context).response(from: request, context: context)
            response.body = .init()
            return response
        }
    }

    /// Registers one of the board's routes: its handler gets the board's view of the request,
    /// and a `GET` route answers `HEAD` with the same headers and no body.
    func add(_ route: BoardRoute) {
        record(route.method, route.path, csp: route.csp, route.summary)
        let handler = route.handler
        let path = RouterPath(route.path)
        router.on(path, method: route.method) { request, context in
            Response(try await handler(BoardRequest(request, context)))
        }
        if route.method == .get {
            router.head(path) { request, context in
                var response = Response(try await handler(BoardRequest(request, context)))
                response.body = .init()
                return response
            }
        }
    }
}

extension Response {
    /// The board's response as Hummingbird's.
    init(_ response: BoardResponse) {
        self.init(status: response.status, headers: response.headers, body: .init(byteBuffer: response.body))
    }
}

extension BoardRequest {
    /// The board's view of a Hummingbird request, after Rampart's middleware ran.
    init(_ request: Request, _ context: AppRequestContext) {
        let values = SafeTemplates.requestValues(context)
        var parameters: [String: String] = [:]
        for (name, value) in context.parameters { parameters[String(name)] = String(value) }
        self.init(
            method: request.method,
            path: request.uri.path,
            query: request.uri.query,
            headers: request.headers,
            parameters: parameters,
            peerAddress: context.security.peerAddress,
            nonce: context.security.lazyNonce,
            csrf: values.csrf,
            logger: context.logger,
            session: { try await context.session },
            body: Body(
                collect: { limit, what in try await request.collectBody(limit: limit, what: what) },
                multipart: { policy in try await request.multipartForm(policy: policy) }
            )
        )
    }
}

/// Answers what the routes do not: 404 for a path no route has, and 405 with `Allow` for a path
/// that exists with other methods. Both are thrown as ``RequestRefusal``s, so the board's
/// refusal pages (`Board.refusalPages(templates:)`) write them like every other refusal.
///
/// It runs inside ``SecurityHeadersMiddleware`` and before sessions and CSRF, so an unknown route
/// never starts a session and a wrong method is a 405, not a CSRF 403.
///
/// See [MDN: 405 Method Not Allowed](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/405).
struct UnroutedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: @Sendable () -> RouteMatcher

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = routes().allowedMethods(for: request.uri.path)
        if allowed.isEmpty { throw RequestRefusal.notFound }
        if !allowed.contains(request.method.rawValue) { throw RequestRefusal.methodNotAllowed(request.method, allowed: allowed) }
        return try await next(request, context)
    }
}
