import Crypto
import Testing

@testable import Rampart

#if canImport(Glibc)
import Glibc
#endif

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let high = iterator.next(), let low = iterator.next() { bytes.append(nibble(high) << 4 | nibble(low)) }
    return bytes
}

func hexString(_ bytes: some Collection<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

@Suite("HMAC-SHA256 (RFC 4231) and HKDF-SHA256 (RFC 5869)")
struct PrimitiveVectorTests {
    // RFC 4231 §4.2–4.8, HMAC-SHA-256 results. Case 5 (truncated output) is omitted.
    @Test(
        "RFC 4231 test cases",
        arguments: [
            ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ),
            (
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", String(repeating: "dd", count: 50),
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
            ),
            (
                "0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
            ),
            (
                String(repeating: "aa", count: 131),
                "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
            (
                String(repeating: "aa", count: 131),
                "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
            ),
        ]
    )
    func hmac(_ key: String, _ data: String, _ expected: String) {
        let mac = Primitives.hmacSHA256(key: SymmetricKey(data: hex(key)), message: hex(data))
        #expect(hexString(mac) == expected)
        #expect(Primitives.isValidHMACSHA256(hex(expected), key: SymmetricKey(data: hex(key)), message: hex(data)))
        var flipped = hex(expected)
        flipped[31] ^= 1
        #expect(!Primitives.isValidHMACSHA256(flipped, key: SymmetricKey(data: hex(key)), message: hex(data)))
    }

    // RFC 5869 Appendix A.1–A.3 (SHA-256).
    @Test(
        "RFC 5869 test cases",
        arguments: [
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            ),
            (
                (0x00...0x4f).map { String(format2: $0) }.joined(), (0x60...0xaf).map { String(format2: $0) }.joined(),
                (0xb0...0xff).map { String(format2: $0) }.joined(), 82,
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
            ),
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
            ),
        ]
    )
    func hkdf(_ ikm: String, _ salt: String, _ info: String, _ length: Int, _ okm: String) {
        let key = Primitives.hkdfSHA256(inputKeyMaterial: SymmetricKey(data: hex(ikm)), salt: hex(salt), info: hex(info), outputByteCount: length)
        #expect(key.withUnsafeBytes { hexString($0) } == okm)
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }
}

extension String {
    init(format2 value: Int) { self = (value < 16 ? "0" : "") + String(value, radix: 16) }
}

@Suite("Secret keys and the key ring")
struct KeyRingTests {
    static let keyA = String(repeating: "A", count: 43)  // 32 zero bytes, base64url
    static let keyB = Base64.encode([UInt8](repeating: 7, count: 32), urlSafe: true)

    @Test("a key never shows its bytes")
    func redacted() throws {
        let key = SecretKey.generate()
        let exported = key.exportBase64URL()
        for text in [key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)"] {
            #expect(!text.contains(exported))
            #expect(text.contains("redacted"))
        }
        #expect(key.id.utf8.count == 8)
    }

    @Test("purpose sub-keys differ from each other and are stable")
    func purposes() throws {
        let key = try SecretKey(bytes: [UInt8](repeating: 1, count: 32))
        let sign = key.derivedKey(for: .cookieSigning)
        #expect(sign == key.derivedKey(for: .cookieSigning))
        #expect(sign != key.derivedKey(for: .cookieSealing))
        #expect(key.derivedKey(for: .oneTimeToken) != key.derivedKey(for: .sessionStorage))
    }

    @Test("RAMPART_KEYS: first key current, the rest accepted")
    func parsing() throws {
        let ring = try KeyRing(parsing: " \(Self.keyB) , \(Self.keyA)\n")
        #expect(ring.current.exportBase64URL() == Self.keyB)
        #expect(ring.previous.map { $0.exportBase64URL() } == [Self.keyA])
        #expect(ring.key(id: ring.previous[0].id) != nil)
    }

    @Test(
        "bad keys are refused by entry number, without printing the key",
        arguments: [
            ("", "RAMPART_KEYS: holds no key"),
            ("\(keyA),c2hvcnQ", "RAMPART_KEYS entry 2: decodes to 5 bytes; keys need at least 32"),
            ("\(keyA),not base64!", "RAMPART_KEYS entry 2: is not base64url text"),
            ("\(keyA),\(keyB),\(keyA)", "RAMPART_KEYS entry 3: the same key is listed twice"),
        ]
    )
    func refused(_ text: String, _ description: String) {
        let error = #expect(throws: KeyError.self) { try KeyRing(parsing: text) }
        #expect(error?.description == description)
        #expect(error.map { !$0.description.contains(Self.keyA) && !$0.description.contains(Self.keyB) } == true)
    }

    @Test("the key file is created with mode 0600 on first run, then reused; RAMPART_KEYS wins")
    func keyFile() throws {
        let folder = "/tmp/rampart-keytest-\(SecureRandom.bytes(6).map { String($0) }.joined())"
        let path = folder + "/keys"
        defer {
            unlink(path)
            rmdir(folder)
        }
        let (first, source) = try KeyRing.load(environment: [:], keyFile: path)
        #expect(source == .createdFile(path: path))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let (second, again) = try KeyRing.load(environment: [:], keyFile: path)
        #expect(again == .existingFile(path: path))
        #expect(second.current == first.current)
        let (fromEnv, envSource) = try KeyRing.load(environment: ["RAMPART_KEYS": Self.keyB], keyFile: path)
        #expect(envSource == .environment)
        #expect(fromEnv.current.exportBase64URL() == Self.keyB)
    }

    @Test("a key file readable by others is refused")
    func keyFilePermissions() throws {
        let path = "/tmp/rampart-keytest-\(SecureRandom.bytes(6).map { String($0) }.joined())"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        _ = Self.keyA.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        chmod(path, 0o644)
        let error = #expect(throws: KeyError.self) { try KeyRing.load(environment: [:], keyFile: path) }
        #expect(error?.description == "\(path): is readable or writable by group or others; run chmod 600 on it")
    }
}
