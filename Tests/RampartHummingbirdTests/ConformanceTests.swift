import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartConformance
import RampartHummingbird
import Testing

/// The Hummingbird driver of the adapter conformance suite: `ConformanceApp` built with
/// `RampartSetup` and Hummingbird routes, served live, and every `ConformanceSuite` case run
/// against it. `Adapters/RampartVapor` runs the same cases against its own driver.
@Suite("Adapter conformance (Hummingbird)")
struct ConformanceTests {
    static func makeApp(for conformanceCase: ConformanceCase) async throws -> some ApplicationProtocol {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-conformance-hb-\(UUID().uuidString)").path
        let rampart = try await RampartSetup.configure(ConformanceApp.options(dataDirectory: directory, for: conformanceCase))
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: rampart.middleware)
        router.get("/") { _, context in
            HTMLResponse(ConformanceApp.homePage(nonce: context.security.cspNonce?.value ?? "", csrfField: context.csrf.hiddenField()))
        }
        router.get("/boom") { _, _ -> String in throw ConformanceApp.Boom() }
        router.get("/refuse") { _, _ -> String in throw ConformanceApp.refusal }
        router.get("/me") { _, context in
            "user: \(try await context.session.userID ?? "-")"
        }
        router.post("/login") { _, context in
            try await context.session.logIn(userID: "ada")
            return "welcome ada"
        }
        router.post("/logout-everywhere") { _, context in
            let text = "revoked \(try await context.session.logOutEverywhere())"
            var response = Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
            response.clearSiteData(.logout)
            return response
        }
        router.post("/comments") { _, _ in "comment ok" }
        router.get("/delete-form") { _, context in
            HTMLResponse(ConformanceApp.deleteForm(field: try context.csrf.oneTimeField(action: "account.delete")))
        }
        router.post("/account/delete") { _, _ in "deleted" }
        router.post("/webhooks/payment") { _, _ in "webhook ok" }
        router.post("/upload") { request, _ in
            let form = try await request.multipartForm(policy: ConformanceApp.uploadPolicy)
            guard let file = form.file("avatar") else { throw ConformanceApp.noFile }
            return "stored \(file.type.mediaType) \(file.bytes.readableBytes)"
        }
        router.post("/api/items") { request, _ in
            let item = try await request.decodeJSON(as: ConformanceApp.Item.self, limits: ConformanceApp.jsonLimits)
            return JSONResponse(ConformanceApp.Item(name: item.name.uppercased()))
        }
        return Application(
            router: router,
            server: rampart.server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: rampart.services
        )
    }

    @Test(arguments: ConformanceSuite.cases)
    func conforms(_ conformanceCase: ConformanceCase) async throws {
        try await Self.makeApp(for: conformanceCase).test(.live) { client in
            let failures = try await conformanceCase.run(port: try #require(client.port))
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}
