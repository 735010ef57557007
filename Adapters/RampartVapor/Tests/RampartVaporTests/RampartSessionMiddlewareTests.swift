import Foundation
import NIOHTTP1
import Rampart
import RampartSQLite
import RampartVapor
import Synchronization
import Testing
import Vapor
import VaporTesting

extension SessionKey where Value == Int {
    static func counter(_ name: String) -> SessionKey<Int> { SessionKey(name) }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    let seconds = Mutex<Int64>(1_900_000_000)
    var wallClock: WallClock { WallClock { [self] in seconds.withLock { $0 } } }
    func advance(_ by: Int64) { seconds.withLock { $0 += by } }
}

@Suite("RampartSessionMiddleware (Vapor)")
struct RampartSessionMiddlewareTests {
    static func withSessionApp(
        store: any SessionStore = InMemorySessionStore(),
        clock: WallClock = .system,
        _ body: (Application) async throws -> Void
    ) async throws {
        let configuration = try SessionConfiguration(backend: .store(store), idleTimeout: .seconds(600))
        let manager = SessionManager(configuration: configuration, keyRing: try KeyRing(current: .generate()), clock: clock)
        try await withApp { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            app.middleware.use(RampartSessionMiddleware(manager: manager))
            app.get("whoami") { req async throws in try await req.rampartSession.userID ?? "anonymous" }
            app.post("login") { req async throws -> String in
                try await req.rampartSession.logIn(userID: req.query["user"] ?? "nobody")
                return "ok"
            }
            app.post("logout") { req async throws -> String in
                try await req.rampartSession.logOut()
                return "bye"
            }
            app.post("set") { req async throws -> String in
                try await req.rampartSession[.counter(req.query["k"] ?? "k")] = req.query["v"] ?? 0
                return "set"
            }
            app.get("count") { req async throws in String(try await req.rampartSession.session.record.values.count) }
            app.get("static") { _ in "no session here" }
            app.get("fail") { req async throws -> String in
                try await req.rampartSession[.counter("lost")] = 1
                throw Abort(.badRequest)
            }
            try await body(app)
        }
    }

    static let host: HTTPHeaders = ["Host": "localhost"]

    static func headers(cookie: String) -> HTTPHeaders {
        ["Host": "localhost", "Cookie": "__Host-session=\(cookie)"]
    }

    static func sessionCookie(_ response: TestingHTTPResponse) -> String? {
        for value in response.headers[canonicalForm: "Set-Cookie"] where value.hasPrefix("__Host-session=") {
            return String(value.prefix { $0 != ";" }.dropFirst("__Host-session=".count))
        }
        return nil
    }

    static func body(_ response: TestingHTTPResponse) -> String { response.body.string }

    @Test("no change: no cookie; a change: a __Host-session cookie (Secure, HttpOnly, SameSite=Lax) with no-store")
    func cookieOnlyWhenChanged() async throws {
        try await Self.withSessionApp { app in
            let tester = try app.testing()
            let anonymous = try await tester.sendRequest(.GET, "/whoami", headers: Self.host)
            #expect(Self.body(anonymous) == "anonymous")
            #expect(anonymous.headers.first(name: "Set-Cookie") == nil)
            #expect(anonymous.headers[canonicalForm: "Vary"] == ["Cookie"])
            #expect(anonymous.headers.first(name: "Cache-Control") == nil)

            let set = try await tester.sendRequest(.POST, "/set?k=a&v=1", headers: Self.host)
            let cookie = try #require(Self.sessionCookie(set))
            #expect(set.headers.first(name: "Cache-Control") == "no-store")
            #expect(set.headers.first(name: "Set-Cookie")?.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax") == true)
            #expect(set.headers.first(name: "X-Content-Type-Options") == "nosniff")

            let again = try await tester.sendRequest(.GET, "/count", headers: Self.headers(cookie: cookie))
            #expect(Self.body(again) == "1")
            #expect(again.headers.first(name: "Set-Cookie") == nil)
        }
    }

