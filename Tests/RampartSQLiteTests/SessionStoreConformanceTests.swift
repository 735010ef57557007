import GRDB
import HTTPTypes
import Logging
import Rampart
import RampartPostgres
import Testing

@testable import RampartSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A fresh, empty database file in the temporary folder.
func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("rampart-test-\(UUID().uuidString)/rampart.sqlite").path
}

/// Every store must pass these same tests: in memory, SQLite, and PostgreSQL when
/// `RAMPART_TEST_POSTGRES_URL` is set (CI sets it; see `PostgresAvailability`).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, sqlite, sqliteUncached, postgres
    var testDescription: String { rawValue }

    /// The kinds to run here: PostgreSQL only with a server to run against.
    static var available: [StoreKind] { TestPostgres.url == nil ? [.memory, .sqlite, .sqliteUncached] : allCases }

    func make() async throws -> any SessionStore {
        switch self {
        case .memory: InMemorySessionStore()
        case .sqlite: try SQLiteSessionStore(path: temporaryDatabasePath())
        case .sqliteUncached: try SQLiteSessionStore(path: temporaryDatabasePath(), cache: .off)
        case .postgres: PostgresSessionStore(database: try await TestPostgres.freshDatabase())
        }
    }
}

func record(user: String? = nil, values: [String: [UInt8]] = [:], at time: Int64 = 1000) -> SessionRecord {
    SessionRecord(userID: user, values: values, createdAt: time, lastSeenAt: time)
}

@Suite("Session store conformance")
struct SessionStoreConformanceTests {
    @Test("create, load, delete", arguments: StoreKind.available)
    func basics(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = SessionStoreKey(rawValue: "k1")
        #expect(try await store.load(key) == nil)
        let original = record(user: "u", values: ["a": Array("1".utf8)])
        #expect(try await store.save(key, .create(original, expiresAt: 5000)))
        #expect(try await store.load(key) == original)
        try await store.delete(key)
        #expect(try await store.load(key) == nil)
    }

    @Test("a move after key rotation keeps the stored row, and never brings back a deleted one", arguments: StoreKind.available)
    func move(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let old = SessionStoreKey(rawValue: "old-key")
        let new = SessionStoreKey(rawValue: "new-key")
        try await store.save(old, .create(record(user: "ada", values: ["a": [1]]), expiresAt: 5000))
        #expect(try await store.move(old, to: new, lastSeenAt: 1500, expiresAt: 6000))
        #expect(try await store.load(old) == nil)
        #expect(try await store.load(new) == SessionRecord(userID: "ada", values: ["a": [1]], createdAt: 1000, lastSeenAt: 1500))
        // Gone before the move ("log out everywhere"): nothing is created.
        try await store.deleteAll(forUser: "ada")
        #expect(try await store.move(new, to: old, lastSeenAt: 1600, expiresAt: 7000) == false)
        #expect(try await store.load(old) == nil)
        #expect(try await store.load(new) == nil)
    }

