import Foundation
import HTTPTypes
import NIOCore
import Rampart
import RampartMustache

/// The board's routes, with their CSP, for every adapter to register.
extension Board {

    /// Every route of the board (a `GET` route also answers `HEAD`). The adapter serves them
    /// behind Rampart's headers, sessions and CSRF check, and adds its health check.
    public func routes() -> [BoardRoute] {
        func route(
            _ method: HTTPRequest.Method,
            _ path: String,
            csp: String = "strict (nonce)",
            _ summary: String,
            _ handler: @escaping @Sendable (BoardRequest) async throws -> BoardResponse
        ) -> BoardRoute {
            BoardRoute(method: method, path: path, csp: csp, summary: summary, handler: handler)
        }
        return [
            route(.get, "/", csp: "strict (nonce + hash)", "Latest comments, the comment form and the search box (echoes q)", home),
            route(.get, "/login", "The login form") { request in
                try await page("login", title: "Log in", user: try await currentUser(request), request: request)
            },
            route(.post, "/login", "Log in (bcrypt; 429 after 10 failures in 15 min per account or client)", logIn),
            route(.get, "/register", "The registration form") { request in
                try await page("register", title: "Register", user: try await currentUser(request), request: request)
            },
            route(.post, "/register", "Create an account (bcrypt cost 12); the first is the admin", register),
            route(.post, "/logout", csp: "strict (no nonce: redirect)", "Log out (the session is deleted)", logOut),
            route(.post, "/sessions/revoke-all", csp: "strict (no nonce: redirect)", "Log out everywhere", revokeAll),
            route(.post, "/comments", "Post a comment (1–2000 characters)", postComment),
            route(.get, "/profile", "Your profile", profile),
            route(.post, "/profile/avatar", "Upload an avatar (multipart, UploadPolicy: 2 MiB, sniffed type)", uploadAvatar),
            route(.get, "/uploads/{id}", csp: "sandbox; default-src 'none' (SafeDownload)", "Serve an upload with SafeDownload headers", download),
            route(.post, "/profile/export", "Download your data as JSON (one-time token)", exportProfile),
            route(.post, "/profile/delete", "Delete your account and its data", deleteProfile),
            route(.get, "/api/comments", csp: "strict (no nonce: JSON)", "Latest comments as a JSON array", apiComments),
            route(.post, "/api/comments", csp: "strict (no nonce: JSON)", "Post a comment as JSON (application/json only)", apiPostComment),
            route(
                .post,
                "/csp-reports",
                "Receive CSP reports (csp-report and reports+json, 64 KiB, deduplicated, capped per minute)",
                receiveCSPReports
            ),
            route(.get, "/admin/csp-reports", "CSP reports grouped by directive and blocked URI (admin only)", cspDashboard),
            route(.get, "/static/board.css", csp: "strict (no nonce: stylesheet)", "The stylesheet") { _ in
                let buffer = ByteBuffer(string: BoardTemplates.stylesheet)
                return BoardResponse(
                    status: .ok,
                    headers: [
                        .contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600",
                        .contentLength: String(buffer.readableBytes),
                    ],
                    body: buffer
                )
            },
        ]
    }

    /// The board's pages for every refusal Rampart makes (host, CSRF, limits, 404, 405, 500,
    /// 503): its own HTML error template for browsers and anything not asking for JSON, and
    /// Rampart's standard JSON for `/api/` and clients that ask for JSON.
    /// The CSRF refusals a person fixes by reloading the form: a token missing, rotated (the
    /// session changed since the form was opened), expired, used already, or for another form.
    static let tokenRefusalReasons: Set<String> = [
        CSRFError.missingToken.reason, CSRFError.badToken.reason, CSRFError.tokenExpired.reason, CSRFError.tokenReused.reason,
        CSRFError.wrongAction.reason,
    ]

    /// The page whose form posts to `path`: where a refused form is reloaded.
    static func formPage(forPost path: String) -> String {
        let path = path.prefix { $0 != "?" }
        switch path {
        case "/login": return "/login"
        case "/register": return "/register"
        case "/sessions/revoke-all": return "/profile"
        default: return path.hasPrefix("/profile/") ? "/profile" : "/"
        }
    }

    public static func refusalPages(templates: SafeMustache) -> RefusalPages {
        RefusalPages { refusal, request in
            if request.format == .json || request.path.hasPrefix("/api/") {
                return RefusalPages.standardPage(for: refusal, format: .json)
            }
            let status = "\(refusal.status.code) \(refusal.status.reasonPhrase)"
            var values: [String: any Sendable] = [
                "title": status,
                "status": status,
                "message": refusal.message,
                "cspNonce": request.cspNonce?.value ?? "",
            ]
            if Self.tokenRefusalReasons.contains(refusal.reason) {
                values["reloadPath"] = formPage(forPost: request.path)
            }
            guard let html = templates.render("error", values)
            else { return nil }
            return RefusalPage(contentType: "text/html; charset=utf-8", body: html)
        }
    }
}
