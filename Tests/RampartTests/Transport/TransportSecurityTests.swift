import HTTPTypes
import Rampart
import Testing

@Suite("Host allow-list, forwarded scheme and HTTPS redirect")
struct TransportSecurityTests {
    static func request(
        _ method: HTTPRequest.Method = .get,
        path: String = "/",
        authority: String? = "example.com",
        headers: HTTPFields = [:]
    ) -> HTTPRequest {
        HTTPRequest(method: method, scheme: nil, authority: authority, path: path, headerFields: headers)
    }

    static let proxy = IPAddress("10.0.0.2")!
    static let stranger = IPAddress("203.0.113.7")!

    static func transport(_ policy: TransportSecurity.HTTPSPolicy = .redirectToHTTPS, proxies: [String] = ["10.0.0.0/8"]) throws -> TransportSecurity
    {
        TransportSecurity(
            allowedHosts: try HostAllowList(["example.com", ".example.org", "*.example.net", "pinned.example:8443", "[::1]", "127.0.0.1"]),
            trustedProxies: try TrustedProxies(proxies),
            httpsPolicy: policy
        )
    }

    @Test(
        "host patterns",
        arguments: [
            ("example.com", true), ("EXAMPLE.com", true), ("example.com.", true), ("example.com:5000", true),
            ("www.example.com", false), ("example.org", true), ("a.b.example.org", true), ("badexample.org", false),
            ("example.net", false), ("api.example.net", true), ("pinned.example:8443", true), ("pinned.example", false),
            ("pinned.example:443", false), ("[::1]:5000", true), ("[0:0::1]", true), ("127.0.0.1:5000", true),
            ("evil.com", false), ("example.com@evil.com", false), ("example.com:0", false), ("example.com:65536", false),
            ("example.com:x", false), ("exa mple.com", false), ("example..com", false), ("", false),
            ("example.com/path", false), ("example.com\r\nX: y", false), ("[::1", false),
        ]
    )
    func hosts(_ authority: String, _ allowed: Bool) throws {
        let list = try HostAllowList(["example.com", ".example.org", "*.example.net", "pinned.example:8443", "[::1]", "127.0.0.1"])
        #expect(list.allows(authority) == allowed)
    }

