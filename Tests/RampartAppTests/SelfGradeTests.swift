import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Rampart
import RampartApp
import RampartAudit
import Testing

/// The board audits itself: its real responses, served live behind a trusted proxy (the test
/// client on 127.0.0.1 plays the proxy and says `X-Forwarded-Proto: https`), graded by the same
/// Observatory rules as `rampart audit`.
@Suite("Reference app: self-grading")
struct SelfGradeTests {
    @Test("the home page over HTTPS via a trusted proxy grades A+ (135)")
    func homePageIsAPlus() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-grade-\(UUID().uuidString)").path
        let configuration = try AppConfiguration(
            hostname: "127.0.0.1",
            port: 0,
            allowedHosts: ["board.example"],
            trustedProxies: ["127.0.0.0/8"],
            dataDirectory: folder,
            passwordHashCost: 10,
            environment: [:]
        )
        // On loopback plain HTTP is allowed; a deployment behind a proxy redirects, so grade that.
        var deployed = configuration
        deployed.transport = TransportSecurity(
            allowedHosts: configuration.allowedHosts,
            trustedProxies: configuration.transport.trustedProxies,
            httpsPolicy: try .redirect(exemptPaths: [AppConfiguration.healthPath])
        )
        let app = try await buildApplication(deployed)
        try await app.test(.live) { client in
            // The test client sends its own Host (a loopback name, allowed on loopback).
            let https = try await client.execute(uri: "/", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(https.status == .ok)
            #expect(https.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
            let plain = try await client.execute(uri: "/", method: .get)
            #expect(plain.status == .movedPermanently)
            let location = try #require(plain.headers[.location])
            let target = try #require(AuditURL(location))
            #expect(target.scheme == "https")

            let final = AuditedResponse(url: target, status: https.status, headerFields: https.headers)
            let redirect = AuditedResponse(
                url: try #require(AuditURL(scheme: "http", host: target.host)),
                status: plain.status,
                headerFields: plain.headers
            )
            let report = ObservatoryAudit.grade(AuditInput(chain: [final], plainHTTP: .chain([redirect, final])))
            #expect(report.grade == .aPlus, "\(report.results.map { "\($0.outcome) \($0.modifier)" })")
            #expect(report.score == 135)
            let failed = report.results.filter { $0.isScored && !$0.passed }
            #expect(failed.isEmpty, "\(failed)")
        }
    }
}
