import Foundation
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import Synchronization
import Testing

/// Wiring mistakes are loud: each is reported (an assertion in debug builds, one error log line
/// in release), naming the right order. Here the report is recorded instead of stopping the
/// process.
@Suite("Misuse is loud", .serialized)
struct MisuseTests {
    static func recording(_ body: () async throws -> Void) async rethrows -> [RampartMisuse] {
        let seen = Mutex<[RampartMisuse]>([])
        RampartMisuse.setHandler { misuse in seen.withLock { $0.append(misuse) } }
        defer { RampartMisuse.setHandler(nil) }
        try await body()
        return seen.withLock { $0 }
    }

    static func sessions() throws -> SessionMiddleware<BasicRampartRequestContext> {
        SessionMiddleware(
            manager: SessionManager(
                configuration: try SessionConfiguration(backend: .store(InMemorySessionStore())),
                keyRing: try KeyRing(current: .generate())
            )
        )
    }

    static let headers = {
        try! SecurityHeadersMiddleware<BasicRampartRequestContext>(
            transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)
        )
    }()

    @Test("context.session without SessionMiddleware")
    func sessionWithoutMiddleware() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.get("/") { _, context in
            try await context.session[SessionKey<Int>("n")] = 1
            return "ok"
        }
        let seen = try await Self.recording {
            try await Application(router: router).test(.router) { client in
                _ = try await client.execute(uri: "/", method: .get, headers: [:])
            }
        }
        #expect(seen == [.sessionWithoutMiddleware])
        #expect(RampartMisuse.sessionWithoutMiddleware.message.contains("SecurityHeadersMiddleware, then SessionMiddleware, then CSRFMiddleware"))
    }

    @Test("context.csrf without SessionMiddleware")
    func csrfWithoutSessions() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.get("/") { _, context in HTMLResponse(context.csrf.hiddenField()) }
        let seen = try await Self.recording {
            try await Application(router: router).test(.router) { client in
                _ = try await client.execute(uri: "/", method: .get, headers: [:])
            }
        }
        #expect(seen == [.csrfWithoutMiddleware])
    }

    @Test("CSRFMiddleware before SessionMiddleware, and headers inside sessions")
    func wrongOrder() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
        router.add(middleware: try Self.sessions())
        router.add(middleware: Self.headers)
        router.get("/") { _, _ in "ok" }
        let seen = try await Self.recording {
            try await Application(router: router).test(.router) { client in
                _ = try await client.execute(uri: "/", method: .get, headers: [:])
            }
        }
        #expect(seen == [.csrfBeforeSessions, .headersInsideSessions])
    }

    @Test("the right order, by hand or through RampartMiddleware, reports nothing")
    func rightOrder() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: Self.headers)
        router.add(middleware: try Self.sessions())
        router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
        router.get("/") { _, context in HTMLResponse(context.csrf.hiddenField()) }
        let seen = try await Self.recording {
            try await Application(router: router).test(.router) { client in
                let response = try await client.execute(uri: "/", method: .get, headers: [:])
                #expect(response.status == .ok)
            }
        }
        #expect(seen.isEmpty)
    }
}

/// The startup check: misordered or missing pieces fail before anything is served, with the
/// right order in the message. In the same serialized suite, since the recording handler is
/// process-wide.
extension MisuseTests {
    enum Piece: String, CaseIterable, Sendable { case headers, sessions, csrf, headersOnlyCSRF }

    static func wiredRouter(_ pieces: [Piece]) throws -> Router<BasicRampartRequestContext> {
        let router = Router(context: BasicRampartRequestContext.self)
        for piece in pieces {
            switch piece {
            case .headers: router.add(middleware: Self.headers)
            case .sessions: router.add(middleware: try Self.sessions())
            case .csrf: router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
            case .headersOnlyCSRF: router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration(mode: .headersOnly)))
            }
        }
        router.get("/") { _, _ in "ok" }
        return router
    }

    @Test(
        "RampartWiring.check: wrong or missing pieces throw at startup, naming the misuse and the right order",
        arguments: [
            ([Piece.csrf, .sessions, .headers], RampartMisuse.headersInsideSessions),
            ([.sessions, .headers, .csrf], .headersInsideSessions),
            ([.headers, .csrf, .sessions], .csrfBeforeSessions),
            ([.headers, .csrf], .csrfBeforeSessions),
            ([.sessions, .csrf], .noSecurityHeaders),
            ([], .noSecurityHeaders),
        ]
    )
    func wiringWrong(_ pieces: [Piece], _ misuse: RampartMisuse) async throws {
        let error = await #expect(throws: RampartWiringError.self) { try await RampartWiring.check(try Self.wiredRouter(pieces)) }
        #expect(error?.misuse == misuse)
        #expect(error?.description.contains("add SecurityHeadersMiddleware, then SessionMiddleware, then CSRFMiddleware") == true)
    }

    @Test(
        "RampartWiring.check: the right order passes, and the probe leaves no trace",
        arguments: [
            [Piece.headers, .sessions, .csrf], [.headers], [.headers, .sessions], [.headers, .headersOnlyCSRF],
        ]
    )
    func wiringRight(_ pieces: [Piece]) async throws {
        let seen = try await Self.recording {
            try await RampartWiring.check(try Self.wiredRouter(pieces))
        }
        #expect(seen.isEmpty)
    }

    @Test("RampartWiring.check: RampartSetup's single middleware passes")
    func wiringSetup() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-wiring-\(UUID().uuidString)").path
        let rampart = try await RampartSetup.configure(RampartOptions(allowedHosts: ["localhost"], dataDirectory: directory))
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: rampart.middleware)
        try await RampartWiring.check(router)
    }
}