    @Test(
        "bad host patterns are refused naming allowedHosts",
        arguments: [
            (
                "http://example.com",
                "allowedHosts: not a host pattern (host, host:port, .domain or *.domain) (value: \"http://example.com\", reason: invalidValue)"
            ),
            (
                "example.com:99999",
                "allowedHosts: not a host pattern (host, host:port, .domain or *.domain) (value: \"example.com:99999\", reason: invalidValue)"
            ),
            ("*.[::1]", "allowedHosts: not a host pattern (host, host:port, .domain or *.domain) (value: \"*.[::1]\", reason: invalidValue)"),
        ]
    )
    func badPatterns(_ pattern: String, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try HostAllowList([pattern]) }
        #expect(error?.description == description)
    }

    @Test("an empty allow-list is refused")
    func emptyAllowList() {
        let error = #expect(throws: SecurityConfigurationError.self) { try HostAllowList([]) }
        #expect(error?.reason == .empty)
        #expect(error?.setting == "allowedHosts")
    }

    @Test(
        "host rejections: 400 with the reason, never a redirect",
        arguments: [
            (nil, HTTPFields(), "missingHost"),
            ("evil.com", HTTPFields(), "hostNotAllowed"),
            ("example.com:abc", HTTPFields(), "malformedHost"),
            ("example.com", HTTPFields([HTTPField(name: HTTPField.Name("Host")!, value: "evil.com")]), "conflictingHost"),
            (
                nil,
                HTTPFields([
                    HTTPField(name: HTTPField.Name("Host")!, value: "example.com"), HTTPField(name: HTTPField.Name("Host")!, value: "evil.com"),
                ]), "conflictingHost"
            ),
        ] as [(String?, HTTPFields, String)]
    )
    func hostRejected(_ authority: String?, _ headers: HTTPFields, _ reason: String) throws {
        let decision = try Self.transport().evaluate(Self.request(authority: authority, headers: headers), peer: Self.stranger)
        guard case .reject(let rejection) = decision else {
            Issue.record("expected a rejection, got \(decision)")
            return
        }
        #expect(rejection.reason == reason)
        #expect(rejection.status == .badRequest)
    }

    @Test("a Host header without :authority is accepted")
    func hostHeaderOnly() throws {
        let request = Self.request(authority: nil, headers: HTTPFields([HTTPField(name: HTTPField.Name("Host")!, value: "example.com")]))
        #expect(try Self.transport(.allowInsecureHTTP).evaluate(request, peer: nil) == .proceed(isSecure: false))
    }

    @Test(
        "plain HTTP is redirected: 301 for GET and HEAD, 308 otherwise, path and query kept",
        arguments: [
            (HTTPRequest.Method.get, "/a/b?x=1&y=%20", "https://example.com/a/b?x=1&y=%20", HTTPResponse.Status.movedPermanently),
            (.head, "/", "https://example.com/", .movedPermanently),
            (.post, "/comments?draft=1", "https://example.com/comments?draft=1", .permanentRedirect),
            (.put, "/x", "https://example.com/x", .permanentRedirect),
            (.delete, "/x", "https://example.com/x", .permanentRedirect),
            (.get, "//evil.com/x", "https://example.com/", .movedPermanently),
        ]
    )
    func redirect(_ method: HTTPRequest.Method, _ path: String, _ location: String, _ status: HTTPResponse.Status) throws {
        let decision = try Self.transport().evaluate(Self.request(method, path: path, authority: "example.com:80"), peer: Self.stranger)
        #expect(decision == .redirect(location: location, status: status))
    }

    @Test("the redirect uses the configured HTTPS port")
    func redirectPort() throws {
        let transport = try Self.transport(.redirect(httpsPort: 8443))
        #expect(
            transport.evaluate(Self.request(path: "/p?q", authority: "example.com:8080"), peer: nil)
                == .redirect(location: "https://example.com:8443/p?q", status: .movedPermanently)
        )
        let v6 = transport.evaluate(Self.request(authority: "[::1]:8080"), peer: nil)
        #expect(v6 == .redirect(location: "https://[::1]:8443/", status: .movedPermanently))
    }

    @Test("exempt health paths are served over plain HTTP")
    func exemptPaths() throws {
        let transport = try Self.transport(.redirect(exemptPaths: ["/healthz"]))
        #expect(transport.evaluate(Self.request(path: "/healthz"), peer: nil) == .proceed(isSecure: false))
        #expect(transport.evaluate(Self.request(path: "/healthz?full=1"), peer: nil) == .proceed(isSecure: false))
        #expect(
            transport.evaluate(Self.request(path: "/healthz/x"), peer: nil)
                == .redirect(location: "https://example.com/healthz/x", status: .movedPermanently)
        )
    }

    @Test("bad HTTPS policy settings are refused")
    func badHTTPSPolicy() {
        let port = #expect(throws: SecurityConfigurationError.self) { try TransportSecurity.HTTPSPolicy.redirect(httpsPort: 70000) }
        #expect(port?.description == "httpsPort: port must be 1 to 65535 (value: \"70000\", reason: invalidValue)")
        let path = #expect(throws: SecurityConfigurationError.self) { try TransportSecurity.HTTPSPolicy.redirect(exemptPaths: ["healthz"]) }
        #expect(path?.setting == "redirectExemptPaths")
    }

    struct SchemeCase: Sendable, CustomTestStringConvertible {
        let name: String
        let peer: IPAddress?
        let headers: [(String, String)]
        let isSecure: Bool
        var testDescription: String { name }
    }

    @Test(
        "the scheme is believed only from a trusted proxy, and only when well-formed",
        arguments: [
            SchemeCase(name: "trusted proxy, X-Forwarded-Proto https", peer: proxy, headers: [("X-Forwarded-Proto", "https")], isSecure: true),
            SchemeCase(name: "trusted proxy, X-Forwarded-Proto HTTPS", peer: proxy, headers: [("X-Forwarded-Proto", "HTTPS")], isSecure: true),
            SchemeCase(
                name: "trusted proxy, X-Forwarded-Proto list, last wins",
                peer: proxy,
                headers: [("X-Forwarded-Proto", "http, https")],
                isSecure: true
            ),
            SchemeCase(name: "trusted proxy, X-Forwarded-Proto http", peer: proxy, headers: [("X-Forwarded-Proto", "http")], isSecure: false),
            SchemeCase(
                name: "trusted proxy, Forwarded proto=https",
                peer: proxy,
                headers: [("Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43")],
                isSecure: true
            ),
            SchemeCase(
                name: "trusted proxy, Forwarded quoted",
                peer: proxy,
                headers: [("Forwarded", "for=\"[2001:db8::1]:4711\";proto=\"https\"")],
                isSecure: true
            ),
            SchemeCase(
                name: "trusted proxy, Forwarded last element wins",
                peer: proxy,
                headers: [("Forwarded", "proto=https, for=10.0.0.9;proto=http")],
                isSecure: false
            ),
            SchemeCase(
                name: "trusted proxy, both headers agree",
                peer: proxy,
                headers: [("Forwarded", "proto=https"), ("X-Forwarded-Proto", "https")],
                isSecure: true
            ),
            SchemeCase(
                name: "trusted proxy, headers disagree",
                peer: proxy,
                headers: [("Forwarded", "proto=https"), ("X-Forwarded-Proto", "http")],
                isSecure: false
            ),
            SchemeCase(name: "trusted proxy, malformed Forwarded", peer: proxy, headers: [("Forwarded", "proto=https;;=x\"")], isSecure: false),
            SchemeCase(name: "trusted proxy, unterminated quote", peer: proxy, headers: [("Forwarded", "proto=\"https")], isSecure: false),
            SchemeCase(name: "trusted proxy, duplicate proto", peer: proxy, headers: [("Forwarded", "proto=https;proto=https")], isSecure: false),
            SchemeCase(name: "trusted proxy, unknown scheme", peer: proxy, headers: [("X-Forwarded-Proto", "gopher")], isSecure: false),
            SchemeCase(name: "trusted proxy, empty X-Forwarded-Proto", peer: proxy, headers: [("X-Forwarded-Proto", "")], isSecure: false),
            SchemeCase(name: "trusted proxy, garbage bytes", peer: proxy, headers: [("X-Forwarded-Proto", "ht\u{1}tps")], isSecure: false),
            SchemeCase(name: "untrusted peer, X-Forwarded-Proto https", peer: stranger, headers: [("X-Forwarded-Proto", "https")], isSecure: false),
            SchemeCase(name: "untrusted peer, Forwarded proto=https", peer: stranger, headers: [("Forwarded", "proto=https")], isSecure: false),
            SchemeCase(name: "unknown peer, X-Forwarded-Proto https", peer: nil, headers: [("X-Forwarded-Proto", "https")], isSecure: false),
            SchemeCase(
                name: "IPv4-mapped trusted proxy",
                peer: IPAddress("::ffff:10.0.0.2"),
                headers: [("X-Forwarded-Proto", "https")],
                isSecure: true
            ),
        ]
    )
    func forwardedScheme(_ c: SchemeCase) throws {
        var fields = HTTPFields()
        for (name, value) in c.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let transport = try Self.transport(.allowInsecureHTTP)
        #expect(transport.isSecure(Self.request(headers: fields), peer: c.peer) == c.isSecure)
        #expect(transport.evaluate(Self.request(headers: fields), peer: c.peer) == .proceed(isSecure: c.isSecure))
    }

    @Test("a trusted proxy saying https is not redirected; saying http is")
    func proxiedRedirect() throws {
        let transport = try Self.transport()
        let https = Self.request(headers: HTTPFields([HTTPField(name: HTTPField.Name("X-Forwarded-Proto")!, value: "https")]))
        #expect(transport.evaluate(https, peer: Self.proxy) == .proceed(isSecure: true))
        #expect(transport.evaluate(https, peer: Self.stranger) == .redirect(location: "https://example.com/", status: .movedPermanently))
    }

    @Test("a server that terminates TLS itself is always secure")
    func serverTLS() throws {
        let transport = TransportSecurity(allowedHosts: .loopback, httpsPolicy: .redirectToHTTPS, serverTerminatesTLS: true)
        #expect(transport.evaluate(Self.request(authority: "localhost"), peer: nil) == .proceed(isSecure: true))
    }
}
