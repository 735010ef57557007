import Foundation
import Hummingbird
import Rampart
import RampartHummingbird

struct Echo: Decodable { let text: String }

// 1. Keys, the SQLite session store, headers, sessions, CSRF and connection limits, in order.
let rampart = try await RampartSetup.configure(.defaults(allowedHosts: ["localhost", "127.0.0.1"]))
let router = Router(context: BasicRampartRequestContext.self)
// 2. One middleware: security headers, then sessions, then CSRF.
router.add(middleware: rampart.middleware)

router.get("/") { _, context -> HTMLResponse in
    let nonce = context.security.cspNonce?.value ?? ""
    return HTMLResponse(
        """
        <!doctype html><title>Hello, Rampart</title>
        <form method="post" action="/echo">\(context.csrf.hiddenField())<input name="text"><button>Echo</button></form>
        <script nonce="\(nonce)">document.querySelector("input").focus()</script>
        """
    )
}

router.post("/echo") { request, _ -> HTMLResponse in
    let form = try await request.collectBody(limit: 16 * 1024, what: "the form")
    let echo = try URLEncodedFormDecoder().decode(Echo.self, from: String(buffer: form))
    return HTMLResponse("<!doctype html><title>Echo</title><p>You said: \(echo.text)</p>")
}

let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080
// 3. The server with Rampart's limits, and the purge of expired sessions beside it.
let app = Application(
    router: router,
    server: rampart.server,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    services: rampart.services
)
try await app.runService()
