import Crypto

/// A session identifier: 32 bytes from the system CSPRNG, base64url-encoded.
///
/// The id travels only in the signed `__Host-session` cookie. Stores never see it: they key rows
/// by ``SessionStoreKey``, an HMAC of the id, so a leaked database yields no usable cookie.
///
/// See [OWASP Session Management Cheat Sheet: Session ID entropy](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-id-entropy).
public struct SessionID: Hashable, Sendable {
    /// The id as base64url text (43 characters).
    public let text: String

    /// Draws a new id.
    public init() {
        text = Base64.encode(SecureRandom.bytes(32), urlSafe: true)
    }

    /// Reads an id from a verified cookie value. Returns `nil` unless it is 32 bytes of base64url.
    public init?(_ text: String) {
        guard text.utf8.count == 43, let bytes = Base64.decode(text), bytes.count == 32,
            text.utf8.allSatisfy({ HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return nil }
        self.text = text
    }
}

extension SessionID: CustomStringConvertible {
    /// Redacted: a session id is a bearer credential and must not reach logs.
    public var description: String { "SessionID(redacted)" }
}

/// The key a session is stored under: `HMAC-SHA256(session-store key, id)`, base64url.
///
/// See [OWASP: Session ID storage](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionStoreKey: Hashable, Sendable, CustomStringConvertible {
    /// The key as stored.
    public let rawValue: String

    /// Wraps a stored key, for store implementations.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Derives the store key of `id` under one master key.
    public init(id: SessionID, key: SecretKey) {
        self.init(id: id, storageKey: key.derivedKey(for: .sessionStorage))
    }

    /// Derives the store key of `id` under an already derived ``KeyPurpose/sessionStorage`` key.
    init(id: SessionID, storageKey: SymmetricKey) {
        rawValue = Base64.encode(Primitives.hmacSHA256(key: storageKey, message: id.text.utf8), urlSafe: true)
    }

    public var description: String { rawValue }
}
