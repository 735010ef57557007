import NIOCore
import NIOHTTP1
import Rampart
import RampartVapor
import Testing
import Vapor
import VaporTesting

@Suite("Uploads (Vapor)")
struct UploadsTests {
    static let png: [UInt8] =
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52] + [UInt8](repeating: 7, count: 200)
    static let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
    static let html = Array("<!doctype html><script>alert(document.cookie)</script>".utf8)
    static let polyglot = png + Array("<script>alert(1)</script>".utf8)

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

    static func withUploadApp(_ body: (Application) async throws -> Void) async throws {
        try await withApp { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            let policy = try UploadPolicy(maximumBytes: 64 * 1024)
            app.on(.POST, "upload", body: .stream) { req async throws -> String in
                let form = try await req.multipartForm(policy: policy)
                let file = try #require(form.file("file"))
                return "\(file.type.mediaType) \(file.bytes.readableBytes) \(form.value("title") ?? "-") \(file.storedName.utf8.count)"
            }
            app.get("download") { _ in Response.safeDownload(Self.png, type: .png, fileName: "../../x\".html") }
            try await body(app)
        }
    }

    /// Label, content type, body → status and reason.
    static let refusals: [(String, String, ByteBuffer, HTTPResponseStatus, String)] = [
        (
            "HTML named .png", "multipart/form-data; boundary=b0undary", multipart([file(html, filename: "x.png")]), .unsupportedMediaType,
            "unsupportedType"
        ),
        (
            "SVG with a script", "multipart/form-data; boundary=b0undary", multipart([file(svg, filename: "x.svg")]), .unsupportedMediaType,
            "unsupportedType"
        ),
        ("PNG/HTML polyglot", "multipart/form-data; boundary=b0undary", multipart([file(polyglot)]), .unsupportedMediaType, "polyglot"),
        ("empty file", "multipart/form-data; boundary=b0undary", multipart([file([])]), .badRequest, "empty"),
        (
            "file over the policy", "multipart/form-data; boundary=b0undary", multipart([file(png + [UInt8](repeating: 0, count: 64 * 1024))]),
            .payloadTooLarge, "tooLarge"
        ),
        ("two files", "multipart/form-data; boundary=b0undary", multipart([file(png), file(png, field: "other")]), .payloadTooLarge, "tooLarge"),
        (
            "non-ASCII part header name (multipart-kit's trap)", "multipart/form-data; boundary=b0undary",
            ByteBuffer(string: "--b0undary\r\nN\u{E9}: x\r\n\r\nv\r\n--b0undary--\r\n"), .badRequest, "malformedMultipart"
        ),
        (
            "truncated body", "multipart/form-data; boundary=b0undary",
            ByteBuffer(string: "--b0undary\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc"), .badRequest, "malformedMultipart"
        ),
        ("form-urlencoded", "application/x-www-form-urlencoded", ByteBuffer(string: "a=b"), .unsupportedMediaType, "unsupportedMediaType"),
        ("no boundary", "multipart/form-data", multipart([file(png)]), .badRequest, "malformedMultipart"),
        (
            "boundary over 70", "multipart/form-data; boundary=" + String(repeating: "b", count: 71), multipart([file(png)]), .badRequest,
            "malformedMultipart"
        ),
    ]

    @Test("refused uploads: the same status and reason as on Hummingbird, with the security headers", arguments: refusals)
    func refused(label: String, contentType: String, body: ByteBuffer, status: HTTPResponseStatus, reason: String) async throws {
        try await Self.withUploadApp { app in
            let headers: HTTPHeaders = ["Host": "localhost", "Accept": "application/json", "Content-Type": contentType]
            let response = try await app.testing().sendRequest(.POST, "/upload", headers: headers, body: body)
            #expect(response.status == status, "\(label)")
            #expect(response.body.string.contains("\"reason\":\"\(reason)\""), "\(label): \(response.body.string)")
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }

    @Test("an accepted upload is typed by its bytes and stored under a random name; a download is an attachment")
    func accepted() async throws {
        try await Self.withUploadApp { app in
            let tester = try app.testing()
            let body = Self.multipart([
                Self.file(Self.png, filename: "../../etc/x.html"), ("Content-Disposition: form-data; name=\"title\"", Array("héllo".utf8)),
            ])
            let headers: HTTPHeaders = ["Host": "localhost", "Content-Type": "multipart/form-data; boundary=b0undary"]
            let response = try await tester.sendRequest(.POST, "/upload", headers: headers, body: body)
            #expect(response.status == .ok)
            #expect(response.body.string == "image/png \(Self.png.count) héllo 22")

            let download = try await tester.sendRequest(.GET, "/download", headers: ["Host": "localhost"])
            #expect(download.headers.first(name: "Content-Type") == "image/png")
            #expect(download.headers.first(name: "Content-Disposition")?.hasPrefix("attachment; filename=") == true)
            #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(Array(download.body.readableBytesView) == Self.png)
        }
    }
}
