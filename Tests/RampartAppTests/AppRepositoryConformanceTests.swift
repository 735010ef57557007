import Foundation
import Rampart
import RampartApp
import RampartSQLite
import Testing

/// Every back-end of the board's data passes these same tests: SQLite always, PostgreSQL when
/// `RAMPART_TEST_POSTGRES_URL` is set (always in CI).
enum RepositoryKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres
    var testDescription: String { rawValue }

    static var available: [RepositoryKind] { AppTestPostgres.url == nil ? [.sqlite] : allCases }

    func make() async throws -> any AppRepository {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-repo-\(UUID().uuidString)/board.sqlite").path
            return SQLiteAppRepository(database: try RampartDatabase(path: path, migrations: SQLiteAppRepository.migrations))
        case .postgres:
            return PostgresAppRepository(database: try await AppTestPostgres.freshDatabase())
        }
    }
}

@Suite("Board repository conformance")
struct AppRepositoryConformanceTests {
    @Test("users: the first is the admin, names are unique, lookups by name and id", arguments: RepositoryKind.available)
    func users(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let ada = try #require(try await repository.createUser(username: "ada", passwordHash: "$2b$12$hash", now: 10))
        let bob = try #require(try await repository.createUser(username: "bob", passwordHash: "$2b$12$other", now: 11))
        #expect(ada.isAdmin)
        #expect(!bob.isAdmin)
        #expect(try await repository.createUser(username: "ada", passwordHash: "x", now: 12) == nil)
        #expect(try await repository.user(named: "ada") == ada)
        #expect(try await repository.user(id: bob.id) == bob)
        #expect(try await repository.user(named: "nobody") == nil)
        #expect(ada.id != bob.id && ada.id.utf8.count == 22)
    }

    @Test("exactly one admin when the first users register at once", arguments: RepositoryKind.available)
    func oneAdmin(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let users = try await withThrowingTaskGroup(of: User?.self) { group in
            for index in 0..<12 { group.addTask { try await repository.createUser(username: "u\(index)", passwordHash: "h", now: 1) } }
            return try await group.reduce(into: [User]()) { if let user = $1 { $0.append(user) } }
        }
        #expect(users.count == 12)
        #expect(users.filter(\.isAdmin).count == 1)
    }

    @Test("admin is explicit off loopback: never, always, granted and revoked by name", arguments: RepositoryKind.available)
    func adminGrants(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let first = try #require(try await repository.createUser(username: "stranger", passwordHash: "h", now: 1, admin: .never))
        #expect(!first.isAdmin, "the first account is not the admin when admin is explicit")
        #expect(try await repository.adminCount() == 0)
        let owner = try #require(try await repository.createUser(username: "owner", passwordHash: "h", now: 2, admin: .always))
        #expect(owner.isAdmin)
        #expect(try await repository.setAdmin(username: "stranger", isAdmin: true))
        #expect(try await repository.user(id: first.id)?.isAdmin == true, "the cached user sees the grant")
        #expect(try await repository.adminCount() == 2)
        #expect(try await repository.setAdmin(username: "stranger", isAdmin: false))
        #expect(try await repository.user(id: first.id)?.isAdmin == false)
        #expect(try await repository.setAdmin(username: "nobody", isAdmin: true) == false)
        #expect(try await repository.adminCount() == 1)
    }

    @Test("comments: newest first, search is plain text (LIKE wildcards are literal)", arguments: RepositoryKind.available)
    func comments(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let ada = try #require(try await repository.createUser(username: "ada", passwordHash: "h", now: 1))
        for (index, body) in ["100% sure", "a_b", "abc", "plain"].enumerated() {
            _ = try await repository.addComment(userID: ada.id, body: body, now: Int64(index))
        }
        #expect(try await repository.comments(containing: nil, limit: 10).map(\.body) == ["plain", "abc", "a_b", "100% sure"])
        #expect(try await repository.comments(containing: nil, limit: 2).count == 2)
        #expect(try await repository.comments(containing: "%", limit: 10).map(\.body) == ["100% sure"])
        #expect(try await repository.comments(containing: "_", limit: 10).map(\.body) == ["a_b"])
        #expect(try await repository.comments(containing: "b", limit: 10).map(\.body) == ["abc", "a_b"])
        #expect(try await repository.comments(containing: "nothing", limit: 10).isEmpty)
        #expect(try await repository.comments(containing: nil, limit: 1).first?.username == "ada")
        let bob = try #require(try await repository.createUser(username: "bob", passwordHash: "h", now: 9))
        _ = try await repository.addComment(userID: bob.id, body: "bob's", now: 10)
        #expect(try await repository.comments(byUser: ada.id, limit: 10).map(\.body) == ["plain", "abc", "a_b", "100% sure"])
        #expect(try await repository.comments(byUser: bob.id, limit: 10).map(\.username) == ["bob"])
        #expect(try await repository.comments(byUser: ada.id, limit: 1).count == 1)
    }

