import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import RampartSQLite
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SessionKey where Value == Int {
    static func counter(_ name: String) -> SessionKey<Int> { SessionKey(name) }
}

@Suite("SessionMiddleware")
struct SessionMiddlewareTests {
    static func makeApp(
        store: any SessionStore = InMemorySessionStore(),
        address: BindAddress = .hostname("127.0.0.1", port: 0)
    ) throws -> some ApplicationProtocol {
        let manager = SessionManager(configuration: try SessionConfiguration(backend: .store(store)), keyRing: try KeyRing(current: .generate()))
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(
            middleware: try SecurityHeadersMiddleware(
                headers: .strict,
                transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)
            )
        )
        router.add(middleware: SessionMiddleware(manager: manager))
        router.get("/whoami") { _, context in try await context.session.userID ?? "anonymous" }
        router.post("/login") { request, context in
            try await context.session.logIn(userID: request.uri.queryParameters["user"].map(String.init) ?? "nobody")
            return "ok"
        }
        router.post("/logout") { _, context in
            try await context.session.logOut()
            return "bye"
        }
        router.post("/set") { request, context in
            let name = request.uri.queryParameters["k"].map(String.init) ?? "k"
            try await context.session[.counter(name)] = Int(request.uri.queryParameters["v"].map(String.init) ?? "0") ?? 0
            return "set"
        }
        router.get("/count") { _, context in
            String(try await context.session.session.record.values.count)
        }
        router.get("/plain-cookie") { _, _ in
            var response = Response(status: .ok)
            response.setCookie(Cookie(name: "theme", value: "dark"))
            return response
        }
        router.get("/static") { _, _ in "no session here" }
        router.get("/form") { _, context -> HTMLResponse in
            HTMLResponse(html: "<form>\(context.csrf.hiddenField().html)</form>")
        }
        router.get("/fail") { _, context -> String in
            try await context.session[.counter("lost")] = 1
            throw HTTPError(.badRequest)
        }
        return Application(router: router, configuration: .init(address: address))
    }

    static func sessionCookie(_ response: TestResponse) -> String? {
        for value in response.headers[values: .setCookie] where value.hasPrefix("__Host-session=") {
            let pair = value.prefix { $0 != ";" }
            return String(pair.dropFirst("__Host-session=".count))
        }
        return nil
    }

    @Test("no change: no cookie; a change: a __Host-session cookie with no-store")
    func cookieOnlyWhenChanged() async throws {
        try await Self.makeApp().test(.router) { client in
            let anonymous = try await client.execute(uri: "/whoami", method: .get)
            #expect(String(buffer: anonymous.body) == "anonymous")
            #expect(anonymous.headers[.setCookie] == nil)
            #expect(anonymous.headers[.vary] == "Cookie")
            #expect(anonymous.headers[.cacheControl] == nil)

            let set = try await client.execute(uri: "/set?k=a&v=1", method: .post)
            let cookie = try #require(Self.sessionCookie(set))
            #expect(set.headers[.cacheControl] == "no-store")
            #expect(set.headers[.setCookie]?.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax") == true)

            let again = try await client.execute(uri: "/count", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
            #expect(String(buffer: again.body) == "1")
            #expect(again.headers[.setCookie] == nil)
        }
    }

    /// `Vary` values a handler set → the `Vary` fields after SessionMiddleware added `Cookie`.
    static let varyCases: [([String], [String])] = [
        ([], ["Cookie"]),
        (["Accept-Encoding"], ["Accept-Encoding", "Cookie"]),
        (["cookie"], ["cookie"]),
        (["COOKIE"], ["COOKIE"]),
        (["Accept, Cookie"], ["Accept, Cookie"]),
        (["Accept ,  cookie\t, x"], ["Accept ,  cookie\t, x"]),
        (["*"], ["*"]),
        (["Accept", "Cookie"], ["Accept", "Cookie"]),
        (["Cookies"], ["Cookies", "Cookie"]),
        (["Cooki"], ["Cooki", "Cookie"]),
        (["Accept-Cookie"], ["Accept-Cookie", "Cookie"]),
        (["**"], ["**", "Cookie"]),
    ]

    @Test("Vary: Cookie is added once, unless the response already lists Cookie (any case) or *", arguments: varyCases)
    func varyMerging(handlerVary: [String], expected: [String]) async throws {
        let manager = SessionManager(
            configuration: try SessionConfiguration(backend: .store(InMemorySessionStore())),
            keyRing: try KeyRing(current: .generate())
        )
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: SessionMiddleware(manager: manager))
        router.get("/") { _, context -> Response in
            _ = try await context.session.userID
            var response = Response(status: .ok)
            for value in handlerVary { response.headers.append(HTTPField(name: .vary, value: value)) }
            return response
        }
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.headers[values: .vary] == expected)
        }
    }

    @Test("login rotates the session id; the pre-login cookie is dead afterwards")
    func loginRotates() async throws {
        try await Self.makeApp().test(.router) { client in
            let planted = try #require(Self.sessionCookie(try await client.execute(uri: "/set?k=a&v=1", method: .post)))
            let login = try await client.execute(uri: "/login?user=ada", method: .post, headers: [.cookie: "__Host-session=\(planted)"])
            let fresh = try #require(Self.sessionCookie(login))
            #expect(fresh != planted)
            #expect(
                String(buffer: try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: "__Host-session=\(fresh)"]).body) == "ada"
            )
            #expect(
                String(buffer: try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: "__Host-session=\(planted)"]).body)
                    == "anonymous"
            )
            let logout = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: "__Host-session=\(fresh)"])
            #expect(logout.headers[.setCookie]?.hasPrefix("__Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0") == true)
            #expect(
                String(buffer: try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: "__Host-session=\(fresh)"]).body)
                    == "anonymous"
            )
        }
    }

    @Test(
        "tampered or garbage cookies start a fresh session, never a 500",
        arguments: [
            "v1.xxxxxxxx.AAAA.AAAA", "garbage", "v1...", String(repeating: "A", count: 4000), "\u{1}\u{2}",
        ]
    )
    func tampered(_ value: String) async throws {
        try await Self.makeApp().test(.router) { client in
            let good = try #require(Self.sessionCookie(try await client.execute(uri: "/login?user=ada", method: .post)))
            var flipped = Array(good.utf8)
            flipped[flipped.count / 2] ^= 0x01
            for cookie in [value, String(decoding: flipped, as: UTF8.self)] {
                let response = try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "anonymous")
            }
        }
    }

    @Test("lazy: a request that never touches the session reads no row; a CSRF token needs only the cookie's id")
    func lazyLoading() async throws {
        let store = try SQLiteSessionStore(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-lazy-\(UUID().uuidString)/rampart.sqlite").path
        )
        try await Self.makeApp(store: store).test(.router) { client in
            let cookie = try #require(Self.sessionCookie(try await client.execute(uri: "/login?user=ada", method: .post)))
            func reads() throws -> Int {
                let s = try #require(store.cacheStatistics)
                return s.hits + s.misses
            }
            let before = try reads()
            let plain = try await client.execute(uri: "/static", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
            #expect(String(buffer: plain.body) == "no session here")
            #expect(plain.headers[.setCookie] == nil)
            let form = try await client.execute(uri: "/form", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
            #expect(String(buffer: form.body).contains("name=\"_csrf\""))
            #expect(form.headers[.setCookie] == nil)
            #expect(try reads() == before)
            // A handler that asks for the session reads it once.
            #expect(
                String(buffer: try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: "__Host-session=\(cookie)"]).body) == "ada"
            )
            #expect(try reads() == before + 1)
        }
    }

    @Test("anonymous visitors shown a form get a cookie and no row: a crawler leaves the store empty")
    func anonymousFormsStoreNothing() async throws {
        let store = try SQLiteSessionStore(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-crawl-\(UUID().uuidString)/rampart.sqlite").path
        )
        try await Self.makeApp(store: store).test(.router) { client in
            var cookies = Set<String>()
            for _ in 0..<50 {
                let response = try await client.execute(uri: "/form", method: .get)
                cookies.insert(try #require(Self.sessionCookie(response)))
                #expect(response.headers[.cacheControl] == "no-store")
            }
            #expect(cookies.count == 50)
            // Every row has expired by the end of time, so the purge counts them all: none.
            #expect(try await store.purgeExpired(now: .max) == 0)
            // The same visitor coming back with its cookie keeps its id: no new cookie.
            let again = try await client.execute(uri: "/form", method: .get, headers: [.cookie: "__Host-session=\(cookies.first!)"])
            #expect(again.headers[.setCookie] == nil)
            #expect(try await store.purgeExpired(now: .max) == 0)
        }
    }

    @Test("a handler that throws saves nothing")
    func throwingHandler() async throws {
        try await Self.makeApp().test(.router) { client in
            let cookie = try #require(Self.sessionCookie(try await client.execute(uri: "/set?k=a&v=1", method: .post)))
            let failed = try await client.execute(uri: "/fail", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
            #expect(failed.status == .badRequest)
            #expect(String(buffer: try await client.execute(uri: "/count", method: .get, headers: [.cookie: "__Host-session=\(cookie)"]).body) == "1")
        }
    }

    @Test("a plain Hummingbird Cookie is upgraded with Secure and SameSite")
    func hardening() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/plain-cookie", method: .get)
            #expect(response.headers[.setCookie] == "theme=dark; HttpOnly; Secure; SameSite=Lax")
        }
    }

    @Test("100 parallel requests on one session (SQLite, real sockets) lose no write")
    func parallelWrites() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mw-\(UUID().uuidString)/rampart.sqlite").path
        let store = try SQLiteSessionStore(path: path)
        try await Self.makeApp(store: store).test(.live) { client in
            let cookie = try #require(Self.sessionCookie(try await client.execute(uri: "/set?k=start&v=0", method: .post)))
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<100 {
                    // One connection per request, so the server really handles them concurrently.
                    group.addTask {
                        try await TestClient.withClient(host: "127.0.0.1", port: port) { raw in
                            try await raw.execute(
                                TestClient.Request(
                                    "/set?k=k\(i)&v=\(i)",
                                    method: .post,
                                    authority: "localhost",
                                    headers: [.cookie: "__Host-session=\(cookie)"]
                                )
                            ).head.status
                        }
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            let count = try await client.execute(uri: "/count", method: .get, headers: [.cookie: "__Host-session=\(cookie)"])
            #expect(String(buffer: count.body) == "101")
        }
    }
}
