import Testing

@testable import Rampart

@Suite("Base64 (RFC 4648 §10 vectors)")
struct Base64Tests {
    @Test(
        "standard alphabet with padding",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
    )
    func vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("base64url without padding")
    func urlSafe() {
        #expect(Base64.encode([0xFB, 0xFF, 0xBF], urlSafe: true) == "-_-_")
        #expect(Base64.encode([0xFF], urlSafe: true) == "_w")
        #expect(Base64.decode("_w") == [0xFF])
    }

    @Test("malformed input is refused", arguments: ["Z", "Zg=", "Zg===", "Z===", "Zm9v!", "Zh==", "Zm9=v"])
    func refused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