    @Test("uploads and avatars; deleting a user removes their comments and uploads", arguments: RepositoryKind.available)
    func uploadsAndDeletion(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let ada = try #require(try await repository.createUser(username: "ada", passwordHash: "h", now: 1))
        let bob = try #require(try await repository.createUser(username: "bob", passwordHash: "h", now: 1))
        let first = StoredUpload(id: "first", ownerID: ada.id, mediaType: "image/png", clientFilename: "a.png", bytes: [1, 2, 3], createdAt: 5)
        let second = StoredUpload(id: "second", ownerID: ada.id, mediaType: "image/gif", clientFilename: "b.gif", bytes: [4], createdAt: 6)
        try await repository.saveUpload(first)
        try await repository.setAvatar(userID: ada.id, uploadID: first.id)
        #expect(try await repository.upload(id: "first") == first)
        try await repository.saveUpload(second)
        try await repository.setAvatar(userID: ada.id, uploadID: second.id)
        #expect(try await repository.upload(id: "first") == nil, "the replaced avatar is deleted")
        #expect(try await repository.user(id: ada.id)?.avatarUploadID == "second")

        _ = try await repository.addComment(userID: ada.id, body: "mine", now: 7)
        _ = try await repository.addComment(userID: bob.id, body: "bob's", now: 8)
        try await repository.deleteUser(id: ada.id)
        #expect(try await repository.user(id: ada.id) == nil)
        #expect(try await repository.upload(id: "second") == nil)
        #expect(try await repository.comments(containing: nil, limit: 10).map(\.body) == ["bob's"])
    }

    @Test("login failures are counted in the window, cleared, and purged", arguments: RepositoryKind.available)
    func loginFailures(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        for at in [100, 200, 300] as [Int64] {
            try await repository.recordLoginFailure(keys: ["account:ada", "client:1.2.3.4"], now: at)
        }
        #expect(try await repository.loginFailures(key: "account:ada", since: 0) == (3, 100))
        #expect(try await repository.loginFailures(key: "client:1.2.3.4", since: 150) == (2, 200))
        #expect(try await repository.loginFailures(key: "account:bob", since: 0) == (0, nil))
        try await repository.clearLoginFailures(key: "account:ada")
        #expect(try await repository.loginFailures(key: "account:ada", since: 0).count == 0)
        #expect(try await repository.purgeExpired(now: 250 + SQLiteAppRepository.loginFailureWindow) >= 2)
        #expect(try await repository.loginFailures(key: "client:1.2.3.4", since: 0) == (1, 300))
    }

    @Test("100 concurrent login attempts on one account: exactly 10 are reserved, atomically", arguments: RepositoryKind.available)
    func loginReservationRace(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let keys = ["account:victim", "client:203.0.113.7"]
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 {
                group.addTask { try await repository.reserveLoginAttempt(keys: keys, since: 0, now: 1000, limit: 10) == nil }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 10)
        #expect(try await repository.loginFailures(key: "account:victim", since: 0) == (10, 1000))
        #expect(try await repository.loginFailures(key: "client:203.0.113.7", since: 0) == (10, 1000))
        // At the limit, nothing more is recorded; the refusal names the key and its oldest attempt.
        let refused = try await repository.reserveLoginAttempt(keys: keys, since: 0, now: 1001, limit: 10)
        #expect(refused?.key == "account:victim")
        #expect(refused?.oldest == 1000)
        #expect(try await repository.loginFailures(key: "client:203.0.113.7", since: 0).count == 10)
        // A released attempt is given back under every key, once.
        try await repository.releaseLoginAttempt(keys: keys, at: 1000)
        #expect(try await repository.loginFailures(key: "account:victim", since: 0).count == 9)
        #expect(try await repository.loginFailures(key: "client:203.0.113.7", since: 0).count == 9)
        // Another key has its own budget.
        #expect(try await repository.reserveLoginAttempt(keys: ["device:abc"], since: 0, now: 1002, limit: 10) == nil)
    }

