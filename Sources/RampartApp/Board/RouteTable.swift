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

    func get<Output: ResponseGenerator>(_ path: String, csp: String = "strict (nonce)", _ summary: String,
                                        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        record(.get, path, csp: csp, summary)
        router.get(RouterPath(path), use: handler)
        // HEAD: the same headers, no body (RFC 9110 §9.3.2).
        router.head(RouterPath(path)) { request, context -> Response in
            var response = try await handler(request, context).response(from: request, context: context)
            response.body = .init()
            return response
        }
    }

    func post<Output: ResponseGenerator>(_ path: String, csp: String = "strict (nonce)", _ summary: String,
                                         use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
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
            (route.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix("{") && part.hasSuffix("}") ? .parameter : .literal(part)
            }, route.method)
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

/// Turns errors into pages: HTML for browsers, `{"error":…,"reason":…}` JSON for `/api/` and
/// clients that ask for JSON. A 404 on a path that exists with other methods becomes a 405 with
/// `Allow`. Headers the error carries (`Allow`, `Retry-After`) are kept; anything that is not an
/// HTTP error is logged and becomes a bare 500 page that says nothing about the cause.
///
/// It runs inside ``SecurityHeadersMiddleware``, so every error page has the security headers.
///
/// See [MDN: 405 Method Not Allowed](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/405).
struct ErrorPagesMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let templates: SafeTemplates
    let routes: @Sendable () -> RouteMatcher

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Decided before the session and CSRF middleware run, so an unknown route never starts
        // a session and a wrong method is a 405, not a CSRF 403.
        let allowed = routes().allowedMethods(for: request.uri.path)
        if allowed.isEmpty {
            return try page(for: HTTPError(.notFound), request: request, context: context)
        }
        if !allowed.contains(request.method.rawValue) {
            return try page(for: HTTPError(.methodNotAllowed, headers: [.allow: allowed.joined(separator: ", ")],
                                           message: "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", ")).",),
                            request: request, context: context)
        }
        do {
            return try await next(request, context)
        } catch {
            return try page(for: error, request: request, context: context)
        }
    }

    func page(for error: any Error, request: Request, context: Context) throws -> Response {
        let status: HTTPResponse.Status
        var headers = HTTPFields()
        let code: String
        let message: String
        switch error {
        case let refusal as RequestRefusal:
            (status, code, message) = (refusal.status, refusal.reason, refusal.message)
        case let httpError as HTTPError:
            status = httpError.status
            headers = httpError.headers
            code = Self.code(status)
            message = httpError.body ?? Self.defaultMessage(status)
        case let other as any HTTPResponseError:
            let original = try other.response(from: request, context: context)
            status = original.status
            headers = original.headers
            code = Self.code(status)
            message = Self.defaultMessage(status)
        default:
            context.logger.error("Unhandled error in the reference app", metadata: ["error.type": .string(String(describing: type(of: error)))])
            (status, code, message) = (.internalServerError, "internalError", "Something went wrong on our side.")
        }
        headers[.contentType] = nil
        headers[.contentLength] = nil
        headers[.cacheControl] = "no-store"
        let accept = request.headers[values: .accept].joined(separator: ",").lowercased()
        let wantsJSON = request.uri.path.hasPrefix("/api/") || (accept.contains("json") && !accept.contains("text/html"))
        let body: String
        if wantsJSON {
            headers[.contentType] = "application/json; charset=utf-8"
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = JSONForHTML.escape(try encoder.encode(["error": code, "reason": message]))
        } else {
            headers[.contentType] = "text/html; charset=utf-8"
            body = templates.render("error", [
                "title": "\(status.code) \(status.reasonPhrase)",
                "status": "\(status.code) \(status.reasonPhrase)",
                "message": message,
                "cspNonce": context.security.cspNonce?.value ?? "",
            ]) ?? "\(status.code) \(status.reasonPhrase)"
        }
        let buffer = ByteBuffer(string: body)
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "notFound"
        case 405: "methodNotAllowed"
        case 409: "conflict"
        case 413: "tooLarge"
        case 415: "unsupportedMediaType"
        case 429: "tooManyRequests"
        case 503: "unavailable"
        default: "error\(status.code)"
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "There is nothing here."
        case 413: "The request body is too large."
        case 503: "The service is briefly unavailable; try again shortly."
        default: status.reasonPhrase
        }
    }
}
