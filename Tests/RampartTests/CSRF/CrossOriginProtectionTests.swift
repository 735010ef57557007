import HTTPTypes
import Rampart
import Synchronization
import Testing

@Suite("CSRF: cross-origin check")
struct CrossOriginProtectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var method: HTTPRequest.Method = .post
        var fetchSite: [String] = []
        var origin: [String] = []
        var own = "https://app.example"
        let expected: CSRFError?
        var testDescription: String { name }
    }

    static let protection = try! CrossOriginProtection(trustedOrigins: [
        "https://trusted.example", "http://legacy.example:8080", "https://[2001:db8::1]:8443",
    ])

    static let cases: [Case] = [
        Case(name: "GET passes whatever it says", method: .get, fetchSite: ["cross-site"], origin: ["https://evil.example"], expected: nil),
        Case(name: "HEAD passes", method: .head, fetchSite: ["cross-site"], expected: nil),
        Case(name: "OPTIONS passes", method: .options, fetchSite: ["cross-site"], expected: nil),
        Case(name: "same-origin passes", fetchSite: ["same-origin"], expected: nil),
        Case(
            name: "same-origin with a foreign Origin still passes (the browser is the authority)",
            fetchSite: ["same-origin"],
            origin: ["https://evil.example"],
            expected: nil
        ),
        Case(name: "none (user navigation) passes", fetchSite: ["none"], expected: nil),
        Case(name: "same-site without Origin fails", fetchSite: ["same-site"], expected: .crossSite),
        Case(name: "same-site from a trusted origin passes", fetchSite: ["same-site"], origin: ["https://trusted.example"], expected: nil),
        Case(name: "same-site from another subdomain fails", fetchSite: ["same-site"], origin: ["https://blog.app.example"], expected: .crossSite),
        Case(name: "cross-site without Origin fails", fetchSite: ["cross-site"], expected: .crossSite),
        Case(name: "cross-site from a foreign origin fails", fetchSite: ["cross-site"], origin: ["https://evil.example"], expected: .crossSite),
        Case(name: "cross-site from a trusted origin passes", fetchSite: ["cross-site"], origin: ["https://trusted.example"], expected: nil),
        Case(name: "cross-site with Origin null fails", fetchSite: ["cross-site"], origin: ["null"], expected: .crossSite),
        Case(name: "an unknown Sec-Fetch-Site value fails", fetchSite: ["same-origin-ish"], expected: .crossSite),
        Case(name: "a repeated Sec-Fetch-Site fails", fetchSite: ["same-origin", "cross-site"], expected: .crossSite),
        Case(name: "upper-case Sec-Fetch-Site is read", fetchSite: ["SAME-ORIGIN"], expected: nil),
        Case(name: "no headers at all (not a browser) passes to the token check", expected: nil),
        Case(name: "Origin equal to the app passes", origin: ["https://app.example"], expected: nil),
        Case(name: "Origin equal to a trusted origin passes", origin: ["https://trusted.example"], expected: nil),
        Case(name: "a foreign Origin fails", origin: ["https://evil.example"], expected: .originMismatch),
        Case(name: "Origin null fails", origin: ["null"], expected: .nullOrigin),
        Case(name: "http Origin against an https app fails", origin: ["http://app.example"], expected: .originMismatch),
        Case(name: "https Origin against an http app fails", origin: ["https://app.example"], own: "http://app.example", expected: .originMismatch),
        Case(name: "a different port fails", origin: ["https://app.example:8443"], expected: .originMismatch),
        Case(name: "an explicit default port matches", origin: ["https://app.example:443"], expected: nil),
        Case(name: "the app's own non-default port matches", origin: ["http://app.example:5000"], own: "http://app.example:5000", expected: nil),
        Case(name: "a trusted origin's port must match", origin: ["http://legacy.example:8080"], expected: nil),
        Case(name: "a trusted origin on another port fails", origin: ["http://legacy.example"], expected: .originMismatch),
        Case(name: "IPv6 app origin matches", origin: ["http://[::1]:5000"], own: "http://[::1]:5000", expected: nil),
        Case(name: "IPv6 trusted origin matches in another spelling", origin: ["https://[2001:DB8:0::1]:8443"], expected: nil),
        Case(name: "IPv6 origin on another port fails", origin: ["https://[2001:db8::1]"], expected: .originMismatch),
        Case(name: "upper-case host matches", origin: ["HTTPS://APP.EXAMPLE"], expected: nil),
        Case(name: "a trailing dot in the host matches", origin: ["https://app.example."], expected: nil),
        Case(name: "a suffix look-alike fails", origin: ["https://app.example.evil.example"], expected: .originMismatch),
        Case(name: "an origin with a path is not an origin", origin: ["https://app.example/path"], expected: .originMismatch),
        Case(name: "an origin with user info is not an origin", origin: ["https://app.example@evil.example"], expected: .originMismatch),
        Case(name: "garbage Origin fails", origin: ["\u{1}\u{2}"], expected: .originMismatch),
        Case(name: "two Origin headers fail", origin: ["https://app.example", "https://evil.example"], expected: .originMismatch),
        Case(name: "PUT is checked", method: .put, origin: ["https://evil.example"], expected: .originMismatch),
        Case(name: "DELETE is checked", method: .delete, fetchSite: ["cross-site"], expected: .crossSite),
        Case(name: "PATCH is checked", method: .patch, fetchSite: ["same-site"], expected: .crossSite),
    ]

    @Test("the table", arguments: cases)
    func table(_ c: Case) throws {
        var fields = HTTPFields()
        for value in c.fetchSite { fields.append(HTTPField(name: HTTPField.Name("Sec-Fetch-Site")!, value: value)) }
        for value in c.origin { fields.append(HTTPField(name: .origin, value: value)) }
        let request = HTTPRequest(method: c.method, scheme: nil, authority: "app.example", path: "/form", headerFields: fields)
        let own = try WebOrigin(validating: c.own, setting: "test")
        #expect(Self.protection.check(request, ownOrigin: own) == c.expected)
    }

    @Test(
        "trusted origins must be bare origins",
        arguments: [
            (
                "https://trusted.example/",
                "trustedOrigins: an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/') (value: \"https://trusted.example/\", reason: invalidValue)"
            ),
            (
                "https://trusted.example/path",
                "trustedOrigins: an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/') (value: \"https://trusted.example/path\", reason: invalidValue)"
            ),
            (
                "https://trusted.example?x",
                "trustedOrigins: an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/') (value: \"https://trusted.example?x\", reason: invalidValue)"
            ),
            (
                "https://trusted.example#f",
                "trustedOrigins: an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/') (value: \"https://trusted.example#f\", reason: invalidValue)"
            ),
            ("trusted.example", "trustedOrigins: not an origin of the form scheme://host[:port] (value: \"trusted.example\", reason: invalidValue)"),
            ("ftp://trusted.example", "trustedOrigins: the scheme must be http or https (value: \"ftp://trusted.example\", reason: invalidValue)"),
            ("null", "trustedOrigins: not an origin of the form scheme://host[:port] (value: \"null\", reason: invalidValue)"),
        ]
    )
    func badTrustedOrigins(_ text: String, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try CrossOriginProtection(trustedOrigins: [text]) }
        #expect(error?.description == description)
    }
}

