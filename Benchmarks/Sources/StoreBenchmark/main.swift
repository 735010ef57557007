// What one logged-in request costs the session store: load the row, then save an update (the
// SessionMiddleware's work), plus marking a one-time token used. Memory (the floor), embedded
// SQLite and PostgreSQL on loopback, measured in the same run; figures are ratios to SQLite.
//
//   RAMPART_TEST_POSTGRES_URL='postgres://rampart:rampart@127.0.0.1:5432/rampart_test?sslmode=disable' \
//     swift run -c release StoreBenchmark
import Foundation
import Logging
import PostgresNIO
import Rampart
import RampartPostgres
import RampartSQLite

let iterations = 4000
let concurrency = 16

func record() -> SessionRecord {
    SessionRecord(userID: "user", values: ["flash": Array("hello".utf8)], createdAt: 0, lastSeenAt: 0)
}

/// Requests per second: `load` + `save(.update)` on one of 64 sessions, `tasks` at a time.
func sessionRequests(_ store: any SessionStore, tasks: Int) async throws -> Double {
    for index in 0..<64 {
        try await store.save(SessionStoreKey(rawValue: "k\(index)"), .create(record(), expiresAt: 1 << 40))
    }
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for index in stride(from: task, to: iterations, by: tasks) {
                    let key = SessionStoreKey(rawValue: "k\(index % 64)")
                    _ = try await store.load(key)
                    try await store.save(key, .update(values: ["n": Array(String(index).utf8)], lastSeenAt: Int64(index), expiresAt: 1 << 40))
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(iterations) / (ContinuousClock.now - started).seconds
}

/// Tokens per second marked used, `tasks` at a time.
func tokenUses(_ store: any UsedTokenStore, tasks: Int) async throws -> Double {
    let run = UUID().uuidString
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for index in stride(from: task, to: iterations, by: tasks) {
                    guard try await store.markUsed("\(run)-\(index)", expiresAt: 1 << 40) else { fatalError("a fresh token was refused") }
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(iterations) / (ContinuousClock.now - started).seconds
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

var logger = Logger(label: "rampart.bench")
logger.logLevel = .error
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-store-bench-\(UUID().uuidString)").path
let sqlite = try RampartDatabase(path: folder + "/bench.sqlite")
var backends: [(String, any SessionStore, any UsedTokenStore)] = [
    ("memory", InMemorySessionStore(), InMemoryUsedTokenStore()),
    ("SQLite (WAL, file)", SQLiteSessionStore(database: sqlite), SQLiteUsedTokenStore(database: sqlite)),
]
if let url = ProcessInfo.processInfo.environment["RAMPART_TEST_POSTGRES_URL"] {
    let admin = try RampartPostgresDatabase(url: url, maximumConnections: 1, logger: logger)
    let adminPool = Task { try? await admin.run() }
    let schema = "rampart_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
    adminPool.cancel()
    let postgres = try RampartPostgresDatabase(url: url, searchPath: schema, maximumConnections: 16, logger: logger)
    Task { try? await postgres.run() }
    try await postgres.migrate()
    backends.append(("PostgreSQL (loopback)", PostgresSessionStore(database: postgres, logger: logger), PostgresUsedTokenStore(database: postgres, logger: logger)))
} else {
    print("RAMPART_TEST_POSTGRES_URL is unset: PostgreSQL is skipped")
}

print("\(iterations) operations per row; ratios are to SQLite in this run")
print("store                    session req/s (1 task)  session req/s (\(concurrency) tasks)  tokens/s (1)  tokens/s (\(concurrency))")
var results: [(String, [Double])] = []
for (name, sessions, tokens) in backends {
    let figures = [
        try await sessionRequests(sessions, tasks: 1),
        try await sessionRequests(sessions, tasks: concurrency),
        try await tokenUses(tokens, tasks: 1),
        try await tokenUses(tokens, tasks: concurrency),
    ]
    results.append((name, figures))
}
let baseline = results.first { $0.0.hasPrefix("SQLite") }!.1
for (name, figures) in results {
    let cells = zip(figures, baseline).map { String(format: "%9.0f (%5.2f×)", $0, $0 / $1) }
    print(name.padding(toLength: 25, withPad: " ", startingAt: 0) + cells.joined(separator: "   "))
}
