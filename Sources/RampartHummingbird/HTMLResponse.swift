import HTTPTypes
import Hummingbird

/// An HTML response body, sent as `text/html; charset=utf-8`.
///
/// The text is sent as it is: build it with a template layer that escapes. Hummingbird's
/// `String` responses are `text/plain`, which is why HTML needs its own generator.
///
/// See [MDN: Content-Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Type).
public struct HTMLResponse: ResponseGenerator, Sendable {
    /// The status to send.
    public var status: HTTPResponse.Status
    /// The HTML document or fragment.
    public var html: String

    /// Creates an HTML response.
    public init(status: HTTPResponse.Status = .ok, html: String) {
        self.status = status
        self.html = html
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        let buffer = ByteBuffer(string: html)
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer)
        )
    }
}
