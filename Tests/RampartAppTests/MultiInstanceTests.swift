import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PostgresNIO
import Rampart
import RampartApp
import RampartPostgres
import Synchronization
import Testing

/// Two instances of the board (two `Application`s on two ports, served for real and reached with
/// AsyncHTTPClient), sharing one PostgreSQL schema and one `RAMPART_KEYS`, as behind a load
/// balancer.
@Suite(
    "Two instances on one PostgreSQL",
    .enabled(if: AppTestPostgres.url != nil, "RAMPART_TEST_POSTGRES_URL is unset: the multi-instance cases are skipped")
)
struct MultiInstanceTests {
    static func configuration(url: String, keys: [SecretKey]) throws -> AppConfiguration {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-instance-\(UUID().uuidString)").path
        return try AppConfiguration(
            port: 0,
            dataDirectory: folder,
            database: url,
            databasePoolSize: 4,
            passwordHashCost: 10,
            environment: [KeyRing.environmentVariable: keys.map { $0.exportBase64URL() }.joined(separator: ",")]
        )
    }

    /// Serves two instances on one database and keys, and runs `body` with a client for each
    /// (one AsyncHTTPClient underneath, redirects not followed, safe to use concurrently).
    static func withInstances(
        url: String,
        keys: [SecretKey],
        _ body: @Sendable @escaping (DirectClient, DirectClient) async throws -> Void
    ) async throws {
        var logger = Logger(label: "rampart.test.instance")
        logger.logLevel = .warning
        let a = try await buildApplication(try configuration(url: url, keys: keys), logger: logger)
        let b = try await buildApplication(try configuration(url: url, keys: keys), logger: logger)
        try await a.test(.live) { liveA in
            try await b.test(.live) { liveB in
                let portA = try #require(liveA.port)
                let portB = try #require(liveB.port)
                #expect(portA != portB)
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
                do {
                    try await body(DirectClient(http: http, port: portA), DirectClient(http: http, port: portB))
                } catch {
                    try? await http.shutdown()
                    throw error
                }
                try await http.shutdown()
            }
        }
    }

    @Test("log in on A, then use the session on B (and post there)")
    func sessionAcrossInstances() async throws {
        let url = try await AppTestPostgres.freshSchemaURL()
        try await Self.withInstances(url: url, keys: [SecretKey.generate()]) { a, b in
            var onA = Visitor(a)
            try await onA.register("alice")
            let cookie = try #require(onA.cookie)
            var onB = Visitor(b)
            onB.cookie = cookie
            let profile = try await onB.get("/profile")
            #expect(profile.status == .ok)
            #expect(onB.lastPage.contains("<h1>alice</h1>") || onB.lastPage.contains("alice"))
            try await onB.get("/")
            let posted = try await onB.post("/comments", [("body", "posted on B")])
            #expect(posted.status == .seeOther)
            try await onA.get("/")
            #expect(onA.lastPage.contains("posted on B"))
            // Log out on B: the session is gone on A too.
            try await onB.get("/")
            #expect(try await onB.post("/logout", []).status == .seeOther)
            var stale = Visitor(a)
            stale.cookie = cookie
            let afterLogout = try await stale.get("/profile")
            #expect(afterLogout.status == .seeOther)
            #expect(afterLogout.headers[.location] == "/login")
        }
    }

