import Foundation
import HTTPTypes
import Rampart

/// What one case found wrong; empty when the adapter behaved.
public struct ConformanceChecks: Sendable {
    public private(set) var failures: [String] = []

    mutating func equal<T: Equatable>(_ actual: T?, _ expected: T, _ what: String) {
        if actual != expected { failures.append("\(what): expected \(expected), got \(actual.map { "\($0)" } ?? "nil")") }
    }

    mutating func that(_ condition: Bool, _ what: String) {
        if !condition { failures.append(what) }
    }
}

/// One behaviour both adapters must show, run against a server built to ``ConformanceApp``.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    /// A short name, for the test's arguments.
    public let name: String
    /// The session idle timeout the server must be built with (short only for the case that
    /// waits for it, so slow machines do not time out the others).
    public let sessionIdleTimeout: Duration
    /// Whether the server is built with ``ConformanceApp/resourceIsolation`` on.
    public let resourceIsolation: Bool
    let body: @Sendable (Browser, inout ConformanceChecks) async throws -> Void

    init(
        name: String,
        sessionIdleTimeout: Duration = .seconds(600),
        resourceIsolation: Bool = false,
        body: @escaping @Sendable (Browser, inout ConformanceChecks) async throws -> Void
    ) {
        self.name = name
        self.sessionIdleTimeout = sessionIdleTimeout
        self.resourceIsolation = resourceIsolation
        self.body = body
    }

    public var description: String { name }

    /// Runs the case against the server on `port`, returning what went wrong.
    public func run(port: Int) async throws -> [String] {
        var checks = ConformanceChecks()
        try await body(Browser(client: ConformanceClient(port: port)), &checks)
        return checks.failures
    }
}

/// A browser on `https://app.example` behind the trusted proxy: it sends `Host`,
/// `X-Forwarded-Proto: https`, `Sec-Fetch-Site: same-origin` on unsafe requests, and keeps the
/// session cookie.
public final class Browser: @unchecked Sendable {
    let client: ConformanceClient
    var cookie: String?

    init(client: ConformanceClient) { self.client = client }

    /// A new browser (its own cookie jar) on the same server.
    func another() -> Browser { Browser(client: client) }

    func send(
        _ method: String,
        _ path: String,
        headers extra: [(String, String)] = [],
        body: [UInt8] = [],
        fetchSite: String? = "same-origin",
        from source: String = "127.0.0.1",
        forwardedProto: String? = "https",
        host: String = ConformanceApp.host
    ) async throws -> ConformanceResponse {
        var headers: [(String, String)] = [("Host", host), ("Accept", "application/json")]
        if let forwardedProto { headers.append(("X-Forwarded-Proto", forwardedProto)) }
        if method != "GET", let fetchSite { headers.append(("Sec-Fetch-Site", fetchSite)) }
        if let cookie { headers.append(("Cookie", cookie)) }
        headers += extra
        let response = try await client.send(method, path, headers: headers, body: body, from: source)
        for value in response.headers("Set-Cookie") where value.hasPrefix("__Host-session=") {
            let pair = String(value.prefix { $0 != ";" })
            cookie = pair == "__Host-session=" || value.contains("Max-Age=0") ? nil : pair
        }
        return response
    }

    func get(_ path: String) async throws -> ConformanceResponse {
        try await send("GET", path, headers: [], fetchSite: nil)
    }

    func postForm(
        _ path: String,
        _ form: String,
        headers: [(String, String)] = [],
        fetchSite: String? = "same-origin"
    ) async throws -> ConformanceResponse {
        try await send(
            "POST",
            path,
            headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers,
            body: Array(form.utf8),
            fetchSite: fetchSite
        )
    }

    /// The `_csrf` value in a page.
    static func token(in html: String) -> String? {
        guard let start = html.firstRange(of: "name=\"_csrf\" value=\"")?.upperBound else { return nil }
        return String(html[start...].prefix { $0 != "\"" })
    }

    /// A fresh masked token from `GET /`.
    func token() async throws -> String {
        try await Self.token(in: get("/").body) ?? ""
    }
}

