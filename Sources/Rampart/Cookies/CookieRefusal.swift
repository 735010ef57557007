import Crypto

/// Why a signed or sealed cookie was refused. A refused cookie is treated as absent.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct CookieRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: String, Hashable, Sendable {
        case malformed, unknownKey, badSignature, expired, wrongName
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Not in the expected format, or truncated.
    public static let malformed = CookieRefusal(.malformed)
    /// Made with a key that is not (or no longer) in the key ring.
    public static let unknownKey = CookieRefusal(.unknownKey)
    /// The MAC or the authenticated encryption does not verify: the value was changed.
    public static let badSignature = CookieRefusal(.badSignature)
    /// Authentic, but past its expiry.
    public static let expired = CookieRefusal(.expired)
    /// Authentic, but made for a cookie of another name.
    public static let wrongName = CookieRefusal(.wrongName)

    /// The stable reason code, safe to log.
    public var reason: String { base.rawValue }
    public var description: String { base.rawValue }
}

/// The authenticated body shared by signed and sealed cookies:
/// `[name length: 1][name][expiry: 8, big-endian seconds, 0 = none][value]`; a name over 254
/// bytes is stored as length 255 and its SHA-256.
///
/// The cookie name is inside the authenticated bytes, so a value moved to another cookie is
/// detected (and reported as ``CookieRefusal/wrongName``), and so is an extended expiry.
enum CookieEnvelope {
    /// A name of up to 254 bytes is stored as it is; a longer one as length 255 and the SHA-256
    /// of the whole name, so two long names never share an envelope.
    static func nameField(_ name: String) -> (length: UInt8, bytes: [UInt8]) {
        let raw = Array(name.utf8)
        if raw.count <= 254 { return (UInt8(raw.count), raw) }
        return (255, Array(SHA256.hash(data: raw)))
    }

    static func encode(name: String, expiresAt: Int64?, value: some Collection<UInt8>) -> [UInt8] {
        let (length, nameBytes) = nameField(name)
        var out: [UInt8] = []
        out.reserveCapacity(1 + nameBytes.count + 8 + value.count)
        out.append(length)
        out.append(contentsOf: nameBytes)
        let expiry = UInt64(bitPattern: expiresAt ?? 0)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: expiry >> UInt64(shift))) }
        out.append(contentsOf: value)
        return out
    }

    static func decode(_ bytes: [UInt8], expectedName: String, now: Int64) -> Result<[UInt8], CookieRefusal> {
        bytes.withUnsafeBytes { open($0, expectedName: expectedName, now: now).map { Array($0) } }
    }

    /// Checks the name and expiry and returns the value's bytes (a slice of `bytes`).
    static func open(_ bytes: UnsafeRawBufferPointer, expectedName: String, now: Int64) -> Result<UnsafeRawBufferPointer, CookieRefusal> {
        guard let marker = bytes.first.map(Int.init) else { return .failure(.malformed) }
        let length = marker == 255 ? 32 : marker
        guard bytes.count >= 1 + length + 8 else { return .failure(.malformed) }
        let name = UnsafeRawBufferPointer(rebasing: bytes[1..<(1 + length)])
        let nameMatches: Bool
        if marker == 255 {
            let (expectedLength, digest) = nameField(expectedName)
            nameMatches = expectedLength == 255 && name.elementsEqual(digest)
        } else {
            nameMatches =
                expectedName.utf8.withContiguousStorageIfAvailable { expected in
                    bytesEqual(UnsafeRawBufferPointer(expected), name)
                } ?? name.elementsEqual(expectedName.utf8)
        }
        guard nameMatches else { return .failure(.wrongName) }
        var expiry: UInt64 = 0
        for b in bytes[(1 + length)..<(1 + length + 8)] { expiry = expiry << 8 | UInt64(b) }
        let expiresAt = Int64(bitPattern: expiry)
        if expiresAt != 0 && expiresAt <= now { return .failure(.expired) }
        return .success(UnsafeRawBufferPointer(rebasing: bytes[(1 + length + 8)...]))
    }
}
