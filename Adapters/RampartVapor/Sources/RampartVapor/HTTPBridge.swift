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
    ///
    /// Converted once per request: ``RampartSecurityMiddleware`` keeps its conversion for the
    /// session and CSRF middleware (the request's headers do not change on the way in).
    var rampartHead: HTTPRequest? {
        if let state = storage[RampartRequestState.Key.self], let head = state.head { return head }
        return convertedHead
    }

    /// A fresh conversion of the request line and headers.
    var convertedHead: HTTPRequest? {
        let head = HTTPRequestHead(version: version, method: method, uri: url.string, headers: headers)
        return try? HTTPRequest(head, secure: false, splitCookie: false)
    }

    /// The request's header fields as the core reads them (the cached conversion when there is one).
    var rampartFields: HTTPFields {
        rampartHead?.headerFields ?? HTTPFields(headers, splitCookie: false)
    }

    /// The socket's peer, never a forwarded address.
    ///
    /// Vapor's `peerAddress` believes `Forwarded` and `X-Forwarded-For` from any client; Rampart
    /// believes them only from a trusted proxy (`TransportSecurity`), so it starts from the
    /// connection itself.
    var rampartPeer: IPAddress? {
        // Read from the socket address's bytes (`sockaddr_in`: the address at offset 4;
        // `sockaddr_in6`: at offset 8), not by parsing `ipAddress`'s text.
        guard let remote = remoteAddress else { return nil }
        let family = remote.protocol
        return remote.withSockAddr { pointer, size -> IPAddress? in
            let raw = UnsafeRawBufferPointer(start: pointer, count: size)
            if family == .inet, size >= 8 {
                return IPAddress(ipv4: UInt32(raw[4]) << 24 | UInt32(raw[5]) << 16 | UInt32(raw[6]) << 8 | UInt32(raw[7]))
            }
            if family == .inet6, size >= 24 {
                return IPAddress(ipv6Bytes: raw[8..<24])
            }
            return nil
        }
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
