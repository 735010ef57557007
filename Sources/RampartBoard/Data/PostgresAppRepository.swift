import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Rampart
import RampartPostgres

/// The message board's data on PostgreSQL, shared by every instance behind a load balancer:
/// users, comments, uploads (their bytes in a `bytea` column, so any instance serves any
/// upload), login failures and CSP reports.
///
/// Every statement is sent with bound parameters (PostgresNIO's extended protocol); none is built
/// from data. Every call goes through ``RampartPostgresDatabase/perform(_:)``, so an unreachable
/// server is a ``StoreUnavailable`` (503), never a hang.
///
/// See [PostgreSQL: INSERT … ON CONFLICT](https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT)
/// and [PostgreSQL: binary data](https://www.postgresql.org/docs/current/datatype-binary.html).
public final class PostgresAppRepository: AppRepository {
    let database: RampartPostgresDatabase
    let logger: Logger

    /// The app's schema, run after Rampart's own migrations (``RampartPostgresDatabase/rampartMigrations``).
    public static let migrations: [RampartPostgresDatabase.Migration] = [
        .init(
            "app v1: users, comments, uploads, login failures, CSP reports",
            [
                """
                CREATE TABLE app_users (
                    id TEXT PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    is_admin BOOLEAN NOT NULL,
                    avatar_upload_id TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE app_comments (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES app_users(id) ON DELETE CASCADE,
                    body TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX app_comments_user ON app_comments (user_id)",
                """
                CREATE TABLE app_uploads (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL REFERENCES app_users(id) ON DELETE CASCADE,
                    media_type TEXT NOT NULL,
                    client_filename TEXT NOT NULL,
                    bytes BYTEA NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX app_uploads_owner ON app_uploads (owner_id)",
                "CREATE TABLE app_login_failures (key TEXT NOT NULL, at BIGINT NOT NULL)",
                "CREATE INDEX app_login_failures_key ON app_login_failures (key, at)",
                "CREATE INDEX app_login_failures_at ON app_login_failures (at)",
                """
                CREATE TABLE app_csp_reports (
                    fingerprint TEXT PRIMARY KEY,
                    directive TEXT NOT NULL,
                    blocked_uri TEXT NOT NULL,
                    document_uri TEXT NOT NULL,
                    source_file TEXT NOT NULL,
                    line_number BIGINT NOT NULL,
                    disposition TEXT NOT NULL,
                    sample TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    first_seen BIGINT NOT NULL,
                    last_seen BIGINT NOT NULL
                )
                """,
                "CREATE TABLE app_csp_report_minutes (minute BIGINT PRIMARY KEY, count BIGINT NOT NULL)",
            ]
        ),
        .init(
            "app v2: CSP report budgets per client, dropped-report counter, retention index",
            [
                "DROP TABLE app_csp_report_minutes",
                "CREATE TABLE app_csp_report_budget (minute BIGINT NOT NULL, client TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (minute, client))",
                "CREATE TABLE app_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
                "CREATE INDEX app_csp_reports_last_seen ON app_csp_reports (last_seen)",
            ]
        ),
    ]

    /// Uses a database migrated with ``RampartPostgresDatabase/rampartMigrations`` and ``migrations``.
    public init(
        database: RampartPostgresDatabase,
        logger: Logger = Logger(label: "rampart.postgres"),
        cspReportCap: Int = CSPReportRetention.maximumRows
    ) {
        self.database = database
        self.logger = logger
        self.cspReportCap = cspReportCap
    }

    /// The most CSP report rows kept (``CSPReportRetention/maximumRows`` unless set).
    let cspReportCap: Int

    typealias UserRow = (String, String, String, Bool, String?, Int64)

    static func user(_ row: UserRow) -> User {
        User(id: row.0, username: row.1, passwordHash: row.2, isAdmin: row.3, avatarUploadID: row.4, createdAt: row.5)
    }

    public func createUser(username: String, passwordHash: String, now: Int64, admin: AdminGrant) async throws -> User? {
        let id = UploadPolicy.storedName()
        return try await database.perform { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                // Registrations take turns, so exactly one first user is the admin even when
                // several instances register users at the same moment.
                try await RampartPostgresDatabase.lockTable("app_users", on: connection, logger: logger)
                let rows = try await connection.query(
                    """
                    INSERT INTO app_users (id, username, password_hash, is_admin, avatar_upload_id, created_at)
                    SELECT \(id), \(username), \(passwordHash), \(admin == .always) OR (\(admin == .ifFirst) AND NOT EXISTS (SELECT 1 FROM app_users)), NULL, \(now)
                    ON CONFLICT (username) DO NOTHING
                    RETURNING id, username, password_hash, is_admin, avatar_upload_id, created_at
                    """,
                    logger: logger
                )
                for try await row in rows.decode(UserRow.self) { return Self.user(row) }
                return nil
            }
        }
    }

