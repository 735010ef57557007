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

    /// Draws a new id from the CSPRNG (``SecureRandom``).
    public init() {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        text = withUnsafeMutableBytes(of: &bytes) { raw in
            SecureRandom.fill(raw)
            defer { raw.initializeMemory(as: UInt8.self, repeating: 0) }
            return Base64.encode(UnsafeRawBufferPointer(raw), urlSafe: true)
        }
    }

    /// Reads an id from a verified cookie value. Returns `nil` unless it is 32 bytes of base64url.
    public init?(_ text: String) {
        guard let id = Array(text.utf8).withUnsafeBytes({ Self(utf8: $0) }) else { return nil }
        self = id
    }

    /// Reads an id from 43 bytes of base64url text.
    package init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 43,
            bytes.allSatisfy({ HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return nil }
        // Canonical text only: the last character's 2 unused bits are zero.
        let decoded = withUnsafeTemporaryAllocation(byteCount: 33, alignment: 8) { out in
            Base64.decodeURLSafe(bytes.assumingMemoryBound(to: UInt8.self), into: out)
        }
        guard decoded == 32 else { return nil }
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    /// Calls `body` with the id's text as UTF-8 bytes.
    package func withUTF8<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(text.utf8).withUnsafeBytes(body)
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
        self.init(id: id, storage: PreparedHMAC(key: storageKey))
    }

    /// Derives the store key of `id` under a keyed ``KeyPurpose/sessionStorage`` HMAC.
    init(id: SessionID, storage: PreparedHMAC) {
        rawValue = withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { mac in
            storage.authenticate(into: mac) { hmac in id.withUTF8 { hmac.add($0) } }
            return Base64.encode(UnsafeRawBufferPointer(mac), urlSafe: true)
        }
    }

    public var description: String { rawValue }
}
