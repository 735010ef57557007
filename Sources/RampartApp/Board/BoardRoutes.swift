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

extension SessionKey where Value == String {
    /// A one-shot message shown on the next page.
    static let flash = SessionKey("flash")
}

/// The message board: accounts, comments, profiles with avatar uploads, a JSON API and a CSP
/// report receiver with its dashboard, every page under the `.strict` header preset.
struct Board: Sendable {
    let repository: any AppRepository
    let templates: SafeTemplates
    let services: AppServices
    let configuration: AppConfiguration
    /// A bcrypt hash of a random password, verified against when the user does not exist, so
    /// an unknown name takes as long as a wrong password.
    let decoyHash: String
    /// Each comment's HTML, rendered once (comments are immutable).
    let commentFragments = ReadCache<Int64, String>(capacity: 2_000)
    /// Signs and verifies device cookies (the ring's cookie-signing keys, bound to the name).
    let deviceCodec: SignedCookieCodec

    static let uploadPolicy = try! UploadPolicy(maximumBytes: 2 * 1024 * 1024, allowedTypes: UploadType.all)
    static let maximumFailures = 10
    static let commentLimit = 2000

    init(services: AppServices, configuration: AppConfiguration) async throws {
        self.services = services
        self.configuration = configuration
        self.repository = services.repository
        self.templates = try SafeTemplates(templates: BoardTemplates.all)
        self.deviceCodec = SignedCookieCodec(keyRing: services.keyRing)
        if let admin = configuration.bootstrapAdmin, try await services.repository.setAdmin(username: admin, isAdmin: true) {
            Logger(label: "rampart").notice("Rampart board: admin granted from RAMPART_ADMIN", metadata: ["account": .string(admin)])
        }
        let cost = configuration.passwordHashCost
        let randomPassword = UploadPolicy.storedName() + UploadPolicy.storedName()
        self.decoyHash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(randomPassword, cost: UInt8(cost)) }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: Rendering

    func currentUser(_ context: AppRequestContext) async throws -> User? {
        guard let id = try await context.session.userID else { return nil }
        return try await repository.user(id: id)
    }