    @Test("a one-time token from A works once on B; replayed on A it is refused as reused")
    func oneTimeTokenAcrossInstances() async throws {
        let url = try await AppTestPostgres.freshSchemaURL()
        try await Self.withInstances(url: url, keys: [SecretKey.generate()]) { a, b in
            var onA = Visitor(a)
            try await onA.register("bob")
            try await onA.get("/")
            #expect(try await onA.post("/comments", [("body", "bob's only comment")]).status == .seeOther)
            try await onA.get("/profile")
            let token = try #require(onA.field(after: "action=\"/profile/export\""))
            var onB = Visitor(b)
            onB.cookie = onA.cookie
            let exported = try await onB.post("/profile/export", [], token: token)
            #expect(exported.status == .ok)
            #expect(exported.headers[.contentDisposition] == "attachment; filename=\"rampart-bob-export.json\"")
            #expect(exported.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: exported.body).contains(#""body" : "bob's only comment""#))
            let replayed = try await onA.post("/profile/export", [], token: token, extraHeaders: [.accept: "application/json"])
            #expect(replayed.status == .forbidden)
            #expect(
                String(buffer: replayed.body)
                    == #"{"error":"forbidden","reason":"tokenReused","message":"the form's one-time token was used already; reload the page and try again"}"#
            )
            // The session itself is untouched: a fresh token from B's page works.
            try await onB.get("/profile")
            let fresh = try #require(onB.field(after: "action=\"/profile/export\""))
            #expect(try await onA.post("/profile/export", [], token: fresh).status == .ok)
        }
    }

    @Test("50 concurrent replays of one token over both instances: exactly one succeeds")
    func concurrentReplays() async throws {
        let url = try await AppTestPostgres.freshSchemaURL()
        try await Self.withInstances(url: url, keys: [SecretKey.generate()]) { a, b in
            var onA = Visitor(a)
            try await onA.register("carol")
            try await onA.get("/profile")
            let token = try #require(onA.field(after: "action=\"/profile/export\""))
            let cookie = try #require(onA.cookie)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        var visitor = Visitor(index.isMultiple(of: 2) ? a : b)
                        visitor.cookie = cookie
                        let response = try await visitor.post("/profile/export", [], token: token, extraHeaders: [.accept: "application/json"])
                        return (response.status, String(buffer: response.body))
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String)]()) { $0.append($1) }
            }
            #expect(statuses.count == 50)
            #expect(statuses.filter { $0.0 == .ok }.count == 1)
            let refused = statuses.filter { $0.0 != .ok }
            #expect(refused.count == 49)
            #expect(
                refused.allSatisfy {
                    $0.0 == .forbidden
                        && $0.1
                            == #"{"error":"forbidden","reason":"tokenReused","message":"the form's one-time token was used already; reload the page and try again"}"#
                }
            )
        }
    }

    @Test("key rotation (new key first, old kept): sessions from before work on both instances")
    func keyRotation() async throws {
        let url = try await AppTestPostgres.freshSchemaURL()
        let old = SecretKey.generate()
        let new = SecretKey.generate()
        let cookies = Mutex<(before: String?, after: String?)>((nil, nil))
        try await Self.withInstances(url: url, keys: [old]) { a, _ in
            var onA = Visitor(a)
            try await onA.register("dave")
            cookies.withLock { $0.before = onA.cookie }
        }
        let before = try #require(cookies.withLock { $0.before })
        // Every instance restarts with the new key first and the old one after it.
        try await Self.withInstances(url: url, keys: [new, old]) { a, b in
            for client in [a, b] {
                var visitor = Visitor(client)
                visitor.cookie = before
                let profile = try await visitor.get("/profile")
                #expect(profile.status == .ok, "a session from before the rotation still works")
                #expect(visitor.lastPage.contains("dave"))
            }
            var onB = Visitor(b)
            try await onB.logIn("dave")
            cookies.withLock { $0.after = onB.cookie }
            var onA = Visitor(a)
            onA.cookie = onB.cookie
            #expect(try await onA.get("/profile").status == .ok, "a session made after the rotation works on the other instance")
        }
        // An instance that only knows the old key refuses a cookie signed with the new one.
        let after = try #require(cookies.withLock { $0.after })
        try await Self.withInstances(url: url, keys: [old]) { a, _ in
            var visitor = Visitor(a)
            visitor.cookie = after
            let refused = try await visitor.get("/profile")
            #expect(refused.headers[.location] == "/login")
        }
    }
}

/// A test client over AsyncHTTPClient that does not follow redirects (the Visitor reads them),
/// usable from many tasks at once.
struct DirectClient: VisitorTransport {
    var sendsOwnAuthority: Bool { false }
    let http: HTTPClient
    let port: Int?