    @Test("a move racing a log-out-everywhere never resurrects the session", arguments: StoreKind.available)
    func moveRacesRevoke(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        for round in 0..<40 {
            let old = SessionStoreKey(rawValue: "old-\(round)")
            let new = SessionStoreKey(rawValue: "new-\(round)")
            try await store.save(old, .create(record(user: "grace"), expiresAt: 9000))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.move(old, to: new, lastSeenAt: 1100, expiresAt: 9000) }
                group.addTask { try await store.deleteAll(forUser: "grace") }
                try await group.waitForAll()
            }
            #expect(try await store.load(old) == nil, "round \(round)")
            #expect(try await store.load(new) == nil, "round \(round): the revoked session came back")
        }
    }

    @Test("updates apply only the changed keys: last write wins per key", arguments: StoreKind.available)
    func updateMerges(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = SessionStoreKey(rawValue: "k")
        try await store.save(key, .create(record(values: ["a": [1], "b": [2]]), expiresAt: 5000))
        #expect(try await store.save(key, .update(values: ["a": [9]], lastSeenAt: 1100, expiresAt: 5100)))
        #expect(try await store.save(key, .update(values: ["b": [UInt8]?.none, "c": [3]] as [String: [UInt8]?], lastSeenAt: 1050, expiresAt: 5050)))
        let loaded = try #require(try await store.load(key))
        #expect(loaded.values == ["a": [9], "c": [3]])
        #expect(loaded.lastSeenAt == 1100)
    }

    @Test("an update to a missing session is dropped, not inserted", arguments: StoreKind.available)
    func updateMissing(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = SessionStoreKey(rawValue: "gone")
        #expect(try await store.save(key, .update(values: ["a": [1]], lastSeenAt: 1, expiresAt: 2)) == false)
        #expect(try await store.load(key) == nil)
    }

    @Test("deleteAll(forUser:) and purgeExpired(now:)", arguments: StoreKind.available)
    func bulkDeletes(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        try await store.save(SessionStoreKey(rawValue: "1"), .create(record(user: "alice"), expiresAt: 2000))
        try await store.save(SessionStoreKey(rawValue: "2"), .create(record(user: "alice"), expiresAt: 9000))
        try await store.save(SessionStoreKey(rawValue: "3"), .create(record(user: "bob"), expiresAt: 2000))
        try await store.save(SessionStoreKey(rawValue: "4"), .create(record(), expiresAt: 9000))
        #expect(try await store.deleteAll(forUser: "alice") == 2)
        #expect(try await store.purgeExpired(now: 2000) == 1)
        #expect(try await store.load(SessionStoreKey(rawValue: "3")) == nil)
        #expect(try await store.load(SessionStoreKey(rawValue: "4")) != nil)
    }

    @Test("a create over an existing row merges its values (two first writes of one anonymous session)", arguments: StoreKind.available)
    func createMerges(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = SessionStoreKey(rawValue: "anon")
        try await store.save(key, .create(record(values: ["a": [1]], at: 1000), expiresAt: 5000))
        try await store.save(key, .create(record(values: ["b": [2]], at: 1010), expiresAt: 4000))
        let loaded = try #require(try await store.load(key))
        #expect(loaded.values == ["a": [1], "b": [2]])
        #expect(loaded.lastSeenAt == 1010)
        // The later deadline is kept: a purge at 4500 leaves the row.
        #expect(try await store.purgeExpired(now: 4500) == 0)
        #expect(try await store.load(key) != nil)
    }

    @Test("100 concurrent writers on one session lose no write", arguments: StoreKind.available)
    func concurrentWriters(_ kind: StoreKind) async throws {
        let store = try await kind.make()
        let key = SessionStoreKey(rawValue: "shared")
        try await store.save(key, .create(record(), expiresAt: 1_000_000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 {
                group.addTask {
                    // Each writer read the session before any other wrote (as concurrent requests do),
                    // then saves only its own key.
                    try await store.save(key, .update(values: ["w\(i)": [UInt8(i)]], lastSeenAt: 1000 + Int64(i), expiresAt: 1_000_000))
                }
            }
            try await group.waitForAll()
        }
        let loaded = try #require(try await store.load(key))
        #expect(loaded.values.count == 100)
        #expect((0..<100).allSatisfy { loaded.values["w\($0)"] == [UInt8($0)] })
        #expect(loaded.lastSeenAt == 1099)
    }
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("the cache answers repeated loads; deletions, log-out-everywhere and purges are seen at once")
    func cacheIsExact() async throws {
        let store = try SQLiteSessionStore(path: temporaryDatabasePath())
        let alice = SessionStoreKey(rawValue: "alice-1")
        let alice2 = SessionStoreKey(rawValue: "alice-2")
        let bob = SessionStoreKey(rawValue: "bob")
        try await store.save(alice, .create(record(user: "alice", values: ["x": [1]]), expiresAt: 9000))
        try await store.save(alice2, .create(record(user: "alice"), expiresAt: 9000))
        try await store.save(bob, .create(record(user: "bob"), expiresAt: 2000))
        for _ in 0..<10 { #expect(try await store.load(alice)?.values == ["x": [1]]) }
        var statistics = try #require(store.cacheStatistics)
        #expect(statistics.hits >= 10)
        #expect(statistics.misses == 0)
        #expect(statistics.entries == 3)
        // An update is seen by the next load, from the cache.
        #expect(try await store.save(alice, .update(values: ["x": [2]], lastSeenAt: 1100, expiresAt: 9000)))
        #expect(try await store.load(alice)?.values == ["x": [2]])
        // Log out everywhere: both of alice's sessions are gone for the next load.
        #expect(try await store.deleteAll(forUser: "alice") == 2)
        #expect(try await store.load(alice) == nil)
        #expect(try await store.load(alice2) == nil)
        // A purge drops expired rows from the cache too.
        #expect(try await store.purgeExpired(now: 2000) == 1)
        #expect(try await store.load(bob) == nil)
        statistics = try #require(store.cacheStatistics)
        #expect(statistics.entries == 0)
        // What another connection changed is invisible to the cache, so the file must have one
        // writer; a store without a cache reads the database every time.
        #expect(try SQLiteSessionStore(path: temporaryDatabasePath(), cache: .off).cacheStatistics == nil)
    }

    @Test(
        "the cache is bounded: least recently used records go first",
        arguments: [
            (entries: 5, bytes: 1_000_000), (entries: 1000, bytes: 900),
        ]
    )
    func cacheIsBounded(_ limits: (entries: Int, bytes: Int)) async throws {
        let store = try SQLiteSessionStore(path: temporaryDatabasePath(), cache: try SessionCacheLimits(entries: limits.entries, bytes: limits.bytes))
        for i in 0..<40 {
            try await store.save(
                SessionStoreKey(rawValue: "k\(i)"),
                .create(record(values: ["v": [UInt8](repeating: 1, count: 40)]), expiresAt: 9000)
            )
        }
        let statistics = try #require(store.cacheStatistics)
        #expect(statistics.entries <= limits.entries)
        #expect(statistics.bytes <= limits.bytes)
        #expect(statistics.evictions > 0)
        // Evicted rows are still in the database.
        #expect(try await store.load(SessionStoreKey(rawValue: "k0"))?.values["v"]?.count == 40)
    }

    @Test("cache limits are validated, naming the setting", arguments: [(-1, 10, "sessionCacheEntries"), (10, -1, "sessionCacheBytes")])
    func cacheLimits(_ entries: Int, _ bytes: Int, _ setting: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try SessionCacheLimits(entries: entries, bytes: bytes) }
        #expect(error?.setting == setting)
    }

    @Test("a database from before v3 migrates: the stored CSRF secret column goes, sessions stay")
    func migratesFromV2() async throws {
        let path = temporaryDatabasePath()
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true
        )
        // An operator's existing file, already private (a 0644 one is refused: see publicFileRefused).
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1: sessions'), ('v2: used one-time tokens');
                    CREATE TABLE rampart_sessions (key TEXT PRIMARY KEY NOT NULL, user_id TEXT, csrf_secret BLOB NOT NULL, "values" BLOB NOT NULL,
                        created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT;
                    CREATE INDEX rampart_sessions_user ON rampart_sessions (user_id);
                    CREATE INDEX rampart_sessions_expiry ON rampart_sessions (expires_at);
                    CREATE TABLE rampart_used_tokens (id TEXT PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL) STRICT;
                    """
            )
            try db.execute(sql: #"INSERT INTO rampart_sessions VALUES ('old', 'u', zeroblob(32), CAST('{"x":"AQI="}' AS BLOB), 1000, 1000, 9000)"#)
        }
        try old.close()
        let store = try SQLiteSessionStore(path: path)
        let loaded = try #require(try await store.load(SessionStoreKey(rawValue: "old")))
        #expect(loaded == SessionRecord(userID: "u", values: ["x": [1, 2]], createdAt: 1000, lastSeenAt: 1000))
        let columns = try await store.database.writer.read { db in try db.columns(in: "rampart_sessions").map(\.name) }
        #expect(!columns.contains("csrf_secret"))
    }
    @Test("sessions survive a restart: a new store on the same file")
    func restart() async throws {
        let path = temporaryDatabasePath()
        let key = SessionStoreKey(rawValue: "persisted")
        do {
            let store = try SQLiteSessionStore(path: path)
            try await store.save(key, .create(record(user: "u", values: ["x": [1, 2, 3]]), expiresAt: 9999))
        }
        let reopened = try SQLiteSessionStore(path: path)
        let loaded = try await reopened.load(key)
        #expect(loaded?.userID == "u")
        #expect(loaded?.values["x"] == [1, 2, 3])
    }

    @Test("the database is in WAL mode, its folder private, its files mode 0600")
    func walMode() async throws {
        let path = temporaryDatabasePath()
        let database = try RampartDatabase(path: path)
        #expect(try database.journalMode() == "wal")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let attributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        // The file and its WAL and shared-memory files are private too, whatever the umask.
        let store = SQLiteSessionStore(database: database)
        try await store.save(SessionStoreKey(rawValue: "k"), .create(record(user: "u"), expiresAt: 9000))
        for file in [path, path + "-wal", path + "-shm"] {
            #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
    }

    @Test("a database file that group or others can read refuses to open, naming the setting and the file", arguments: [0o644, 0o640, 0o606])
    func publicFileRefused(_ mode: Int) throws {
        let path = temporaryDatabasePath()
        _ = try RampartDatabase(path: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = #expect(throws: SecurityConfigurationError.self) { _ = try RampartDatabase(path: path) }
        #expect(error?.setting == "database")
        #expect(error?.value == path)
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test("a full session manager on SQLite: concurrent requests on one session keep every write")
    func managerOnSQLite() async throws {
        let store = try SQLiteSessionStore(path: temporaryDatabasePath())
        let manager = SessionManager(configuration: try SessionConfiguration(backend: .store(store)), keyRing: try KeyRing(current: .generate()))
        var (first, _) = try await manager.load(from: [:])
        first[SessionKey<Int>("start")] = 0
        let cookie = try #require(try await manager.commit(first))
        let fields: HTTPFieldsLike = ["__Host-session": cookie.value]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 {
                group.addTask {
                    var (session, outcome) = try await manager.load(from: fields.httpFields)
                    #expect(outcome == .loaded)
                    session[SessionKey<Int>("k\(i)")] = i
                    _ = try await manager.commit(session)
                }
            }
            try await group.waitForAll()
        }
        let (final, _) = try await manager.load(from: fields.httpFields)
        #expect((0..<100).filter { final[SessionKey<Int>("k\($0)")] != $0 } == [])
        #expect(final.record.values.count == 101)
    }
}

enum UsedTokenStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }

    static var available: [UsedTokenStoreKind] { TestPostgres.url == nil ? [.memory, .sqlite] : allCases }

    func make() async throws -> any UsedTokenStore {
        switch self {
        case .memory: InMemoryUsedTokenStore()
        case .sqlite: SQLiteUsedTokenStore(database: try RampartDatabase(path: temporaryDatabasePath()))
        case .postgres: PostgresUsedTokenStore(database: try await TestPostgres.freshDatabase())
        }
    }
}

@Suite("Used one-time token store conformance")
struct UsedTokenStoreConformanceTests {
    @Test("first use wins; purge removes expired ids", arguments: UsedTokenStoreKind.available)
    func basics(_ kind: UsedTokenStoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.markUsed("a", expiresAt: 100))
        #expect(try await store.markUsed("a", expiresAt: 100) == false)
        #expect(try await store.markUsed("b", expiresAt: 300))
        #expect(try await store.purgeExpired(now: 200) == 1)
        #expect(try await store.markUsed("b", expiresAt: 300) == false)
    }

    @Test("50 concurrent uses of one id: exactly one succeeds", arguments: UsedTokenStoreKind.available)
    func concurrent(_ kind: UsedTokenStoreKind) async throws {
        let store = try await kind.make()
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { try await store.markUsed("same", expiresAt: 1000) } }
            var wins = 0
            for try await won in group where won { wins += 1 }
            return wins
        }
        #expect(wins == 1)
    }
}
