import HTTPTypes

/// The first CSRF check: is an unsafe request from a page of this application?
///
/// A pure function of the request, after Go's `CrossOriginProtection` and Rails 8.2:
/// - `GET`, `HEAD` and `OPTIONS` pass.
/// - `Sec-Fetch-Site: same-origin` or `none` (a user navigation) passes.
/// - `same-site`, `cross-site` (or any other value) fail as ``CSRFError/crossSite`` unless
///   `Origin` is exactly a trusted origin.
/// - With no `Sec-Fetch-Site` (older browsers), `Origin` must be the application's own origin
///   (scheme, host and port) or a trusted one; `Origin: null` fails as ``CSRFError/nullOrigin``.
/// - With neither header, the request is not from a browser; the token check still applies.
///
/// Origins compare as browsers serialise them: lowercase, default ports dropped, and (as the
/// host allow-list does) one trailing dot in the host ignored.
///
/// See [Fetch Metadata](https://www.w3.org/TR/fetch-metadata/),
/// [MDN: Sec-Fetch-Site](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Sec-Fetch-Site) and
/// [MDN: Origin](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Origin).
public struct CrossOriginProtection: Sendable {
    /// Origins allowed to send unsafe requests besides the application's own.
    public let trustedOrigins: Set<WebOrigin>

    /// Creates the check.
    /// - Parameter trustedOrigins: `scheme://host[:port]` values; a path, query, fragment or
    ///   any other form is a startup error naming `trustedOrigins`.
    public init(trustedOrigins: [String] = []) throws(SecurityConfigurationError) {
        var origins: Set<WebOrigin> = []
        for text in trustedOrigins {
            origins.insert(try WebOrigin(validating: text, setting: "trustedOrigins"))
        }
        self.trustedOrigins = origins
    }

    /// Whether a method is safe (never changes state) and so skips CSRF checks.
    public static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// Checks a request. Returns `nil` when it passes.
    /// - Parameters:
    ///   - request: The request head.
    ///   - ownOrigin: The application's origin for this request: the scheme from the
    ///     trusted-proxy-aware resolution and the allowed `Host`.
    public func check(_ request: HTTPRequest, ownOrigin: WebOrigin?) -> CSRFError? {
        if Self.isSafe(request.method) { return nil }
        let fetchSite = request.headerFields[values: .secFetchSite]
        let origins = request.headerFields[values: .origin]
        if origins.count > 1 { return .originMismatch }
        let origin = origins.first
        if !fetchSite.isEmpty {
            guard fetchSite.count == 1 else { return .crossSite }
            switch HeaderGrammar.asciiLowercased(fetchSite[0]) {
            case "same-origin", "none":
                return nil
            default:
                if let origin, let parsed = WebOrigin(parsing: origin), trustedOrigins.contains(parsed) {
                    return nil
                }
                return .crossSite
            }
        }
        guard let origin else { return nil }
        if origin == "null" { return .nullOrigin }
        guard let parsed = WebOrigin(parsing: origin) else { return .originMismatch }
        if parsed == ownOrigin || trustedOrigins.contains(parsed) { return nil }
        return .originMismatch
    }
}
