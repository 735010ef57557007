import Crypto
import Synchronization

/// Records which one-time tokens have been used, so each works once, on any instance.
///
/// `markUsed` must be a single atomic step (`INSERT … ON CONFLICT DO NOTHING` and a row count), so
/// two concurrent uses of one token let exactly one through.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public protocol UsedTokenStore: PurgeableStore {
    /// Records a token id as used. Returns `true` if this is its first use.
    func markUsed(_ id: String, expiresAt: Int64) async throws -> Bool
}

/// Used-token records in process memory, for tests and a single process.
public final class InMemoryUsedTokenStore: UsedTokenStore {
    private let used = Mutex<[String: Int64]>([:])

    /// Creates an empty store.
    public init() {}

    public func markUsed(_ id: String, expiresAt: Int64) async throws -> Bool {
        used.withLock { used in
            guard used[id] == nil else { return false }
            used[id] = expiresAt
            return true
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        used.withLock { used in
            let expired = used.filter { $0.value <= now }.map(\.key)
            for id in expired { used[id] = nil }
            return expired.count
        }
    }
}

/// One-time CSRF tokens for sensitive actions, such as deleting an account.
///
/// A token is `base64url(id ‖ expiry ‖ HMAC(k, sessionKey ‖ action ‖ id ‖ expiry))`, with a
/// 16-byte random id, an 8-byte big-endian expiry (1 hour by default) and a 32-byte MAC under the
/// one-time-token sub-key. It is bound to the session (through its CSRF secret, which changes on
/// rotation) and to one action. Redeeming it records its id in a ``UsedTokenStore``: a second use,
/// here or on another instance, is ``CSRFError/tokenReused``.
///
/// Actions are registered up front, so a typo is a startup error and a token for another known
/// action is reported as ``CSRFError/wrongAction``.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct OneTimeTokens: Sendable {
    let keys: [PreparedHMAC]
    /// The registered action names.
    public let actions: Set<String>
    let store: any UsedTokenStore
    /// How long a token is valid (1 hour by default). Whole seconds count.
    public let lifetime: Duration
    let lifetimeSeconds: Int64
    let clock: WallClock

    static let byteCount = 16 + 8 + 32

    /// Creates the issuer and verifier.
    /// - Throws: ``SecurityConfigurationError`` for an empty action list, an action name with
    ///   characters outside `A–Z a–z 0–9 . _ -`, or a non-positive lifetime.
    public init(
        keyRing: KeyRing,
        actions: [String],
        store: any UsedTokenStore,
        lifetime: Duration = .seconds(3600),
        clock: WallClock = .system
    ) throws(SecurityConfigurationError) {
        guard !actions.isEmpty else {
            throw SecurityConfigurationError(setting: "oneTimeActions", value: "", reason: .empty, message: "register at least one action")
        }
        for action in actions
        where action.isEmpty || action.utf8.count > 100
            || !action.utf8.allSatisfy({
                HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                    || $0 == UInt8(ascii: "-")
            })
        {
            throw SecurityConfigurationError(
                setting: "oneTimeActions",
                value: action,
                reason: .invalidValue,
                message: "an action name is 1 to 100 of A–Z a–z 0–9 . _ -"
            )
        }
        guard lifetime.components.seconds > 0 else {
            throw SecurityConfigurationError(
                setting: "oneTimeTokenLifetime",
                value: "\(lifetime)",
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        self.keys = keyRing.all.map { PreparedHMAC(key: $0.derivedKey(for: .oneTimeToken)) }
        self.actions = Set(actions)
        self.store = store
        self.lifetime = lifetime
        self.lifetimeSeconds = lifetime.components.seconds
        self.clock = clock
    }

    /// Issues a token for `action`, bound to the session whose CSRF secret is `sessionSecret`.
    /// - Throws: ``SecurityConfigurationError`` when `action` was not registered.
    public func issue(action: String, sessionSecret: [UInt8]) throws(SecurityConfigurationError) -> String {
        guard actions.contains(action) else {
            throw SecurityConfigurationError(
                setting: "oneTimeActions",
                value: action,
                reason: .missingDirective,
                message: "this action was not registered"
            )
        }
        let id = SecureRandom.bytes(16)
        let expiry = Self.bigEndian(clock.now() + lifetimeSeconds)
        let mac = Self.mac(key: keys[0], sessionSecret: sessionSecret, action: action, id: id, expiry: expiry)
        return Base64.encode(id + expiry + mac, urlSafe: true)
    }

    /// Checks a token and, if valid, marks it used. Returns `nil` when it is accepted.
    public func redeem(_ token: String, action: String, sessionSecret: [UInt8]) async throws -> CSRFError? {
        guard !token.isEmpty else { return .missingToken }
        guard token.utf8.count <= 100, let bytes = Base64.decodeURLSafe(token), bytes.count == Self.byteCount else { return .badToken }
        let id = Array(bytes[0..<16])
        let expiry = Array(bytes[16..<24])
        let mac = Array(bytes[24...])
        func matches(_ candidate: String) -> Bool {
            keys.contains { key in
                constantTimeEquals(Self.mac(key: key, sessionSecret: sessionSecret, action: candidate, id: id, expiry: expiry), mac)
            }
        }
        guard matches(action) else {
            return actions.contains(where: { $0 != action && matches($0) }) ? .wrongAction : .badToken
        }
        let expiresAt = expiry.reduce(Int64(0)) { $0 << 8 | Int64($1) }
        guard expiresAt > clock.now() else { return .tokenExpired }
        guard try await store.markUsed(Base64.encode(id, urlSafe: true), expiresAt: expiresAt) else { return .tokenReused }
        return nil
    }

    static func mac(key: PreparedHMAC, sessionSecret: [UInt8], action: String, id: [UInt8], expiry: [UInt8]) -> [UInt8] {
        // Length-prefix the variable parts so no two inputs share an encoding.
        var message: [UInt8] = [UInt8(sessionSecret.count)] + sessionSecret
        message += [UInt8(action.utf8.count)] + Array(action.utf8)
        message += id + expiry
        return key.authenticate(message)
    }

    static func bigEndian(_ value: Int64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> Int64($0)) }
    }
}