    public func setAdmin(username: String, isAdmin: Bool) async throws -> Bool {
        try await database.perform { [logger] client in
            try await count(client.query("UPDATE app_users SET is_admin = \(isAdmin) WHERE username = \(username) RETURNING id", logger: logger)) > 0
        }
    }

    public func adminCount() async throws -> Int {
        try await database.perform { [logger] client in
            for try await n in try await client.query("SELECT COUNT(*) FROM app_users WHERE is_admin", logger: logger).decode(Int64.self) {
                return Int(n)
            }
            return 0
        }
    }

    public func user(named username: String) async throws -> User? {
        try await database.perform { [logger] client in
            for try await row in try await client.query(
                "SELECT id, username, password_hash, is_admin, avatar_upload_id, created_at FROM app_users WHERE username = \(username)",
                logger: logger
            ).decode(UserRow.self) {
                return Self.user(row)
            }
            return nil
        }
    }

    public func user(id: String) async throws -> User? {
        try await database.perform { [logger] client in
            for try await row in try await client.query(
                "SELECT id, username, password_hash, is_admin, avatar_upload_id, created_at FROM app_users WHERE id = \(id)",
                logger: logger
            ).decode(UserRow.self) {
                return Self.user(row)
            }
            return nil
        }
    }

    public func deleteUser(id: String) async throws {
        try await database.perform { [logger] client in
            // Comments and uploads go with the user (ON DELETE CASCADE), in the same statement.
            _ = try await client.query("DELETE FROM app_users WHERE id = \(id)", logger: logger)
        }
    }

