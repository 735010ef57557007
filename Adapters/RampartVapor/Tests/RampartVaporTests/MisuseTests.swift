import Foundation
import Rampart
import RampartSQLite
import RampartVapor
import Synchronization
import Testing
import Vapor
import VaporTesting

/// Wiring mistakes are reported through the core's `RampartMisuse`, in Vapor's names.
/// Serialized: the handler is process-wide.
@Suite("RampartMisuse (Vapor)", .serialized)
struct MisuseTests {
    static func recording(_ body: () async throws -> Void) async rethrows -> [RampartMisuse] {
        let seen = Mutex<[RampartMisuse]>([])
        RampartMisuse.setHandler { misuse in seen.withLock { $0.append(misuse) } }
        defer { RampartMisuse.setHandler(nil) }
        try await body()
        return seen.withLock { $0 }
    }

    static func sessions() throws -> SessionManager {
        let database = try RampartDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-vapor-misuse-\(UUID().uuidString)/db.sqlite").path
        )
        return SessionManager(
            configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))),
            keyRing: try KeyRing(current: .generate())
        )
    }

    @Test("req.rampartSession and req.csrf without RampartSessionMiddleware")
    func withoutSessions() async throws {
        let seen = try await Self.recording {
            try await withApp { app in
                app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
                app.get("s") { req in "\(try await req.rampartSession.userID ?? "-")" }
                app.get("c") { req in req.csrf.token() }
                try await app.testing().test(.GET, "s", headers: ["Host": "localhost"]) { res in #expect(res.status == .ok) }
                try await app.testing().test(.GET, "c", headers: ["Host": "localhost"]) { res in #expect(res.status == .ok) }
            }
        }
        #expect(seen == [.sessionWithoutMiddleware, .csrfWithoutMiddleware])
    }

    @Test("CSRF before sessions, and headers inside sessions")
    func wrongOrder() async throws {
        let sessions = try Self.sessions()
        let seen = try await Self.recording {
            try await withApp { app in
                app.middleware.use(RampartCSRFMiddleware(configuration: try CSRFConfiguration()))
                app.middleware.use(RampartSessionMiddleware(manager: sessions))
                app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
                app.get { _ in "ok" }
                try await app.testing().test(.GET, "/", headers: ["Host": "localhost"]) { _ in }
            }
        }
        #expect(seen == [.csrfBeforeSessions, .headersInsideSessions])
    }

    @Test("the message names Vapor's pieces")
    func vaporNames() {
        #expect(
            RampartMisuse.csrfBeforeSessions.message(.vapor)
                == "RampartCSRFMiddleware runs before RampartSessionMiddleware, so no token can verify: add RampartSecurityMiddleware, then RampartSessionMiddleware, then RampartCSRFMiddleware (or RampartVapor.install, which does)"
        )
    }
}
