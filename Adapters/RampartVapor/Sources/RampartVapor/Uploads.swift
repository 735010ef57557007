import HTTPTypes
import NIOCore
import NIOHTTP1
import Rampart
// The form types live in the shared target; re-exported so `import RampartVapor` brings them.
@_exported import RampartMultipart
import Vapor

extension Request {
    /// Reads a `multipart/form-data` body under an `UploadPolicy`, with the same reader and the
    /// same refusals as on Hummingbird: every file is typed by its bytes (never its name or
    /// declared type), HTML, SVG and polyglots are refused, part counts and sizes are limited,
    /// and the body stops being read as soon as it passes the limit. Vapor's own
    /// `FormDataDecoder` runs on multipart-kit 4.7.1, which traps (stops the process) on a part
    /// header name byte of 0x80 or more; this reader refuses such a body with 400 first.
    ///
    /// Register the route with `body: .stream` so the body streams through the limits instead
    /// of being collected by Vapor first.
    /// - Throws: `RequestRefusal` (415, 413, 400 with their reasons).
    ///
    /// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578) and
    /// [OWASP File Upload Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html).
    public func multipartForm(policy: UploadPolicy, limits: MultipartLimits = .standard) async throws -> MultipartForm {
        if let scanned = storage[RampartCSRFMiddleware.ScannedBodyKey.self] {
            return try await MultipartReader.readForm(
                contentType: headers.first(name: "Content-Type"),
                contentLength: headers.first(name: "Content-Length"),
                body: scanned,
                policy: policy,
                limits: limits
            )
        }
        return try await MultipartReader.readForm(
            contentType: headers.first(name: "Content-Type"),
            contentLength: headers.first(name: "Content-Length"),
            body: body,
            policy: policy,
            limits: limits
        )
    }
}

extension Response {
    /// A stored upload sent back as a download, never rendered inline: the type Rampart
    /// detected, `Content-Disposition: attachment` with a safe file name (and an RFC 8187
    /// `filename*`), `X-Content-Type-Options: nosniff`, a sandboxing CSP and `no-store`
    /// (`SafeDownload.headers`).
    ///
    /// See [MDN: Content-Disposition](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Disposition).
    public static func safeDownload(_ bytes: some Collection<UInt8>, type: UploadType, fileName: String) -> Response {
        let fields = SafeDownload.headers(for: type, fileName: fileName)
        return Response(status: .ok, headers: HTTPHeaders(fields.map { ($0.name.rawName, $0.value) }), body: .init(data: Data(bytes)))
    }
}
