import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartApp
import Testing

@testable import rampart

@Suite("Reference app over HTTPS with a dev certificate")
struct TLSServeTests {
    @Test("serve --tls-cert/--tls-key: HTTPS with HSTS, upgrade-insecure-requests and a __Host- cookie")
    func servesHTTPS() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-tls-\(UUID().uuidString)").path
        let certificate = try DevCertCommand.parse(["--out", folder + "/certs"]).write()
        let serve = try Serve.parse([
            "--port", "0", "--data-dir", folder + "/data", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
        ])
        let configuration = try serve.makeConfiguration(environment: [:])
        #expect(configuration.tls == .init(certificatePath: certificate.certificatePath, keyPath: certificate.keyPath))
        let app = try await buildApplication(configuration)
        try await app.test(.ahc(.https)) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
            #expect(
                response.headers[.contentSecurityPolicy]?.hasSuffix("; upgrade-insecure-requests; report-uri /csp-reports; report-to csp") == true
                    || response.headers[.contentSecurityPolicy]?.contains("upgrade-insecure-requests") == true
            )
            #expect(response.headers[.setCookie]?.hasPrefix("__Host-session=v1.") == true)
        }
    }

    @Test("an unreadable certificate or key is a startup error naming the file")
    func badFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bogus = folder + "/bogus.pem"
        try "not a certificate".write(toFile: bogus, atomically: true, encoding: .utf8)
        let configuration = try AppConfiguration(
            port: 0,
            dataDirectory: folder + "/data",
            tls: .init(certificatePath: bogus, keyPath: bogus),
            environment: [:]
        )
        let error = await #expect(throws: SecurityConfigurationError.self) { _ = try await buildApplication(configuration) }
        #expect(error?.description == "tlsCert: cannot read a PEM certificate chain from this file (value: \"\(bogus)\", reason: invalidValue)")
    }
}
