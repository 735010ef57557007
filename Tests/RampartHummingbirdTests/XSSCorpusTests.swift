import Foundation
import Rampart
import RampartHummingbird
import Testing

/// Renders every vector of ``XSSCorpus`` into a text node, a quoted attribute and a URL
/// attribute through ``SafeTemplates``, then has a real HTML5 parser (html5lib, from PyPI) check
/// that the parse tree holds exactly the template's elements and attributes, that the text
/// survived intact, and that no URL is script-capable. See `Tests/xss/check_rendered.py`.
@Suite("XSS corpus through a real HTML5 parser")
struct XSSCorpusTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checker = repositoryRoot.appendingPathComponent("Tests/xss/check_rendered.py").path

    /// html5lib must be installed in CI (`.ci/run` installs it); elsewhere the test skips visibly.
    static let checkerAvailable: Bool = {
        if ProcessInfo.processInfo.environment["CI"] != nil { return true }
        return (try? run(["python3", "-c", "import html5lib"]).status) == 0
    }()

    static let templates = try! SafeTemplates(templates: [
        "xss": #"<div class="text">{{v}}</div><p title="{{v}}">x</p><a href="{{v}}">y</a>"#
    ])

    @Test("the corpus has at least 150 distinct vectors, the combining-mark breakout included")
    func corpusSize() {
        #expect(Set(XSSCorpus.all).count >= 150)
        #expect(Set(XSSCorpus.all).count == XSSCorpus.all.count, "duplicate vectors")
        let breakout = "\"\u{301} onmouseover=alert(1) x=\"\u{301}"
        #expect(XSSCorpus.all.contains(breakout))
    }

    @Test(
        "no vector yields an element, an attribute or a script URL (html5lib)",
        .enabled(if: checkerAvailable, "python3 with html5lib is not installed; `pip install html5lib` (CI installs it)")
    )
    func corpusIsInert() async throws {
        var lines = ""
        for vector in XSSCorpus.all {
            let html = try #require(Self.templates.render("xss", ["v": vector]))
            let record = try JSONSerialization.data(withJSONObject: ["vector": vector, "html": html], options: [.sortedKeys])
            lines += String(decoding: record, as: UTF8.self) + "\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-xss-\(UUID().uuidString).jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let result = try await Self.runOffPool(["python3", Self.checker, file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(XSSCorpus.all.count) passed, 0 failed"), "\(result.output)")
    }

    /// Tricky templates the context check accepts: every variable in every context it allows.
    static let trickyTemplates: [String: String] = [
        "text": "<p>{{v}}</p><p>a{{v}}b{{v}}</p>",
        "attributes": #"<p title="{{v}}" data-x='{{v}}' class="a {{v}} b">x</p><input value="{{v}}"><textarea>{{v}}</textarea>"#,
        "urls":
            #"<a href="{{v}}">a</a><a href="{{v}}{{v}}">b</a><a href="/p/{{v}}?q={{v}}#{{v}}">c</a><img src="{{v}}" srcset="{{v}}"><form action="{{v}}"><button formaction="{{v}}">x</button></form>"#,
        "sections": #"<a href="{{#v}}/{{/v}}{{v}}">a</a><a href="{{^v}}/{{/v}}{{v}}">b</a>{{#v}}<p title="{{v}}">{{v}}</p>{{/v}}"#,
        "nearRawText": "<p>{{v}}</p><script>var a = 1;</script><p>{{v}}</p><style>p { color: red }</style>{{v}}",
        "meta": #"<meta name="description" content="{{v}}"><meta property="og:title" content="{{v}}">"#,
        "iframe": #"<iframe src="{{v}}" title="{{v}}"></iframe>"#,
        "table": "<table><tr><td>{{v}}</td><td title=\"{{v}}\">{{{v}}}</td></tr></table>",
        "svg": #"<svg><a xlink:href="{{v}}"><text>{{v}}</text></a></svg>"#,
    ]

    @Test(
        "accepted tricky templates stay inert with every hostile value (html5lib: same structure, no handler, no script URL)",
        .enabled(if: checkerAvailable, "python3 with html5lib is not installed; `pip install html5lib` (CI installs it)")
    )
    func trickyTemplatesAreInert() async throws {
        let templates = try SafeTemplates(templates: Self.trickyTemplates)
        var lines = ""
        for name in Self.trickyTemplates.keys.sorted() {
            let benign = try #require(templates.render(name, ["v": "benign"]))
            for vector in XSSCorpus.all + ["", "/", "javascript:alert(1)", "  JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>"] {
                let html = try #require(templates.render(name, ["v": vector]))
                let record = try JSONSerialization.data(
                    withJSONObject: ["template": name, "benign": benign, "html": html, "vector": vector],
                    options: [.sortedKeys]
                )
                lines += String(decoding: record, as: UTF8.self) + "\n"
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-inert-\(UUID().uuidString).jsonl")
        try lines.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let checker = URL(fileURLWithPath: Self.checker).deletingLastPathComponent().appendingPathComponent("check_inert.py").path
        let result = try await Self.runOffPool(["python3", checker, file.path])
        #expect(result.status == 0, "\(result.output.prefix(4000))")
        #expect(result.output.contains(" passed, 0 failed"), "\(result.output.suffix(500))")
    }

    @Test("the checker itself catches an unescaped injection", .enabled(if: checkerAvailable, "python3 with html5lib is not installed"))
    func checkerCatchesInjection() async throws {
        // Rendered by a broken (Character-based) escaper: the quote with a combining mark is raw.
        let broken = "<div class=\"text\">x</div><p title=\"\"\u{301} onmouseover=alert(1) x=\"\">x</p><a href=\"javascript:alert(1)\">y</a>"
        let record = try JSONSerialization.data(withJSONObject: ["vector": "x", "html": broken])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-xss-\(UUID().uuidString).jsonl")
        try (String(decoding: record, as: UTF8.self) + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await Self.runOffPool(["python3", Self.checker, file.path])
        #expect(result.status == 1)
        #expect(result.output.contains("0 passed, 1 failed"), "\(result.output)")
        #expect(result.output.contains("INJECTION p attributes"), "\(result.output)")
    }

    /// Runs the checker on a thread of its own: waiting for a process on one of Swift
    /// concurrency's few threads would starve the live servers other suites run meanwhile.
    static func runOffPool(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try run(arguments) }) }.start()
        }
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
