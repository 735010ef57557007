import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Rampart
import RampartHummingbird
import Synchronization
import Testing

/// A request body that yields `chunks` chunks of `chunk` bytes each, built from `head` then
/// filler, and counts how many bytes the reader pulled.
struct CountingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let head: [UInt8]
    let chunk: Int
    let chunks: Int
    let pulled: Counter

    final class Counter: Sendable {
        let value = Mutex(0)
        var bytes: Int { value.withLock { $0 } }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: CountingBody
        var index = 0
        mutating func next() async throws -> ByteBuffer? {
            guard index < body.chunks else { return nil }
            var buffer = ByteBuffer()
            if index == 0 { buffer.writeBytes(body.head) }
            buffer.writeRepeatingByte(0x41, count: body.chunk - buffer.readableBytes)
            index += 1
            body.pulled.value.withLock { $0 += buffer.readableBytes }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

@Suite("Uploads: streaming multipart and raw bodies under an UploadPolicy")
struct UploadAdapterTests {
    static let png: [UInt8] =
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52] + [UInt8](repeating: 7, count: 200)
    static let policy = try! UploadPolicy(maximumBytes: 64 * 1024)

    static func request(_ contentType: String?, body: RequestBody, contentLength: Int? = nil) -> Request {
        var fields = HTTPFields()
        if let contentType { fields[.contentType] = contentType }
        if let contentLength { fields[.contentLength] = String(contentLength) }
        return Request(head: HTTPRequest(method: .post, scheme: "http", authority: "127.0.0.1", path: "/upload", headerFields: fields), body: body)
    }

    static func multipart(_ parts: [(headers: String, body: [UInt8])], boundary: String = "b0undary") -> ByteBuffer {
        var buffer = ByteBuffer()
        for part in parts {
            buffer.writeString("--\(boundary)\r\n\(part.headers)\r\n\r\n")
            buffer.writeBytes(part.body)
            buffer.writeString("\r\n")
        }
        buffer.writeString("--\(boundary)--\r\n")
        return buffer
    }

    static func file(_ bytes: [UInt8], filename: String = "cat.png", field: String = "file") -> (headers: String, body: [UInt8]) {
        ("Content-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: image/png", bytes)
    }

    static func refusal(
        _ contentType: String = "multipart/form-data; boundary=b0undary",
        _ body: ByteBuffer,
        limits: MultipartLimits = .standard
    ) async -> RequestRefusal? {
        do {
            _ = try await request(contentType, body: .init(buffer: body)).multipartForm(policy: policy, limits: limits)
            return nil
        } catch {
            return error as? RequestRefusal
        }
    }

    @Test(
        "a part header name with a byte over 0x7F is a 400, before multipart-kit (which traps on it) sees it",
        arguments: [
            "X-\u{E9}: 1\r\nContent-Disposition: form-data; name=\"a\"", "Content-Disposition: form-data; name=\"a\"\r\n\u{E9}: 1",
        ]
    )
    func nonASCIIHeaderName(_ headers: String) async throws {
        let body = Self.multipart([(headers, Array("x".utf8))])
        let refusal = await Self.refusal("multipart/form-data; boundary=b0undary", body)
        #expect(refusal?.status == .badRequest)
        #expect(refusal?.reason == "malformedMultipart")
        #expect(refusal?.message == "a part header name is not ASCII")
        // Split at every byte: the check carries its state across chunks.
        var chunks: [ByteBuffer] = []
        for index in 0..<body.readableBytes { chunks.append(body.getSlice(at: index, length: 1)!) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        let split = await { () -> RequestRefusal? in
            do {
                _ = try await Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: stream)).multipartForm(
                    policy: Self.policy
                )
                return nil
            } catch { return error as? RequestRefusal }
        }()
        #expect(split?.message == "a part header name is not ASCII")
    }

    /// Bodies with a problem early on and a non-ASCII header name later: (parts, the refusal).
    static let earlierProblems: [([(headers: String, body: [UInt8])], String)] = [
        // A file of a refused type, then a part whose header name is not ASCII (FuzzMultipart's
        // finding: whole, it was 400 malformedMultipart; in small chunks, 415 unsupportedType).
        (
            [file(Array("tok123".utf8), filename: "cat"), ("Cont\u{6D7}g: x\r\nContent-Disposition: form-data; name=\"t\"", [0x78])],
            "415 unsupportedType"
        ),
        // A field over its limit, then the same.
        ([("Content-Disposition: form-data; name=\"a\"", Array(repeating: 0x61, count: 40)), ("\u{E9}: 1", [0x78])], "413 tooLarge"),
        // Nothing wrong before it: the header name is the refusal.
        ([("Content-Disposition: form-data; name=\"a\"", [0x61]), ("\u{E9}: 1", [0x78])], "400 malformedMultipart"),
    ]

    @Test("the refusal is the body's first problem, whatever the chunking (whole, or byte by byte)", arguments: earlierProblems)
    func verdictIndependentOfChunking(parts: [(headers: String, body: [UInt8])], expected: String) async throws {
        let body = Self.multipart(parts)
        let limits = try MultipartLimits(maximumFieldBytes: 32)
        var chunks: [ByteBuffer] = []
        for index in 0..<body.readableBytes { chunks.append(body.getSlice(at: index, length: 1)!) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        let whole = await Self.refusal("multipart/form-data; boundary=b0undary", body, limits: limits)
        let split = await { () -> RequestRefusal? in
            do {
                _ = try await Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: stream)).multipartForm(
                    policy: Self.policy,
                    limits: limits
                )
                return nil
            } catch { return error as? RequestRefusal }
        }()
        #expect(whole.map { "\($0.status.code) \($0.reason)" } == expected)
        #expect(split.map { "\($0.status.code) \($0.reason)" } == expected)
    }

    /// A file in one chunk larger than a limit: (file bytes, the policy's maximum, limits, the refusal).
    /// FuzzMultipart's finding: a file of a refused type that also passed the file limit was 413
    /// whole (the size was checked before the type) and 415 in small chunks (the type is judged at
    /// its 16th byte); past the body's limit, whole, it was 413 before a byte was read.
    static let smallBody = try! MultipartLimits(maximumParts: 1, maximumFiles: 1, maximumFieldBytes: 16, maximumPartHeaderBytes: 256)
    static let largeFiles: [([UInt8], Int, MultipartLimits, String)] = [
        (Array(repeating: 0x78, count: 100), 32, .standard, "415 unsupportedType"),
        (Array(repeating: 0x78, count: 2000), 32, smallBody, "415 unsupportedType"),
        // An allowed type over the file limit, or over the body's limit: the size.
        (png, 32, .standard, "413 tooLarge"),
        (png + Array(repeating: 7, count: 2000), 32, smallBody, "413 tooLarge"),
        // A limit under the 16 bytes the type is judged on: the size comes first, byte by byte too.
        (Array(repeating: 0x78, count: 100), 8, .standard, "413 tooLarge"),
    ]

    @Test("a large file is refused for its type or its size the same whatever the chunking (whole, or byte by byte)", arguments: largeFiles)
    func largeFileIndependentOfChunking(file: [UInt8], maximumBytes: Int, limits: MultipartLimits, expected: String) async throws {
        let policy = try UploadPolicy(maximumBytes: maximumBytes)
        let body = Self.multipart([Self.file(file)])
        func read(_ chunks: [ByteBuffer]) async -> String? {
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            do {
                _ = try await Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: stream)).multipartForm(
                    policy: policy,
                    limits: limits
                )
                return nil
            } catch { return (error as? RequestRefusal).map { "\($0.status.code) \($0.reason)" } ?? "\(error)" }
        }
        #expect(await read([body]) == expected)
        #expect(await read((0..<body.readableBytes).map { body.getSlice(at: $0, length: 1)! }) == expected)
    }

    /// Raw uploads in one chunk larger than the limit: (body, the policy's maximum, the refusal).
    /// Whole, a body of a refused type was 413 (the size was checked before the type); byte by
    /// byte, 415 at its 16th byte.
    static let largeRawBodies: [([UInt8], Int, String)] = [
        (Array(repeating: 0x78, count: 100), 32, "415 unsupportedType"),
        (png, 32, "413 tooLarge"),
        (Array(repeating: 0x78, count: 100), 8, "413 tooLarge"),
    ]

    @Test("a large raw upload is refused for its type or its size the same whatever the chunking", arguments: largeRawBodies)
    func largeRawUploadIndependentOfChunking(bytes: [UInt8], maximumBytes: Int, expected: String) async throws {
        let policy = try UploadPolicy(maximumBytes: maximumBytes)
        let body = ByteBuffer(bytes: bytes)
        func read(_ chunks: [ByteBuffer]) async -> String? {
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            do {
                _ = try await Self.request("image/png", body: RequestBody(asyncSequence: stream)).collectUpload(policy: policy)
                return nil
            } catch { return (error as? RequestRefusal).map { "\($0.status.code) \($0.reason)" } ?? "\(error)" }
        }
        #expect(await read([body]) == expected)
        #expect(await read((0..<body.readableBytes).map { body.getSlice(at: $0, length: 1)! }) == expected)
    }

    @Test("UTF-8 in a part header value (a filename) is still accepted")
    func utf8HeaderValue() async throws {
        let body = Self.multipart([Self.file(Self.png, filename: "ch\u{E2}teau.png")])
        let form = try await Self.request("multipart/form-data; boundary=b0undary", body: .init(buffer: body)).multipartForm(policy: Self.policy)
        #expect(form.file("file")?.clientFilename == "ch\u{E2}teau.png")
    }

    @Test("a PNG named .html is accepted as image/png; the client's name is kept for display only")
    func pngNamedHTML() async throws {
        let body = Self.multipart([
            ("Content-Disposition: form-data; name=\"title\"", Array("héllo".utf8)), Self.file(Self.png, filename: "../../etc/x.html"),
        ])
        let form = try await Self.request("multipart/form-data; boundary=b0undary", body: .init(buffer: body)).multipartForm(policy: Self.policy)
        let file = try #require(form.file("file"))
        #expect(file.type == .png)
        #expect(Array(file.bytes.readableBytesView) == Self.png)
        #expect(file.clientFilename == "../../etc/x.html")
        #expect(file.storedName.utf8.count == 22)
        #expect(!file.storedName.contains(".") && !file.storedName.contains("/"))
        #expect(form.value("title") == "héllo")
        #expect(form.fields.count == 1)
    }

    @Test("RFC 8187 filename* wins over filename")
    func extendedFilename() async throws {
        let body = Self.multipart([
            ("Content-Disposition: form-data; name=\"file\"; filename=\"fallback.png\"; filename*=UTF-8''%E2%82%AC%20rates+1.png", Self.png)
        ])
        let form = try await Self.request("multipart/form-data; boundary=\"b0undary\"", body: .init(buffer: body)).multipartForm(policy: Self.policy)
        #expect(form.file("file")?.clientFilename == "€ rates+1.png")
    }

    static let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
    static let html = Array("<!doctype html><script>alert(document.cookie)</script>".utf8)
    static let polyglot = png + Array("<script>alert(1)</script>".utf8)

    @Test(
        "refused files and malformed bodies, with their status and reason",
        arguments: [
            ("HTML named .png", multipart([file(html, filename: "x.png")]), 415, "unsupportedType"),
            ("SVG with a script", multipart([file(svg, filename: "x.svg")]), 415, "unsupportedType"),
            ("PNG/HTML polyglot", multipart([file(polyglot)]), 415, "polyglot"),
            ("empty file", multipart([file([])]), 400, "empty"),
            ("file over the policy", multipart([file(png + [UInt8](repeating: 0, count: 64 * 1024))]), 413, "tooLarge"),
            (
                "field over 64 KiB", multipart([("Content-Disposition: form-data; name=\"bio\"", [UInt8](repeating: 0x61, count: 64 * 1024 + 1))]),
                413, "tooLarge"
            ),
            ("two files", multipart([file(png), file(png, field: "other")]), 413, "tooLarge"),
            ("17 parts", multipart(Array(repeating: ("Content-Disposition: form-data; name=\"x\"", [0x61]), count: 17)), 413, "tooLarge"),
            ("part without a name", multipart([("Content-Disposition: form-data", [0x61])]), 400, "malformedMultipart"),
            ("part that is not form-data", multipart([("Content-Disposition: attachment; name=\"x\"", [0x61])]), 400, "malformedMultipart"),
            ("part without headers", ByteBuffer(string: "--b0undary\r\n\r\nx\r\n--b0undary--\r\n"), 400, "malformedMultipart"),
            ("truncated body", ByteBuffer(string: "--b0undary\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc"), 400, "malformedMultipart"),
            ("no parts", ByteBuffer(string: "nothing here"), 400, "malformedMultipart"),
            (
                "huge part headers",
                multipart([("Content-Disposition: form-data; name=\"x\"\r\nX-Pad: " + String(repeating: "p", count: 9000), [0x61])]), 413, "tooLarge"
            ),
        ] as [(String, ByteBuffer, Int, String)]
    )
    func refused(_ label: String, _ body: ByteBuffer, _ status: Int, _ reason: String) async {
        let refusal = await Self.refusal("multipart/form-data; boundary=b0undary", body)
        #expect(refusal?.status.code == status, "\(label)")
        #expect(refusal?.reason == reason, "\(label)")
    }

    @Test(
        "content types and boundaries",
        arguments: [
            ("application/x-www-form-urlencoded", 415, "unsupportedMediaType"),
            ("multipart/form-data", 400, "malformedMultipart"),
            ("multipart/form-data; boundary=", 400, "malformedMultipart"),
            ("multipart/form-data; boundary=" + String(repeating: "b", count: 71), 400, "malformedMultipart"),
            ("multipart/form-data; boundary=\"a\r\nb\"", 400, "malformedMultipart"),
        ]
    )
    func contentTypes(_ contentType: String, _ status: Int, _ reason: String) async {
        let refusal = await Self.refusal(contentType, Self.multipart([Self.file(Self.png)]))
        #expect(refusal?.status.code == status)
        #expect(refusal?.reason == reason)
    }

    @Test("an oversized multipart body stops being read as soon as it passes the limit")
    func oversizedStopsEarly() async throws {
        let counter = CountingBody.Counter()
        let head = Array("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n".utf8) + Self.png
        // 100 MiB offered in 64 KiB chunks, against a 64 KiB file limit.
        let body = CountingBody(head: head, chunk: 64 * 1024, chunks: 1600, pulled: counter)
        let request = Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: body))
        let error = await #expect(throws: RequestRefusal.self) { try await request.multipartForm(policy: Self.policy) }
        #expect(error?.status == .contentTooLarge)
        #expect(counter.bytes <= 2 * 64 * 1024, "read \(counter.bytes) bytes of 100 MiB")
    }

    @Test("a file of the wrong type is refused from its first bytes, before the rest is read")
    func wrongTypeStopsEarly() async throws {
        let counter = CountingBody.Counter()
        let head = Array("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n<!doctype html>".utf8)
        let body = CountingBody(head: head, chunk: 1024, chunks: 10_000, pulled: counter)
        let request = Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: body))
        let error = await #expect(throws: RequestRefusal.self) { try await request.multipartForm(policy: Self.policy) }
        #expect(error?.reason == "unsupportedType")
        #expect(counter.bytes == 1024)
    }

    @Test("a declared Content-Length over the limit is refused before any byte is read")
    func declaredLengthRefused() async throws {
        let counter = CountingBody.Counter()
        let body = CountingBody(head: [], chunk: 1024, chunks: 10, pulled: counter)
        let multipart = Self.request("multipart/form-data; boundary=b0undary", body: RequestBody(asyncSequence: body), contentLength: 50_000_000)
        let error = await #expect(throws: RequestRefusal.self) { try await multipart.multipartForm(policy: Self.policy) }
        #expect(error?.status == .contentTooLarge)
        let raw = Self.request("image/png", body: RequestBody(asyncSequence: body), contentLength: 64 * 1024 + 1)
        await #expect(throws: RequestRefusal.tooLarge("the upload is over 65536 bytes")) { try await raw.collectUpload(policy: Self.policy) }
        #expect(counter.bytes == 0)
    }

    @Test("raw uploads: sniffed, size-limited while streaming, wrong types refused early")
    func rawUploads() async throws {
        let accepted = try await Self.request("application/octet-stream", body: .init(buffer: ByteBuffer(bytes: Self.png))).collectUpload(
            policy: Self.policy
        )
        #expect(accepted.type == .png)
        #expect(accepted.bytes.readableBytes == Self.png.count)

        let counter = CountingBody.Counter()
        let big = Self.request(
            "image/png",
            body: RequestBody(asyncSequence: CountingBody(head: Self.png, chunk: 16 * 1024, chunks: 6400, pulled: counter))
        )
        let tooLarge = await #expect(throws: RequestRefusal.self) { try await big.collectUpload(policy: Self.policy) }
        #expect(tooLarge?.reason == "tooLarge")
        #expect(counter.bytes <= 64 * 1024 + 16 * 1024)

        let htmlCounter = CountingBody.Counter()
        let html = Self.request(
            "image/png",
            body: RequestBody(asyncSequence: CountingBody(head: Self.html, chunk: 1024, chunks: 100, pulled: htmlCounter))
        )
        let wrong = await #expect(throws: RequestRefusal.self) { try await html.collectUpload(policy: Self.policy) }
        #expect(wrong?.status == .unsupportedMediaType)
        #expect(htmlCounter.bytes == 1024)

        let polyglot = Self.request("image/png", body: .init(buffer: ByteBuffer(bytes: Self.polyglot)))
        await #expect(throws: RequestRefusal(.polyglot)) { try await polyglot.collectUpload(policy: Self.policy) }
    }

    @Test("through a router: refusals carry the security headers and a short reason")
    func throughRouter() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)))
        router.post("/avatar") { request, _ -> String in
            let form = try await request.multipartForm(policy: Self.policy)
            return form.file("file")?.type.mediaType ?? "none"
        }
        try await Application(router: router).test(.live) { client in
            let headers: HTTPFields = [.contentType: "multipart/form-data; boundary=b0undary"]
            let ok = try await client.execute(uri: "/avatar", method: .post, headers: headers, body: Self.multipart([Self.file(Self.png)]))
            #expect(ok.status == .ok)
            #expect(String(buffer: ok.body) == "image/png")

            let svg = try await client.execute(uri: "/avatar", method: .post, headers: headers, body: Self.multipart([Self.file(Self.svg)]))
            #expect(svg.status == .unsupportedMediaType)
            #expect(String(buffer: svg.body) == "415 Unsupported Media Type: the file is not one of the accepted types (unsupportedType)\n")
            #expect(svg.headers[.xContentTypeOptions] == "nosniff")
            #expect(svg.headers[.contentType] == "text/plain; charset=utf-8")

            var json = headers
            json[.accept] = "application/json"
            let big = try await client.execute(
                uri: "/avatar",
                method: .post,
                headers: json,
                body: Self.multipart([Self.file(Self.png + [UInt8](repeating: 1, count: 300_000))])
            )
            #expect(big.status == .contentTooLarge)
            #expect(String(buffer: big.body) == #"{"error":"tooLarge","reason":"tooLarge","message":"the file is over the size limit"}"#)
            #expect(big.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}

@Suite("JSON bodies: size and depth limits, exact content types")
struct JSONBodyTests {
    struct Comment: Codable, Sendable, Equatable {
        var body: String
        var tags: [String]
    }

    static func request(_ body: String, contentType: String? = "application/json") -> Request {
        var fields = HTTPFields()
        if let contentType { fields[.contentType] = contentType }
        return Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "127.0.0.1", path: "/api", headerFields: fields),
            body: .init(buffer: ByteBuffer(string: body))
        )
    }

    static func nested(_ depth: Int) -> String {
        #"{"body":"x","tags":[],"deep":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
    }

    @Test("valid JSON decodes; brackets inside strings do not count as depth")
    func decodes() async throws {
        let text = String(repeating: "[{", count: 100)
        let comment = try await Self.request(#"{"body":"\#(text)\"]]","tags":["a"]}"#).decodeJSON(as: Comment.self)
        #expect(comment == Comment(body: text + "\"]]", tags: ["a"]))
        #expect(try await Self.request(Self.nested(64), contentType: "application/merge-patch+json").decodeJSON(as: Comment.self).body == "x")
    }

    @Test(
        "refusals, with status, reason and message",
        arguments: [
            (nested(65), "application/json", 400, "tooDeep", "the JSON nests deeper than 64 levels"),
            (String(repeating: "[", count: 100_000), "application/json", 400, "tooDeep", "the JSON nests deeper than 64 levels"),
            (#"{"body":"x"}"#, "application/json", 400, "malformedJSON", "missing field tags"),
            (#"{"body":1,"tags":[]}"#, "application/json", 400, "malformedJSON", "wrong type at body"),
            (#"{"body":"x","tags":[null]}"#, "application/json", 400, "malformedJSON", "null at tags.[0]"),
            (#"{"body":"x","tags":[]"#, "application/json", 400, "malformedJSON", "the body is not valid JSON"),
            ("", "application/json", 400, "malformedJSON", "the body is not valid JSON"),
            (#"{"body":"x","tags":[]}"#, "text/plain", 415, "unsupportedMediaType", "send Content-Type: application/json"),
            (#"{"body":"x","tags":[]}"#, "application/x-www-form-urlencoded", 415, "unsupportedMediaType", "send Content-Type: application/json"),
            (
                "{\"body\":\"" + String(repeating: "a", count: 1024 * 1024) + "\",\"tags\":[]}", "application/json", 413, "tooLarge",
                "the JSON body is over 1048576 bytes"
            ),
        ]
    )
    func refused(_ body: String, _ contentType: String, _ status: Int, _ reason: String, _ message: String) async {
        let error = await #expect(throws: RequestRefusal.self) { try await Self.request(body, contentType: contentType).decodeJSON(as: Comment.self) }
        #expect(error?.status.code == status)
        #expect(error?.reason == reason)
        #expect(error?.message == message)
    }

    @Test(
        "decoding errors never repeat the request's dictionary keys",
        arguments: [
            #"{"<script>alert(1)</script>": "x"}"#, #"{"secret-key-from-body": [1]}"#, #"{"ok": {"nested<img>": null}}"#,
        ]
    )
    func noEchoedKeys(_ body: String) async {
        let error = await #expect(throws: RequestRefusal.self) {
            try await Self.request(body).decodeJSON(as: [String: [String: Int]].self)
        }
        #expect(error?.reason == "malformedJSON")
        #expect(error?.message.contains("script") == false)
        #expect(error?.message.contains("secret") == false)
        #expect(error?.message.contains("img") == false)
        #expect(error?.message.hasSuffix("at *") == true || error?.message.contains("*.") == true, "\(error?.message ?? "")")
    }

    @Test("missing Content-Type is 415")
    func missingContentType() async {
        await #expect(
            throws: RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send Content-Type: application/json")
        ) {
            try await Self.request("{}", contentType: nil).decodeJSON(as: Comment.self)
        }
    }

    @Test("limits are configurable and validated")
    func limits() async throws {
        #expect(throws: SecurityConfigurationError.self) { try JSONLimits(maximumBytes: 0) }
        #expect(throws: SecurityConfigurationError.self) { try JSONLimits(maximumDepth: -1) }
        let small = try JSONLimits(maximumBytes: 16, maximumDepth: 1)
        await #expect(throws: RequestRefusal.tooLarge("the JSON body is over 16 bytes")) {
            try await Self.request(#"{"body":"xxxxxxxxxx","tags":[]}"#).decodeJSON(as: Comment.self, limits: small)
        }
        await #expect(throws: RequestRefusal.self) {
            try await Self.request(#"{"tags":[]}"#).decodeJSON(as: Comment.self, limits: try JSONLimits(maximumDepth: 1))
        }
    }

    @Test("JSON responses: exact content type, HTML-significant characters escaped; refusals as JSON")
    func responses() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)))
        router.get("/api/comments") { _, _ in
            JSONResponse([Comment(body: "</script><script>alert(1)</script>&\u{2028}", tags: ["a/b"])])
        }
        router.post("/api/comments") { request, _ in
            JSONResponse(status: .created, try await request.decodeJSON(as: Comment.self))
        }
        try await Application(router: router).test(.router) { client in
            let list = try await client.execute(uri: "/api/comments", method: .get)
            #expect(list.headers[.contentType] == "application/json; charset=utf-8")
            #expect(
                String(buffer: list.body)
                    == #"[{"body":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\u0026\u2028","tags":["a/b"]}]"#
            )

            let created = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"body":"hi","tags":[]}"#)
            )
            #expect(created.status == .created)
            #expect(String(buffer: created.body) == #"{"body":"hi","tags":[]}"#)

            let deep = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: Self.nested(200))
            )
            #expect(deep.status == .badRequest)
            #expect(deep.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: deep.body) == #"{"error":"badRequest","reason":"tooDeep","message":"the JSON nests deeper than 64 levels"}"#)
            #expect(deep.headers[.xFrameOptions] == "DENY")
        }
    }
}