    public func setAvatar(userID: String, uploadID: String) async throws {
        try await database.perform { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                var previous: String?
                for try await value in try await connection.query(
                    "SELECT avatar_upload_id FROM app_users WHERE id = \(userID) FOR UPDATE",
                    logger: logger
                ).decode(String?.self) {
                    previous = value
                }
                _ = try await connection.query("UPDATE app_users SET avatar_upload_id = \(uploadID) WHERE id = \(userID)", logger: logger)
                if let previous, previous != uploadID {
                    _ = try await connection.query("DELETE FROM app_uploads WHERE id = \(previous) AND owner_id = \(userID)", logger: logger)
                }
            }
        }
    }

    public func addComment(userID: String, body: String, now: Int64) async throws -> Comment {
        try await database.perform { [logger] client in
            let rows = try await client.query(
                """
                WITH inserted AS (INSERT INTO app_comments (user_id, body, created_at) VALUES (\(userID), \(body), \(now)) RETURNING id)
                SELECT inserted.id, COALESCE((SELECT username FROM app_users WHERE id = \(userID)), '') FROM inserted
                """,
                logger: logger
            )
            for try await (id, username) in rows.decode((Int64, String).self) {
                return Comment(id: id, userID: userID, username: username, body: body, createdAt: now)
            }
            throw PostgresRepositoryError.noRowReturned
        }
    }

    public func comments(containing query: String?, limit: Int) async throws -> [Comment] {
        try await database.perform { [logger] client in
            let rows: PostgresRowSequence
            if let query, !query.isEmpty {
                // The query is plain text: LIKE's wildcards in it are escaped.
                let pattern = "%" + query.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
                rows = try await client.query(
                    """
                    SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                    WHERE c.body LIKE \(pattern) ESCAPE '\\' ORDER BY c.id DESC LIMIT \(limit)
                    """,
                    logger: logger
                )
            } else {
                rows = try await client.query(
                    """
                    SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                    ORDER BY c.id DESC LIMIT \(limit)
                    """,
                    logger: logger
                )
            }
            return try await Self.comments(rows)
        }
    }

    public func comments(byUser userID: String, limit: Int) async throws -> [Comment] {
        try await database.perform { [logger] client in
            let rows = try await client.query(
                """
                SELECT c.id, c.user_id, u.username, c.body, c.created_at FROM app_comments c JOIN app_users u ON u.id = c.user_id
                WHERE c.user_id = \(userID) ORDER BY c.id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.comments(rows)
        }
    }

    /// Decodes `id, user_id, username, body, created_at` rows.
    static func comments(_ rows: PostgresRowSequence) async throws -> [Comment] {
        var comments: [Comment] = []
        for try await row in rows.decode((Int64, String, String, String, Int64).self) {
            comments.append(Comment(id: row.0, userID: row.1, username: row.2, body: row.3, createdAt: row.4))
        }
        return comments
    }

    public func saveUpload(_ upload: StoredUpload) async throws {
        let bytes = ByteBuffer(bytes: upload.bytes)
        try await database.perform { [logger] client in
            _ = try await client.query(
                """
                INSERT INTO app_uploads (id, owner_id, media_type, client_filename, bytes, created_at)
                VALUES (\(upload.id), \(upload.ownerID), \(upload.mediaType), \(upload.clientFilename), \(bytes), \(upload.createdAt))
                """,
                logger: logger
            )
        }
    }

    public func upload(id: String) async throws -> StoredUpload? {
        try await database.perform { [logger] client in
            let rows = try await client.query(
                "SELECT id, owner_id, media_type, client_filename, bytes, created_at FROM app_uploads WHERE id = \(id)",
                logger: logger
            )
            for try await row in rows.decode((String, String, String, String, ByteBuffer, Int64).self) {
                return StoredUpload(
                    id: row.0,
                    ownerID: row.1,
                    mediaType: row.2,
                    clientFilename: row.3,
                    bytes: Array(row.4.readableBytesView),
                    createdAt: row.5
                )
            }
            return nil
        }
    }

    public func recordLoginFailure(keys: [String], now: Int64) async throws {
        try await database.perform { [logger] client in
            _ = try await client.query("INSERT INTO app_login_failures (key, at) SELECT unnest(\(keys)::text[]), \(now)", logger: logger)
        }
    }

    public func loginFailures(key: String, since: Int64) async throws -> (count: Int, oldest: Int64?) {
        try await database.perform { [logger] client in
            let rows = try await client.query("SELECT COUNT(*), MIN(at) FROM app_login_failures WHERE key = \(key) AND at > \(since)", logger: logger)
            for try await (count, oldest) in rows.decode((Int64, Int64?).self) { return (Int(count), oldest) }
            return (0, nil)
        }
    }

    public func reserveLoginAttempt(keys: [String], since: Int64, now: Int64, limit: Int) async throws -> (key: String, oldest: Int64)? {
        try await database.perform { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                // A transaction-scoped advisory lock per key, taken in sorted order (no deadlock
                // between two requests sharing keys): the count and the insert are one step for
                // every instance sharing the database.
                for key in keys.sorted() {
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.loginLockClass), hashtext(\(key)))", logger: logger)
                }
                for key in keys {
                    let rows = try await connection.query(
                        "SELECT COUNT(*), MIN(at) FROM app_login_failures WHERE key = \(key) AND at > \(since)",
                        logger: logger
                    )
                    for try await (count, oldest) in rows.decode((Int64, Int64?).self) {
                        if count >= limit, let oldest { return (key, oldest) }
                    }
                }
                _ = try await connection.query("INSERT INTO app_login_failures (key, at) SELECT unnest(\(keys)::text[]), \(now)", logger: logger)
                return nil
            }
        }
    }

    /// The first key of the login-attempt advisory locks ("lgin" in ASCII); the second is the
    /// hash of the throttle key.
    static let loginLockClass: Int32 = 0x6C67_696E

    public func releaseLoginAttempt(keys: [String], at: Int64) async throws {
        try await database.perform { [logger] client in
            for key in keys {
                _ = try await client.query(
                    "DELETE FROM app_login_failures WHERE ctid IN (SELECT ctid FROM app_login_failures WHERE key = \(key) AND at = \(at) LIMIT 1)",
                    logger: logger
                )
            }
        }
    }

    public func clearLoginFailures(key: String) async throws {
        try await database.perform { [logger] client in
            _ = try await client.query("DELETE FROM app_login_failures WHERE key = \(key)", logger: logger)
        }
    }

    public func recordCSPReport(_ report: CSPViolation, client: String, now: Int64, perMinuteCap: Int) async throws -> CSPReportOutcome {
        let fingerprint = CSPViolation.fingerprint(report)
        let minute = now / 60
        let duplicateCap = CSPReportRetention.duplicateCap(perMinuteCap)
        return try await database.perform { [logger] client0 in
            try await client0.withTransaction(logger: logger) { connection in
                var known = false
                for try await exists in try await connection.query(
                    "SELECT EXISTS (SELECT 1 FROM app_csp_reports WHERE fingerprint = \(fingerprint))",
                    logger: logger
                ).decode(Bool.self) {
                    known = exists
                }
                // One statement takes a slot in this client's minute budget, or finds it spent.
                let cap = known ? duplicateCap : perMinuteCap
                let slot = try await count(
                    connection.query(
                        """
                        INSERT INTO app_csp_report_budget AS b (minute, client, count) VALUES (\(minute), \(client), 1)
                        ON CONFLICT (minute, client) DO UPDATE SET count = b.count + 1 WHERE b.count < \(cap)
                        RETURNING b.count
                        """,
                        logger: logger
                    )
                )
                guard slot == 1 else {
                    _ = try await connection.query(
                        """
                        INSERT INTO app_counters AS c (name, value) VALUES ('csp_reports_dropped', 1)
                        ON CONFLICT (name) DO UPDATE SET value = c.value + 1
                        """,
                        logger: logger
                    )
                    return .rateLimited
                }
                let rows = try await connection.query(
                    """
                    INSERT INTO app_csp_reports AS r (fingerprint, directive, blocked_uri, document_uri, source_file, line_number, disposition, sample, count, first_seen, last_seen)
                    VALUES (\(fingerprint), \(report.directive), \(report.blockedURI), \(report.documentURI), \(report.sourceFile), \(Int64(report.lineNumber)),
                            \(report.disposition), \(report.sample), 1, \(now), \(now))
                    ON CONFLICT (fingerprint) DO UPDATE SET count = r.count + 1, last_seen = EXCLUDED.last_seen
                    RETURNING r.count
                    """,
                    logger: logger
                )
                for try await stored in rows.decode(Int64.self) { return stored == 1 ? .stored : .duplicate }
                throw PostgresRepositoryError.noRowReturned
            }
        }
    }

    public func cspReportsDropped() async throws -> Int {
        try await database.perform { [logger] client in
            for try await value in try await client.query("SELECT value FROM app_counters WHERE name = 'csp_reports_dropped'", logger: logger).decode(
                Int64.self
            ) {
                return Int(value)
            }
            return 0
        }
    }

    public func cspReportGroups(limit: Int) async throws -> [CSPReportGroup] {
        try await database.perform { [logger] client in
            let rows = try await client.query(
                """
                SELECT disposition, directive, blocked_uri, SUM(count)::BIGINT AS n, MAX(last_seen) AS last, MIN(document_uri COLLATE "C") AS document
                FROM app_csp_reports GROUP BY disposition, directive, blocked_uri ORDER BY n DESC, last DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var groups: [CSPReportGroup] = []
            for try await row in rows.decode((String, String, String, Int64, Int64, String).self) {
                groups.append(
                    CSPReportGroup(disposition: row.0, directive: row.1, blockedURI: row.2, count: Int(row.3), lastSeen: row.4, documentURI: row.5)
                )
            }
            return groups
        }
    }

    public func purgeExpired(now: Int64) async throws -> Int {
        let failures = try await database.purge(
            table: "app_login_failures",
            "DELETE FROM app_login_failures WHERE at <= \(now - SQLiteAppRepository.loginFailureWindow) RETURNING at"
        )
        let minutes = try await database.purge(
            table: "app_csp_report_budget",
            "DELETE FROM app_csp_report_budget WHERE minute < \(now / 60 - 1) RETURNING minute"
        )
        // CSP reports: past the retention period, then the least recently seen beyond the cap.
        let old = try await database.purge(
            table: "app_csp_reports",
            "DELETE FROM app_csp_reports WHERE last_seen < \(now - CSPReportRetention.seconds) RETURNING last_seen"
        )
        let overCap = try await database.purge(
            table: "app_csp_reports",
            """
            DELETE FROM app_csp_reports WHERE fingerprint IN
                (SELECT fingerprint FROM app_csp_reports ORDER BY last_seen DESC, fingerprint OFFSET \(cspReportCap))
            RETURNING last_seen
            """
        )
        return failures + minutes + old + overCap
    }
}

/// A statement that must return a row returned none.
enum PostgresRepositoryError: Error {
    case noRowReturned
}

extension CSPViolation {
    /// The identity of a report for deduplication: SHA-256 over its fields (not the sample).
    static func fingerprint(_ report: CSPViolation) -> String {
        SHA256.hash(
            data: Array(
                [report.directive, report.blockedURI, report.documentURI, report.sourceFile, String(report.lineNumber), report.disposition]
                    .joined(separator: "\u{0}").utf8
            )
        )
        .map { String($0, radix: 16) }.joined()
    }
}
