import Foundation
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartApp
import Testing

/// The hostile-client storm (`Tests/Storm/storm.py`) against the real board on a live port:
/// garbage, broken request lines, huge and many headers, long URLs, oversized and truncated
/// bodies (URL-encoded, multipart, JSON, chunked), invalid UTF-8, CL+TE conflicts, bad chunk
/// sizes, NUL / bare LF / bare CR in headers, resets, stalled and trickled bodies, slowloris and
/// idle keep-alive. Every kind has one exact expected answer and none may be a 5xx; afterwards
/// the board still serves its pages. `.ci/run` runs the same script against `rampart serve`.
@Suite("Hostile clients: the storm against the board")
struct StormTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Storm/storm.py").path

    @Test("every malformed kind gets its exact answer, zero 5xx, the board still serves", .timeLimit(.minutes(2)))
    func storm() async throws {
        var configuration = try testConfiguration(port: 0)
        configuration.limits = try HTTPLimits(headerTimeout: .seconds(2), bodyIdleTimeout: .seconds(2), idleTimeout: .seconds(3)).validated()
        let app = try await buildApplication(configuration)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // On a thread of its own: a blocked cooperative thread would starve the server.
            let arguments = [
                "python3", Self.script, "--port", String(port), "--rounds", "3", "--header-timeout", "2", "--body-timeout", "2", "--idle-timeout",
                "3",
            ]
            let result = try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try ProcessRunner.run(arguments) }) }.start()
            }
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains(" answered 5xx, 0 kinds unexpected"), "\(result.output)")
            #expect(result.output.contains(", 0 answered 5xx"), "\(result.output)")
        }
    }
}

/// Runs a process and returns its status and combined output.
enum ProcessRunner {
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
