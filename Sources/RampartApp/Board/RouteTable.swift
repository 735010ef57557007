import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Rampart
import RampartHummingbird

/// One route of the reference app, as `rampart routes` lists it.
public struct RouteInfo: Sendable, Hashable, Codable {
    /// The method, such as `GET`.
    public let method: String
    /// The path pattern, such as `/uploads/{id}`.
    public let path: String
    /// How CSRF is checked on it.
    public let csrf: String
    /// Which CSP it is served under.
    public let csp: String
    /// What it does.
    public let summary: String
}

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

    func csrfMode(_ method: HTTPRequest.Method, _ path: String) -> String {
        if CrossOriginProtection.isSafe(method) { return "none (safe method)" }
        if let exemption = csrf.exemptions.first(where: { $0.matches(path[...]) }) { return "exempt: \(exemption.reason)" }
        if let route = csrf.oneTimeRoutes.first(where: { $0.matches(method: method, path: path[...]) }) { return "one-time token (\(route.action))" }
        return "origin check + masked token (_csrf field or X-CSRF-Token)"
    }

    func record(_ method: HTTPRequest.Method, _ path: String, csp: String, _ summary: String) {
        routes.append(RouteInfo(method: method.rawValue, path: path, csrf: csrfMode(method, path), csp: csp, summary: summary))
    }

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

    func post<Output: ResponseGenerator>(
        _ path: String,
        csp: String = "strict (nonce)",
        _ summary: String,
        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output
    ) {
        record(.post, path, csp: csp, summary)
        router.post(RouterPath(path), use: handler)
    }

}

/// The registered route patterns, split into segments once at startup, for the per-request
/// 404/405 decision.
struct RouteMatcher: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter
    }

    let patterns: [(segments: [Segment], method: String)]

    init(_ routes: [RouteInfo]) {
        patterns = routes.map { route in
            (
                route.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix("{") && part.hasSuffix("}") ? .parameter : .literal(part)
                }, route.method
            )
        }
    }

    /// The methods registered for a concrete path; `HEAD` wherever `GET` is.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var methods: [String] = []
        for pattern in patterns where pattern.segments.count == segments.count && !methods.contains(pattern.method) {
            let matches = zip(pattern.segments, segments).allSatisfy { expected, actual in
                switch expected {
                case .parameter: !actual.isEmpty
                case .literal(let literal): literal == actual
                }
            }
            if matches { methods.append(pattern.method) }
        }
        if methods.contains("GET"), !methods.contains("HEAD") { methods.append("HEAD") }
        return methods
    }
}

/// Answers what the routes do not: 404 for a path no route has, and 405 with `Allow` for a path
/// that exists with other methods. Both are thrown as ``RequestRefusal``s, so the board's
/// refusal pages (``boardRefusalPages(templates:)``) write them like every other refusal.
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

/// The board's pages for every refusal Rampart makes (host, CSRF, limits, 404, 405, 500, 503):
/// its own HTML error template for browsers and anything not asking for JSON, and Rampart's
/// standard JSON for `/api/` and clients that ask for JSON.
func boardRefusalPages(templates: SafeTemplates) -> RefusalPages {
    RefusalPages { refusal, request in
        if request.format == .json || request.path.hasPrefix("/api/") {
            return RefusalPages.standardPage(for: refusal, format: .json)
        }
        let status = "\(refusal.status.code) \(refusal.status.reasonPhrase)"
        guard
            let html = templates.render(
                "error",
                [
                    "title": status,
                    "status": status,
                    "message": refusal.message,
                    "cspNonce": request.cspNonce?.value ?? "",
                ]
            )
        else { return nil }
        return RefusalPage(contentType: "text/html; charset=utf-8", body: html)
    }
}
