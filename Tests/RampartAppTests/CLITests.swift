import ArgumentParser
import Foundation
import Logging
import Rampart
import RampartApp
import RampartPostgres
import Testing

@testable import rampart

@Suite("rampart CLI")
struct CLITests {
    @Test("serve is the default subcommand, on 127.0.0.1:5000")
    func defaults() throws {
        let command = try RampartCommand.parseAsRoot([])
        let serve = try #require(command as? Serve)
        let configuration = try serve.makeConfiguration(environment: [:])
        #expect(configuration.hostname == "127.0.0.1")
        #expect(configuration.port == 5000)
    }

    @Test("serve options reach the configuration")
    func options() throws {
        let serve = try Serve.parse([
            "--host", "0.0.0.0", "--port", "8080", "--allowed-host", "example.com", "--allowed-host", ".example.org",
            "--trusted-proxy", "10.0.0.0/8", "--https-port", "8443", "--data-dir", "/tmp/rampart-cli-test",
        ])
        let configuration = try serve.makeConfiguration(environment: [:])
        #expect(configuration.port == 8080)
        #expect(configuration.databasePath == "/tmp/rampart-cli-test/rampart.sqlite")
        #expect(configuration.allowedHosts.allows("www.example.org"))
        #expect(configuration.transport.trustedProxies.contains(IPAddress("10.1.2.3")))
        #expect(configuration.transport.httpsPolicy == (try .redirect(httpsPort: 8443, exemptPaths: ["/healthz"])))
    }

    @Test("--allow-insecure-http serves plain HTTP on a public address")
    func allowInsecure() throws {
        let serve = try Serve.parse(["--hostname", "0.0.0.0", "--allowed-host", "example.com", "--allow-insecure-http"])
        #expect(try serve.makeConfiguration(environment: [:]).transport.httpsPolicy == .allowInsecureHTTP)
    }

