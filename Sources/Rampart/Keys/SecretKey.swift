import Crypto

/// A master secret key: at least 32 bytes from a CSPRNG, opaque.
///
/// It has no `Codable` conformance, and its `description`, `debugDescription` and mirror show
/// only its key id, never its bytes, so it cannot leak into logs or error messages by accident.
/// Keys for each purpose are derived from it with HKDF-SHA256 (``derivedKey(for:)``).
///
/// See [RFC 5869](https://www.rfc-editor.org/rfc/rfc5869) (HKDF) and
/// [OWASP Cryptographic Storage Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html).
public struct SecretKey: Sendable {
    /// The shortest key accepted, in bytes.
    public static let minimumByteCount = 32

    let material: SymmetricKey

    /// A short public identifier for the key, derived from it with HMAC, used to pick the right
    /// key when verifying. It reveals nothing about the key.
    public let id: String

    /// Wraps key bytes.
    /// - Throws: ``KeyError`` when there are fewer than 32 bytes.
    public init(bytes: some Collection<UInt8>) throws(KeyError) {
        guard bytes.count >= Self.minimumByteCount else {
            throw KeyError(setting: "key", message: "decodes to \(bytes.count) bytes; keys need at least \(Self.minimumByteCount)")
        }
        let key = SymmetricKey(data: Array(bytes))
        self.material = key
        let tag = Primitives.hmacSHA256(key: key, message: "rampart key id v1".utf8)
        self.id = Base64.encode(tag.prefix(6), urlSafe: true)
    }

    /// Draws a new 32-byte key from the system CSPRNG.
    public static func generate() -> SecretKey {
        // 32 random bytes always satisfy the length check.
        try! SecretKey(bytes: SecureRandom.systemBytes(minimumByteCount))
    }

    /// The key as base64url text, for writing to `RAMPART_KEYS` or the key file.
    /// Treat the result as the secret it is.
    public func exportBase64URL() -> String {
        material.withUnsafeBytes { Base64.encode($0, urlSafe: true) }
    }

    /// Derives the sub-key for one purpose with HKDF-SHA256, so that a key used to sign cookies
    /// is never also used to encrypt them.
    public func derivedKey(for purpose: KeyPurpose) -> SymmetricKey {
        Primitives.hkdfSHA256(inputKeyMaterial: material, salt: "rampart-hkdf-salt-v1".utf8, info: purpose.label.utf8, outputByteCount: 32)
    }
}

extension SecretKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecretKey(id: \(id), bytes: redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id], displayStyle: .struct) }
}

extension SecretKey: Equatable {
    /// Compares keys in constant time.
    public static func == (lhs: SecretKey, rhs: SecretKey) -> Bool {
        lhs.material == rhs.material
    }
}

/// What a derived key is for. Each purpose has its own HKDF label, so sub-keys are independent.
///
/// See [RFC 5869 §3.2](https://www.rfc-editor.org/rfc/rfc5869#section-3.2) on the `info` parameter.
public struct KeyPurpose: Hashable, Sendable, CustomStringConvertible {
    /// The HKDF `info` label.
    public let label: String

    /// A purpose with a custom label; keep labels unique per use.
    public init(label: String) { self.label = label }

    /// Signing cookies (HMAC-SHA256).
    public static let cookieSigning = KeyPurpose(label: "rampart/cookie-sign/v1")
    /// Sealing cookies (AES-GCM-256 or ChaChaPoly).
    public static let cookieSealing = KeyPurpose(label: "rampart/cookie-seal/v1")
    /// One-time CSRF tokens.
    public static let oneTimeToken = KeyPurpose(label: "rampart/one-time-token/v1")
    /// The keyed hash under which sessions are stored, so a leaked store yields no live ids.
    public static let sessionStorage = KeyPurpose(label: "rampart/session-store/v1")
    /// Each session's CSRF secret, derived from its id (``CSRFSecrets``).
    public static let csrfSecret = KeyPurpose(label: "rampart/csrf-secret/v1")

    public var description: String { label }
}

/// A key that could not be used, with the setting and the reason, never the key itself.
public struct KeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the key came from, such as `RAMPART_KEYS entry 2` or a key file path.
    public let setting: String
    /// Why it was refused.
    public let message: String

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting): \(message)" }
}
