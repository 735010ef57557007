import Foundation
import NIOCore
import NIOPosix

/// One HTTP/1.1 response, as bytes on the wire gave it.
public struct ConformanceResponse: Sendable {
    /// The status code.
    public let status: Int
    /// Every header field, in order.
    public let headers: [(name: String, value: String)]
    /// The body (chunked transfer coding removed).
    public let body: String

    /// The first value of a header field (names compare case-insensitively).
    public func header(_ name: String) -> String? { headers(name).first }

    /// Every value of a header field.
    public func headers(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// The `reason` of a JSON refusal body (`{"error":…,"reason":"…"}`).
    public var refusalReason: String? {
        guard let start = body.firstRange(of: "\"reason\":\"")?.upperBound else { return nil }
        return String(body[start...].prefix { $0 != "\"" })
    }
}

/// A raw HTTP/1.1 client over real sockets: it sends exactly the bytes it is told (no `Host`
/// or other header of its own), from a chosen loopback source address, so a case can act as a
/// trusted proxy (`127.0.0.1`) or an untrusted one (`127.0.0.2`).
///
/// See [RFC 9112](https://www.rfc-editor.org/rfc/rfc9112).
public struct ConformanceClient: Sendable {
    /// The server's port on 127.0.0.1.
    public let port: Int

    public init(port: Int) {
        self.port = port
    }

    /// An error of the client itself, not an HTTP answer.
    public struct ClientError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends one request with `Connection: close` (and `Content-Length` when there is a body)
    /// and reads the whole response.
    public func send(
        _ method: String,
        _ target: String,
        headers: [(String, String)],
        body: [UInt8] = [],
        from source: String = "127.0.0.1"
    ) async throws -> ConformanceResponse {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        let raw = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try await Self.exchange(bytes, port: port, source: source) }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let first else { throw ClientError(description: "no complete response within 20 s: \(method) \(target)") }
            return first
        }
        return try Self.parse(raw)
    }

    static func exchange(_ request: [UInt8], port: Int, source: String) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: request))
            var received: [UInt8] = []
            for try await chunk in inbound { received += chunk.readableBytesView }
            return received
        }
    }

    static func parse(_ raw: [UInt8]) throws -> ConformanceResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.firstRange(of: separator) else {
            throw ClientError(description: "no header section in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw ClientError(description: "bad status line: \(lines[0])")
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(raw[end.upperBound...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        } else if let length = headers.first(where: { $0.0.lowercased() == "content-length" }).flatMap({ Int($0.1) }), length <= body.count {
            body = Array(body.prefix(length))
        }
        return ConformanceResponse(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = bytes[i...].firstRange(of: [13, 10]) else { break }
            let sizeText = String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw ClientError(description: "bad chunk size")
            }
            i = lineEnd.upperBound
            if size == 0 { break }
            guard i + size <= bytes.count else { throw ClientError(description: "truncated chunk") }
            out += bytes[i..<(i + size)]
            i += size + 2
        }
        return out
    }
}
