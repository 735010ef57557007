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

extension Request {
    /// The socket's peer address, never a forwarded one: what `TransportSecurity`'s trusted-proxy
    /// rules start from (Vapor's `peerAddress` believes `X-Forwarded-For` from anyone).
    ///
    /// See [RFC 7239](https://www.rfc-editor.org/rfc/rfc7239).
    public var rampartPeerAddress: IPAddress? { rampartPeer }

    /// The request's header fields in HTTPTypes, as Rampart's core reads them.
    ///
    /// See [RFC 9110 §5](https://www.rfc-editor.org/rfc/rfc9110#section-5).
    public var rampartHeaderFields: HTTPFields { rampartFields }

    /// Collects the body under a limit: 413 at once for a larger `Content-Length`, and 413 as
    /// soon as the bytes pass the limit (register the route with `body: .stream` so Vapor does
    /// not collect it first under its own limit).
    /// - Parameters:
    ///   - limit: The most bytes accepted.
    ///   - what: Names the body in the refusal ("the form is over 16384 bytes").
    /// - Throws: `RequestRefusal` `tooLarge` (413).
    ///
    /// See [RFC 9110 §15.5.14: 413 Content Too Large](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14).
    public func collectBody(limit: Int, what: String) async throws -> ByteBuffer {
        if let declared = headers.first(name: "Content-Length").flatMap({ Int($0) }), declared > limit {
            throw RequestRefusal.tooLarge("\(what) is over \(limit) bytes")
        }
        if let scanned = storage[RampartCSRFMiddleware.ScannedBodyKey.self] {
            // The CSRF check began to read this body (a multipart form): read on from there.
            var collected = ByteBuffer()
            for try await var chunk in scanned {
                guard collected.readableBytes + chunk.readableBytes <= limit else {
                    throw RequestRefusal.tooLarge("\(what) is over \(limit) bytes")
                }
                collected.writeBuffer(&chunk)
            }
            return collected
        }
        do {
            return try await body.collect(max: limit).get() ?? ByteBuffer()
        } catch let abort as any AbortError where abort.status == .payloadTooLarge {
            throw RequestRefusal.tooLarge("\(what) is over \(limit) bytes")
        }
    }
}

extension Response {
    /// A response from Rampart's HTTPTypes values (what framework-free code such as the
    /// reference board returns).
    ///
    /// See [RFC 9110 §15](https://www.rfc-editor.org/rfc/rfc9110#section-15).
    public convenience init(rampartStatus status: HTTPResponse.Status, headerFields: HTTPFields, body: ByteBuffer) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(headerFields.count)
        for field in headerFields { headers.add(name: field.name.rawName, value: field.value) }
        self.init(status: status.vaporStatus, headers: headers, body: .init(buffer: body))
    }
}
