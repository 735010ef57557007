// The Vapor servers for Benchmarks/load/compare.sh, one per mode, the same routes as the
// Hummingbird RampartLoadServer so the adapters' overheads compare in the same run:
//
//   bare     Vapor, GET / → "hello"
//   headers  the same route behind RampartSecurityMiddleware(.strict): every header, a fresh nonce
//   static-set  Rampart's header set prepared once and appended by a plain Vapor middleware with
//            no per-request work: the floor for sending these headers through Vapor
//   stack    headers + RampartSessionMiddleware (SQLite in --data-dir) + RampartCSRFMiddleware;
//            GET / renders req.csrf.hiddenField() as its HTML
//
// Every mode keeps Vapor's default middleware (its ErrorMiddleware and route logging) and logs
// only errors, so the ratios show Rampart's cost alone.
//
//   RampartVaporLoadServer --mode headers --port 8082 [--data-dir DIR]
import Foundation
import HTTPTypes
import Logging
import Rampart
import RampartSQLite
import RampartVapor
import Vapor

var mode = "headers"
var port = 8082
var dataDirectory = ".rampart-vapor-load"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--mode": mode = arguments.next() ?? mode
    case "--port": port = arguments.next().flatMap(Int.init) ?? port
    case "--data-dir": dataDirectory = arguments.next() ?? dataDirectory
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(64)
    }
}

let app = try await Application.make(Environment(name: "production", arguments: ["vapor"]))
app.logger.logLevel = .error
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = port
let transport = TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)
switch mode {
case "bare":
    app.get { _ in "hello" }
case "headers":
    app.middleware.use(try RampartSecurityMiddleware(headers: .strict, transport: transport))
    app.get { _ in "hello" }
case "static-set":
    let rendered = try SecurityHeaders.strict.rendered()
    var fields = rendered.fixedFields
    let csp = SecurityHeaders.strictContentSecurityPolicy.headerValue(nonce: CSPNonce(), isSecure: false)
    fields.append(HTTPField(name: .contentSecurityPolicy, value: csp))
    app.middleware.use(StaticFieldsMiddleware(fields: fields.map { ($0.name.rawName, $0.value) }))
    app.get { _ in "hello" }
case "stack":
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    let database = try RampartDatabase(path: dataDirectory + "/stack.sqlite")
    let (keys, _) = try KeyRing.load(environment: [:], keyFile: dataDirectory + "/keys")
    let sessions = SessionManager(
        configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))),
        keyRing: keys
    )
    app.middleware.use(try RampartSecurityMiddleware(headers: .strict, transport: transport))
    app.middleware.use(RampartSessionMiddleware(manager: sessions))
    app.middleware.use(RampartCSRFMiddleware(configuration: try CSRFConfiguration()))
    app.get { req in HTMLResponse(req.csrf.hiddenField()) }
default:
    FileHandle.standardError.write(Data("unknown mode \(mode): bare, static-set, headers or stack\n".utf8))
    exit(64)
}
do {
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    throw error
}
try await app.asyncShutdown()

/// Appends prepared fields to every response, with no per-request work.
struct StaticFieldsMiddleware: Middleware {
    let fields: [(String, String)]

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in
            response.headers.add(contentsOf: fields)
            return response
        }
    }
}