    /// Renders a page: its template inside the header and footer partials.
    ///
    /// - Parameter cacheKey: Set when the page is a function of this key alone (apart from the
    ///   nonce and CSRF tokens, filled in per response); it is ignored while a flash message
    ///   is shown.
    func page(_ name: String, title: String, _ values: [String: any Sendable] = [:], status: HTTPResponse.Status = .ok,
              user: User?, context: AppRequestContext, cacheKey: String? = nil) async throws -> HTMLResponse {
        var values = values
        values["title"] = title
        if let user { values["currentUser"] = ["username": user.username, "isAdmin": user.isAdmin] as [String: any Sendable] }
        let session = try await context.session
        let flash = session[.flash]
        if let flash {
            values["flash"] = flash
            session[.flash] = nil
        }
        var response: HTMLResponse
        if let cacheKey, flash == nil {
            response = try templates.render(name, values, context: context, cacheKey: cacheKey)
        } else {
            response = try templates.render(name, values, context: context)
        }
        response.status = status
        return response
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .contentLength: "0"])
    }

    func requireUser(_ context: AppRequestContext) async throws -> User {
        guard let user = try await currentUser(context) else {
            throw HTTPError(.unauthorized, message: "Log in first.")
        }
        return user
    }

    // MARK: Forms

    struct Credentials: Decodable { var username: String; var password: String }
    struct CommentForm: Decodable { var body: String }

    static func form<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int = 16 * 1024) async throws -> T {
        guard request.contentMediaType == "application/x-www-form-urlencoded" else {
            throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send the form as application/x-www-form-urlencoded")
        }
        let body = try await request.collectBody(limit: limit, what: "the form")
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
        } catch {
            throw RequestRefusal(status: .badRequest, reason: "malformedForm", message: "the form is missing a field or is malformed")
        }
    }

    /// 3 to 32 of `a–z 0–9 _ . -`, lower-cased: no look-alike names.
    static func normalisedUsername(_ raw: String) -> String? {
        let name = raw.lowercased()
        guard (3...32).contains(name.utf8.count),
              name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D })
        else { return nil }
        return name
    }

    // MARK: Accounts

    func register(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Self.form(Credentials.self, request)
        func refuse(_ problem: String, _ status: HTTPResponse.Status) async throws -> Response {
            try await page("register", title: "Register", ["problem": problem, "username": form.username], status: status, user: nil, context: context)
                .response(from: request, context: context)
        }
        guard let username = Self.normalisedUsername(form.username) else {
            return try await refuse("User names are 3 to 32 of a–z, 0–9, _ . and -.", .badRequest)
        }
        guard (8...72).contains(form.password.utf8.count) else {
            return try await refuse("Passwords are 8 to 72 bytes (bcrypt reads no further).", .badRequest)
        }
        let cost = configuration.passwordHashCost
        let password = form.password
        let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: UInt8(cost)) }
        let admin: AdminGrant = username == configuration.bootstrapAdmin ? .always : (configuration.firstUserBecomesAdmin ? .ifFirst : .never)
        guard let user = try await repository.createUser(username: username, passwordHash: hash, now: Self.now(), admin: admin) else {
            return try await refuse("That name is taken.", .conflict)
        }
        try await context.session.logIn(userID: user.id)
        try await context.session[.flash] = "Welcome, \(user.username)." + (user.isAdmin ? " You are the admin." : "")
        context.logger.info("Rampart board: user registered", metadata: ["user.id": .string(user.id)])
        var response = Self.redirect("/")
        response.setCookie(try deviceCookie(for: user, now: Self.now()))
        return response
    }

    func logIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Self.form(Credentials.self, request)
        let now = Self.now()
        let username = Self.normalisedUsername(form.username)
        let client = configuration.transport.trustedProxies.clientAddress(peer: context.security.peerAddress, fields: request.headers)
        let user = try await username.asyncMap { try await repository.user(named: $0) } ?? nil
        // OWASP device cookies: a browser that logged in as this user before is throttled on its
        // own budget; everyone else shares the account's and their address's, so an attacker who
        // spends the account's budget does not lock the owner out.
        let device = user.flatMap { deviceID(in: request, for: $0) }
        let keys = device.map { ["device:" + $0] }
            ?? ["account:" + (username ?? "invalid"), "client:" + (client?.description ?? "unknown")]
        // Reserve the attempt before bcrypt runs: concurrent guesses cannot all pass the check.
        if let (key, oldest) = try await repository.reserveLoginAttempt(keys: keys, since: now - SQLiteAppRepository.loginFailureWindow,
                                                                        now: now, limit: Self.maximumFailures) {
            let retryAfter = max(1, oldest + SQLiteAppRepository.loginFailureWindow - now)
            context.logger.notice("Rampart board: login throttled", metadata: [
                "throttle.key": .string(String(key.prefix { $0 != ":" })),
                "account": .string(username ?? "invalid"),
                "client.address": .string(client?.description ?? "unknown"),
            ])
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: String(retryAfter)],
                            message: "Too many failed logins. Try again in \(retryAfter) seconds.")
        }
        let password = form.password
        let hash = user?.passwordHash ?? decoyHash
        let verified = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        guard let user, verified else {
            // The reserved attempt stays: it is the failure.
            return try await page("login", title: "Log in", ["problem": "Wrong user name or password.", "username": form.username],
                            status: .unauthorized, user: nil, context: context).response(from: request, context: context)
        }
        try await repository.releaseLoginAttempt(keys: keys, at: now)
        try await context.session.logIn(userID: user.id)
        var response = Self.redirect("/")
        response.setCookie(try deviceCookie(for: user, now: now))
        return response
    }

    /// The device cookie's name and lifetime (OWASP Authentication Cheat Sheet, device cookies).
    static let deviceCookieName = "__Host-device"
    static let deviceCookieLifetime: Int64 = 365 * 24 * 3600

    /// The device id in a valid device cookie issued to `user`, if the request has one.
    func deviceID(in request: Request, for user: User) -> String? {
        guard let text = RequestCookies.value(named: Self.deviceCookieName, in: request.headers),
              case .success(let value) = deviceCodec.verifyString(text, name: Self.deviceCookieName)
        else { return nil }
        guard let dot = value.lastIndex(of: "."), value[..<dot] == user.id[...] else { return nil }
        let id = value[value.index(after: dot)...]
        return id.isEmpty ? nil : String(id)
    }

    /// A new signed device cookie binding a fresh device id to `user`.
    func deviceCookie(for user: User, now: Int64) throws -> SetCookie {
        let expires = now + Self.deviceCookieLifetime
        let value = deviceCodec.sign("\(user.id).\(UploadPolicy.storedName())", name: Self.deviceCookieName, expiresAt: expires)
        return try SetCookie(name: Self.deviceCookieName, value: value, maxAge: Int(Self.deviceCookieLifetime), sameSite: .strict)
    }

    func logOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await context.session.logOut()
        return Self.redirect("/")
    }

    func revokeAll(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await requireUser(context)
        let count = try await services.sessionStore.deleteAll(forUser: user.id)
        try await context.session.logOut()
        context.logger.info("Rampart board: sessions revoked", metadata: ["user.id": .string(user.id), "sessions": "\(count)"])
        return Self.redirect("/login")
    }

    // MARK: Home and comments

    func home(_ request: Request, _ context: AppRequestContext) async throws -> HTMLResponse {
        let user = try await currentUser(context)
        let query = request.formQueryValue("q").map { String($0.prefix(200)) } ?? ""
        let comments = try await repository.comments(containing: query.isEmpty ? nil : query, limit: 50)
        // Without a search, the page is a function of who is asking and which comments exist:
        // it is rendered once per such state and reused (each response gets its own nonce and
        // tokens). A search is rendered every time.
        let cacheKey = query.isEmpty ? Self.homeCacheKey(user: user, comments: comments) : nil
        return try await page("home", title: query.isEmpty ? "Home" : "Search: \(query)", [
            "q": query,
            "hasQuery": !query.isEmpty,
            "resultCount": comments.count,
            "hasComments": !comments.isEmpty,
            "commentList": renderedComments(comments),
        ], user: user, context: context, cacheKey: cacheKey)
    }

    /// What the home page without a search shows: the user (id, name, admin flag) and the ids of
    /// the comments listed (a comment never changes, and a deleted one drops out of the list).
    static func homeCacheKey(user: User?, comments: [Comment]) -> String {
        var key = user.map { "u:\($0.id):\($0.username):\($0.isAdmin)" } ?? "anonymous"
        key.reserveCapacity(key.utf8.count + comments.count * 8)
        for comment in comments {
            key += ","
            key += String(comment.id)
        }
        return key
    }

    /// The comments as HTML, each rendered once through the `comment` template and kept: a
    /// comment never changes (deleted ones drop out of the list), and rendering its dates and
    /// links is most of a page's work.
    func renderedComments(_ comments: [Comment]) -> Markup {
        var html = ""
        for comment in comments {
            let fragment = commentFragments.lookup(comment.id).value ?? {
                let rendered = templates.render("comment", Self.commentValues(comment)) ?? ""
                commentFragments.insert(comment.id, rendered)
                return rendered
            }()
            html += fragment
        }
        // Each fragment came out of the safe template layer, escaped.
        return Markup(unsafeRaw: html)
    }

    static func commentValues(_ comment: Comment) -> [String: any Sendable] {
        let date = Date(timeIntervalSince1970: TimeInterval(comment.createdAt))
        return [
            "id": comment.id,
            "username": comment.username,
            "iso": date.formatted(.iso8601),
            "when": date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) ,
            "segments": LinkText.segments(comment.body).map { segment -> [String: any Sendable] in
                segment.href.map { ["text": segment.text, "href": $0] } ?? ["text": segment.text]
            },
        ]
    }

    static func validComment(_ body: String) throws -> String {
        guard !body.allSatisfy(\.isWhitespace), body.count <= commentLimit, body.utf8.count <= commentLimit * 4 else {
            throw RequestRefusal(status: .badRequest, reason: "invalidComment", message: "a comment is 1 to \(commentLimit) characters")
        }
        return body
    }

    func postComment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await requireUser(context)
        let body = try Self.validComment(try await Self.form(CommentForm.self, request).body)
        _ = try await repository.addComment(userID: user.id, body: body, now: Self.now())
        return Self.redirect("/")
    }

    // MARK: Profile and uploads

    func profile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let user = try await currentUser(context) else { return Self.redirect("/login") }
        return try await page("profile", title: user.username, [
            "username": user.username,
            "isAdmin": user.isAdmin,
            "avatarID": user.avatarUploadID ?? "",
            "oneTimeField": try context.csrf.oneTimeField(action: "profile.delete"),
            "exportField": try context.csrf.oneTimeField(action: "profile.export"),
        ], user: user, context: context).response(from: request, context: context)
    }

    func uploadAvatar(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await requireUser(context)
        let form = try await request.multipartForm(policy: Self.uploadPolicy)
        guard let file = form.file("file") else {
            throw RequestRefusal(status: .badRequest, reason: "missingFile", message: "choose a file to upload")
        }
        // The name offered back on download keeps the client's stem but takes the sniffed
        // type's extension, so a PNG sent as "x.html" is never saved to disk as HTML.
        let stem = (file.clientFilename ?? "avatar").split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        let upload = StoredUpload(id: file.storedName, ownerID: user.id, mediaType: file.type.mediaType,
                                  clientFilename: (stem.isEmpty ? "avatar" : stem) + "." + file.type.fileExtension,
                                  bytes: Array(file.bytes.readableBytesView), createdAt: Self.now())
        try await repository.saveUpload(upload)
        try await repository.setAvatar(userID: user.id, uploadID: upload.id)
        try await context.session[.flash] = "Avatar updated (\(file.type.mediaType), \(upload.bytes.count) bytes)."
        return Self.redirect("/profile")
    }

    func download(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id"), let upload = try await repository.upload(id: id),
              let type = UploadType.all.first(where: { $0.mediaType == upload.mediaType })
        else { throw HTTPError(.notFound) }
        var headers = SafeDownload.headers(for: type, fileName: upload.clientFilename, inline: type.isRasterImage)
        headers[.contentLength] = String(upload.bytes.count)
        headers[.cacheControl] = "private, max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: upload.bytes)))
    }

    /// What a data export holds.
    struct DataExport: Encodable {
        var username: String
        var createdAt: Int64
        var isAdmin: Bool
        var avatar: String?
        var comments: [APIComment]
    }

    /// The user's data as a JSON download. A sensitive read, so the form carries a one-time
    /// token: a copied or replayed form does not download it again.
    func exportProfile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await requireUser(context)
        let comments = try await repository.comments(byUser: user.id, limit: 10_000)
        let export = DataExport(username: user.username, createdAt: user.createdAt, isAdmin: user.isAdmin,
                                avatar: user.avatarUploadID.map { "/uploads/\($0)" }, comments: comments.map(APIComment.init))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let buffer = ByteBuffer(string: JSONForHTML.escape(try encoder.encode(export)))
        context.logger.notice("Rampart board: data exported", metadata: ["user.id": .string(user.id)])
        return Response(status: .ok, headers: [
            .contentType: "application/json; charset=utf-8",
            .contentDisposition: "attachment; filename=\"rampart-\(user.username)-export.json\"",
            .cacheControl: "no-store",
            .contentLength: String(buffer.readableBytes),
        ], body: .init(byteBuffer: buffer))
    }

    func deleteProfile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await requireUser(context)
        try await repository.deleteUser(id: user.id)
        _ = try await services.sessionStore.deleteAll(forUser: user.id)
        try await context.session.logOut()
        context.logger.notice("Rampart board: account deleted", metadata: ["user.id": .string(user.id)])
        return Self.redirect("/")
    }

    // MARK: JSON API

    struct APIComment: Codable, Sendable {
        var id: Int64
        var author: String
        var body: String
        var createdAt: Int64
        init(_ comment: Comment) {
            (id, author, body, createdAt) = (comment.id, comment.username, comment.body, comment.createdAt)
        }
    }

    struct NewComment: Decodable { var body: String }

    func apiComments(_ request: Request, _ context: AppRequestContext) async throws -> JSONResponse<[APIComment]> {
        JSONResponse(try await repository.comments(containing: nil, limit: 50).map(APIComment.init))
    }

    func apiPostComment(_ request: Request, _ context: AppRequestContext) async throws -> JSONResponse<APIComment> {
        let user = try await requireUser(context)
        let body = try Self.validComment(try await request.decodeJSON(as: NewComment.self).body)
        return JSONResponse(status: .created, APIComment(try await repository.addComment(userID: user.id, body: body, now: Self.now())))
    }

    // MARK: CSP reports

    func receiveCSPReport(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let media = request.contentMediaType, ["application/csp-report", "application/reports+json", "application/json"].contains(media) else {
            throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send application/csp-report or application/reports+json")
        }
        let body = try await request.collectBody(limit: 64 * 1024, what: "the report")
        guard let reports = CSPReportParser.parse(Array(body.readableBytesView)) else {
            throw RequestRefusal(status: .badRequest, reason: "malformedReport", message: "not a CSP violation report")
        }
        let now = Self.now()
        // The budget is per client address (through the trusted-proxy rules), so one client's
        // flood cannot keep another's reports out.
        let client = configuration.transport.trustedProxies.clientAddress(peer: context.security.peerAddress, fields: request.headers)?.description ?? "unknown"
        for report in reports {
            if try await repository.recordCSPReport(report, client: client, now: now, perMinuteCap: configuration.cspReportsPerMinute) == .rateLimited {
                context.logger.debug("Rampart board: CSP report dropped by the per-client cap")
                break
            }
        }
        return Response(status: .noContent)
    }

    func cspDashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let user = try await currentUser(context) else { return Self.redirect("/login") }
        guard user.isAdmin else { throw HTTPError(.forbidden, message: "Only the admin can see CSP reports.") }
        let groups = try await repository.cspReportGroups(limit: 200).map { group -> [String: any Sendable] in
            ["directive": group.directive, "blockedURI": group.blockedURI, "count": group.count, "documentURI": group.documentURI,
             "lastSeen": Date(timeIntervalSince1970: TimeInterval(group.lastSeen)).formatted(.iso8601)]
        }
        let dropped = try await repository.cspReportsDropped()
        return try await page("cspReports", title: "CSP reports", ["groups": groups, "dropped": dropped, "hasDropped": dropped > 0], user: user, context: context)
            .response(from: request, context: context)
    }

    // MARK: Registration

    func register(on recorder: RouteRecorder) {
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
        recorder.post("/csp-reports", "Receive CSP reports (csp-report and reports+json, 64 KiB, deduplicated, capped per minute)", use: receiveCSPReport)
        recorder.get("/admin/csp-reports", "CSP reports grouped by directive and blocked URI (admin only)", use: cspDashboard)
        recorder.get("/static/board.css", csp: "strict (stylesheet)", "The stylesheet") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: BoardTemplates.stylesheet)))
        }
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}

