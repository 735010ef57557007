import HTTPTypes

extension HTTPField.Name {
    package static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    package static let crossOriginEmbedderPolicy = HTTPField.Name("Cross-Origin-Embedder-Policy")!
    package static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    package static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
    package static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    package static let reportingEndpoints = HTTPField.Name("Reporting-Endpoints")!
    package static let originAgentCluster = HTTPField.Name("Origin-Agent-Cluster")!
    package static let xDNSPrefetchControl = HTTPField.Name("X-DNS-Prefetch-Control")!
    package static let xPermittedCrossDomainPolicies = HTTPField.Name("X-Permitted-Cross-Domain-Policies")!
    package static let xDownloadOptions = HTTPField.Name("X-Download-Options")!
    package static let xXSSProtection = HTTPField.Name("X-XSS-Protection")!
    package static let xPoweredBy = HTTPField.Name("X-Powered-By")!
    package static let xAspNetVersion = HTTPField.Name("X-AspNet-Version")!
    /// `Host`, for HTTP/1.1 requests whose host was not moved into `:authority`.
    package static let hostHeader = HTTPField.Name("Host")!
    package static let forwarded = HTTPField.Name("Forwarded")!
    package static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    package static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    package static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    package static let secFetchMode = HTTPField.Name("Sec-Fetch-Mode")!
    package static let secFetchDest = HTTPField.Name("Sec-Fetch-Dest")!
    package static let clearSiteData = HTTPField.Name("Clear-Site-Data")!
}

/// A header policy that renders to one fixed header field.
///
/// Every policy validates its values in `init` and renders its field once; applying it to a
/// response is a copy.
public protocol SecurityHeaderPolicy: Sendable {
    /// The rendered header field.
    var headerField: HTTPField { get }
}
