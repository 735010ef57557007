// A server for load tests: the same "hello" route, bare or behind Rampart's middleware.
// ./load/headers.sh runs wrk against both in one run and prints the ratio.
import ArgumentParser
import Hummingbird
import Logging
import Rampart
import RampartHummingbird

@main
struct LoadServer: AsyncParsableCommand {
    @Option var port: Int = 8081
    @Option(help: "bare, static (Hummingbird's ContentSecurityMiddleware), or rampart")
    var mode: String = "rampart"

    func run() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        switch mode {
        case "bare":
            break
        case "static":
            router.add(middleware: ContentSecurityMiddleware())
        case "rampart":
            router.add(middleware: try SecurityHeadersMiddleware(
                headers: .strict,
                transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)
            ))
        default:
            throw ValidationError("unknown mode \(mode)")
        }
        router.get("/") { _, _ in "hello" }
        var logger = Logger(label: "load")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }
}

