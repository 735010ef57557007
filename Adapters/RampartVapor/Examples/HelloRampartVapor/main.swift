import Rampart
import RampartVapor
import Vapor

struct Echo: Content { let text: String }

func configure(_ app: Application) async throws {
    // 1. Keys, the SQLite session store, headers, sessions and CSRF, in order, on every route.
    try await RampartVapor.install(on: app, .defaults(allowedHosts: ["localhost", "127.0.0.1"]))

    app.get { req -> HTMLResponse in
        let nonce = req.cspNonce?.value ?? ""
        return HTMLResponse(
            """
            <!doctype html><title>Hello, Rampart</title>
            <form method="post" action="/echo">\(req.csrf.hiddenField())<input name="text"><button>Echo</button></form>
            <script nonce="\(nonce)">document.querySelector("input").focus()</script>
            """
        )
    }

    app.post("echo") { req -> HTMLResponse in
        let echo = try req.content.decode(Echo.self)
        return HTMLResponse("<!doctype html><title>Echo</title><p>You said: \(echo.text)</p>")
    }
}

let app = try await Application.make(.detect())
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = Int(Environment.get("PORT") ?? "") ?? 8080
do {
    try await configure(app)
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    throw error
}
try await app.asyncShutdown()
