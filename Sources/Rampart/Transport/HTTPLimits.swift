import HTTPTypes

/// Limits and timeouts for what a client may send before the application sees a request:
/// the size of the header section and request target, and how fast the header section and
/// the body must arrive.
///
/// A framework adapter enforces them below the router, so every route and every error path
/// gets them (Hummingbird: `HTTPServerBuilder.rampartHTTP1(limits:headers:)`). The defaults
/// sit in the range nginx and gunicorn use:
///
/// | setting | default | nginx | gunicorn |
/// | --- | --- | --- | --- |
/// | ``maxHeaderBytes`` | 16 KiB | 8 KiB per line, 4 × 8 KiB buffers (`large_client_header_buffers`) | 8,190 bytes per field (`limit_request_field_size`) |
/// | ``maxHeaderFields`` | 100 | — | 100 (`limit_request_fields`) |
/// | ``maxTargetBytes`` | 8 KiB | 8 KiB (one buffer) | 4,094 bytes (`limit_request_line`) |
/// | ``headerTimeout`` | 30 s | 60 s (`client_header_timeout`) | 30 s (`timeout`) |
/// | ``bodyIdleTimeout`` | 30 s | 60 s between reads (`client_body_timeout`) | 30 s (`timeout`) |
/// | ``idleTimeout`` | 30 s | 75 s (`keepalive_timeout`) | 2 s (`keepalive`) |
/// | ``minimumBodyRate`` | 240 bytes/s after 5 s | — | — (ASP.NET Kestrel: 240 bytes/s after 5 s) |
///
/// What is refused, and how:
/// - a header section over ``maxHeaderBytes`` (each field counted as `name: value` plus its
///   CRLF, the request line not included) or with more than ``maxHeaderFields`` fields:
///   `431 Request Header Fields Too Large`;
/// - a request target (path and query) over ``maxTargetBytes``: `414 URI Too Long`;
/// - a header section not complete within ``headerTimeout`` of its first byte (slowloris):
///   `408 Request Timeout`, then the connection is closed;
/// - a body with no bytes for ``bodyIdleTimeout``, or whose average rate since it began falls
///   under ``minimumBodyRate`` once ``bodyRateGracePeriod`` has passed: `408`, then close.
///   Time the application itself is not reading (backpressure) is never held against the
///   client;
/// - a keep-alive connection idle for ``idleTimeout`` between requests is closed quietly.
///
/// Every value has a floor and a ceiling; ``validated()`` throws
/// ``SecurityConfigurationError`` naming the setting and the bad value, so a bad value refuses
/// to start.
///
/// See [RFC 9110 §15.5.9 (408)](https://www.rfc-editor.org/rfc/rfc9110#name-408-request-timeout),
/// [§15.5.15 (414)](https://www.rfc-editor.org/rfc/rfc9110#name-414-uri-too-long),
/// [RFC 6585 §5 (431)](https://www.rfc-editor.org/rfc/rfc6585#section-5) and
/// [MDN: 431](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/431).
public struct HTTPLimits: Sendable, Hashable {
    /// The most bytes of header fields, counted as `name: value\r\n` each: 16 KiB.
    /// Floor 4 KiB (room for a few cookies), ceiling 1 MiB.
    public var maxHeaderBytes: Int
    /// The most header fields: 100. Floor 16, ceiling 10,000.
    public var maxHeaderFields: Int
    /// The most bytes in the request target (path and query): 8 KiB. Floor 1 KiB, ceiling 1 MiB.
    public var maxTargetBytes: Int
    /// How long the header section may take from its first byte: 30 s. Floor 1 s, ceiling 10 min.
    public var headerTimeout: Duration
    /// The longest gap between two pieces of a body: 30 s. Floor 1 s, ceiling 10 min.
    public var bodyIdleTimeout: Duration
    /// The slowest average body rate allowed, in bytes per second, once
    /// ``bodyRateGracePeriod`` has passed: 240. Floor 1, ceiling 100 MB/s.
    public var minimumBodyRate: Int
    /// How long a body may run before ``minimumBodyRate`` applies: 5 s. Floor 1 s, ceiling 10 min.
    public var bodyRateGracePeriod: Duration
    /// How long a keep-alive connection may sit idle between requests: 30 s. Floor 1 s,
    /// ceiling 10 min.
    public var idleTimeout: Duration

