import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The README's "Add Rampart to a Vapor app" is `Examples/HelloRampartVapor/main.swift`, word for
/// word, and that program builds (it is a target of this package) and serves what it promises.
@Suite("README: Add Rampart to a Vapor app")
struct ReadmeVaporExampleTests {
    /// Adapters/RampartVapor.
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let repository = package.deletingLastPathComponent().deletingLastPathComponent()

    /// The first Swift code block after the heading.
    static func readmeBlock() throws -> String {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Add Rampart to a Vapor app"))
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```swift\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test("the README's block is Examples/HelloRampartVapor/main.swift, with one Rampart statement")
    func sameText() throws {
        let block = try Self.readmeBlock()
        let source = try String(contentsOf: Self.package.appendingPathComponent("Examples/HelloRampartVapor/main.swift"), encoding: .utf8)
        #expect(block == source)
        #expect(
            block.split(separator: "\n").filter { $0.hasPrefix("import ") }.map(String.init) == [
                "import Rampart", "import RampartVapor", "import Vapor",
            ]
        )
        #expect(block.split(separator: "\n").filter { $0.contains("RampartVapor.install") }.count == 1)
        // The same contract as the Hummingbird block: PORT, a form posting to /echo, a nonce'd script.
        #expect(block.contains(#"Environment.get("PORT")"#))
        #expect(block.contains("req.csrf.hiddenField()"))
        #expect(block.contains(#"<script nonce="\(nonce)">"#))
    }

    @Test("HelloRampartVapor serves the form with a CSRF field and a nonce'd script, and echoes the text escaped", .timeLimit(.minutes(1)))
    func serves() async throws {
        let executable = Self.package.appendingPathComponent(".build/debug/HelloRampartVapor").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build it first: swift build --package-path Adapters/RampartVapor")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hello-rampart-vapor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = String(port)
        environment["RAMPART_KEYS"] = nil
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }

        let base = "http://127.0.0.1:\(port)"
        var page: (status: Int, headers: [String: String], body: String)?
        for _ in 0..<200 {
            page = try? await Self.fetch(base + "/")
            if page != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let home = try #require(page)
        #expect(home.status == 200)
        #expect(home.headers["content-type"] == "text/html; charset=utf-8")
        #expect(home.body.contains(#"<form method="post" action="/echo">"#))
        #expect(home.body.contains(#"<input name="text">"#))
        let csp = try #require(home.headers["content-security-policy"])
        let nonce = try #require(home.body.firstRange(of: #"<script nonce=""#).map { String(home.body[$0.upperBound...].prefix { $0 != "\"" }) })
        #expect(csp.contains("'nonce-\(nonce)'"))
        #expect(home.headers["x-content-type-options"] == "nosniff")
        #expect(home.headers["x-frame-options"] == "DENY")
        let token = try #require(home.body.firstRange(of: #"name="_csrf" value=""#).map { String(home.body[$0.upperBound...].prefix { $0 != "\"" }) })
        let setCookie = try #require(home.headers["set-cookie"])
        #expect(setCookie.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax"))
        let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
        #expect(cookie.hasPrefix("__Host-session="))
        // The key file was created in the data directory, readable by the owner only.
        let keys = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(".rampart/keys").path)
        #expect((keys[.posixPermissions] as? Int) == 0o600)

        let form = "_csrf=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&text=%3Cb%3Ehi%3C%2Fb%3E%20%26%20%22q%22"
        let echo = try await Self.fetch(
            base + "/echo",
            method: "POST",
            headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Origin": base],
            body: form
        )
        #expect(echo.status == 200)
        #expect(echo.body.contains("<p>You said: &lt;b&gt;hi&lt;/b&gt; &amp; &quot;q&quot;</p>"), "\(echo.body)")
        // Without the token: refused by CSRF.
        let forged = try await Self.fetch(
            base + "/echo",
            method: "POST",
            headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: "text=x"
        )
        #expect(forged.status == 403)
        #expect(forged.body == "403 Forbidden: the form has no CSRF token; reload the page and try again (missingToken)\n")
        // An unlisted Host: refused before any route.
        let wrongHost = try await Self.fetch(base + "/", headers: ["Host": "evil.example"])
        #expect(wrongHost.status == 400)
    }

    static func fetch(
        _ url: String,
        method: String = "GET",
        headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return (Int(response.status.code), fields, String(buffer: bytes))
    }
}
