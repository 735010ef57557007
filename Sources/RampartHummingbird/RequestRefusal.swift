import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Rampart

/// A request refused for its content: a 400, 413 or 415 with a stable reason code and a short
/// message, as JSON when the client prefers it and as plain text otherwise.
///
/// Thrown by ``Hummingbird/Request/decodeJSON(as:limits:)``,
/// ``Hummingbird/Request/multipartForm(policy:limits:)`` and
/// ``Hummingbird/Request/collectUpload(policy:)``. The message never echoes the request's bytes.
///
/// See [MDN: 413 Content Too Large](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/413)
/// and [MDN: 415 Unsupported Media Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/415).
public struct RequestRefusal: HTTPResponseError, Hashable, Sendable, CustomStringConvertible {
    /// The status sent.
    public let status: HTTPResponse.Status
    /// The stable reason code, such as `tooLarge` or `tooDeep`.
    public let reason: String
    /// One short sentence for people.
    public let message: String

    /// Creates a refusal.
    public init(status: HTTPResponse.Status, reason: String, message: String) {
        self.status = status
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(status.code) \(reason): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let accept = request.headers[values: .accept].joined(separator: ",").lowercased()
        let media = request.headers[.contentType].map { HeaderGrammar.asciiLowercased($0.prefix { $0 != ";" }).trimmingSpaces }
        let wantsJSON = (accept.contains("json") && !accept.contains("text/html")) || (accept.isEmpty && media == "application/json")
        let body: String
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if wantsJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = JSONForHTML.escape((try? encoder.encode(["error": reason, "reason": message])) ?? Data())
            headers[.contentType] = "application/json; charset=utf-8"
        } else {
            body = "\(status.code) \(status.reasonPhrase): \(message) (\(reason))\n"
            headers[.contentType] = "text/plain; charset=utf-8"
        }
        let buffer = ByteBuffer(string: body)
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// A body over its size limit: 413.
    public static func tooLarge(_ message: String) -> RequestRefusal {
        RequestRefusal(status: .contentTooLarge, reason: "tooLarge", message: message)
    }

    /// An upload refused by ``UploadPolicy``.
    public init(_ refusal: UploadRefusal) {
        let message = switch refusal {
        case .tooLarge: "the file is over the size limit"
        case .empty: "the file is empty"
        case .polyglot: "the file holds markup a browser could run"
        default: "the file is not one of the accepted types"
        }
        self.init(status: refusal.status, reason: refusal.reason, message: message)
    }
}