/// Splits comment text into plain text and `http(s)` links. Links are shown as links only
/// through the template's URL attribute, which filters them with `SafeURL`.
enum LinkText {
    struct Segment: Equatable {
        var text: String
        var href: String?
    }

    static func segments(_ text: String) -> [Segment] {
        var segments: [Segment] = []
        var plain = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("https://") || rest.hasPrefix("http://") {
                var end = rest.firstIndex(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" }) ?? text.endIndex
                // Trailing punctuation belongs to the sentence, not the link.
                while end > index, let last = text[index..<end].last, ".,;:!?)]}'".contains(last) { end = text.index(before: end) }
                let link = String(text[index..<end])
                if link.count > "https://".count {
                    if !plain.isEmpty { segments.append(Segment(text: plain)); plain = "" }
                    segments.append(Segment(text: link, href: link))
                    index = end
                    continue
                }
            }
            plain.append(text[index])
            index = text.index(after: index)
        }
        if !plain.isEmpty { segments.append(Segment(text: plain)) }
        return segments
    }
}

/// Reads CSP violation reports in either format:
/// - `application/csp-report` (CSP Level 2 `report-uri`): `{"csp-report": {"violated-directive": …}}`;
/// - `application/reports+json` (Reporting API `report-to`): `[{"type": "csp-violation", "body": {…}}]`.
///
/// See [MDN: CSP violation reports](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-uri)
/// and [W3C Reporting API](https://w3c.github.io/reporting/).
enum CSPReportParser {
    static func parse(_ bytes: [UInt8]) -> [CSPViolation]? {
        guard !JSONLimits.standard.exceedsDepth(bytes),
              let json = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return nil }
        func string(_ object: [String: Any], _ keys: String...) -> String {
            for key in keys {
                if let value = object[key] as? String { return value }
                if let value = object[key] as? NSNumber { return value.stringValue }
            }
            return ""
        }
        func int(_ object: [String: Any], _ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? 0 }
        if let legacy = (json as? [String: Any])?["csp-report"] as? [String: Any] {
            let directive = string(legacy, "effective-directive", "violated-directive")
            guard !directive.isEmpty else { return nil }
            return [CSPViolation(directive: directive.split(separator: " ").first.map(String.init) ?? directive,
                                 blockedURI: string(legacy, "blocked-uri"), documentURI: string(legacy, "document-uri"),
                                 sourceFile: string(legacy, "source-file"), lineNumber: int(legacy, "line-number"),
                                 disposition: string(legacy, "disposition").isEmpty ? "enforce" : string(legacy, "disposition"),
                                 sample: string(legacy, "script-sample"))]
        }
        if let list = json as? [[String: Any]] {
            let reports = list.prefix(100).compactMap { entry -> CSPViolation? in
                guard entry["type"] as? String == "csp-violation", let body = entry["body"] as? [String: Any] else { return nil }
                let directive = string(body, "effectiveDirective", "violatedDirective")
                guard !directive.isEmpty else { return nil }
                return CSPViolation(directive: directive, blockedURI: string(body, "blockedURL"), documentURI: string(body, "documentURL"),
                                    sourceFile: string(body, "sourceFile"), lineNumber: int(body, "lineNumber"),
                                    disposition: string(body, "disposition").isEmpty ? "enforce" : string(body, "disposition"),
                                    sample: string(body, "sample"))
            }
            return reports.isEmpty ? nil : reports
        }
        return nil
    }
}
