import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import Testing

/// These tests run a real server on loopback, so the TCP peer is a real 127.0.0.1.
@Suite("Transport security over real sockets")
struct LiveTransportTests {
    static func makeApp(trustedProxies: [String], httpsPolicy: TransportSecurity.HTTPSPolicy = .allowInsecureHTTP) throws -> some ApplicationProtocol
    {
        let router = Router(context: BasicRampartRequestContext.self)
        let transport = TransportSecurity(
            allowedHosts: try HostAllowList(["localhost", "127.0.0.1"]),
            trustedProxies: try TrustedProxies(trustedProxies),
            httpsPolicy: httpsPolicy
        )
        router.add(middleware: try SecurityHeadersMiddleware(headers: .strict, transport: transport))
        router.get("/") { _, context in context.security.isSecure ? "https" : "http" }
        router.post("/form") { _, _ in "posted" }
        router.get("/healthz") { _, _ in "ok" }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Sends one request on a fresh connection with exactly the `Host` given (none for `nil`);
    /// the `.live` client always adds `Host: localhost`, which would make two.
    static func get(
        _ client: some TestClientProtocol,
        _ path: String = "/",
        host: String? = "localhost",
        headers: [(String, String)] = [],
        method: HTTPRequest.Method = .get,
        body: String? = nil
    ) async throws -> TestClient.Response {
        let fields = HTTPFields(headers.map { HTTPField(name: HTTPField.Name($0.0)!, value: $0.1) })
        let port = try #require(client.port)
        return try await TestClient.withClient(host: "127.0.0.1", port: port) { raw in
            try await raw.execute(
                TestClient.Request(path, method: method, authority: host, headers: fields, body: body.map { ByteBuffer(string: $0) })
            )
        }
    }

    @Test("plain HTTP gets no HSTS")
    func noHSTSOnPlainHTTP() async throws {
        try await Self.makeApp(trustedProxies: []).test(.live) { client in
            let response = try await Self.get(client)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body ?? ByteBuffer()) == "http")
            #expect(response.headers[.strictTransportSecurity] == nil)
            #expect(response.headers[.contentSecurityPolicy]?.contains("upgrade-insecure-requests") == false)
        }
    }

    @Test(
        "a trusted proxy saying https gets HSTS and upgrade-insecure-requests",
        arguments: [
            ("X-Forwarded-Proto", "https"),
            ("Forwarded", "for=203.0.113.9;proto=https"),
        ]
    )
    func trustedProxyHTTPS(_ name: String, _ value: String) async throws {
        try await Self.makeApp(trustedProxies: ["127.0.0.1/32"]).test(.live) { client in
            let response = try await Self.get(client, headers: [(name, value)])
            #expect(String(buffer: response.body ?? ByteBuffer()) == "https")
            #expect(response.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
            #expect(response.headers[.contentSecurityPolicy]?.hasSuffix("; upgrade-insecure-requests") == true)
        }
    }

    @Test("an untrusted peer saying https gets no HSTS")
    func untrustedPeer() async throws {
        try await Self.makeApp(trustedProxies: ["10.0.0.0/8"]).test(.live) { client in
            let response = try await Self.get(client, headers: [("X-Forwarded-Proto", "https")])
            #expect(String(buffer: response.body ?? ByteBuffer()) == "http")
            #expect(response.headers[.strictTransportSecurity] == nil)
        }
    }

    @Test(
        "malformed forwarding headers from a trusted proxy are ignored, never a crash",
        arguments: [
            ("Forwarded", "proto=\"https"), ("Forwarded", "proto=https;proto=https"), ("Forwarded", ";;;,,,="),
            ("X-Forwarded-Proto", "https;q=1"), ("X-Forwarded-Proto", String(repeating: "https,", count: 2000)),
        ]
    )
    func malformedForwarding(_ name: String, _ value: String) async throws {
        try await Self.makeApp(trustedProxies: ["127.0.0.1"]).test(.live) { client in
            let response = try await Self.get(client, headers: [(name, value)])
            #expect(response.status == .ok)
            #expect(String(buffer: response.body ?? ByteBuffer()) == "http")
            #expect(response.headers[.strictTransportSecurity] == nil)
        }
    }

    @Test("plain HTTP is redirected with path and query; health checks are exempt")
    func redirect() async throws {
        try await Self.makeApp(trustedProxies: ["127.0.0.1"], httpsPolicy: .redirect(exemptPaths: ["/healthz"])).test(.live) { client in
            let get = try await Self.get(client, "/a/b?c=1&d=%2F", host: "localhost:8080")
            #expect(get.status == .movedPermanently)
            #expect(get.headers[.location] == "https://localhost/a/b?c=1&d=%2F")
            #expect(get.headers[.xContentTypeOptions] == "nosniff")
            #expect(get.headers[.strictTransportSecurity] == nil)

            let post = try await Self.get(client, "/form?x=1", method: .post, body: "a=1")
            #expect(post.status == .permanentRedirect)
            #expect(post.headers[.location] == "https://localhost/form?x=1")

            let health = try await Self.get(client, "/healthz")
            #expect(health.status == .ok)

            let proxied = try await Self.get(client, headers: [("X-Forwarded-Proto", "https")])
            #expect(proxied.status == .ok)
            #expect(proxied.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
        }
    }

    @Test(
        "an unknown or missing Host gets 400, never a redirect",
        arguments: [
            ("evil.example", "400 Bad Request: this server does not answer for that host (hostNotAllowed)\n"),
            ("localhost:99999", "400 Bad Request: the request's Host is not a valid host name (malformedHost)\n"),
            (nil, "400 Bad Request: the request has no Host (missingHost)\n"),
        ] as [(String?, String)]
    )
    func hostRejected(_ host: String?, _ body: String) async throws {
        try await Self.makeApp(trustedProxies: [], httpsPolicy: .redirectToHTTPS).test(.live) { client in
            let response = try await Self.get(client, host: host)
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body ?? ByteBuffer()) == body)
            #expect(response.headers[.location] == nil)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}
