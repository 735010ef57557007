import HTTPTypes

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONLimits {
    /// Refuses a request whose `Content-Type` is not JSON (`application/json` or any
    /// `application/*+json`) with 415, before its body is read.
    ///
    /// See [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259) and
    /// [RFC 6839 §3.1](https://www.rfc-editor.org/rfc/rfc6839#section-3.1) (`+json`).
    public static func requireJSONMediaType(_ contentType: String?) throws(RequestRefusal) {
        let media = contentType.map(MediaType.essence(of:))
        guard let media, media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json")) else {
            throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send Content-Type: application/json")
        }
    }

    /// The refusal for a JSON body over ``maximumBytes``: 413 `tooLarge`.
    public var tooLarge: RequestRefusal {
        RequestRefusal.tooLarge("the JSON body is over \(maximumBytes) bytes")
    }

    /// Decodes a JSON body that is within ``maximumBytes`` (the adapter checked while reading
    /// it): refused with 400 `tooDeep` past ``maximumDepth``, before the decoder sees it, and
    /// with 400 `malformedJSON` when it does not decode, with a reason that names the field by
    /// the app's own keys only (no request bytes are echoed).
    public func decode<T: Decodable>(
        _ type: T.Type,
        from bytes: some Collection<UInt8>,
        decoder: JSONDecoder = JSONDecoder()
    ) throws(RequestRefusal) -> T {
        if exceedsDepth(bytes) {
            throw RequestRefusal(status: .badRequest, reason: "tooDeep", message: "the JSON nests deeper than \(maximumDepth) levels")
        }
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw RequestRefusal(status: .badRequest, reason: "malformedJSON", message: Self.explain(error))
        } catch {
            throw RequestRefusal(status: .badRequest, reason: "malformedJSON", message: "the body is not valid JSON")
        }
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
