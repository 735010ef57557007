import Foundation
import NIOCore
import Rampart
import RampartConformance
import RampartVapor
import Testing
import Vapor
import VaporTesting

/// The Vapor driver of the adapter conformance suite: `ConformanceApp` built with
/// `RampartVapor.install` and Vapor routes, served on a loopback port, and every
/// `ConformanceSuite` case run against it. The root package runs the same cases against
/// Hummingbird.
@Suite("Adapter conformance (Vapor)")
struct ConformanceTests {
    static func configure(_ app: Application, for conformanceCase: ConformanceCase) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-conformance-vapor-\(UUID().uuidString)").path
        try await RampartVapor.install(on: app, ConformanceApp.options(dataDirectory: directory, for: conformanceCase))
        app.get { req in
            HTMLResponse(ConformanceApp.homePage(nonce: req.cspNonce?.value ?? "", csrfField: req.csrf.hiddenField()))
        }
        app.get("boom") { _ -> String in throw ConformanceApp.Boom() }
        app.get("refuse") { _ -> String in throw ConformanceApp.refusal }
        app.get("me") { req in "user: \(try await req.rampartSession.userID ?? "-")" }
        app.post("login") { req in
            try await req.rampartSession.logIn(userID: "ada")
            return "welcome ada"
        }
        app.post("logout-everywhere") { req in
            let response = Response(status: .ok, body: .init(string: "revoked \(try await req.rampartSession.logOutEverywhere())"))
            response.clearSiteData(.logout)
            return response
        }
        app.post("comments") { _ in "comment ok" }
        app.get("delete-form") { req in
            HTMLResponse(ConformanceApp.deleteForm(field: try req.csrf.oneTimeField(action: "account.delete")))
        }
        app.post("account", "delete") { _ in "deleted" }
        app.post("webhooks", "payment") { _ in "webhook ok" }
        app.on(.POST, "upload", body: .stream) { req in
            let form = try await req.multipartForm(policy: ConformanceApp.uploadPolicy)
            guard let file = form.file("avatar") else { throw ConformanceApp.noFile }
            return "stored \(file.type.mediaType) \(file.bytes.readableBytes)"
        }
        app.on(.POST, "api", "items", body: .stream) { req in
            let item = try await req.decodeJSON(as: ConformanceApp.Item.self, limits: ConformanceApp.jsonLimits)
            return JSONResponse(ConformanceApp.Item(name: item.name.uppercased()))
        }
    }

    @Test(arguments: ConformanceSuite.cases)
    func conforms(_ conformanceCase: ConformanceCase) async throws {
        try await withApp { app in
            try await Self.configure(app, for: conformanceCase)
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let failures: [String]
            do {
                failures = try await conformanceCase.run(port: port)
            } catch {
                await app.server.shutdown()
                throw error
            }
            await app.server.shutdown()
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}