@Suite("CSRF: masked and one-time tokens")
struct CSRFTokenTests {
    static let secret = [UInt8](repeating: 0x42, count: 32)

    @Test("a masked token verifies and differs on every render")
    func masked() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let token = MaskedToken.make(secret: Self.secret)
            #expect(MaskedToken.verify(token, secret: Self.secret) == nil)
            seen.insert(token)
        }
        #expect(seen.count == 1000)
    }

    @Test("a token from another session, or from before rotation, fails")
    func otherSession() {
        let token = MaskedToken.make(secret: Self.secret)
        #expect(MaskedToken.verify(token, secret: [UInt8](repeating: 0x43, count: 32)) == .badToken)
    }

    @Test(
        "bad token text is badToken, never a trap",
        arguments: [
            "not base64!", "AAAA", String(repeating: "A", count: 85), String(repeating: "A", count: 87),
            String(repeating: "A", count: 3_000_000), "\u{0}\u{1}", "é",
        ]
    )
    func badText(_ token: String) {
        #expect(MaskedToken.verify(token, secret: Self.secret) == .badToken)
    }

    @Test("an empty token is missing")
    func empty() {
        #expect(MaskedToken.verify("", secret: Self.secret) == .missingToken)
    }

    final class Clock: Sendable {
        let now = Mutex<Int64>(1_000_000)
        var clock: WallClock { WallClock { [self] in now.withLock { $0 } } }
    }

    static func issuer(store: any UsedTokenStore = InMemoryUsedTokenStore(), clock: Clock = Clock()) throws -> OneTimeTokens {
        try OneTimeTokens(
            keyRing: try KeyRing(current: try SecretKey(bytes: [UInt8](repeating: 1, count: 32))),
            actions: ["profile.delete", "email.change"],
            store: store,
            clock: clock.clock
        )
    }

    @Test("a one-time token works once")
    func replay() async throws {
        let tokens = try Self.issuer()
        let token = try tokens.issue(action: "profile.delete", sessionSecret: Self.secret)
        #expect(try await tokens.redeem(token, action: "profile.delete", sessionSecret: Self.secret) == nil)
        #expect(try await tokens.redeem(token, action: "profile.delete", sessionSecret: Self.secret) == .tokenReused)
    }

    @Test("expired, wrong action, other session, tampered")
    func refusals() async throws {
        let clock = Clock()
        let tokens = try Self.issuer(clock: clock)
        let token = try tokens.issue(action: "profile.delete", sessionSecret: Self.secret)
        #expect(try await tokens.redeem(token, action: "email.change", sessionSecret: Self.secret) == .wrongAction)
        #expect(try await tokens.redeem(token, action: "profile.delete", sessionSecret: [UInt8](repeating: 9, count: 32)) == .badToken)
        var bytes = Array(token.utf8)
        bytes[10] = bytes[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(try await tokens.redeem(String(decoding: bytes, as: UTF8.self), action: "profile.delete", sessionSecret: Self.secret) == .badToken)
        #expect(try await tokens.redeem("short", action: "profile.delete", sessionSecret: Self.secret) == .badToken)
        #expect(try await tokens.redeem(String(repeating: "A", count: 1_000_000), action: "profile.delete", sessionSecret: Self.secret) == .badToken)
        clock.now.withLock { $0 += 3600 }
        #expect(try await tokens.redeem(token, action: "profile.delete", sessionSecret: Self.secret) == .tokenExpired)
    }

    @Test("unregistered actions are refused at configuration and issue time")
    func unregistered() throws {
        let tokens = try Self.issuer()
        #expect(throws: SecurityConfigurationError.self) { try tokens.issue(action: "profile.nuke", sessionSecret: Self.secret) }
        let error = #expect(throws: SecurityConfigurationError.self) {
            try OneTimeTokens(keyRing: try KeyRing(current: .generate()), actions: ["bad action"], store: InMemoryUsedTokenStore())
        }
        #expect(error?.setting == "oneTimeActions")
    }

    @Test("concurrent uses of one token: exactly one succeeds")
    func concurrent() async throws {
        let tokens = try Self.issuer()
        let token = try tokens.issue(action: "profile.delete", sessionSecret: Self.secret)
        let results = try await withThrowingTaskGroup(of: CSRFError?.self) { group in
            for _ in 0..<50 {
                group.addTask { try await tokens.redeem(token, action: "profile.delete", sessionSecret: Self.secret) }
            }
            var results: [CSRFError?] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.filter { $0 == nil }.count == 1)
        #expect(results.filter { $0 == .tokenReused }.count == 49)
    }
}
