import HTTPTypes
import Hummingbird
import Rampart

/// A route handler that receives CSP violation reports in both formats browsers send
/// (`application/csp-report` from `report-uri`, `application/reports+json` from `report-to`),
/// reads them with `CSPViolation.parseReports(_:)` and hands them to your code.
///
/// ```swift
/// let reports = try CSPReportReceiver<AppContext> { violations, request, context in
///     for violation in violations { context.logger.notice("CSP", metadata: ["directive": "\(violation.directive)"]) }
/// }
/// router.post("/csp-reports", use: reports.handle)
/// ```
///
/// It answers 204 once the reports are recorded; 415 `unsupportedMediaType` for another media
/// type, 413 `tooLarge` over ``maximumBytes``, 400 `malformedReport` for a body that is not a
/// report: all `RequestRefusal`s. Browsers send reports without cookies or CSRF tokens, so
/// exempt the route from ``CSRFMiddleware`` (`.path("/csp-reports", reason: …)`), and budget
/// what you store per client: anyone can post here.
///
/// See [MDN: Content-Security-Policy report-to](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-to)
/// and [W3C Reporting API](https://w3c.github.io/reporting/).
public struct CSPReportReceiver<Context: RequestContext>: Sendable {
    /// What is done with the reports of one request (one for `report-uri`, up to 100 for
    /// `report-to`).
    public typealias Record = @Sendable ([CSPViolation], Request, Context) async throws -> Void

    /// The media types accepted: `application/csp-report`, `application/reports+json` and
    /// `application/json` (sent by some older browsers).
    public static var mediaTypes: Set<String> { CSPViolation.reportMediaTypes }

    /// The largest body read, in bytes: 64 KiB by default.
    public let maximumBytes: Int
    let record: Record

    /// Creates a receiver.
    /// - Throws: `SecurityConfigurationError` naming `maximumReportBytes` when it is not 1 to
    ///   1 MiB.
    public init(maximumBytes: Int = 64 * 1024, record: @escaping Record) throws(SecurityConfigurationError) {
        guard (1...1024 * 1024).contains(maximumBytes) else {
            throw SecurityConfigurationError(
                setting: "maximumReportBytes",
                value: String(maximumBytes),
                reason: .invalidValue,
                message: "must be 1 to 1048576 bytes"
            )
        }
        self.maximumBytes = maximumBytes
        self.record = record
    }

    /// Reads, checks and records the reports of one request; 204 No Content.
    public func handle(_ request: Request, context: Context) async throws -> Response {
        let reports = try await CSPViolation.receive(contentType: request.headers[.contentType], maximumBytes: maximumBytes) { limit in
            try await request.collectBody(limit: limit, what: "the report").readableBytesView
        }
        try await record(reports, request, context)
        return Response(status: .noContent)
    }
}
