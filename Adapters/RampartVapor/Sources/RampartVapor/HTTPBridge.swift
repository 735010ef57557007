import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Rampart
import Vapor

// Rampart's core speaks HTTPTypes (`HTTPRequest`, `HTTPFields`), Vapor 4 speaks NIOHTTP1
// (`HTTPHeaders`, `HTTPResponseStatus`). These conversions are swift-nio-extras' own
// (`NIOHTTPTypesHTTP1`), the ones Hummingbird's HTTP/1 server uses, so a request reaches the
// core's checks in the same shape on both frameworks: the first `Host` field becomes the
// authority and any later one stays a field, which is how a duplicated `Host` is refused.

extension Request {
    /// This request as the core's checks read it: method, authority (`Host`), path and fields.
    ///
    /// - Returns: `nil` when the method or target cannot be expressed as an `HTTPRequest`
    ///   (answered 400 by ``RampartSecurityMiddleware``).
    var rampartHead: HTTPRequest? {
        let head = HTTPRequestHead(version: version, method: method, uri: url.string, headers: headers)
        return try? HTTPRequest(head, secure: false, splitCookie: false)
    }

    /// The socket's peer, never a forwarded address.
    ///
    /// Vapor's `peerAddress` believes `Forwarded` and `X-Forwarded-For` from any client; Rampart
    /// believes them only from a trusted proxy (``TransportSecurity``), so it starts from the
    /// connection itself.
    var rampartPeer: IPAddress? {
        remoteAddress?.ipAddress.flatMap { IPAddress($0) }
    }
}

extension HTTPResponseStatus {
    /// The same status in HTTPTypes.
    var rampartStatus: HTTPResponse.Status {
        HTTPResponse.Status(code: Int(code), reasonPhrase: reasonPhrase)
    }
}

extension HTTPResponse.Status {
    /// The same status in NIOHTTP1.
    var vaporStatus: HTTPResponseStatus {
        HTTPResponseStatus(statusCode: code, reasonPhrase: reasonPhrase)
    }
}

extension Response {
    /// Runs `body` on this response's headers as `HTTPFields`, and writes them back.
    ///
    /// A field whose name HTTPTypes refuses (not an RFC 9110 token) does not survive the round
    /// trip: Vapor would have sent it as it was, which no client should be sent.
    func withRampartFields(_ body: (inout HTTPFields) -> Void) {
        var fields = HTTPFields(headers, splitCookie: false)
        body(&fields)
        headers = HTTPHeaders(fields)
    }
}
