import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartHummingbird
import RampartSQLite

/// Registering every route, with its CSRF mode and CSP, on the route recorder.
extension Board {

    func register(on recorder: RouteRecorder) throws {
        recorder.get("/", "Latest comments, the comment form and the search box (echoes q)", use: home)
        recorder.get("/login", "The login form") { _, context in
            try await page("login", title: "Log in", user: try await currentUser(context), context: context)
        }
        recorder.post("/login", "Log in (bcrypt; 429 after 10 failures in 15 min per account or client)", use: logIn)
        recorder.get("/register", "The registration form") { _, context in
            try await page("register", title: "Register", user: try await currentUser(context), context: context)
        }
        recorder.post("/register", "Create an account (bcrypt cost 12); the first is the admin", use: register)
        recorder.post("/logout", "Log out (the session is deleted)", use: logOut)
        recorder.post("/sessions/revoke-all", "Log out everywhere", use: revokeAll)
        recorder.post("/comments", "Post a comment (1–2000 characters)", use: postComment)
        recorder.get("/profile", "Your profile", use: profile)
        recorder.post("/profile/avatar", "Upload an avatar (multipart, UploadPolicy: 2 MiB, sniffed type)", use: uploadAvatar)
        recorder.get("/uploads/{id}", csp: "sandbox; default-src 'none' (SafeDownload)", "Serve an upload with SafeDownload headers", use: download)
        recorder.post("/profile/export", "Download your data as JSON (one-time token)", use: exportProfile)
        recorder.post("/profile/delete", "Delete your account and its data", use: deleteProfile)
        recorder.get("/api/comments", csp: "strict (JSON body)", "Latest comments as a JSON array", use: apiComments)
        recorder.post("/api/comments", csp: "strict (JSON body)", "Post a comment as JSON (application/json only)", use: apiPostComment)
        recorder.post(
            "/csp-reports",
            "Receive CSP reports (csp-report and reports+json, 64 KiB, deduplicated, capped per minute)",
            use: try cspReportReceiver().handle
        )
        recorder.get("/admin/csp-reports", "CSP reports grouped by directive and blocked URI (admin only)", use: cspDashboard)
        recorder.get("/static/board.css", csp: "strict (stylesheet)", "The stylesheet") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: BoardTemplates.stylesheet))
            )
        }
    }
}