    @Test("login rotates the session id; the pre-login cookie is dead afterwards; logout clears the cookie")
    func loginRotates() async throws {
        try await Self.withSessionApp { app in
            let tester = try app.testing()
            let planted = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/set?k=a&v=1", headers: Self.host)))
            let login = try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.headers(cookie: planted))
            let fresh = try #require(Self.sessionCookie(login))
            #expect(fresh != planted)
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: fresh))) == "ada")
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: planted))) == "anonymous")
            let logout = try await tester.sendRequest(.POST, "/logout", headers: Self.headers(cookie: fresh))
            #expect(
                logout.headers.first(name: "Set-Cookie")?.hasPrefix("__Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0")
                    == true
            )
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: fresh))) == "anonymous")
        }
    }

    @Test(
        "tampered or garbage cookies start a fresh session, never a 500",
        arguments: ["v1.xxxxxxxx.AAAA.AAAA", "garbage", "v1...", String(repeating: "A", count: 4000), "a.", "v1.ab.cd"]
    )
    func tampered(_ value: String) async throws {
        try await Self.withSessionApp { app in
            let tester = try app.testing()
            let good = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.host)))
            var flipped = Array(good.utf8)
            flipped[flipped.count / 2] ^= 0x01
            for cookie in [value, String(decoding: flipped, as: UTF8.self)] {
                let response = try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: cookie))
                #expect(response.status == .ok)
                #expect(Self.body(response) == "anonymous")
            }
        }
    }

    @Test("idle timeout: a session unused for longer than idleTimeout is anonymous again")
    func idleTimeout() async throws {
        let clock = TestClock()
        try await Self.withSessionApp(clock: clock.wallClock) { app in
            let tester = try app.testing()
            let cookie = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.host)))
            clock.advance(599)
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: cookie))) == "ada")
            clock.advance(601)
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: cookie))) == "anonymous")
        }
    }

    @Test("log out everywhere (SQLite): deleting a user's sessions ends every one of them at once")
    func revokeAll() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-vapor-\(UUID().uuidString)")
        let store = try SQLiteSessionStore(path: directory.appendingPathComponent("rampart.sqlite").path)
        try await Self.withSessionApp(store: store) { app in
            let tester = try app.testing()
            let laptop = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.host)))
            let phone = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.host)))
            let other = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=bob", headers: Self.host)))
            #expect(try await store.deleteAll(forUser: "ada") == 2)
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: laptop))) == "anonymous")
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: phone))) == "anonymous")
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: other))) == "bob")
        }
    }

    @Test("lazy and anonymous (SQLite): a route that never asks reads nothing, and anonymous visits store nothing")
    func lazyAndAnonymous() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-vapor-\(UUID().uuidString)")
        let store = try SQLiteSessionStore(path: directory.appendingPathComponent("rampart.sqlite").path)
        try await Self.withSessionApp(store: store) { app in
            let tester = try app.testing()
            let cookie = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/login?user=ada", headers: Self.host)))
            func reads() throws -> Int {
                let statistics = try #require(store.cacheStatistics)
                return statistics.hits + statistics.misses
            }
            let before = try reads()
            let plain = try await tester.sendRequest(.GET, "/static", headers: Self.headers(cookie: cookie))
            #expect(Self.body(plain) == "no session here")
            #expect(try reads() == before)
            #expect(Self.body(try await tester.sendRequest(.GET, "/whoami", headers: Self.headers(cookie: cookie))) == "ada")
            #expect(try reads() == before + 1)
            for _ in 0..<20 { _ = try await tester.sendRequest(.GET, "/whoami", headers: Self.host) }
            // Only ada's row: every other visit was anonymous and wrote nothing.
            #expect(try await store.deleteAll(forUser: "ada") == 1)
            #expect(try await store.purgeExpired(now: .max) == 0)
        }
    }

    @Test("a handler that throws saves nothing, and its error still gets the refusal page and headers")
    func throwingHandler() async throws {
        try await Self.withSessionApp { app in
            let tester = try app.testing()
            let cookie = try #require(Self.sessionCookie(try await tester.sendRequest(.POST, "/set?k=a&v=1", headers: Self.host)))
            let failed = try await tester.sendRequest(.GET, "/fail", headers: Self.headers(cookie: cookie))
            #expect(failed.status == .badRequest)
            #expect(failed.headers.first(name: "X-Frame-Options") == "DENY")
            #expect(Self.body(try await tester.sendRequest(.GET, "/count", headers: Self.headers(cookie: cookie))) == "1")
        }
    }
}
