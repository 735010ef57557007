import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The README's "Add Rampart to a Hummingbird app" is `Examples/HelloRampart/main.swift`, word for
/// word, and that program builds (it is a target of this package) and serves what it promises.
@Suite("README: Add Rampart to a Hummingbird app")
struct ReadmeExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The first Swift code block after the heading.
    static func readmeBlock() throws -> String {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Add Rampart to a Hummingbird app"))
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```swift\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test("the README's block is Examples/HelloRampart/main.swift, with three Rampart statements")
    func sameText() throws {
        let block = try Self.readmeBlock()
        let source = try String(contentsOf: Self.root.appendingPathComponent("Examples/HelloRampart/main.swift"), encoding: .utf8)
        #expect(block == source)
        // Beyond the imports: configure, add the middleware, and the server + services.
        let statements = block.split(separator: "\n").filter { line in
            !line.hasPrefix("//")
                && (line.contains("RampartSetup.configure") || line.contains("rampart.middleware") || line.contains("rampart.server"))
        }
        #expect(
            block.split(separator: "\n").filter { $0.hasPrefix("import ") }.map(String.init)
                == ["import Foundation", "import Hummingbird", "import Rampart", "import RampartHummingbird"]
        )
        #expect(statements.count == 3, "\(statements)")
    }

    @Test("HelloRampart serves the form with a CSRF field and a nonce'd script, and echoes the text escaped", .timeLimit(.minutes(1)))
    func serves() async throws {
        let executable = Self.root.appendingPathComponent(".build/debug/HelloRampart").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build it first: swift build")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hello-rampart-\(UUID().uuidString)")
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
        for _ in 0..<100 {
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
        let token = try #require(home.body.firstRange(of: #"name="_csrf" value=""#).map { String(home.body[$0.upperBound...].prefix { $0 != "\"" }) })
        let cookie = try #require(home.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        #expect(cookie.hasPrefix("__Host-session="))

        let form = "_csrf=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&text=%3Cb%3Ehi%3C%2Fb%3E%20%26%20%22q%22"
        let echo = try await Self.fetch(
            base + "/echo",
            method: "POST",
            headers: [
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                "Origin": base,
            ],
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
    }

    static func fetch(
        _ url: String,
        method: String = "GET",
        headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return (Int(response.status.code), fields, String(buffer: bytes))
    }
}
