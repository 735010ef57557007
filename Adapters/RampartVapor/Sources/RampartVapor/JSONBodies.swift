import Foundation
import NIOCore
import NIOHTTP1
import Rampart
import Vapor

extension Request {
    /// Reads and decodes a JSON body under `JSONLimits`, the same way as on Hummingbird.
    ///
    /// - Throws: `RequestRefusal`: 415 `unsupportedMediaType` unless the `Content-Type` is
    ///   `application/json` (or a `+json` type); 413 `tooLarge` past the size limit (at once for a
    ///   larger `Content-Length`); 400 `tooDeep` past the depth limit, before any decoding; 400
    ///   `malformedJSON` for bytes that are not JSON or do not fit `T`, naming the field by the
    ///   app's own keys only.
    ///
    /// See [RFC 8259 §9](https://www.rfc-editor.org/rfc/rfc8259#section-9) and
    /// [MDN: Content-Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Type).
    public func decodeJSON<T: Decodable>(as type: T.Type, limits: JSONLimits = .standard, decoder: JSONDecoder = JSONDecoder()) async throws -> T {
        try JSONLimits.requireJSONMediaType(headers.first(name: "Content-Type"))
        if let declared = headers.first(name: "Content-Length").flatMap({ Int($0) }), declared > limits.maximumBytes {
            throw limits.tooLarge
        }
        let body: ByteBuffer
        do {
            body = try await self.body.collect(max: limits.maximumBytes).get() ?? ByteBuffer()
        } catch let abort as any AbortError where abort.status == .payloadTooLarge {
            throw limits.tooLarge
        }
        return try limits.decode(T.self, from: body.readableBytesView, decoder: decoder)
    }
}

/// A JSON response, sent as `application/json; charset=utf-8`, with `<`, `>`, `&`, U+2028 and
/// U+2029 escaped so the body is inert even if a browser is tricked into reading it as HTML.
///
/// See [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259) and
/// [MDN: X-Content-Type-Options](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Content-Type-Options).
public struct JSONResponse<Value: Encodable & Sendable>: AsyncResponseEncodable, Sendable {
    /// The status, `200 OK` by default.
    public var status: HTTPResponseStatus
    /// The value to encode.
    public var value: Value

    /// A response for `value`.
    public init(status: HTTPResponseStatus = .ok, _ value: Value) {
        self.status = status
        self.value = value
    }

    public func encodeResponse(for request: Request) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = JSONForHTML.escape(try encoder.encode(value))
        return Response(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(string: json))
    }
}
