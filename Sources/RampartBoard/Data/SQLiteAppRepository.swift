import Crypto
import Foundation
import GRDB
import Rampart
import RampartSQLite

/// The message board's data on embedded SQLite, through GRDB, in the same database file as
/// Rampart's sessions and used tokens. Every statement is prepared with bound arguments.
///
/// Users by id and the latest comments are cached in this process (``ReadCache``): every page
/// needs them, and one process owns the file, so a write here clears exactly what it changed.
///
/// See [GRDB](https://github.com/groue/GRDB.swift) and [SQLite WAL](https://www.sqlite.org/wal.html).
public final class SQLiteAppRepository: AppRepository {
    let database: RampartDatabase

    /// The app's schema, run after Rampart's own migrations.
    public static let migrations: [RampartDatabase.Migration] = [
        .init("app v1: users, comments, uploads, login failures, CSP reports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE app_users (
                        id TEXT PRIMARY KEY NOT NULL,
                        username TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        is_admin INTEGER NOT NULL,
                        avatar_upload_id TEXT,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE app_comments (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT NOT NULL REFERENCES app_users(id) ON DELETE CASCADE,
                        body TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX app_comments_user ON app_comments (user_id);
                    CREATE TABLE app_uploads (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner_id TEXT NOT NULL REFERENCES app_users(id) ON DELETE CASCADE,
                        media_type TEXT NOT NULL,
                        client_filename TEXT NOT NULL,
                        bytes BLOB NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX app_uploads_owner ON app_uploads (owner_id);
                    CREATE TABLE app_login_failures (
                        key TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX app_login_failures_key ON app_login_failures (key, at);
                    CREATE TABLE app_csp_reports (
                        fingerprint TEXT PRIMARY KEY NOT NULL,
                        directive TEXT NOT NULL,
                        blocked_uri TEXT NOT NULL,
                        document_uri TEXT NOT NULL,
                        source_file TEXT NOT NULL,
                        line_number INTEGER NOT NULL,
                        disposition TEXT NOT NULL,
                        sample TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE app_csp_report_minutes (
                        minute INTEGER PRIMARY KEY NOT NULL,
                        count INTEGER NOT NULL
                    ) STRICT;
                    """
            )
        },
        .init("app v2: CSP report budgets per client, dropped-report counter, retention index") { db in
            try db.execute(
                sql: """
                    DROP TABLE app_csp_report_minutes;
                    CREATE TABLE app_csp_report_budget (
                        minute INTEGER NOT NULL,
                        client TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (minute, client)
                    ) STRICT;
                    CREATE TABLE app_counters (
                        name TEXT PRIMARY KEY NOT NULL,
                        value INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX app_csp_reports_last_seen ON app_csp_reports (last_seen);
                    """
            )
        },
    ]

    /// How long login failures are remembered: the throttling window.
    public static let loginFailureWindow: Int64 = 15 * 60

    /// Users by id (`nil` when there is no such user).
    let usersByID = ReadCache<String, User?>(capacity: 10_000)
    /// The latest comments (no search), by limit.
    let latestComments = ReadCache<Int, [Comment]>(capacity: 16)

    /// Uses an open database (opened with ``migrations``).
    public init(database: RampartDatabase, cspReportCap: Int = CSPReportRetention.maximumRows) {
        self.database = database
        self.cspReportCap = cspReportCap
    }

    /// The most CSP report rows kept (``CSPReportRetention/maximumRows`` unless set).
    let cspReportCap: Int

    public func createUser(username: String, passwordHash: String, now: Int64, admin: AdminGrant) async throws -> User? {
        let user = try await database.writer.write { db -> User? in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM app_users WHERE username = ?", arguments: [username]) == true { return nil }
            let isAdmin =
                switch admin {
                case .always: true
                case .never: false
                case .ifFirst: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM app_users") == 0
                }
            let user = User(
                id: UploadPolicy.storedName(),
                username: username,
                passwordHash: passwordHash,
                isAdmin: isAdmin,
                avatarUploadID: nil,
                createdAt: now
            )
            try db.execute(
                sql: "INSERT INTO app_users (id, username, password_hash, is_admin, avatar_upload_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)",
                arguments: [user.id, user.username, user.passwordHash, user.isAdmin ? 1 : 0, now]
            )
            return user
        }
        if let user { usersByID.invalidate(user.id) }
        return user
    }

    public func setAdmin(username: String, isAdmin: Bool) async throws -> Bool {
        let id = try await database.writer.write { db -> String? in
            try db.execute(sql: "UPDATE app_users SET is_admin = ? WHERE username = ?", arguments: [isAdmin ? 1 : 0, username])
            guard db.changesCount > 0 else { return nil }
            return try String.fetchOne(db, sql: "SELECT id FROM app_users WHERE username = ?", arguments: [username])
        }
        if let id { usersByID.invalidate(id) }
        return id != nil
    }

    public func adminCount() async throws -> Int {
        try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM app_users WHERE is_admin = 1") ?? 0 }
    }

    public func user(named username: String) async throws -> User? {
        try await database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM app_users WHERE username = ?", arguments: [username]).map(Self.user)
        }
    }

    public func user(id: String) async throws -> User? {
        try await usersByID.value(id) {
            try await database.writer.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM app_users WHERE id = ?", arguments: [id]).map(Self.user)
            }
        }
    }

    static func user(_ row: Row) -> User {
        User(
            id: row["id"],
            username: row["username"],
            passwordHash: row["password_hash"],
            isAdmin: row["is_admin"] == 1,
            avatarUploadID: row["avatar_upload_id"],
            createdAt: row["created_at"]
        )
    }

    public func deleteUser(id: String) async throws {
        defer {
            usersByID.invalidate(id)
            latestComments.invalidate()
        }
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM app_comments WHERE user_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM app_uploads WHERE owner_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM app_users WHERE id = ?", arguments: [id])
        }
    }

    public func setAvatar(userID: String, uploadID: String) async throws {
        defer { usersByID.invalidate(userID) }
        try await database.writer.write { db in
            let previous = try String.fetchOne(db, sql: "SELECT avatar_upload_id FROM app_users WHERE id = ?", arguments: [userID])
            try db.execute(sql: "UPDATE app_users SET avatar_upload_id = ? WHERE id = ?", arguments: [uploadID, userID])
            if let previous, previous != uploadID {
                try db.execute(sql: "DELETE FROM app_uploads WHERE id = ? AND owner_id = ?", arguments: [previous, userID])
            }
        }
    }

    public func addComment(userID: String, body: String, now: Int64) async throws -> Comment {
        defer { latestComments.invalidate() }
        return try await database.writer.write { db in
            try db.execute(sql: "INSERT INTO app_comments (user_id, body, created_at) VALUES (?, ?, ?)", arguments: [userID, body, now])
            let id = db.lastInsertedRowID
            let username = try String.fetchOne(db, sql: "SELECT username FROM app_users WHERE id = ?", arguments: [userID]) ?? ""
            return Comment(id: id, userID: userID, username: username, body: body, createdAt: now)
        }
    }

    public func comments(containing query: String?, limit: Int) async throws -> [Comment] {
        guard let query, !query.isEmpty else {
            return try await latestComments.value(limit) { try await readComments(containing: nil, limit: limit) }
        }
        return try await readComments(containing: query, limit: limit)
    }

    func readComments(containing query: String?, limit: Int) async throws -> [Comment] {
        try await database.writer.read { db in
            let rows: [Row]
            if let query, !query.isEmpty {
                // The query is plain text: LIKE's wildcards in it are escaped.
                let pattern = "%" + query.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                        WHERE c.body LIKE ? ESCAPE '\\' ORDER BY c.id DESC LIMIT ?
                        """,
                    arguments: [pattern, limit]
                )
            } else {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                        ORDER BY c.id DESC LIMIT ?
                        """,
                    arguments: [limit]
                )
            }
            return rows.map { Comment(id: $0["id"], userID: $0["user_id"], username: $0["username"], body: $0["body"], createdAt: $0["created_at"]) }
        }
    }

    public func comments(byUser userID: String, limit: Int) async throws -> [Comment] {
        try await database.writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                    WHERE c.user_id = ? ORDER BY c.id DESC LIMIT ?
                    """,
                arguments: [userID, limit]
            )
            .map { Comment(id: $0["id"], userID: $0["user_id"], username: $0["username"], body: $0["body"], createdAt: $0["created_at"]) }
        }
    }

    public func saveUpload(_ upload: StoredUpload) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO app_uploads (id, owner_id, media_type, client_filename, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [upload.id, upload.ownerID, upload.mediaType, upload.clientFilename, Data(upload.bytes), upload.createdAt]
            )
        }
    }

    public func upload(id: String) async throws -> StoredUpload? {
        try await database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM app_uploads WHERE id = ?", arguments: [id]).map { row in
                let bytes: Data = row["bytes"]
                return StoredUpload(
                    id: row["id"],
                    ownerID: row["owner_id"],
                    mediaType: row["media_type"],
                    clientFilename: row["client_filename"],
                    bytes: Array(bytes),
                    createdAt: row["created_at"]
                )
            }
        }
    }

    public func recordLoginFailure(keys: [String], now: Int64) async throws {
        try await database.writer.write { db in
            for key in keys {
                try db.execute(sql: "INSERT INTO app_login_failures (key, at) VALUES (?, ?)", arguments: [key, now])
            }
        }
    }

    public func loginFailures(key: String, since: Int64) async throws -> (count: Int, oldest: Int64?) {
        try await database.writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM app_login_failures WHERE key = ? AND at > ?",
                arguments: [key, since]
            )
            return (row?["n"] ?? 0, row?["oldest"])
        }
    }

    public func reserveLoginAttempt(keys: [String], since: Int64, now: Int64, limit: Int) async throws -> (key: String, oldest: Int64)? {
        // One write transaction: SQLite's single writer makes the count and the insert one step.
        try await database.writer.write { db in
            for key in keys {
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM app_login_failures WHERE key = ? AND at > ?",
                    arguments: [key, since]
                )
                let count: Int = row?["n"] ?? 0
                if count >= limit, let oldest: Int64 = row?["oldest"] { return (key, oldest) }
            }
            for key in keys {
                try db.execute(sql: "INSERT INTO app_login_failures (key, at) VALUES (?, ?)", arguments: [key, now])
            }
            return nil
        }
    }

    public func releaseLoginAttempt(keys: [String], at: Int64) async throws {
        try await database.writer.write { db in
            for key in keys {
                try db.execute(
                    sql: "DELETE FROM app_login_failures WHERE rowid IN (SELECT rowid FROM app_login_failures WHERE key = ? AND at = ? LIMIT 1)",
                    arguments: [key, at]
                )
            }
        }
    }

    public func clearLoginFailures(key: String) async throws {
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM app_login_failures WHERE key = ?", arguments: [key])
        }
    }

    public func recordCSPReport(_ report: CSPViolation, client: String, now: Int64, perMinuteCap: Int) async throws -> CSPReportOutcome {
        let fingerprint = CSPViolation.fingerprint(report)
        let minute = now / 60
        return try await database.writer.write { db in
            let used =
                try Int.fetchOne(db, sql: "SELECT count FROM app_csp_report_budget WHERE minute = ? AND client = ?", arguments: [minute, client]) ?? 0
            let known =
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM app_csp_reports WHERE fingerprint = ?)", arguments: [fingerprint]) ?? false
            guard used < (known ? CSPReportRetention.duplicateCap(perMinuteCap) : perMinuteCap) else {
                try db.execute(
                    sql: "INSERT INTO app_counters (name, value) VALUES ('csp_reports_dropped', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1"
                )
                return .rateLimited
            }
            try db.execute(
                sql:
                    "INSERT INTO app_csp_report_budget (minute, client, count) VALUES (?, ?, 1) ON CONFLICT(minute, client) DO UPDATE SET count = count + 1",
                arguments: [minute, client]
            )
            if known {
                try db.execute(
                    sql: "UPDATE app_csp_reports SET count = count + 1, last_seen = ? WHERE fingerprint = ?",
                    arguments: [now, fingerprint]
                )
                return .duplicate
            }
            try db.execute(
                sql: """
                    INSERT INTO app_csp_reports (fingerprint, directive, blocked_uri, document_uri, source_file, line_number, disposition, sample, count, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """,
                arguments: [
                    fingerprint, report.directive, report.blockedURI, report.documentURI, report.sourceFile, report.lineNumber, report.disposition,
                    report.sample, now, now,
                ]
            )
            return .stored
        }
    }

    public func cspReportsDropped() async throws -> Int {
        try await database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT value FROM app_counters WHERE name = 'csp_reports_dropped'") ?? 0
        }
    }

    public func cspReportGroups(limit: Int) async throws -> [CSPReportGroup] {
        try await database.writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT disposition, directive, blocked_uri, SUM(count) AS n, MAX(last_seen) AS last, MIN(document_uri) AS document
                    FROM app_csp_reports GROUP BY disposition, directive, blocked_uri ORDER BY n DESC, last DESC LIMIT ?
                    """,
                arguments: [limit]
            ).map {
                CSPReportGroup(
                    disposition: $0["disposition"],
                    directive: $0["directive"],
                    blockedURI: $0["blocked_uri"],
                    count: $0["n"],
                    lastSeen: $0["last"],
                    documentURI: $0["document"]
                )
            }
        }
    }

    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM app_login_failures WHERE at <= ?", arguments: [now - Self.loginFailureWindow])
            var deleted = db.changesCount
            try db.execute(sql: "DELETE FROM app_csp_report_budget WHERE minute < ?", arguments: [now / 60 - 1])
            deleted += db.changesCount
            // CSP reports: past the retention period, then the least recently seen beyond the cap.
            try db.execute(sql: "DELETE FROM app_csp_reports WHERE last_seen < ?", arguments: [now - CSPReportRetention.seconds])
            deleted += db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM app_csp_reports WHERE fingerprint IN
                        (SELECT fingerprint FROM app_csp_reports ORDER BY last_seen DESC, fingerprint LIMIT -1 OFFSET ?)
                    """,
                arguments: [cspReportCap]
            )
            deleted += db.changesCount
            return deleted
        }
    }
}
