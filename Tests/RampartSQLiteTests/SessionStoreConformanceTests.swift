import HTTPTypes
import Rampart
import Logging
import RampartPostgres
import RampartSQLite
import Testing

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
    case memory, sqlite, postgres
    var testDescription: String { rawValue }

    /// The kinds to run here: PostgreSQL only with a server to run against.
    static var available: [StoreKind] { TestPostgres.url == nil ? [.memory, .sqlite] : allCases }

    func make() async throws -> any SessionStore {
        switch self {
        case .memory: InMemorySessionStore()
        case .sqlite: try SQLiteSessionStore(path: temporaryDatabasePath())
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

    @Test("the database is in WAL mode and its folder is private")
    func walMode() throws {
        let path = temporaryDatabasePath()
        let database = try RampartDatabase(path: path)
        #expect(try database.journalMode() == "wal")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let attributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
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
