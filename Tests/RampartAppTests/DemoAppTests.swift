import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartApp
import Testing

/// A configuration on its own temporary data directory, with no RAMPART_KEYS.
func testConfiguration(port: Int = 5000, environment: [String: String] = [:]) throws -> AppConfiguration {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-app-\(UUID().uuidString)").path
    return try AppConfiguration(port: port, dataDirectory: folder, environment: environment)
}

@Suite("Reference app: the security headers demo")
struct DemoAppTests {
    @Test("GET / is HTML whose inline script and style carry the response's nonce")
    func homePage() async throws {
        let app = try buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let csp = try #require(response.headers[.contentSecurityPolicy])
            let start = try #require(csp.firstRange(of: "'nonce-")?.upperBound)
            let nonce = String(csp[start...].prefix { $0 != "'" })
            let body = String(buffer: response.body)
            #expect(body.ranges(of: "<script nonce=\"\(nonce)\">").count == 1)
            #expect(body.ranges(of: "<style nonce=\"\(nonce)\">").count == 1)
            // The injected script and style carry no nonce.
            #expect(body.ranges(of: "<script>").count == 1)
            #expect(body.ranges(of: "<style>").count == 1)
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
        }
    }

    @Test("the home page counts visits in a SQLite-backed session")
    func sessionVisits() async throws {
        let app = try buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let first = try await client.execute(uri: "/", method: .get)
            let setCookie = try #require(first.headers[.setCookie])
            #expect(setCookie.hasPrefix("__Host-session=v1."))
            #expect(setCookie.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax"))
            #expect(first.headers[.cacheControl] == "no-store")
            #expect(String(buffer: first.body).contains("Visits in this session: 1 "))
            let cookie = String(setCookie.prefix { $0 != ";" })
            let second = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
            #expect(String(buffer: second.body).contains("Visits in this session: 2 "))
            #expect(second.headers[.setCookie] == nil)
        }
    }

    @Test("first run creates the key file with mode 0600; RAMPART_KEYS takes precedence")
    func keys() async throws {
        let configuration = try testConfiguration()
        _ = try buildApplication(configuration)
        let attributes = try FileManager.default.attributesOfItem(atPath: configuration.keyFilePath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: configuration.databasePath))

        let withEnvironment = try testConfiguration(environment: ["RAMPART_KEYS": String(repeating: "B", count: 42) + "A"])
        _ = try buildApplication(withEnvironment)
        #expect(!FileManager.default.fileExists(atPath: withEnvironment.keyFilePath))

        let bad = try testConfiguration(environment: ["RAMPART_KEYS": "c2hvcnQ"])
        let error = #expect(throws: KeyError.self) { try buildApplication(bad) }
        #expect(error?.description == "RAMPART_KEYS entry 1: decodes to 5 bytes; keys need at least 32")
    }

    @Test("the CSRF demo: the page's tokens are accepted, a forged or replayed post is refused, the note is escaped")
    func csrfDemo() async throws {
        let app = try buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.cacheControl] == "no-store")
            let cookie = String(try #require(page.headers[.setCookie]).prefix { $0 != ";" })
            let html = String(buffer: page.body)
            let tokens = html.ranges(of: "name=\"_csrf\" value=\"").map { String(html[$0.upperBound...].prefix { $0 != "\"" }) }
            #expect(tokens.count == 2)
            let headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]
            func post(_ path: String, _ token: String, note: String = "%3Cscript%3Ealert(1)%3C%2Fscript%3E") async throws -> TestResponse {
                try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: "note=\(note)&_csrf=\(token)"))
            }
            let accepted = try await post("/csrf-demo", tokens[0])
            #expect(accepted.status == .ok)
            #expect(String(buffer: accepted.body).contains("<q>&lt;script&gt;alert(1)&lt;/script&gt;</q>"))
            let forged = try await client.execute(uri: "/csrf-demo", method: .post, headers: [.cookie: cookie, .origin: "https://evil.example", .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "note=x&_csrf=\(tokens[0])"))
            #expect(forged.status == .forbidden)
            #expect(try await post("/csrf-demo", "").status == .forbidden)
            #expect(try await post("/csrf-demo/once", tokens[1]).status == .ok)
            let replay = try await post("/csrf-demo/once", tokens[1])
            #expect(replay.status == .forbidden)
            #expect(String(buffer: replay.body).contains("<code>tokenReused</code>"))
            let badForm = try await client.execute(uri: "/csrf-demo", method: .post, headers: headers, body: ByteBuffer(string: "_csrf=\(tokens[0])"))
            #expect(badForm.status == .badRequest)
        }
    }

    @Test("GET /healthz answers ok")
    func health() async throws {
        let app = try buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(String(buffer: response.body) == "ok\n")
        }
    }
}