    init(http: HTTPClient, port: Int) {
        self.http = http
        self.port = port
    }

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> VisitResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port!)\(uri)")
        request.method = .init(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        request.body = body.map { .bytes($0) }
        let response = try await http.execute(request, timeout: .seconds(30))
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return VisitResponse(status: .init(code: Int(response.status.code)), headers: fields, body: collected)
    }
}

/// A log handler that keeps every message, to check what startup says.
final class CapturedLogs: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "rampart.test.captured") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt)
        {
            sink.lines.withLock { $0.append("\(level): \(message)") }
        }
    }
}

@Suite("PostgreSQL failure behaviour")
struct PostgresFailureTests {
    @Test("unreachable at startup: retries with backoff, logs each attempt without the password, then a typed error")
    func unreachableAtStartup() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-unreachable-\(UUID().uuidString)").path
        let configuration = try AppConfiguration(
            dataDirectory: folder,
            database: "postgres://rampart:hunter2@127.0.0.1:1/board?sslmode=disable",
            databaseConnectAttempts: 3,
            passwordHashCost: 10,
            environment: [KeyRing.environmentVariable: SecretKey.generate().exportBase64URL()]
        )
        let logs = CapturedLogs()
        let started = ContinuousClock.now
        let error = await #expect(throws: DatabaseUnreachableError.self) { _ = try await AppServices(configuration, logger: logs.logger) }
        let elapsed = ContinuousClock.now - started
        #expect(error?.attempts == 3)
        #expect(
            error?.description.hasPrefix(
                "PostgreSQL at postgres://rampart:***@127.0.0.1:1/board?sslmode=disable could not be reached after 3 attempts"
            ) == true
        )
        let warnings = logs.lines.withLock { $0 }.filter { $0.contains("cannot reach PostgreSQL") }
        #expect(warnings.count == 2)
        #expect(
            warnings.first?.hasPrefix(
                "warning: Rampart cannot reach PostgreSQL at postgres://rampart:***@127.0.0.1:1/board?sslmode=disable (attempt 1 of 3: "
            ) == true
        )
        #expect(warnings.first?.hasSuffix("retrying in 0.25 seconds") == true)
        #expect(warnings.last?.hasSuffix("retrying in 0.5 seconds") == true)
        let everything = logs.lines.withLock { $0 }.joined(separator: "\n") + (error.map { String(describing: $0) } ?? "")
        #expect(!everything.contains("hunter2"))
        #expect(elapsed >= .milliseconds(750) && elapsed < .seconds(20), "backoff 0.25 s then 0.5 s")
    }

    @Test(
        "a connection lost inside a transaction is a StoreUnavailable (503); an SQL error there stays itself (500)",
        .enabled(if: AppTestPostgres.url != nil, "RAMPART_TEST_POSTGRES_URL is unset")
    )
    func lostInsideTransaction() async throws {
        let database = try await AppTestPostgres.freshDatabase()
        let logger = AppTestPostgres.logger
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreUnavailable.self) {
            try await database.perform { client in
                try await client.withTransaction(logger: logger) { connection in
                    // The server ends this connection mid-transaction (from another session), as a
                    // restart or failover would; the next statement finds it gone.
                    var pid: Int32 = 0
                    for try await value in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { pid = value }
                    try await client.withConnection { other in
                        _ = try await other.query("SELECT pg_terminate_backend(\(pid))", logger: logger)
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    _ = try await connection.query("SELECT 1", logger: logger)
                }
            }
        }
        #expect(error?.store == "PostgreSQL")
        // PostgresNIO 1.33.2 does not always fail a statement on a connection the server has
        // just ended; the operation deadline (5 s) is what bounds it. Either way: a 503, in time.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(!database.isHealthy)
        await #expect(throws: PostgresTransactionError.self) {
            try await database.perform { client in
                try await client.withTransaction(logger: logger) { connection in
                    _ = try await connection.query("SELECT 1 / 0", logger: logger)
                }
            }
        }
        // The pool replaced the connection: the next operation works.
        let value = try await database.perform { client in
            var result = 0
            for try await value in try await client.query("SELECT 7", logger: logger).decode(Int.self) { result = value }
            return result
        }
        #expect(value == 7)
        #expect(database.isHealthy)
    }

    @Test("the backoff doubles up to its cap", arguments: [(1, 250), (2, 500), (3, 1000), (5, 4000), (6, 5000), (30, 5000)])
    func backoff(_ attempt: Int, _ milliseconds: Int) throws {
        let retry = try StartupRetry()
        #expect(retry.delay(after: attempt) == .milliseconds(milliseconds))
    }

    @Test("an operation past its deadline is a StoreUnavailable at once, without waiting for it")
    func deadline() async throws {
        let database = try RampartPostgresDatabase(
            url: "postgres://rampart@127.0.0.1:1/board?sslmode=disable",
            timeouts: PostgresTimeouts(operation: .milliseconds(300), degraded: .milliseconds(100), retryAfterSeconds: 7),
            logger: AppTestPostgres.logger
        )
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreUnavailable.self) {
            try await database.perform { _ in try await Task.sleep(for: .seconds(30)) }
        }
        // The operation would take 30 s; the caller is answered at the deadline. The bound is
        // generous because the whole suite starts at once on 2 cores and the cooperative pool can
        // be busy for seconds; anything under 20 s shows the 30 s operation was not waited for.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(error?.retryAfter == 7)
        #expect(error?.description == "PostgreSQL is unavailable: no answer within 0.3 seconds")
        #expect(!database.isHealthy)
        // Degraded: the next operation gets the short deadline.
        let again = await #expect(throws: StoreUnavailable.self) { try await database.perform { _ in try await Task.sleep(for: .seconds(30)) } }
        #expect(again?.description == "PostgreSQL is unavailable: no answer within 0.1 seconds")
        // Success makes it healthy again.
        #expect(try await database.perform { _ in 42 } == 42)
        #expect(database.isHealthy)
        // A SQL bug is not an outage: it stays itself (a 500).
        struct Bug: Error {}
        await #expect(throws: Bug.self) { try await database.perform { _ in throw Bug() } }
    }
}

