import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Raw-socket checks of `HTTPServerBuilder.rampartHTTP1`: what a hostile client sends never
/// reaches a 500, and each limit answers its own status, with the security headers.
@Suite("Connection limits and timeouts over raw sockets")
struct ConnectionLimitsTests {
    static let fast = HTTPLimits(
        headerTimeout: .seconds(1),
        bodyIdleTimeout: .seconds(1),
        minimumBodyRate: 100,
        bodyRateGracePeriod: .seconds(1),
        idleTimeout: .seconds(2)
    )

    /// A small app: no Rampart middleware at all for `/bare` (the connection layer alone must
    /// keep truncated bodies from becoming 500s), and the security headers elsewhere.
    static func makeApp(limits: HTTPLimits = fast) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRampartRequestContext.self)
        let transport = TransportSecurity(
            allowedHosts: try HostAllowList(["localhost", "127.0.0.1"]),
            trustedProxies: try TrustedProxies([]),
            httpsPolicy: .allowInsecureHTTP
        )
        let secured = router.group("secured")
        secured.add(middleware: try SecurityHeadersMiddleware(headers: .strict, transport: transport))
        secured.post("echo") { request, _ in
            let body = try await request.collectBody(limit: 1 << 20, what: "the body")
            return "\(body.readableBytes)"
        }
        router.post("/bare") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            return "\(body.readableBytes)"
        }
        router.get("/") { _, _ in "ok" }
        return Application(router: router, server: try .rampartHTTP1(limits: limits), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let bytes: [UInt8]
        var halfClose = false
        let status: Int
        let reason: String
        /// The route has no Rampart middleware, so its error response has no security headers
        /// (what the connection layer writes itself always does).
        var isBareBody: Bool { String(decoding: bytes.prefix(12), as: UTF8.self).hasPrefix("POST /bare") && reason == "incompleteBody" }
    }

    static let host = "Host: 127.0.0.1\r\n"
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let cases: [Case] = [
        Case(
            description: "a 64 KiB header value",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)X-A: \(String(repeating: "a", count: 65536))\r\n\r\n"),
            status: 431,
            reason: "headerTooLarge"
        ),
        Case(
            description: "a 20,000-byte header name",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)\(String(repeating: "X", count: 20000)): 1\r\n\r\n"),
            status: 431,
            reason: "headerTooLarge"
        ),
        Case(
            description: "300 header fields",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)" + (0..<300).map { "X-F\($0): 1\r\n" }.joined() + "\r\n"),
            status: 431,
            reason: "headerTooLarge"
        ),
        Case(
            description: "101 header fields, each small",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)" + (0..<100).map { "X-F\($0): 1\r\n" }.joined() + "\r\n"),
            status: 431,
            reason: "headerTooLarge"
        ),
        Case(
            description: "17 KiB of headers in 20 fields (under the parser's backstop)",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)" + (0..<20).map { "X-F\($0): \(String(repeating: "v", count: 880))\r\n" }.joined() + "\r\n"),
            status: 431,
            reason: "headerTooLarge"
        ),
        Case(
            description: "a 10 KiB target",
            bytes: ascii("GET /?q=\(String(repeating: "a", count: 10000)) HTTP/1.1\r\n\(host)\r\n"),
            status: 414,
            reason: "uriTooLong"
        ),
        Case(
            description: "a 100 KiB target (over the parser's backstop)",
            bytes: ascii("GET /?q=\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\n\(host)\r\n"),
            status: 414,
            reason: "uriTooLong"
        ),
        Case(description: "garbage", bytes: [0x16, 0x03, 0x01, 0x00, 0x05] + ascii("hello\r\n\r\n"), status: 400, reason: "malformedRequest"),
        Case(
            description: "Content-Length with Transfer-Encoding",
            bytes: ascii("POST /bare HTTP/1.1\r\n\(host)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            status: 400,
            reason: "malformedRequest"
        ),
        Case(
            description: "NUL in a header",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)X-A: a") + [0] + ascii("b\r\n\r\n"),
            status: 400,
            reason: "malformedRequest"
        ),
        Case(
            description: "a truncated body, no Rampart middleware on the route",
            bytes: ascii("POST /bare HTTP/1.1\r\n\(host)Content-Length: 5000\r\n\r\nonly this"),
            halfClose: true,
            status: 400,
            reason: "incompleteBody"
        ),
        Case(
            description: "a truncated body behind SecurityHeadersMiddleware",
            bytes: ascii("POST /secured/echo HTTP/1.1\r\n\(host)Content-Length: 5000\r\n\r\nonly this"),
            halfClose: true,
            status: 400,
            reason: "incompleteBody"
        ),
        Case(
            description: "a bad chunk size",
            bytes: ascii("POST /secured/echo HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
            status: 400,
            reason: "incompleteBody"
        ),
        Case(
            description: "a stalled body",
            bytes: ascii("POST /secured/echo HTTP/1.1\r\n\(host)Content-Length: 100\r\n\r\nabc"),
            status: 408,
            reason: "bodyTimeout"
        ),
        Case(
            description: "half a header section, then silence (slowloris)",
            bytes: ascii("GET / HTTP/1.1\r\n\(host)X-A: 1\r\n"),
            status: 408,
            reason: "headerTimeout"
        ),
    ]

    @Test("each hostile request gets its exact status, the reason and the security headers, and the server stays up", arguments: cases)
    func refusals(_ testCase: Case) async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let answer = try await RawHTTP.run(port: port, bytes: testCase.bytes, halfClose: testCase.halfClose, timeout: 10)
            #expect(answer.status == testCase.status, "\(answer.head)")
            #expect(
                answer.text.contains("(\(testCase.reason))") || answer.text.contains("\"\(testCase.reason)\"")
                    || answer.text.contains(testCase.reason),
                "\(answer.text.prefix(400))"
            )
            if !testCase.isBareBody {
                #expect(answer.header("x-content-type-options") == "nosniff")
                #expect(answer.header("content-security-policy")?.hasPrefix("default-src 'none'") == true)
            }
            #expect(answer.header("connection") == "close")
            #expect(answer.closed, "the connection is closed after a refusal")
            let after = try await RawHTTP.run(port: port, bytes: Self.ascii("GET / HTTP/1.1\r\n\(Self.host)Connection: close\r\n\r\n"), timeout: 5)
            #expect(after.status == 200)
        }
    }

    @Test("timeouts answer in time: slowloris and a stalled body after about 1 s, a trickled body under the minimum rate after the grace period")
    func timing() async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let slow = try await RawHTTP.run(port: port, bytes: Self.ascii("GET / HTTP/1.1\r\n\(Self.host)"), timeout: 10)
            #expect(slow.status == 408)
            // Upper bounds leave room for a loaded machine (parallel suites) and stay far below what
            // a missing timeout would take (the 10 s read timeout here, 9 s of trickle below).
            #expect(slow.seconds >= 0.9 && slow.seconds < 5, "\(slow.seconds)")
            // 1 byte every 0.3 s is about 3 bytes/s, under the minimum of 100: refused soon
            // after the 1 s grace period, although no gap reaches the 1 s stall timeout.
            let head = Self.ascii("POST /secured/echo HTTP/1.1\r\n\(Self.host)Content-Length: 100\r\n\r\n")
            let trickle = try await RawHTTP.run(port: port, pieces: [head] + Array(repeating: Self.ascii("x"), count: 30), pause: 0.3, timeout: 15)
            #expect(trickle.status == 408)
            #expect(trickle.text.contains("bodyTimeout"))
            #expect((trickle.firstByteSeconds ?? 99) < 5, "\(String(describing: trickle.firstByteSeconds))")
        }
    }

    @Test("a body the application answers before reading (413 on the declared length) is not read: the connection closes at once")
    func earlyAnswerCloses() async throws {
        // Body timeouts of 10 s: a server that kept reading would answer or close only then.
        try await Self.makeApp(limits: HTTPLimits(bodyIdleTimeout: .seconds(10), bodyRateGracePeriod: .seconds(10))).test(.live) { client in
            let port = try #require(client.port)
            let answer = try await RawHTTP.run(
                port: port,
                bytes: Self.ascii("POST /secured/echo HTTP/1.1\r\n\(Self.host)Content-Length: 10000000000\r\n\r\n"),
                timeout: 10
            )
            #expect(answer.status == 413)
            #expect(answer.header("connection") == "close")
            #expect(answer.seconds < 5, "\(answer.seconds)")
        }
    }

    @Test("an idle keep-alive connection is closed after the idle timeout, not before")
    func idle() async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let answer = try await RawHTTP.run(port: port, bytes: Self.ascii("GET / HTTP/1.1\r\n\(Self.host)\r\n"), timeout: 10)
            #expect(answer.status == 200)
            #expect(answer.header("connection") == nil)
            #expect(answer.closed)
            let idle = answer.seconds - (answer.firstByteSeconds ?? 0)
            #expect(idle >= 1.8 && idle < 6, "closed \(idle) s after the answer")
        }
    }

    @Test("pipelined requests are answered in order, the refusal last")
    func pipelined() async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let bytes = Self.ascii(
                "GET / HTTP/1.1\r\n\(Self.host)\r\nGET / HTTP/1.1\r\n\(Self.host)\r\nGET / HTTP/1.1\r\n\(Self.host)X-A: \(String(repeating: "a", count: 40000))\r\n\r\n"
            )
            let answer = try await RawHTTP.run(port: port, bytes: bytes, timeout: 10)
            let statuses = answer.text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "431"])
        }
    }

    @Test(
        "limits out of range refuse to start, naming the setting and the value",
        arguments: [
            (HTTPLimits(maxHeaderBytes: 1000), "maxHeaderBytes", "1000"),
            (HTTPLimits(maxHeaderBytes: 2 << 20), "maxHeaderBytes", "2097152"),
            (HTTPLimits(maxHeaderFields: 5), "maxHeaderFields", "5"),
            (HTTPLimits(maxTargetBytes: 100), "maxTargetBytes", "100"),
            (HTTPLimits(headerTimeout: .milliseconds(10)), "headerTimeout", "0.01 seconds"),
            (HTTPLimits(bodyIdleTimeout: .seconds(0)), "bodyIdleTimeout", "0.0 seconds"),
            (HTTPLimits(minimumBodyRate: 0), "minimumBodyRate", "0"),
            (HTTPLimits(bodyRateGracePeriod: .seconds(3600)), "bodyRateGracePeriod", "3600.0 seconds"),
            (HTTPLimits(idleTimeout: .seconds(-1)), "idleTimeout", "-1.0 seconds"),
        ]
    )
    func badLimits(_ limits: HTTPLimits, _ setting: String, _ value: String) throws {
        let error = #expect(throws: SecurityConfigurationError.self) { _ = try Self.makeApp(limits: limits) }
        #expect(error?.setting == setting)
        #expect(error?.value == value)
    }

    @Test("the standard limits are the documented ones and valid")
    func standard() throws {
        let limits = try HTTPLimits.standard.validated()
        #expect(limits.maxHeaderBytes == 16384)
        #expect(limits.maxHeaderFields == 100)
        #expect(limits.maxTargetBytes == 8192)
        #expect(limits.headerTimeout == .seconds(30))
        #expect(limits.bodyIdleTimeout == .seconds(30))
        #expect(limits.minimumBodyRate == 240)
        #expect(limits.bodyRateGracePeriod == .seconds(5))
        #expect(limits.idleTimeout == .seconds(30))
    }
}

