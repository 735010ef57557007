import HTTPTypes

/// The `Reporting-Endpoints` header: named URLs that browsers send reports to, used by CSP's
/// `report-to` and by COOP and COEP reporting.
///
/// Endpoints are rendered in the order given, as a structured-field dictionary:
/// `csp-endpoint="/csp-reports", default="https://reports.example/r"`.
///
/// See [W3C Reporting API §3.2](https://w3c.github.io/reporting/#header) and
/// [MDN: Reporting-Endpoints](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Reporting-Endpoints).
public struct ReportingEndpoints: SecurityHeaderPolicy, Hashable {
    /// The endpoints, in order.
    public let endpoints: [Endpoint]
    public let headerField: HTTPField

    /// One named endpoint.
    public struct Endpoint: Hashable, Sendable {
        /// The name that `report-to` refers to.
        public let name: String
        /// An absolute `https:` (or `http:`) URL, or a path starting with `/`.
        public let url: String
        /// Creates an endpoint; it is validated by ``ReportingEndpoints``.
        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    /// Creates and validates the header.
    /// - Throws: ``SecurityConfigurationError`` for an empty list, a name that is not a
    ///   structured-field key, a duplicate name, or a URL with quotes, spaces or control bytes.
    public init(_ endpoints: [Endpoint]) throws {
        guard !endpoints.isEmpty else {
            throw SecurityConfigurationError(setting: "Reporting-Endpoints", value: "", reason: .empty, message: "at least one endpoint is needed")
        }
        var names: Set<String> = []
        for endpoint in endpoints {
            guard HeaderGrammar.isStructuredFieldKey(endpoint.name) else {
                throw SecurityConfigurationError(
                    setting: "Reporting-Endpoints",
                    value: endpoint.name,
                    reason: .invalidValue,
                    message: "endpoint names are lowercase letters, digits, '_', '-', '.' and '*', starting with a letter"
                )
            }
            guard names.insert(endpoint.name).inserted else {
                throw SecurityConfigurationError(
                    setting: "Reporting-Endpoints",
                    value: endpoint.name,
                    reason: .duplicate,
                    message: "endpoint name listed twice"
                )
            }
            guard Self.isReportURL(endpoint.url) else {
                throw SecurityConfigurationError(
                    setting: "Reporting-Endpoints",
                    value: endpoint.url,
                    reason: .invalidValue,
                    message: "endpoint \(endpoint.name): not an absolute http(s) URL or a path starting with '/'"
                )
            }
        }
        self.endpoints = endpoints
        self.headerField = HTTPField(name: .reportingEndpoints, value: endpoints.map { "\($0.name)=\"\($0.url)\"" }.joined(separator: ", "))
    }

    /// Creates the header from name and URL pairs, in order.
    public init(_ pairs: KeyValuePairs<String, String>) throws {
        try self.init(pairs.map { Endpoint(name: $0.key, url: $0.value) })
    }

    /// A report URL: visible ASCII without quotes, backslashes or commas, either a path starting
    /// with a single `/`, or `http://` / `https://` followed by a host.
    package static func isReportURL(_ url: String) -> Bool {
        guard HeaderGrammar.isVisibleASCII(url),
            !url.utf8.contains(where: {
                $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "'")
            })
        else { return false }
        let lower = HeaderGrammar.asciiLowercased(url)
        if lower.utf8.starts(with: "/".utf8) { return !lower.utf8.starts(with: "//".utf8) }
        for prefix in ["https://", "http://"] where lower.utf8.starts(with: prefix.utf8) {
            return lower.utf8.count > prefix.utf8.count && lower.utf8.dropFirst(prefix.utf8.count).first != UInt8(ascii: "/")
        }
        return false
    }
}
