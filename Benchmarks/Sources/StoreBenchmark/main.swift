// What one logged-in request costs the session store: load the row, then save an update (the
// SessionMiddleware's work), plus marking a one-time token used. Memory (the floor), embedded
// SQLite without and with its in-process cache, and PostgreSQL on loopback, measured in the same
// run; figures are ratios to the uncached SQLite store. Set ROUNDS (default 3) to repeat the
// whole table; each round's ratios are printed, then the medians.
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
let cachedSQLite = SQLiteSessionStore(database: sqlite)
var backends: [(String, any SessionStore, any UsedTokenStore)] = [
    ("memory", InMemorySessionStore(), InMemoryUsedTokenStore()),
    ("SQLite, uncached", SQLiteSessionStore(database: sqlite, cache: .off), SQLiteUsedTokenStore(database: sqlite)),
    ("SQLite, cached", cachedSQLite, SQLiteUsedTokenStore(database: sqlite)),
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
    // The floor under the PostgreSQL figures: one round trip of SELECT 1, bare and under the
    // store's deadline (what every store operation pays).
    for (label, viaDeadline) in [("SELECT 1, bare", false), ("SELECT 1, under the deadline", true)] {
        let started = ContinuousClock.now
        for _ in 0..<2000 {
            if viaDeadline {
                _ = try await postgres.perform { client in try await client.query("SELECT 1", logger: logger).collect() }
            } else {
                _ = try await postgres.client.query("SELECT 1", logger: logger).collect()
            }
        }
        print("PostgreSQL \(label): \(Int(2000 / (ContinuousClock.now - started).seconds)) per s (1 task)")
    }
    // The two halves of a session request, each alone.
    let store = PostgresSessionStore(database: postgres, logger: logger)
    let key = SessionStoreKey(rawValue: "halves")
    try await store.save(key, .create(record(), expiresAt: 1 << 40))
    var started = ContinuousClock.now
    for _ in 0..<2000 { _ = try await store.load(key) }
    print("PostgreSQL session load alone: \(Int(2000 / (ContinuousClock.now - started).seconds)) per s (1 task)")
    started = ContinuousClock.now
    for index in 0..<2000 { try await store.save(key, .update(values: ["n": Array(String(index).utf8)], lastSeenAt: Int64(index), expiresAt: 1 << 40)) }
    print("PostgreSQL session update alone: \(Int(2000 / (ContinuousClock.now - started).seconds)) per s (1 task)")
} else {
    print("RAMPART_TEST_POSTGRES_URL is unset: PostgreSQL is skipped")
}

let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 3
print("\(iterations) operations per figure, \(rounds) rounds; ratios are to the uncached SQLite store in the same round")
print("store                 session req/s (1 task)   session req/s (\(concurrency) tasks)   tokens/s (1)        tokens/s (\(concurrency))")
var ratios: [String: [[Double]]] = [:]
var absolute: [String: [[Double]]] = [:]
for round in 1...rounds {
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
    let baseline = results.first { $0.0 == "SQLite, uncached" }!.1
    print("round \(round)")
    for (name, figures) in results {
        let cells = zip(figures, baseline).map { String(format: "%9.0f (%5.2f×)", $0, $0 / $1) }
        print("  " + name.padding(toLength: 22, withPad: " ", startingAt: 0) + cells.joined(separator: "   "))
        ratios[name, default: []].append(zip(figures, baseline).map { $0 / $1 })
        absolute[name, default: []].append(figures)
    }
}
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
print("median over \(rounds) rounds (range of the ratio)")
for (name, _, _) in backends {
    let perRound = ratios[name]!
    let cells = (0..<4).map { column -> String in
        let r = perRound.map { $0[column] }
        return String(format: "%9.0f (%5.2f×, %4.2f–%4.2f)", median(absolute[name]!.map { $0[column] }), median(r), r.min()!, r.max()!)
    }
    print("  " + name.padding(toLength: 22, withPad: " ", startingAt: 0) + cells.joined(separator: "  "))
}
if let statistics = cachedSQLite.cacheStatistics {
    print("SQLite session cache at the end: \(statistics.entries) records, \(statistics.bytes) bytes, \(statistics.hits) hits, \(statistics.misses) misses, \(statistics.evictions) evictions (limits: \(SessionCacheLimits.standard.entries) records, \(SessionCacheLimits.standard.bytes) bytes)")
}