/// One blocking HTTP/1.1 exchange over a raw TCP socket: send, optionally half-close, read
/// until the server closes or the timeout.
enum RawHTTP {
    struct Answer {
        let text: String
        let seconds: Double
        let closed: Bool
        /// When the first byte of the answer arrived.
        let firstByteSeconds: Double?

        var head: String { text.components(separatedBy: "\r\n\r\n").first ?? "" }
        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
        func header(_ name: String) -> String? {
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
    }

    /// Runs an exchange on a thread of its own: blocking socket calls on Swift concurrency's
    /// few threads would starve the server under test (its handlers need them too).
    static func run(port: Int, bytes: [UInt8], halfClose: Bool = false, timeout: Double) async throws -> Answer {
        try await run(port: port, pieces: [bytes], halfClose: halfClose, timeout: timeout)
    }

    static func run(port: Int, pieces: [[UInt8]], pause: Double = 0, halfClose: Bool = false, timeout: Double) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try exchange(port: port, pieces: pieces, pause: pause, halfClose: halfClose, timeout: timeout) })
            }
            thread.start()
        }
    }

    static func exchange(port: Int, bytes: [UInt8], halfClose: Bool = false, timeout: Double) throws -> Answer {
        try exchange(port: port, pieces: [bytes], halfClose: halfClose, timeout: timeout)
    }

    static func exchange(port: Int, pieces: [[UInt8]], pause: Double = 0, halfClose: Bool = false, timeout: Double) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var slice = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var firstByte: Double?
        sending: for (index, piece) in pieces.enumerated() {
            if index > 0, pause > 0 {
                usleep(UInt32(pause * 1_000_000))
                // An answer before the client finished sending: stop sending, note when.
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 {
                    firstByte = Date().timeIntervalSince(start)
                    received += buffer[0..<n]
                    break sending
                }
            }
            var sent = 0
            while sent < piece.count {
                let n = piece[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var closed = false
        while Date().timeIntervalSince(start) < timeout {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                if firstByte == nil { firstByte = Date().timeIntervalSince(start) }
                received += buffer[0..<n]
            } else if n == 0 {
                closed = true
                break
            } else if errno == ECONNRESET {
                closed = true
                break
            }
        }
        return Answer(
            text: String(decoding: received, as: UTF8.self),
            seconds: Date().timeIntervalSince(start),
            closed: closed,
            firstByteSeconds: firstByte
        )
    }
}
