import HTTPTypes
import Hummingbird
import Rampart

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

    /// Creates an HTML response from trusted markup: what `Markup` interpolation built, with
    /// every interpolated value escaped.
    public init(_ markup: Markup, status: HTTPResponse.Status = .ok) {
        self.status = status
        self.html = markup.html
    }

    /// Creates an HTML response from a string sent as it is, unescaped: only for text a
    /// template layer that escapes already produced.
    public init(unsafeRaw html: String, status: HTTPResponse.Status = .ok) {
        self.status = status
        self.html = html
    }

    /// Creates an HTML response from a string sent as it is (same as ``init(unsafeRaw:status:)``).
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
