import Testing

@testable import Rampart

@Suite("Set-Cookie")
struct SetCookieTests {
    @Test("by default: Secure, HttpOnly, SameSite=Lax, Path=/")
    func byDefault() throws {
        #expect(try SetCookie(name: "theme", value: "dark").description == "theme=dark; Path=/; Secure; HttpOnly; SameSite=Lax")
    }

    @Test("every attribute, in a fixed order")
    func everyAttribute() throws {
        let cookie = try SetCookie(
            name: "__Secure-id",
            value: "\"abc\"",
            domain: "example.com",
            path: "/app",
            maxAge: 3600,
            expires: 784_111_777,
            sameSite: SetCookie.SameSite.none,
            partitioned: true
        )
        #expect(
            cookie.description
                == "__Secure-id=\"abc\"; Domain=example.com; Path=/app; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=3600; Secure; HttpOnly; SameSite=None; Partitioned"
        )
        #expect(
            try SetCookie(name: "__Host-session", value: "v", sameSite: .strict).description
                == "__Host-session=v; Path=/; Secure; HttpOnly; SameSite=Strict"
        )
        #expect(try SetCookie(name: "a", value: "", secure: false, httpOnly: false, sameSite: nil).description == "a=; Path=/")
    }

    @Test("deleting a cookie")
    func deleting() throws {
        #expect(
            try SetCookie.deleting("__Host-session").description
                == "__Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
        )
    }

    @Test(
        "HTTP dates",
        arguments: [
            (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ]
    )
    func dates(_ seconds: Int64, _ text: String) {
        #expect(HTTPDate.format(seconds) == text)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        var value = "v"
        var domain: String? = nil
        var path = "/"
        var secure = true
        var sameSite: SetCookie.SameSite? = .lax
        var partitioned = false
        let description: String
        var testDescription: String { description }
    }

    @Test(
        "prefix rules and RFC 6265 bytes are enforced",
        arguments: [
            Bad(name: "__Host-s", secure: false, description: "cookie __Host-s: a __Host- cookie requires Secure"),
            Bad(
                name: "__Host-s",
                domain: "example.com",
                description: "cookie __Host-s: a __Host- cookie must not have a Domain (value: \"example.com\")"
            ),
            Bad(name: "__Host-s", path: "/app", description: "cookie __Host-s: a __Host- cookie must have Path=/ (value: \"/app\")"),
            Bad(name: "__host-s", description: "cookie __host-s: the prefix is case-sensitive in some browsers; write __Host- (value: \"__host-s\")"),
            Bad(name: "__Secure-s", secure: false, description: "cookie __Secure-s: a __Secure- cookie requires Secure"),
            Bad(name: "s", secure: false, sameSite: SetCookie.SameSite.none, description: "cookie s: SameSite=None requires Secure"),
            Bad(name: "s", secure: false, partitioned: true, description: "cookie s: Partitioned requires Secure"),
            Bad(name: "a b", description: "cookie a b: the name must be an RFC 6265 token (letters, digits and !#$%&'*+-.^_`|~) (value: \"a b\")"),
            Bad(name: "a=b", description: "cookie a=b: the name must be an RFC 6265 token (letters, digits and !#$%&'*+-.^_`|~) (value: \"a=b\")"),
            Bad(name: "", description: "cookie : the name must be an RFC 6265 token (letters, digits and !#$%&'*+-.^_`|~) (value: \"\")"),
            Bad(
                name: "s",
                value: "a;b",
                description:
                    "cookie s: the value has a byte that RFC 6265 does not allow (space, quote, comma, semicolon, backslash, control or non-ASCII); encode it first"
            ),
            Bad(
                name: "s",
                value: "a\r\nSet-Cookie: x=y",
                description:
                    "cookie s: the value has a byte that RFC 6265 does not allow (space, quote, comma, semicolon, backslash, control or non-ASCII); encode it first"
            ),
            Bad(
                name: "s",
                value: "é",
                description:
                    "cookie s: the value has a byte that RFC 6265 does not allow (space, quote, comma, semicolon, backslash, control or non-ASCII); encode it first"
            ),
            Bad(name: "s", domain: "exa mple.com", description: "cookie s: Domain is not a host name (value: \"exa mple.com\")"),
            Bad(
                name: "s",
                path: "/a;Domain=evil",
                description: "cookie s: Path must start with '/' and hold no ';' or control bytes (value: \"/a;Domain=evil\")"
            ),
            Bad(name: "s", path: "app", description: "cookie s: Path must start with '/' and hold no ';' or control bytes (value: \"app\")"),
        ]
    )
    func refused(_ bad: Bad) {
        let error = #expect(throws: CookieConfigurationError.self) {
            try SetCookie(
                name: bad.name,
                value: bad.value,
                domain: bad.domain,
                path: bad.path,
                secure: bad.secure,
                sameSite: bad.sameSite,
                partitioned: bad.partitioned
            )
        }
        #expect(error?.description == bad.description)
    }

    @Test("every byte is checked as a value octet", arguments: 0...255)
    func valueBytes(_ byte: Int) {
        let allowed =
            byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte) || (0x3C...0x5B).contains(byte)
            || (0x5D...0x7E).contains(byte)
        #expect(SetCookie.isCookieOctet(UInt8(byte)) == allowed)
    }
}

