// Servers for the load tests, one per mode; ./load/compare.sh runs them side by side with the
// Flask peer, in alternating rounds, and prints the within-round ratios.
//
//   bare     Hummingbird, GET / → "hello"
//   headers  the same route behind SecurityHeadersMiddleware(.strict): every header, a fresh nonce
//   stack    headers + SessionMiddleware (SQLite in --data-dir) + CSRFMiddleware; GET / renders
//            context.csrf.hiddenField() as its HTML (the first response sets the session cookie)
//   board    the reference app, as `rampart serve` runs it (SQLite in --data-dir)
//   static   Hummingbird's own ContentSecurityMiddleware (./load/headers.sh)
//   static-set  Rampart's header set prepared once and appended with no per-request work: the
//            floor for sending these headers
import ArgumentParser
import HTTPTypes
import Hummingbird
import Logging
import Rampart
import RampartApp
import RampartHummingbird
import RampartSQLite

@main
struct LoadServer: AsyncParsableCommand {
    @Option var port: Int = 8081
    @Option(help: "bare, headers, stack, board or static (rampart is headers)")
    var mode: String = "headers"
    @Option(help: "The data directory for stack and board.")
    var dataDir: String = ".rampart-load"
    @Option(help: "The board's log level.")
    var logLevel: String = "info"

    func run() async throws {
        var logger = Logger(label: "load")
        logger.logLevel = .error
        if mode == "board" {
            var boardLogger = Logger(label: "rampart")
            boardLogger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let configuration = try AppConfiguration(port: port, dataDirectory: dataDir)
            let app = try await buildApplication(configuration, logger: boardLogger)
            try await app.runService()
            return
        }
        let router = Router(context: BasicRampartRequestContext.self)
        let transport = try TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)
        switch mode {
        case "bare":
            router.get("/") { _, _ in "hello" }
        case "static":
            router.add(middleware: ContentSecurityMiddleware())
            router.get("/") { _, _ in "hello" }
        case "static-set":
            // The floor for sending Rampart's header set: the same fields, prepared once and
            // appended, with a fixed CSP of the same length and no per-request work at all.
            router.add(middleware: StaticFieldsMiddleware(fields: try Self.staticSet()))
            router.get("/") { _, _ in "hello" }
        case "headers", "rampart":
            router.add(middleware: try SecurityHeadersMiddleware(headers: .strict, transport: transport))
            router.get("/") { _, _ in "hello" }
        case "stack":
            let database = try RampartDatabase(path: dataDir + "/stack.sqlite")
            let (keys, _) = try KeyRing.load(environment: [:], keyFile: dataDir + "/keys")
            let sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))), keyRing: keys)
            router.add(middleware: try SecurityHeadersMiddleware(headers: .strict, transport: transport))
            router.add(middleware: SessionMiddleware(manager: sessions))
            router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
            // What the issue measured: a page rendering context.csrf.hiddenField().
            router.get("/") { _, context in HTMLResponse(html: context.csrf.hiddenField().html) }
        default:
            throw ValidationError("unknown mode \(mode)")
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }

    static func staticSet() throws -> HTTPFields {
        let rendered = try SecurityHeaders.strict.rendered()
        var fields = rendered.fixedFields
        fields.append(HTTPField(name: .contentSecurityPolicy, value: SecurityHeaders.strictContentSecurityPolicy.headerValue(nonce: CSPNonce(), isSecure: false)))
        return fields
    }
}

/// Appends prepared fields to every response, as Hummingbird's own ContentSecurityMiddleware does.
struct StaticFieldsMiddleware<Context: RequestContext>: RouterMiddleware {
    let fields: HTTPFields
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers.append(contentsOf: fields)
        return response
    }
}
