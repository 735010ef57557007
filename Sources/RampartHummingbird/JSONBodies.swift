import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Rampart

extension Request {
    /// Reads and decodes a JSON body under `JSONLimits`.
    ///
    /// - Throws: `RequestRefusal`: 415 `unsupportedMediaType` unless the `Content-Type` is
    ///   `application/json` (or a `+json` type); 413 `tooLarge` past the size limit, as soon as
    ///   it is known; 400 `tooDeep` past the depth limit; 400 `malformedJSON` for bytes that
    ///   are not JSON or do not fit `T`.
    ///
    /// See [MDN: Content-Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Type).
    public func decodeJSON<T: Decodable>(as type: T.Type, limits: JSONLimits = .standard, decoder: JSONDecoder = JSONDecoder()) async throws -> T {
        try JSONLimits.requireJSONMediaType(headers[.contentType])
        let bytes = try await collectBody(limit: limits.maximumBytes, what: "the JSON body")
        return try limits.decode(T.self, from: bytes.readableBytesView, decoder: decoder)
    }

    /// Collects the body under a limit: 413 at once for a larger `Content-Length`, and 413 as soon
    /// as the streamed bytes pass the limit, without reading the rest.
    /// - Parameters:
    ///   - limit: The most bytes accepted.
    ///   - what: Names the body in the refusal ("the form is over 16384 bytes").
    /// - Throws: `RequestRefusal` `tooLarge` (413).
    ///
    /// See [RFC 9110 §15.5.14: 413 Content Too Large](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14).
    public func collectBody(limit: Int, what: String) async throws -> ByteBuffer {
        try await collectBody(limit: limit, what: what, inspect: nil)
    }
}

/// A JSON response, sent as `application/json; charset=utf-8`, with `<`, `>`, `&`, U+2028 and
/// U+2029 escaped so the body is inert even if a browser is tricked into reading it as HTML.
///
/// See [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259) and
/// [MDN: X-Content-Type-Options](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Content-Type-Options).
public struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator, Sendable {
    /// The status to send.
    public var status: HTTPResponse.Status
    /// The value encoded.
    public var value: Value

    /// Creates a JSON response.
    public init(status: HTTPResponse.Status = .ok, _ value: Value) {
        self.status = status
        self.value = value
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = JSONForHTML.escape(try encoder.encode(value))
        let buffer = ByteBuffer(string: json)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer)
        )
    }
}

extension Request {
    /// The media type of `Content-Type` without its parameters, ASCII-lower-cased and trimmed
    /// (`Application/JSON; charset=utf-8` → `application/json`), or `nil` without the header.
    ///
    /// See [RFC 9110 §8.3.1: media type](https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1).
    public var contentMediaType: String? {
        headers[.contentType].map(MediaType.essence(of:))
    }

    /// The first value of a query parameter, decoded the way browsers encode GET forms
    /// (`application/x-www-form-urlencoded`: `+` is a space, `%2B` a plus). Hummingbird's
    /// `queryParameters` leaves `+` as it is, so a search for "a b" would read "a+b".
    ///
    /// See [URL Standard §5.1](https://url.spec.whatwg.org/#urlencoded-parsing).
    public func formQueryValue(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        return URLEncodedForm.values(named: name, in: query.utf8).first
    }
}