@Suite("Reference app: configuration")
struct AppConfigurationTests {
    @Test("on loopback, plain HTTP is served and loopback hosts are allowed")
    func loopbackDefaults() throws {
        let configuration = try AppConfiguration()
        #expect(configuration.hostname == "127.0.0.1")
        #expect(configuration.port == 5000)
        #expect(configuration.transport.httpsPolicy == .allowInsecureHTTP)
        #expect(configuration.allowedHosts.allows("127.0.0.1:5000"))
        #expect(configuration.allowedHosts.allows("localhost:5000"))
        #expect(!configuration.allowedHosts.allows("example.com"))
    }

    @Test("on a public address, plain HTTP is redirected and /healthz is exempt")
    func publicAddress() throws {
        let configuration = try AppConfiguration(hostname: "0.0.0.0", allowedHosts: ["example.com"], trustedProxies: ["10.0.0.0/8"])
        #expect(configuration.transport.httpsPolicy == (try .redirect(exemptPaths: ["/healthz"])))
        let request = HTTPRequest(method: .get, scheme: nil, authority: "example.com", path: "/x?y=1")
        #expect(configuration.transport.evaluate(request, peer: IPAddress("203.0.113.1")) == .redirect(location: "https://example.com/x?y=1", status: .movedPermanently))
    }

    @Test("bad settings are refused at startup, naming the setting", arguments: [
        ("0.0.0.0", [String](), [String](), "allowedHosts"),
        ("127.0.0.1", ["bad host"], [], "allowedHosts"),
        ("127.0.0.1", [], ["10.0.0.1/8"], "trustedProxies"),
    ])
    func refused(_ hostname: String, _ hosts: [String], _ proxies: [String], _ setting: String) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try AppConfiguration(hostname: hostname, allowedHosts: hosts, trustedProxies: proxies)
        }
        #expect(error?.setting == setting)
    }

    @Test("a bad port is refused")
    func badPort() {
        let error = #expect(throws: SecurityConfigurationError.self) { try AppConfiguration(port: 70000) }
        #expect(error?.description == "port: port must be 0 to 65535 (value: \"70000\", reason: invalidValue)")
    }
}

/// Real Chromium loads the demo page: the nonce'd script and style apply, and the injected
/// ones are blocked by CSP. CI installs Chromium; on a developer machine without it the test
/// is skipped with this message.
@Suite("Reference app in a real browser")
struct BrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["CI"] != nil

    @Test("CSP lets the nonce'd inline script and style run, and blocks the injected ones",
          .enabled(if: chromium != nil || required, "Chromium is not installed (CI installs it)"))
    func chromiumEnforcesCSP() async throws {
        let chromium = try #require(Self.chromium, "CI must install Chromium")
        let configuration = try testConfiguration(port: 0)
        let app = try buildApplication(configuration)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let dom = try await Self.dumpDOM(chromium: chromium, url: "http://127.0.0.1:\(port)/")
            #expect(dom.contains("<li id=\"nonced\">Nonce'd inline script: <span class=\"ok\">ran</span></li>"))
            #expect(dom.contains("<li id=\"injected\">Injected inline script (no nonce): <span class=\"ok\">blocked by CSP</span></li>"))
            #expect(dom.contains("<li id=\"nonced-style\">Nonce'd inline style: <span class=\"ok\">applied</span>"))
            #expect(dom.contains("<li id=\"injected-style\">Injected inline style (no nonce): <span class=\"ok\">blocked by CSP</span>"))
            // The HttpOnly, Secure __Host-session cookie was kept by the browser on loopback HTTP
            // and sent back with the script's own request.
            #expect(dom.contains("Session cookie on a second request: <span class=\"ok\">kept, this was visit 2</span>"))
            // The nonce'd script fetched the page's own headers (connect-src 'self').
            #expect(dom.contains("<td>x-content-type-options</td><td>nosniff</td>"))
        }
    }

    static func dumpDOM(chromium: String, url: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(FileManager.default.temporaryDirectory.path)/rampart-chromium-\(UUID().uuidString)",
            "--virtual-time-budget=5000", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read on another thread so a large DOM cannot fill the pipe and block Chromium.
        let data = await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