    /// The defaults described above.
    public static let standard = HTTPLimits()

    /// Creates limits; every argument defaults to ``standard``'s value. Call ``validated()``
    /// (adapters do) to refuse out-of-range values.
    public init(
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderFields: Int = 100,
        maxTargetBytes: Int = 8 * 1024,
        headerTimeout: Duration = .seconds(30),
        bodyIdleTimeout: Duration = .seconds(30),
        minimumBodyRate: Int = 240,
        bodyRateGracePeriod: Duration = .seconds(5),
        idleTimeout: Duration = .seconds(30)
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxTargetBytes = maxTargetBytes
        self.headerTimeout = headerTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.minimumBodyRate = minimumBodyRate
        self.bodyRateGracePeriod = bodyRateGracePeriod
        self.idleTimeout = idleTimeout
    }

    /// These limits, checked against their floors and ceilings.
    /// - Throws: ``SecurityConfigurationError`` with ``SecurityConfigurationError/Reason/invalidValue``,
    ///   naming the setting and the bad value.
    public func validated() throws -> HTTPLimits {
        try Self.check("maxHeaderBytes", maxHeaderBytes, 4 * 1024...1024 * 1024, unit: "bytes")
        try Self.check("maxHeaderFields", maxHeaderFields, 16...10_000, unit: "fields")
        try Self.check("maxTargetBytes", maxTargetBytes, 1024...1024 * 1024, unit: "bytes")
        try Self.check("minimumBodyRate", minimumBodyRate, 1...100_000_000, unit: "bytes per second")
        for (name, value) in [
            ("headerTimeout", headerTimeout), ("bodyIdleTimeout", bodyIdleTimeout),
            ("bodyRateGracePeriod", bodyRateGracePeriod), ("idleTimeout", idleTimeout),
        ] {
            guard value >= .seconds(1), value <= .seconds(600) else {
                throw SecurityConfigurationError(setting: name, value: "\(value)", reason: .invalidValue, message: "must be 1 s to 600 s")
            }
        }
        return self
    }

    private static func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>, unit: String) throws {
        guard range.contains(value) else {
            throw SecurityConfigurationError(
                setting: name,
                value: String(value),
                reason: .invalidValue,
                message: "must be \(range.lowerBound) to \(range.upperBound) \(unit)"
            )
        }
    }

    /// The bytes a header section is counted as: each field's `name: value` plus CRLF.
    /// - Returns: `nil` when the fields are within ``maxHeaderBytes`` and ``maxHeaderFields``,
    ///   otherwise the refusal.
    public func checkHeaderSection(fieldCount: Int, bytes: Int) -> RequestRefusal? {
        if fieldCount > maxHeaderFields { return .tooManyHeaderFields(limit: maxHeaderFields) }
        if bytes > maxHeaderBytes { return .headerSectionTooLarge(limit: maxHeaderBytes) }
        return nil
    }

    /// The refusal for a parsed request head over these limits: a target (path and query) over
    /// ``maxTargetBytes`` (414), or a header section over ``maxHeaderBytes`` or
    /// ``maxHeaderFields`` (431), each field counted as `name: value` plus CRLF. `nil` within
    /// them. Both adapters check the parsed head this way (Hummingbird in its channel handler,
    /// Vapor in its security middleware).
    ///
    /// See [RFC 6585 §5](https://www.rfc-editor.org/rfc/rfc6585#section-5).
    public func refusal(for head: HTTPRequest) -> RequestRefusal? {
        if let path = head.path, path.utf8.count > maxTargetBytes {
            return .targetTooLong(limit: maxTargetBytes)
        }
        var bytes = 0
        for field in head.headerFields {
            bytes += field.name.rawName.utf8.count + field.value.utf8.count + 4
        }
        return checkHeaderSection(fieldCount: head.headerFields.count, bytes: bytes)
    }
}
