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
        let media = contentMediaType
        guard let media, media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json")) else {
            throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send Content-Type: application/json")
        }
        let bytes = try await collectBody(limit: limits.maximumBytes, what: "the JSON body")
        if limits.exceedsDepth(bytes.readableBytesView) {
            throw RequestRefusal(status: .badRequest, reason: "tooDeep", message: "the JSON nests deeper than \(limits.maximumDepth) levels")
        }
        do {
            return try decoder.decode(T.self, from: Data(bytes.readableBytesView))
        } catch let error as DecodingError {
            throw RequestRefusal(status: .badRequest, reason: "malformedJSON", message: Self.explain(error))
        } catch {
            throw RequestRefusal(status: .badRequest, reason: "malformedJSON", message: "the body is not valid JSON")
        }
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
        try await collectBody(limit: limit, what: what, inspect: { _ in nil })
    }

    /// A short reason for a decoding failure: the path and the kind of error, with field names
    /// from the app's own `CodingKeys` only. A key the decoder made up from the request (a
    /// dictionary key, Foundation's internal `_CodingKey`/`_JSONKey` types) is shown as `*`, and
    /// array indices as `[n]`, so no request bytes are echoed.
    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty
                ? "the top level"
                : keys.map { key in
                    if let index = key.intValue { return "[\(index)]" }
                    let fromRequest =
                        String(describing: type(of: key)).hasPrefix("_")
                        || !key.stringValue.utf8.allSatisfy { HeaderGrammar.isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
                        || key.stringValue.utf8.count > 64
                    return fromRequest ? "*" : key.stringValue
                }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context): return "null at \(path(context.codingPath))"
        case .dataCorrupted(let context) where !context.codingPath.isEmpty: return "bad value at \(path(context.codingPath))"
        default: return "the body is not valid JSON"
        }
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