/// Stops and starts a PostgreSQL cluster of its own (`RAMPART_TEST_POSTGRES_OUTAGE_URL` and
/// `RAMPART_TEST_POSTGRES_OUTAGE_CLUSTER`, such as `15 outage`, set by `.ci/run`), so the other
/// PostgreSQL tests running at the same time are not disturbed.
enum OutageCluster {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["RAMPART_TEST_POSTGRES_OUTAGE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let cluster = environment["RAMPART_TEST_POSTGRES_OUTAGE_CLUSTER"].map { $0.split(separator: " ").map(String.init) } ?? []

    /// Runs `pg_ctlcluster <version> <name> stop|start` through the shell on a thread-pool
    /// thread, with the standard streams on /dev/null: the server it starts must not inherit
    /// this process's output (or `swift test` would wait for it to close).
    static func control(_ action: String) async throws {
        let command =
            (["/usr/bin/pg_ctlcluster"] + cluster + [action] + (action == "stop" ? ["-m", "fast"] : []))
            .joined(separator: " ") + " </dev/null >/dev/null 2>&1"
        let status = try await NIOThreadPool.singleton.runIfActive { system(command) }
        #expect(status == 0, "\(command) exited with \(status)")
    }
}

@Suite("PostgreSQL outage", .serialized)
struct PostgresOutageTests {
    @Test(
        "PostgreSQL stops mid-test: 503 with Retry-After, no hang, no 500; it restarts: service resumes, nothing acknowledged is lost",
        .enabled(
            if: OutageCluster.url != nil && OutageCluster.cluster.count == 2,
            "RAMPART_TEST_POSTGRES_OUTAGE_URL / _CLUSTER are unset: the outage case is skipped"
        ),
        .timeLimit(.minutes(1))
    )
    func outage() async throws {
        let testStarted = ContinuousClock.now
        let url = try await AppTestPostgres.freshSchemaURL(base: OutageCluster.url)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-outage-\(UUID().uuidString)").path
        var logger = Logger(label: "rampart.test.outage")
        logger.logLevel = .critical
        let app = try await buildApplication(
            try AppConfiguration(
                port: 0,
                dataDirectory: folder,
                database: url,
                databasePoolSize: 4,
                passwordHashCost: 10,
                environment: [KeyRing.environmentVariable: SecretKey.generate().exportBase64URL()]
            ),
            logger: logger
        )
        defer {
            // Whatever happened, leave the cluster running.
            _ = system((["/usr/bin/pg_ctlcluster"] + OutageCluster.cluster + ["start"]).joined(separator: " ") + " </dev/null >/dev/null 2>&1")
        }
        try await app.test(.live) { live in
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            defer { _ = http.shutdown() as EventLoopFuture<Void> }
            let client = DirectClient(http: http, port: try #require(live.port))
            var erin = Visitor(client)
            try await erin.register("erin")
            try await erin.get("/")
            let token = try #require(erin.csrfToken)
            #expect(try await erin.post("/comments", [("body", "acknowledged before the outage")]).status == .seeOther)

            try await OutageCluster.control("stop")

            for _ in 0..<3 {
                let started = ContinuousClock.now
                let home = try await erin.get("/")
                #expect(home.status == .serviceUnavailable)
                #expect(home.headers[.retryAfter] == "5")
                #expect(ContinuousClock.now - started < .seconds(9), "a 503 by the operation deadline (5 s), not a hang")
            }
            let write = try await erin.post("/comments", [("body", "refused during the outage")], token: token)
            #expect(write.status == .serviceUnavailable)
            let api = try await client.send(uri: "/api/comments", method: .get, headers: [.accept: "application/json"], body: nil)
            #expect(api.status == .serviceUnavailable)
            #expect(api.headers[.retryAfter] == "5")
            #expect(
                String(buffer: api.body)
                    == #"{"error":"unavailable","reason":"storeUnavailable","message":"The service is briefly unavailable; try again shortly."}"#
            )
            // Pages that need no database keep working.
            #expect(try await client.send(uri: "/healthz", method: .get, headers: [:], body: nil).status == .ok)
            #expect(try await client.send(uri: "/static/board.css", method: .get, headers: [:], body: nil).status == .ok)

            try await OutageCluster.control("start")
            var recovered = false
            while ContinuousClock.now - testStarted < .seconds(50) {
                let response = try await erin.get("/")
                #expect(response.status.code < 500 || response.status == .serviceUnavailable, "never a 500")
                if response.status == .ok {
                    recovered = true
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(recovered, "service resumes by itself")
            #expect(erin.lastPage.contains("acknowledged before the outage"))
            #expect(!erin.lastPage.contains("refused during the outage"))
            #expect(erin.lastPage.contains("erin"), "the session survived")
            #expect(try await erin.post("/comments", [("body", "after the outage")]).status == .seeOther)
        }
        #expect(ContinuousClock.now - testStarted < .seconds(60))
    }
}

@Suite("PostgreSQL outage setup")
struct PostgresOutageSetupTests {
    /// In CI the outage cluster must be there, so the outage test cannot skip silently.
    @Test(
        "the outage cluster is configured in CI",
        .enabled(if: ProcessInfo.processInfo.environment["CI"] != nil, "not in CI: the outage case may skip")
    )
    func configured() {
        #expect(
            OutageCluster.url != nil && OutageCluster.cluster.count == 2,
            "CI must export RAMPART_TEST_POSTGRES_OUTAGE_URL and RAMPART_TEST_POSTGRES_OUTAGE_CLUSTER"
        )
    }
}