    @Test("CSP reports: stored, duplicates counted, capped per minute, grouped", arguments: RepositoryKind.available)
    func cspReports(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let inline = CSPViolation(directive: "script-src-elem", blockedURI: "inline", documentURI: "https://board.example/")
        let image = CSPViolation(directive: "img-src", blockedURI: "https://evil.example/x.png", documentURI: "https://board.example/")
        #expect(try await repository.recordCSPReport(inline, client: "198.51.100.1", now: 600, perMinuteCap: 3) == .stored)
        #expect(try await repository.recordCSPReport(inline, client: "198.51.100.1", now: 601, perMinuteCap: 3) == .duplicate)
        #expect(try await repository.recordCSPReport(image, client: "198.51.100.1", now: 602, perMinuteCap: 3) == .stored)
        #expect(try await repository.recordCSPReport(image, client: "198.51.100.1", now: 603, perMinuteCap: 3) == .rateLimited)
        #expect(
            try await repository.recordCSPReport(image, client: "198.51.100.1", now: 660, perMinuteCap: 3) == .duplicate,
            "a new minute has room again"
        )
        let groups = try await repository.cspReportGroups(limit: 10)
        #expect(groups.map(\.directive) == ["img-src", "script-src-elem"], "equal counts: the latest first")
        #expect(groups.map(\.count) == [2, 2])
        #expect(groups.first?.lastSeen == 660)
        let long = CSPViolation(directive: String(repeating: "d", count: 2000), blockedURI: "", documentURI: "")
        #expect(long.directive.utf8.count == 512)
    }

    @Test(
        "CSP reports: one client's flood does not keep another client's new report out; dropped reports are counted",
        arguments: RepositoryKind.available
    )
    func cspReportBudgets(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let real = CSPViolation(directive: "script-src-elem", blockedURI: "https://cdn.evil.example/x.js", documentURI: "https://board.example/")
        // 101 junk reports from one address, with a cap of 100 a minute: the 101st is dropped.
        var outcomes: [CSPReportOutcome] = []
        for index in 0..<101 {
            let junk = CSPViolation(directive: "img-src", blockedURI: "https://junk.example/\(index)", documentURI: "https://board.example/")
            outcomes.append(try await repository.recordCSPReport(junk, client: "203.0.113.66", now: 6000, perMinuteCap: 100))
        }
        #expect(outcomes.filter { $0 == .stored }.count == 100)
        #expect(outcomes.last == .rateLimited)
        // Another client's real report, in the same minute, is stored.
        #expect(try await repository.recordCSPReport(real, client: "198.51.100.7", now: 6001, perMinuteCap: 100) == .stored)
        #expect(try await repository.cspReportGroups(limit: 200).contains { $0.blockedURI == real.blockedURI })
        // The last fifth of a client's budget is for fingerprints not seen before.
        for _ in 0..<80 {
            #expect(try await repository.recordCSPReport(real, client: "192.0.2.1", now: 6002, perMinuteCap: 100) == .duplicate)
        }
        #expect(try await repository.recordCSPReport(real, client: "192.0.2.1", now: 6002, perMinuteCap: 100) == .rateLimited)
        let fresh = CSPViolation(directive: "style-src-elem", blockedURI: "inline", documentURI: "https://board.example/")
        #expect(try await repository.recordCSPReport(fresh, client: "192.0.2.1", now: 6002, perMinuteCap: 100) == .stored)
        #expect(try await repository.cspReportsDropped() == 2)
    }

    @Test("CSP reports older than 30 days are purged", arguments: RepositoryKind.available)
    func cspReportRetention(_ kind: RepositoryKind) async throws {
        let repository = try await kind.make()
        let old = CSPViolation(directive: "img-src", blockedURI: "https://old.example/", documentURI: "https://board.example/")
        let recent = CSPViolation(directive: "img-src", blockedURI: "https://recent.example/", documentURI: "https://board.example/")
        _ = try await repository.recordCSPReport(old, client: "a", now: 1_000, perMinuteCap: 100)
        _ = try await repository.recordCSPReport(recent, client: "a", now: 1_000 + CSPReportRetention.seconds, perMinuteCap: 100)
        _ = try await repository.purgeExpired(now: 1_000 + CSPReportRetention.seconds + 10)
        #expect(try await repository.cspReportGroups(limit: 10).map(\.blockedURI) == ["https://recent.example/"])
    }

    @Test("the CSP report table is capped: the least recently seen beyond the cap are purged", arguments: RepositoryKind.available)
    func cspReportRowCap(_ kind: RepositoryKind) async throws {
        let repository: any AppRepository =
            switch kind {
            case .sqlite:
                SQLiteAppRepository(
                    database: try RampartDatabase(
                        path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-cap-\(UUID().uuidString)/board.sqlite").path,
                        migrations: SQLiteAppRepository.migrations
                    ),
                    cspReportCap: 40
                )
            case .postgres:
                PostgresAppRepository(database: try await AppTestPostgres.freshDatabase(), cspReportCap: 40)
            }
        for index in 0..<45 {
            let report = CSPViolation(directive: "img-src", blockedURI: "https://x.example/\(index)", documentURI: "https://board.example/")
            _ = try await repository.recordCSPReport(report, client: "c\(index)", now: 10_000 + Int64(index), perMinuteCap: 100)
        }
        _ = try await repository.purgeExpired(now: 10_100)
        let groups = try await repository.cspReportGroups(limit: 200)
        #expect(groups.count == 40)
        #expect(!groups.contains { $0.blockedURI == "https://x.example/4" }, "the five least recently seen go")
        #expect(groups.contains { $0.blockedURI == "https://x.example/5" })
        #expect(groups.contains { $0.blockedURI == "https://x.example/44" })
        #expect(CSPReportRetention.maximumRows == 10_000)
    }
}
