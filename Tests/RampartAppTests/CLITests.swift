import ArgumentParser
import Rampart
@testable import rampart
import RampartApp
import Testing

@Suite("rampart CLI")
struct CLITests {
    @Test("serve is the default subcommand, on 127.0.0.1:5000")
    func defaults() throws {
        let command = try RampartCommand.parseAsRoot([])
        let serve = try #require(command as? Serve)
        let configuration = try serve.makeConfiguration()
        #expect(configuration.hostname == "127.0.0.1")
        #expect(configuration.port == 5000)
    }

    @Test("serve options reach the configuration")
    func options() throws {
        let serve = try Serve.parse([
            "--hostname", "0.0.0.0", "--port", "8080", "--allowed-host", "example.com", "--allowed-host", ".example.org",
            "--trusted-proxy", "10.0.0.0/8", "--https-port", "8443", "--data-dir", "/tmp/rampart-cli-test",
        ])
        let configuration = try serve.makeConfiguration()
        #expect(configuration.port == 8080)
        #expect(configuration.databasePath == "/tmp/rampart-cli-test/rampart.sqlite")
        #expect(configuration.allowedHosts.allows("www.example.org"))
        #expect(configuration.transport.trustedProxies.contains(IPAddress("10.1.2.3")))
        #expect(configuration.transport.httpsPolicy == (try .redirect(httpsPort: 8443, exemptPaths: ["/healthz"])))
    }

    @Test("--allow-insecure-http serves plain HTTP on a public address")
    func allowInsecure() throws {
        let serve = try Serve.parse(["--hostname", "0.0.0.0", "--allowed-host", "example.com", "--allow-insecure-http"])
        #expect(try serve.makeConfiguration().transport.httpsPolicy == .allowInsecureHTTP)
    }

    @Test("a bad setting fails at startup with the setting's name")
    func badSetting() throws {
        let serve = try Serve.parse(["--trusted-proxy", "10.0.0.1/8"])
        let error = #expect(throws: SecurityConfigurationError.self) { try serve.makeConfiguration() }
        #expect(error?.description == "trustedProxies: host bits are set below the prefix; did you mean 10.0.0.0/8? (value: \"10.0.0.1/8\", reason: invalidValue)")
    }
}