    @Test("a bad setting fails at startup with the setting's name")
    func badSetting() throws {
        let serve = try Serve.parse(["--trusted-proxy", "10.0.0.1/8"])
        let error = #expect(throws: ValidationError.self) { try serve.makeConfiguration(environment: [:]) }
        #expect(
            error?.message
                == "trustedProxies: host bits are set below the prefix; did you mean 10.0.0.0/8? (value: \"10.0.0.1/8\", reason: invalidValue)"
        )
    }

    @Test("every flag has a RAMPART_* environment equivalent; flags win")
    func environment() throws {
        let environment = [
            "RAMPART_HOST": "0.0.0.0", "RAMPART_PORT": "8081", "RAMPART_DATA_DIR": "/tmp/rampart-env",
            "RAMPART_DATABASE": "/tmp/rampart-env/board.sqlite", "RAMPART_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.0.0/16",
            "RAMPART_ALLOWED_HOSTS": "example.com,.example.org", "RAMPART_HTTPS_PORT": "8443", "RAMPART_LOG_LEVEL": "debug",
        ]
        let serve = try Serve.parse([])
        let configuration = try serve.makeConfiguration(environment: environment)
        #expect(configuration.hostname == "0.0.0.0")
        #expect(configuration.port == 8081)
        #expect(configuration.databasePath == "/tmp/rampart-env/board.sqlite")
        #expect(configuration.keyFilePath == "/tmp/rampart-env/keys")
        #expect(configuration.transport.trustedProxies.contains(IPAddress("192.168.1.1")))
        #expect(configuration.allowedHosts.allows("a.example.org"))
        #expect(try serve.options.level(environment: environment) == .debug)
        let flagged = try Serve.parse(["--port", "9000", "--log-level", "warning"])
        #expect(try flagged.makeConfiguration(environment: environment).port == 9000)
        #expect(try flagged.options.level(environment: environment) == .warning)
    }

    @Test("--database selects PostgreSQL by URL (password never shown); RAMPART_DATABASE_CONNECT_ATTEMPTS is read")
    func postgresSelection() throws {
        let url = "postgres://rampart:s3cret@db.internal:5432/board"
        let configuration = try Serve.parse(["--database", url, "--allowed-host", "board.example"]).makeConfiguration(environment: [:])
        #expect(configuration.database == .postgres(url: url))
        #expect(configuration.databasePath == nil)
        #expect(configuration.startupRetry.attempts == 10)
        #expect("\(configuration.database)" == "PostgreSQL postgres://rampart:***@db.internal:5432/board")
        #expect(String(reflecting: configuration.database).contains("s3cret") == false)
        #expect(configuration.databasePoolSize == 20)
        let fromEnvironment = try Serve.parse([]).makeConfiguration(environment: [
            "RAMPART_DATABASE": url, "RAMPART_DATABASE_CONNECT_ATTEMPTS": "4", "RAMPART_DATABASE_POOL_SIZE": "8",
        ])
        #expect(fromEnvironment.database == .postgres(url: url))
        #expect(fromEnvironment.startupRetry.attempts == 4)
        #expect(fromEnvironment.databasePoolSize == 8)
        #expect(
            try Serve.parse(["--database-pool-size", "3"]).makeConfiguration(environment: ["RAMPART_DATABASE_POOL_SIZE": "8"]).databasePoolSize == 3
        )
        let sqlite = try Serve.parse(["--database", "/var/lib/rampart/board.sqlite"]).makeConfiguration(environment: [:])
        #expect(sqlite.database == .sqlite(path: "/var/lib/rampart/board.sqlite"))
    }

    @Test(
        "a bad flag or environment value is a one-line error naming it",
        arguments: [
            ([String](), ["RAMPART_PORT": "http"], "RAMPART_PORT: 'http' is not a port number"),
            ([], ["RAMPART_ALLOW_INSECURE_HTTP": "maybe"], "RAMPART_ALLOW_INSECURE_HTTP: 'maybe' is not 1/true/yes or 0/false/no"),
            (["--tls-cert", "cert.pem"], [:], "--tls-cert needs --tls-key (or RAMPART_TLS_KEY)"),
            (["--tls-key", "key.pem"], [:], "--tls-key needs --tls-cert (or RAMPART_TLS_CERT)"),
            (["--port", "99999"], [:], "port: port must be 0 to 65535 (value: \"99999\", reason: invalidValue)"),
            ([], ["RAMPART_DATABASE_CONNECT_ATTEMPTS": "many"], "RAMPART_DATABASE_CONNECT_ATTEMPTS: 'many' is not a number"),
            (["--database-connect-attempts", "0"], [:], "databaseConnectAttempts: must be 1 to 1000 (value: \"0\", reason: invalidValue)"),
            (["--database-pool-size", "0"], [:], "databasePoolSize: must be 1 to 1000 (value: \"0\", reason: invalidValue)"),
            (
                ["--database", "postgres://u:pw@db/x?application_name=board"], [:],
                "database: unknown URL parameter 'application_name'; only sslmode and search_path are understood (value: \"postgres://u:***@db/x?application_name=board\", reason: invalidValue)"
            ),
            (
                ["--host", "0.0.0.0"], [:],
                "allowedHosts: listening on a non-loopback address needs at least one allowed host (--allowed-host example.com) (value: \"0.0.0.0\", reason: empty)"
            ),
        ]
    )
    func badValues(_ arguments: [String], _ environment: [String: String], _ message: String) throws {
        let serve = try Serve.parse(arguments)
        let error = #expect(throws: ValidationError.self) { try serve.makeConfiguration(environment: environment) }
        #expect(error?.message == message)
    }

    @Test("a bad log level names the flag or the variable")
    func badLogLevel() throws {
        let error = #expect(throws: ValidationError.self) { try Serve.parse(["--log-level", "loud"]).options.level(environment: [:]) }
        #expect(error?.message == "--log-level: 'loud' is not one of trace, debug, info, notice, warning, error, critical")
        let fromEnvironment = #expect(throws: ValidationError.self) { try Serve.parse([]).options.level(environment: ["RAMPART_LOG_LEVEL": "x"]) }
        #expect(fromEnvironment?.message == "RAMPART_LOG_LEVEL: 'x' is not one of trace, debug, info, notice, warning, error, critical")
    }

    @Test("admin grant and revoke change the role on the serve storage; an unknown name is an error")
    func adminCommand() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-admin-\(UUID().uuidString)").path
        let configuration = try AppConfiguration(dataDirectory: folder, environment: [:])
        let services = try await AppServices(configuration, logger: Logger(label: "test"))
        _ = try await services.repository.createUser(username: "early", passwordHash: "h", now: 1, admin: .never)
        var grant = try AdminCommand.Grant.parse(["--data-dir", folder, "Early"])
        try await grant.run()
        #expect(try await services.repository.user(named: "early")?.isAdmin == true)
        var revoke = try AdminCommand.Revoke.parse(["--data-dir", folder, "early"])
        try await revoke.run()
        #expect(try await services.repository.adminCount() == 0)
        var unknown = try AdminCommand.Grant.parse(["--data-dir", folder, "nobody"])
        let error = await #expect(throws: ValidationError.self) { try await unknown.run() }
        #expect(error?.message == "no account named 'nobody'")
    }

    @Test("routes lists every route with its CSRF mode and CSP")
    func routes() async throws {
        let table = try await Routes.render(json: false)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("METHOD  PATH") == true)
        #expect(lines.contains { $0.hasPrefix("POST    /profile/delete") && $0.contains("one-time token (profile.delete)") })
        #expect(lines.contains { $0.hasPrefix("POST    /csp-reports") && $0.contains("exempt: browsers send CSP reports") })
        #expect(lines.contains { $0.hasPrefix("GET     /uploads/{id}") && $0.hasSuffix("sandbox; default-src 'none' (SafeDownload)") })
        let json = try await Routes.render(json: true)
        let decoded = try JSONDecoder().decode([RouteInfo].self, from: Data(json.utf8))
        #expect(decoded.count == lines.count - 1)
        #expect(
            decoded.contains {
                $0.method == "POST" && $0.path == "/comments" && $0.csrf == "origin check + masked token (_csrf field or X-CSRF-Token)"
            }
        )
    }
}