@Suite("Request cookies")
struct RequestCookiesTests {
    @Test("whitespace, missing spaces and several headers are tolerated; the first value wins")
    func tolerant() {
        let cookies = RequestCookies(headerValues: ["a=1;b=2 ;  c = 3", "a=9; d=\"q\""])
        #expect(cookies.pairs.map(\.name) == ["a", "b", "c", "d"])
        #expect(cookies["a"] == "1")
        #expect(cookies["c"] == "3")
        #expect(cookies["d"] == "\"q\"")
        #expect(cookies.ignoredCount == 1)
    }

    @Test(
        "malformed pairs are skipped and counted, never thrown",
        arguments: [
            ("novalue; a=1", 1), ("=x; a=1", 1), ("a b=1; a=1", 1), ("a=1 2; a=1", 1), ("a=\u{1}; a=1", 1), ("a=é; a=1", 1), (";;; a=1 ;;", 0),
        ]
    )
    func malformed(_ header: String, _ ignored: Int) {
        let cookies = RequestCookies(headerValues: [header])
        #expect(cookies["a"] == "1")
        #expect(cookies.ignoredCount == ignored)
    }

    @Test("at most 64 cookies are read; the rest are counted")
    func countBound() {
        let header = (0..<100).map { "c\($0)=v" }.joined(separator: "; ")
        let cookies = RequestCookies(headerValues: [header])
        #expect(cookies.pairs.count == 64)
        #expect(cookies.ignoredCount == 36)
        #expect(cookies["c63"] == "v")
        #expect(cookies["c64"] == nil)
    }

    @Test("at most 8 KiB is read; the rest is counted")
    func sizeBound() {
        let big = String(repeating: "x", count: 5000)
        let cookies = RequestCookies(headerValues: ["a=\(big); b=\(big); c=1"])
        #expect(cookies["a"] == big)
        #expect(cookies["b"] == nil)
        #expect(cookies.ignoredCount == 2)
    }

    @Test("a huge header of garbage never traps")
    func garbage() {
        var bytes: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        let cookies = RequestCookies(headerValues: [String(decoding: bytes, as: UTF8.self)])
        #expect(cookies.pairs.count <= 64)
    }
}

@Suite("Cookie hardening")
struct CookieHardeningTests {
    @Test(
        "missing attributes are added; present ones kept",
        arguments: [
            ("a=1", "a=1; Secure; HttpOnly; SameSite=Lax"),
            ("a=1; Path=/; secure", "a=1; Path=/; secure; HttpOnly; SameSite=Lax"),
            ("a=1; SameSite=Strict; HttpOnly; Secure", "a=1; SameSite=Strict; HttpOnly; Secure"),
            ("theme=dark; Path=/", "theme=dark; Path=/; Secure; SameSite=Lax"),
            ("garbage", "garbage"),
        ]
    )
    func upgrade(_ input: String, _ output: String) {
        #expect(CookieHardening.upgrade(scriptReadableCookies: ["theme"]).harden(input) == output)
        #expect(CookieHardening.dangerouslyDisabled.harden(input) == input)
    }
}
