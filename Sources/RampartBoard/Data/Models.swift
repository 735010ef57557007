import Rampart

/// An account on the message board.
public struct User: Sendable, Hashable, Codable {
    /// A random 128-bit id, base64url.
    public let id: String
    /// The lower-cased user name: 3 to 32 of `a–z 0–9 _ . -`.
    public let username: String
    /// The bcrypt hash (cost 12) of the password.
    public let passwordHash: String
    /// The first registered user is the admin, who can see the CSP report dashboard.
    public let isAdmin: Bool
    /// The id of the user's avatar upload, if any.
    public let avatarUploadID: String?
    /// Unix seconds.
    public let createdAt: Int64

    /// Creates a user value.
    public init(id: String, username: String, passwordHash: String, isAdmin: Bool, avatarUploadID: String?, createdAt: Int64) {
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.isAdmin = isAdmin
        self.avatarUploadID = avatarUploadID
        self.createdAt = createdAt
    }
}

/// A comment, with its author's name.
public struct Comment: Sendable, Hashable, Codable {
    /// The row id.
    public let id: Int64
    /// The author's id.
    public let userID: String
    /// The author's name.
    public let username: String
    /// The text, as posted: any text, links included. Rendered only through the safe template layer.
    public let body: String
    /// Unix seconds.
    public let createdAt: Int64

    /// Creates a comment value.
    public init(id: Int64, userID: String, username: String, body: String, createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.username = username
        self.body = body
        self.createdAt = createdAt
    }
}

/// An accepted upload: its type sniffed from its bytes, stored under a random id.
public struct StoredUpload: Sendable, Hashable {
    /// The random stored name (``UploadPolicy/storedName()``), also its URL id.
    public let id: String
    /// The owner's id.
    public let ownerID: String
    /// The sniffed media type, such as `image/png`.
    public let mediaType: String
    /// The client's file name, for `Content-Disposition` only; never a path.
    public let clientFilename: String
    /// The bytes.
    public let bytes: [UInt8]
    /// Unix seconds.
    public let createdAt: Int64

    /// Creates an upload value.
    public init(id: String, ownerID: String, mediaType: String, clientFilename: String, bytes: [UInt8], createdAt: Int64) {
        self.id = id
        self.ownerID = ownerID
        self.mediaType = mediaType
        self.clientFilename = clientFilename
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

/// Reports grouped by directive and blocked URI.
public struct CSPReportGroup: Sendable, Hashable {
    /// `enforce` (the enforced policy blocked it) or `report` (a report-only policy would have).
    public let disposition: String
    /// The directive.
    public let directive: String
    /// What was blocked.
    public let blockedURI: String
    /// How many reports.
    public let count: Int
    /// Unix seconds of the latest.
    public let lastSeen: Int64
    /// A page it happened on.
    public let documentURI: String
}

/// What happened to a report.
/// How long CSP reports are kept, and the most kept: the purge deletes older rows, then the
/// least recently seen beyond the cap.
public enum CSPReportRetention {
    /// 30 days.
    public static let seconds: Int64 = 30 * 24 * 3600
    /// 10,000 distinct reports.
    public static let maximumRows = 10_000

    /// The part of a client's minute budget that duplicates may use (the rest is for new
    /// fingerprints only).
    static func duplicateCap(_ perMinuteCap: Int) -> Int { perMinuteCap - max(1, perMinuteCap / 5) }
}

/// Whether a new account is an admin.
public enum AdminGrant: Sendable, Hashable {
    /// Only if it is the first account (the loopback demo).
    case ifFirst
    /// Yes (the name given by `RAMPART_ADMIN`).
    case always
    /// No: admin is granted explicitly (`rampart admin grant`).
    case never
}

extension AppRepository {
    /// Creates a user who is the admin only if first (the loopback demo's rule).
    public func createUser(username: String, passwordHash: String, now: Int64) async throws -> User? {
        try await createUser(username: username, passwordHash: passwordHash, now: now, admin: .ifFirst)
    }
}

public enum CSPReportOutcome: Sendable, Hashable {
    /// A new report.
    case stored
    /// The same report again: its count went up.
    case duplicate
    /// Over the per-minute cap: dropped.
    case rateLimited
}

/// The message board's data: users, comments, uploads, login failures and CSP reports.
///
/// ``SQLiteAppRepository`` (embedded, one instance) and ``PostgresAppRepository`` (shared by
/// several instances) implement it and pass one conformance suite. Every query is a prepared
/// statement with bound arguments.
public protocol AppRepository: PurgeableStore {
    /// Creates a user; the first one is the admin. Returns `nil` when the name is taken.
    func createUser(username: String, passwordHash: String, now: Int64, admin: AdminGrant) async throws -> User?
    /// Makes a user an admin or not. Returns `false` when there is no such user.
    func setAdmin(username: String, isAdmin: Bool) async throws -> Bool
    /// How many admins there are.
    func adminCount() async throws -> Int
    /// The user with this (lower-cased) name.
    func user(named username: String) async throws -> User?
    /// The user with this id.
    func user(id: String) async throws -> User?
    /// Deletes a user with their comments and uploads.
    func deleteUser(id: String) async throws
    /// Sets a user's avatar.
    func setAvatar(userID: String, uploadID: String) async throws
    /// Adds a comment.
    func addComment(userID: String, body: String, now: Int64) async throws -> Comment
    /// The latest comments, newest first, optionally containing `query` (plain text, not a pattern).
    func comments(containing query: String?, limit: Int) async throws -> [Comment]
    /// A user's comments, newest first (for their data export).
    func comments(byUser userID: String, limit: Int) async throws -> [Comment]
    /// Stores an upload.
    func saveUpload(_ upload: StoredUpload) async throws
    /// An upload by id.
    func upload(id: String) async throws -> StoredUpload?
    /// Records one failed login under each key (an account and a client address).
    func recordLoginFailure(keys: [String], now: Int64) async throws
    /// Failures under `key` since `since`, and the oldest of them.
    func loginFailures(key: String, since: Int64) async throws -> (count: Int, oldest: Int64?)
    /// Forgets the failures under `key` (after a successful login).
    func clearLoginFailures(key: String) async throws
    /// Takes one login attempt under every key, atomically, *before* the password is checked:
    /// when each key has fewer than `limit` attempts since `since`, one attempt is recorded for
    /// each and `nil` is returned; otherwise nothing is recorded and the first key at its limit is
    /// returned with its oldest attempt. Concurrent requests cannot all see "under the limit".
    func reserveLoginAttempt(keys: [String], since: Int64, now: Int64, limit: Int) async throws -> (key: String, oldest: Int64)?
    /// Gives back one attempt recorded at `at` under each key: a successful login is not a failure.
    func releaseLoginAttempt(keys: [String], at: Int64) async throws
    /// Stores a CSP report, counting duplicates. Each client address has `perMinuteCap`
    /// reports a minute; the last fifth of it only takes fingerprints not seen before, so a
    /// repeating report cannot crowd out a new one. Reports past the budget are dropped and
    /// counted (``cspReportsDropped()``).
    func recordCSPReport(_ report: CSPViolation, client: String, now: Int64, perMinuteCap: Int) async throws -> CSPReportOutcome
    /// How many reports the per-client budget dropped (since the table was created).
    func cspReportsDropped() async throws -> Int
    /// Reports grouped by directive and blocked URI, most frequent first.
    func cspReportGroups(limit: Int) async throws -> [CSPReportGroup]
}
