import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartApp
import Testing

@Suite("Reference app: pages, keys and health")
struct BoardAppTests {
    @Test("GET / is HTML under the strict preset: one nonce'd script, an external stylesheet, CSP reporting")
    func homePage() async throws {
        let app = try await buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let csp = try #require(response.headers[.contentSecurityPolicy])
            let start = try #require(csp.firstRange(of: "'nonce-")?.upperBound)
            let nonce = String(csp[start...].prefix { $0 != "'" })
            #expect(
                csp
                    == "default-src 'none'; script-src 'self' 'nonce-\(nonce)' \(CSPSource.hash(of: "window.rampartHashScriptRan = true;")); style-src 'self' 'nonce-\(nonce)'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; report-uri /csp-reports",
                "plain HTTP: report-to is left out, so Chromium uses report-uri"
            )
            #expect(
                response.headers[.contentSecurityPolicyReportOnly]
                    == "default-src 'none'; script-src 'self' 'nonce-\(nonce)' \(CSPSource.hash(of: "window.rampartHashScriptRan = true;")); style-src 'self' 'nonce-\(nonce)'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; report-uri /csp-reports; require-trusted-types-for 'script'; trusted-types board",
                "the report-only rollout policy: the same policy plus Trusted Types"
            )
            #expect(response.headers[HTTPField.Name("Reporting-Endpoints")!] == "csp=\"/csp-reports\"")
            let body = String(buffer: response.body)
            #expect(body.ranges(of: "<script").count == 2)
            #expect(body.contains("<script nonce=\"\(nonce)\">"), "the footer's script: the nonce the template wrote")
            #expect(body.contains("<script>window.rampartHashScriptRan = true;</script>"), "the home page's static script: no nonce stamped")
            #expect(!body.contains("<style"))
            #expect(!body.contains(" style="))
            #expect(!body.contains(" on"), "no inline event handlers")
            #expect(body.contains("<link rel=\"stylesheet\" href=\"/static/board.css\">"))
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")

            let css = try await client.execute(uri: "/static/board.css", method: .get)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")

            let head = try await client.execute(uri: "/", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
        }
    }

    @Test("a crawler fetching the home page leaves the database as it was; a comment shows at once")
    func crawlerWritesNothing() async throws {
        let configuration = try testConfiguration()
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            var writer = Visitor(client)
            try await writer.register("ada")
            try await writer.get("/")
            #expect(try await writer.post("/comments", [("body", "first <b>post</b>")]).status == .seeOther)
            let database = try GRDB.DatabaseQueue(path: try #require(configuration.databasePath))
            let sessionsBefore = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rampart_sessions") }
            for _ in 0..<200 {
                let page = try await client.execute(uri: "/", method: .get)
                #expect(page.status == .ok)
                #expect(page.headers[.setCookie]?.hasPrefix("__Host-session=v1.") == true)
            }
            #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rampart_sessions") } == sessionsBefore)
            // The cached comment list changes with the next comment.
            #expect(try await writer.post("/comments", [("body", "second post")]).status == .seeOther)
            let home = String(buffer: try await client.execute(uri: "/", method: .get).body)
            #expect(home.contains("second post"))
            #expect(home.contains("first &lt;b&gt;post&lt;/b&gt;"))
            #expect(home.ranges(of: "<li class=\"comment\"").count == 2)
            // The kept home page is per user: another user sees their own name, never ada's.
            var bob = Visitor(client)
            try await bob.register("bob")
            try await bob.get("/")
            #expect(bob.lastPage.contains("id=\"nav-profile\">bob</a>"))
            #expect(!bob.lastPage.contains(">ada</a>"))
            try await writer.get("/")
            #expect(writer.lastPage.contains("id=\"nav-profile\">ada</a>"))
            // A flash message is shown once, then the kept page comes back.
            #expect(try await bob.post("/comments", [("body", "from bob")]).status == .seeOther)
            try await bob.get("/")
            #expect(bob.lastPage.contains("from bob"))
        }
    }

    @Test("first run creates the key file with mode 0600; RAMPART_KEYS takes precedence; bad keys stop startup")
    func keys() async throws {
        let configuration = try testConfiguration()
        _ = try await buildApplication(configuration)
        let attributes = try FileManager.default.attributesOfItem(atPath: configuration.keyFilePath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: try #require(configuration.databasePath)))

        let withEnvironment = try testConfiguration(environment: ["RAMPART_KEYS": String(repeating: "B", count: 42) + "A"])
        _ = try await buildApplication(withEnvironment)
        #expect(!FileManager.default.fileExists(atPath: withEnvironment.keyFilePath))

        let bad = try testConfiguration(environment: ["RAMPART_KEYS": "c2hvcnQ"])
        let error = await #expect(throws: KeyError.self) { _ = try await buildApplication(bad) }
        #expect(error?.description == "RAMPART_KEYS entry 1: decodes to 5 bytes; keys need at least 32")
    }

    @Test("an unwritable or non-folder data directory is a clear startup error")
    func dataDirectory() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-file-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let notFolder = try AppConfiguration(dataDirectory: file, environment: [:])
        let error = await #expect(throws: SecurityConfigurationError.self) { _ = try await buildApplication(notFolder) }
        #expect(error?.description == "dataDirectory: exists but is not a folder (value: \"\(file)\", reason: invalidValue)")

        if getuid() != 0 {
            let unwritable = try AppConfiguration(dataDirectory: "/proc/rampart-cannot-exist", environment: [:])
            await #expect(throws: SecurityConfigurationError.self) { _ = try await buildApplication(unwritable) }
        }
    }

    @Test("GET /healthz answers ok without starting a session")
    func health() async throws {
        let app = try await buildApplication(try testConfiguration())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(String(buffer: response.body) == "ok\n")
            #expect(response.headers[.setCookie] == nil)
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
        #expect(
            configuration.transport.evaluate(request, peer: IPAddress("203.0.113.1"))
                == .redirect(location: "https://example.com/x?y=1", status: .movedPermanently)
        )
    }

    @Test(
        "bad settings are refused at startup, naming the setting",
        arguments: [
            ("0.0.0.0", [String](), [String](), "allowedHosts"),
            ("127.0.0.1", ["bad host"], [], "allowedHosts"),
            ("127.0.0.1", [], ["10.0.0.1/8"], "trustedProxies"),
        ]
    )
    func refused(_ hostname: String, _ hosts: [String], _ proxies: [String], _ setting: String) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try AppConfiguration(hostname: hostname, allowedHosts: hosts, trustedProxies: proxies)
        }
        #expect(error?.setting == setting)
    }

    @Test(
        "bad values are refused, naming the setting",
        arguments: [
            ("port", "port: port must be 0 to 65535 (value: \"70000\", reason: invalidValue)"),
            ("cost", "passwordHashCost: bcrypt cost must be 10 to 16 (12 recommended) (value: \"4\", reason: invalidValue)"),
            (
                "postgres",
                "database: sslmode must be disable, require or verify-full (value: \"postgres://user:***@db/rampart?sslmode=maybe\", reason: invalidValue)"
            ),
            (
                "mysql",
                "database: only postgres:// URLs are supported; anything else is a SQLite file path (value: \"mysql://user:***@db/rampart\", reason: invalidValue)"
            ),
            ("attempts", "databaseConnectAttempts: must be 1 to 1000 (value: \"0\", reason: invalidValue)"),
        ]
    )
    func badValues(_ which: String, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            switch which {
            case "port": _ = try AppConfiguration(port: 70000)
            case "cost": _ = try AppConfiguration(passwordHashCost: 4)
            case "mysql": _ = try AppConfiguration(database: "mysql://user:secret@db/rampart")
            case "attempts": _ = try AppConfiguration(database: "postgres://user:secret@db/rampart", databaseConnectAttempts: 0)
            default: _ = try AppConfiguration(database: "postgres://user:secret@db/rampart?sslmode=maybe")
            }
        }
        #expect(error?.description == description)
        #expect(error?.description.contains("secret") == false)
    }
}