/// The behavioural cases: one list, run by each adapter's thin driver against
/// ``ConformanceApp``. A case that passes on one adapter and fails on the other is a bug.
///
/// See [OWASP Secure Headers Project](https://owasp.org/www-project-secure-headers/) and
/// [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public enum ConformanceSuite {
    /// The exact security headers of `SecurityHeaders.strict` over HTTPS (the CSP's nonce aside).
    static let strictHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ]

    static func expectHeaders(_ response: ConformanceResponse, _ checks: inout ConformanceChecks, _ label: String) {
        for (name, value) in strictHeaders {
            checks.equal(response.headers(name), [value], "\(label): \(name)")
        }
        let csp = response.headers("Content-Security-Policy")
        checks.equal(csp.count, 1, "\(label): one Content-Security-Policy")
        checks.that(
            csp.first?.hasPrefix("default-src 'none'; script-src 'self' 'nonce-") == true,
            "\(label): CSP starts with default-src 'none'; script-src 'self' 'nonce-…' (got \(csp.first ?? "nil"))"
        )
        checks.that(response.header("Permissions-Policy")?.hasPrefix("accelerometer=(), ") == true, "\(label): Permissions-Policy")
    }

    static func nonce(_ response: ConformanceResponse) -> String? {
        guard let csp = response.header("Content-Security-Policy"), let start = csp.firstRange(of: "'nonce-")?.upperBound else { return nil }
        return String(csp[start...].prefix { $0 != "'" })
    }

    static func png(_ count: Int) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0x41, count: max(0, count - 8))
    }

    static func multipart(_ file: [UInt8], type: String = "image/png", csrfField: String? = nil) -> (String, [UInt8]) {
        let boundary = "rampartconformance"
        var body: [UInt8] = []
        if let csrfField { body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrfField)\r\n".utf8) }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        body += file
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    static func expectRefusal(
        _ response: ConformanceResponse,
        _ status: Int,
        _ reason: String,
        _ checks: inout ConformanceChecks,
        _ label: String
    ) {
        checks.equal(response.status, status, "\(label): status")
        checks.equal(response.refusalReason, reason, "\(label): reason")
        checks.equal(response.header("X-Content-Type-Options"), "nosniff", "\(label): headers on the refusal")
    }

    /// Every case.
    public static let cases: [ConformanceCase] =
        headerCases + transportCases + csrfCases + sessionCases + bodyCases + isolationCases

    /// `Sec-Fetch-*` headers a browser sends for a GET.
    static func fetch(site: String, mode: String, dest: String) -> [(String, String)] {
        [("Sec-Fetch-Site", site), ("Sec-Fetch-Mode", mode), ("Sec-Fetch-Dest", dest)]
    }

    static func expectVary(_ response: ConformanceResponse, _ expected: Bool, _ checks: inout ConformanceChecks, _ label: String) {
        let vary = response.headers("Vary").joined(separator: ", ")
        for name in ["Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest"] {
            checks.equal(vary.contains(name), expected, "\(label): Vary \(expected ? "names" : "does not name") \(name) (Vary: \(vary))")
        }
    }

    static let headerCases: [ConformanceCase] = [
        ConformanceCase(name: "headers on 200, nonce in page and header") { browser, checks in
            let first = try await browser.get("/")
            checks.equal(first.status, 200, "GET /: status")
            expectHeaders(first, &checks, "GET /")
            let nonce = nonce(first)
            checks.that(nonce != nil && first.body.contains("<script nonce=\"\(nonce!)\">go()</script>"), "GET /: the page's nonce is the CSP's")
            checks.equal(first.header("Content-Type"), "text/html; charset=utf-8", "GET /: Content-Type")
            checks.that(first.headers("Vary").joined(separator: ",").lowercased().contains("cookie"), "GET /: Vary names Cookie")
            let second = try await browser.get("/")
            checks.that(Self.nonce(second) != nil && Self.nonce(second) != nonce, "the nonce is new on every request")
        },
        ConformanceCase(name: "lazy nonce: a response that used none has a CSP without one and stays cacheable") { browser, checks in
            let text = try await browser.get("/me")
            checks.equal(text.status, 200, "GET /me: status")
            let csp = text.header("Content-Security-Policy") ?? ""
            checks.that(csp.hasPrefix("default-src 'none'; script-src 'self'; style-src 'self';"), "GET /me: CSP without a nonce (got \(csp))")
            checks.equal(text.header("Cache-Control"), nil, "GET /me: no Cache-Control added")
            let page = try await browser.get("/")
            checks.that(nonce(page) != nil, "GET /: the page used its nonce")
            checks.equal(page.header("Cache-Control"), "no-store", "GET /: a nonce'd page is no-store")
        },
        ConformanceCase(name: "headers on the router's 404") { browser, checks in
            let response = try await browser.get("/no-such-page")
            checks.equal(response.status, 404, "status")
            expectHeaders(response, &checks, "404")
        },
        ConformanceCase(name: "headers on a thrown error's 500, with no detail leaked") { browser, checks in
            let response = try await browser.get("/boom")
            checks.equal(response.status, 500, "status")
            expectHeaders(response, &checks, "500")
            checks.that(!response.body.contains("boom-secret-detail-42"), "the error's text is not in the body")
        },
        ConformanceCase(name: "a thrown RequestRefusal renders with its status and reason") { browser, checks in
            let response = try await browser.get("/refuse")
            expectRefusal(response, 403, "membersOnly", &checks, "refusal")
            expectHeaders(response, &checks, "refusal")
            checks.that(response.header("Content-Type")?.hasPrefix("application/json") == true, "a JSON client gets JSON")
        },
    ]

    static let transportCases: [ConformanceCase] = [
        ConformanceCase(name: "plain HTTP is redirected to HTTPS") { browser, checks in
            let response = try await browser.send("GET", "/me?x=1", forwardedProto: nil)
            checks.equal(response.status, 301, "status")
            checks.equal(response.header("Location"), "https://app.example/me?x=1", "Location")
            checks.equal(response.header("Strict-Transport-Security"), nil, "no HSTS over plain HTTP")
        },
        ConformanceCase(name: "X-Forwarded-Proto is believed only from a trusted proxy") { browser, checks in
            let trusted = try await browser.send("GET", "/me", forwardedProto: "https")
            checks.equal(trusted.status, 200, "from 127.0.0.1 (trusted)")
            let untrusted = try await browser.send("GET", "/me", from: "127.0.0.2", forwardedProto: "https")
            checks.equal(untrusted.status, 301, "from 127.0.0.2 (not trusted)")
            checks.equal(untrusted.header("Location"), "https://app.example/me", "Location")
        },
        ConformanceCase(name: "an unlisted Host is refused") { browser, checks in
            let response = try await browser.send("GET", "/", host: "evil.example")
            expectRefusal(response, 400, "hostNotAllowed", &checks, "Host: evil.example")
        },
    ]

    static let csrfCases: [ConformanceCase] = [
        ConformanceCase(name: "CSRF: a valid masked token from the same origin passes") { browser, checks in
            let token = try await browser.token()
            checks.that(!token.isEmpty, "GET / carries a token")
            let response = try await browser.postForm("/comments", "_csrf=\(token)&text=hi")
            checks.equal(response.status, 200, "status")
            checks.equal(response.body, "comment ok", "body")
        },
        ConformanceCase(name: "CSRF: Sec-Fetch-Site cross-site is refused") { browser, checks in
            let token = try await browser.token()
            let response = try await browser.postForm("/comments", "_csrf=\(token)", fetchSite: "cross-site")
            expectRefusal(response, 403, "crossSite", &checks, "cross-site")
        },
        ConformanceCase(name: "CSRF: a foreign Origin is refused") { browser, checks in
            let token = try await browser.token()
            let response = try await browser.postForm("/comments", "_csrf=\(token)", headers: [("Origin", "https://evil.example")], fetchSite: nil)
            expectRefusal(response, 403, "originMismatch", &checks, "Origin: https://evil.example")
        },
        ConformanceCase(name: "CSRF: Origin null is refused") { browser, checks in
            let token = try await browser.token()
            let response = try await browser.postForm("/comments", "_csrf=\(token)", headers: [("Origin", "null")], fetchSite: nil)
            expectRefusal(response, 403, "nullOrigin", &checks, "Origin: null")
        },
        ConformanceCase(name: "CSRF: a missing token is refused") { browser, checks in
            _ = try await browser.token()
            let response = try await browser.postForm("/comments", "text=hi")
            expectRefusal(response, 403, "missingToken", &checks, "no token")
        },
        ConformanceCase(name: "CSRF: a bad token is refused") { browser, checks in
            var token = Array(try await browser.token())
            token[token.count / 2] = token[token.count / 2] == "A" ? "B" : "A"
            let response = try await browser.postForm("/comments", "_csrf=\(String(token))")
            expectRefusal(response, 403, "badToken", &checks, "tampered token")
        },
        ConformanceCase(name: "CSRF: an exempt path needs no token") { browser, checks in
            let response = try await browser.postForm("/webhooks/payment", "event=paid", fetchSite: "cross-site")
            checks.equal(response.status, 200, "status")
            checks.equal(response.body, "webhook ok", "body")
        },
        ConformanceCase(name: "CSRF: a one-time token works once") { browser, checks in
            let form = try await browser.get("/delete-form")
            let token = Browser.token(in: form.body) ?? ""
            checks.that(!token.isEmpty, "the form carries a one-time token")
            let first = try await browser.postForm("/account/delete", "_csrf=\(token)")
            checks.equal(first.status, 200, "first use")
            checks.equal(first.body, "deleted", "first use: body")
            let second = try await browser.postForm("/account/delete", "_csrf=\(token)")
            expectRefusal(second, 403, "tokenReused", &checks, "second use")
        },
        ConformanceCase(name: "CSRF: a session token is not a one-time token") { browser, checks in
            let token = try await browser.token()
            let response = try await browser.postForm("/account/delete", "_csrf=\(token)")
            expectRefusal(response, 403, "badToken", &checks, "masked token on a one-time route")
        },
    ]

    static let sessionCases: [ConformanceCase] = [
        ConformanceCase(name: "session: the cookie's flags") { browser, checks in
            _ = try await browser.token()
            let login = try await browser.postForm("/login", "_csrf=\(try await browser.token())")
            let cookie = login.headers("Set-Cookie").first { $0.hasPrefix("__Host-session=") } ?? ""
            let attributes = Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            checks.equal(attributes, ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"], "Set-Cookie attributes")
            checks.equal(login.header("Cache-Control"), "no-store", "Cache-Control on a Set-Cookie response")
        },
        ConformanceCase(name: "session: signing in rotates the id, and the old cookie is not signed in") { browser, checks in
            let token = try await browser.token()
            let before = browser.cookie
            checks.that(before != nil, "a token issues a session cookie")
            let login = try await browser.postForm("/login", "_csrf=\(token)")
            checks.equal(login.body, "welcome ada", "login")
            checks.that(browser.cookie != nil && browser.cookie != before, "the session id changed at sign-in")
            checks.equal(try await browser.get("/me").body, "user: ada", "the new cookie is signed in")
            let old = browser.another()
            old.cookie = before
            checks.equal(try await old.get("/me").body, "user: -", "the pre-login cookie is not")
        },
        ConformanceCase(name: "session: an idle session times out", sessionIdleTimeout: .seconds(6)) { browser, checks in
            _ = try await browser.postForm("/login", "_csrf=\(try await browser.token())")
            checks.equal(try await browser.get("/me").body, "user: ada", "signed in")
            try await Task.sleep(for: .milliseconds(8000))
            checks.equal(try await browser.get("/me").body, "user: -", "after the 6 s idle timeout")
        },
        ConformanceCase(name: "session: log out everywhere ends the user's other sessions") { browser, checks in
            let other = browser.another()
            _ = try await browser.postForm("/login", "_csrf=\(try await browser.token())")
            _ = try await other.postForm("/login", "_csrf=\(try await other.token())")
            checks.equal(try await other.get("/me").body, "user: ada", "the other browser is signed in")
            let revoke = try await browser.postForm("/logout-everywhere", "_csrf=\(try await browser.token())")
            checks.equal(revoke.body, "revoked 2", "both sessions deleted")
            checks.equal(browser.cookie, nil, "this browser's cookie is cleared")
            checks.equal(revoke.headers("Clear-Site-Data"), ["\"cache\", \"storage\""], "Clear-Site-Data through the adapter's helper")
            checks.equal(try await other.get("/me").body, "user: -", "the other browser is signed out")
        },
        ConformanceCase(name: "session: a tampered cookie is anonymous") { browser, checks in
            _ = try await browser.postForm("/login", "_csrf=\(try await browser.token())")
            var cookie = Array(browser.cookie ?? "")
            cookie[cookie.count - 3] = cookie[cookie.count - 3] == "A" ? "B" : "A"
            browser.cookie = String(cookie)
            checks.equal(try await browser.get("/me").body, "user: -", "tampered cookie")
        },
    ]

    static let bodyCases: [ConformanceCase] = [
        ConformanceCase(name: "upload: a PNG is stored") { browser, checks in
            let token = try await browser.token()
            let (type, body) = multipart(png(100))
            let response = try await browser.send("POST", "/upload", headers: [("Content-Type", type), ("X-CSRF-Token", token)], body: body)
            checks.equal(response.status, 200, "status")
            checks.equal(response.body, "stored image/png 100", "body")
        },
        ConformanceCase(name: "upload: HTML named .png is refused") { browser, checks in
            let token = try await browser.token()
            let (type, body) = multipart(Array("<html><script>alert(1)</script>".utf8))
            let response = try await browser.send("POST", "/upload", headers: [("Content-Type", type), ("X-CSRF-Token", token)], body: body)
            expectRefusal(response, 415, "unsupportedType", &checks, "HTML as PNG")
        },
        ConformanceCase(name: "upload: a file over the limit is refused") { browser, checks in
            let token = try await browser.token()
            let (type, body) = multipart(png(140_000))
            let response = try await browser.send("POST", "/upload", headers: [("Content-Type", type), ("X-CSRF-Token", token)], body: body)
            expectRefusal(response, 413, "tooLarge", &checks, "140,000-byte PNG")
        },
        ConformanceCase(name: "upload: the token in the form's _csrf field, the form over the 64 KiB form limit") { browser, checks in
            let token = try await browser.token()
            let (type, body) = multipart(png(100_000), csrfField: token)
            let response = try await browser.send("POST", "/upload", headers: [("Content-Type", type)], body: body)
            checks.equal(response.status, 200, "status")
            checks.equal(response.body, "stored image/png 100000", "body")
        },
        ConformanceCase(name: "upload: a forged _csrf field in a large form is refused") { browser, checks in
            _ = try await browser.token()
            let (type, body) = multipart(png(100_000), csrfField: "forged")
            let response = try await browser.send("POST", "/upload", headers: [("Content-Type", type)], body: body)
            expectRefusal(response, 403, "badToken", &checks, "forged field")
        },
        ConformanceCase(name: "JSON: a good body is decoded") { browser, checks in
            let token = try await browser.token()
            let response = try await browser.send(
                "POST",
                "/api/items",
                headers: [("Content-Type", "application/json"), ("X-CSRF-Token", token)],
                body: Array(#"{"name":"ada"}"#.utf8)
            )
            checks.equal(response.status, 200, "status")
            checks.equal(response.body, #"{"name":"ADA"}"#, "body")
            checks.that(response.header("Content-Type")?.hasPrefix("application/json") == true, "Content-Type")
        },
        ConformanceCase(name: "JSON: wrong type, too large, too deep and malformed are refused") { browser, checks in
            let token = try await browser.token()
            func post(_ type: String, _ body: String) async throws -> ConformanceResponse {
                try await browser.send("POST", "/api/items", headers: [("Content-Type", type), ("X-CSRF-Token", token)], body: Array(body.utf8))
            }
            expectRefusal(try await post("text/plain", #"{"name":"a"}"#), 415, "unsupportedMediaType", &checks, "text/plain")
            expectRefusal(
                try await post("application/json", "{\"name\":\"\(String(repeating: "a", count: 300))\"}"),
                413,
                "tooLarge",
                &checks,
                "300 bytes"
            )
            expectRefusal(try await post("application/json", #"{"name":"a","x":[[[[[1]]]]]}"#), 400, "tooDeep", &checks, "depth 6")
            expectRefusal(try await post("application/json", #"{"name":"#), 400, "malformedJSON", &checks, "truncated")
        },
    ]

    static let isolationCases: [ConformanceCase] = [
        ConformanceCase(name: "isolation: cross-site script, fetch, frame and same-site loads are refused", resourceIsolation: true) {
            browser,
            checks in
            let loads: [(String, [(String, String)])] = [
                ("a no-cors <script src>", fetch(site: "cross-site", mode: "no-cors", dest: "script")),
                ("a no-cors <img src>", fetch(site: "cross-site", mode: "no-cors", dest: "image")),
                ("a cors fetch()", fetch(site: "cross-site", mode: "cors", dest: "empty")),
                ("an <iframe>", fetch(site: "cross-site", mode: "navigate", dest: "iframe")),
                ("an <object>", fetch(site: "cross-site", mode: "navigate", dest: "object")),
                ("a same-site fetch()", fetch(site: "same-site", mode: "cors", dest: "empty")),
                ("an unknown Sec-Fetch-Site", fetch(site: "cross-origin", mode: "navigate", dest: "document")),
            ]
            for (label, headers) in loads {
                let response = try await browser.send("GET", "/", headers: headers, fetchSite: nil)
                expectRefusal(response, 403, "crossSiteResource", &checks, label)
                expectHeaders(response, &checks, label)
                expectVary(response, true, &checks, label)
            }
            let missing = try await browser.send(
                "GET",
                "/no-such-page",
                headers: fetch(site: "cross-site", mode: "no-cors", dest: "script"),
                fetchSite: nil
            )
            expectRefusal(missing, 403, "crossSiteResource", &checks, "a cross-site load of a path with no route (refused before routing)")
            let post = try await browser.postForm("/comments", "_csrf=\(try await browser.token())", fetchSite: "cross-site")
            expectRefusal(post, 403, "crossSiteResource", &checks, "a cross-site form POST")
        },
        ConformanceCase(name: "isolation: navigations, same-origin and non-browser requests pass, with Vary", resourceIsolation: true) {
            browser,
            checks in
            let passes: [(String, [(String, String)])] = [
                ("a link from another site", fetch(site: "cross-site", mode: "navigate", dest: "document")),
                ("a same-origin fetch()", fetch(site: "same-origin", mode: "cors", dest: "empty")),
                ("a typed URL", fetch(site: "none", mode: "navigate", dest: "document")),
                ("no fetch metadata (curl, old browsers)", []),
            ]
            for (label, headers) in passes {
                let response = try await browser.send("GET", "/", headers: headers, fetchSite: nil)
                checks.equal(response.status, 200, "\(label): status")
                expectHeaders(response, &checks, label)
                expectVary(response, true, &checks, label)
                checks.that(response.headers("Vary").joined(separator: ",").lowercased().contains("cookie"), "\(label): Vary still names Cookie")
            }
            let notFound = try await browser.send(
                "GET",
                "/no-such-page",
                headers: fetch(site: "same-origin", mode: "cors", dest: "empty"),
                fetchSite: nil
            )
            checks.equal(notFound.status, 404, "a same-origin 404: status")
            expectVary(notFound, true, &checks, "a same-origin 404")
            let thrown = try await browser.send("GET", "/refuse", headers: fetch(site: "same-origin", mode: "cors", dest: "empty"), fetchSite: nil)
            expectRefusal(thrown, 403, "membersOnly", &checks, "a thrown refusal")
            expectVary(thrown, true, &checks, "a thrown refusal")
            let post = try await browser.postForm("/comments", "_csrf=\(try await browser.token())")
            checks.equal(post.status, 200, "a same-origin form POST: status")
        },
        ConformanceCase(name: "isolation: an exempt path is not checked and does not vary", resourceIsolation: true) { browser, checks in
            let response = try await browser.send(
                "GET",
                "/me?x=1",
                headers: fetch(site: "cross-site", mode: "no-cors", dest: "script"),
                fetchSite: nil
            )
            checks.equal(response.status, 200, "GET /me (exempt) from another site's <script>: status")
            checks.equal(response.body, "user: -", "body")
            expectVary(response, false, &checks, "exempt")
        },
        ConformanceCase(name: "isolation: off unless configured") { browser, checks in
            let response = try await browser.send("GET", "/", headers: fetch(site: "cross-site", mode: "no-cors", dest: "script"), fetchSite: nil)
            checks.equal(response.status, 200, "status")
            expectVary(response, false, &checks, "isolation off")
        },
    ]
}
