import HTTPTypes
import Synchronization

/// The first check on every request: is the `Host` one of ours, is the request HTTPS, and if
/// not, should it be redirected?
///
/// The check is a pure function of the request and the TCP peer, so it is tested without a
/// server. The scheme comes from the connection, or from `X-Forwarded-Proto` / `Forwarded`
/// when, and only when, the peer is a ``TrustedProxies`` address.
///
/// See [RFC 6797 §7.2](https://www.rfc-editor.org/rfc/rfc6797#section-7.2) (redirecting plain
/// HTTP), [RFC 9110 §15.4](https://www.rfc-editor.org/rfc/rfc9110#section-15.4) (301 and 308) and
/// [MDN: Host](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host).
public struct TransportSecurity: Sendable {
    /// What to do with plain-HTTP requests.
    public struct HTTPSPolicy: Sendable, Hashable {
        enum Base: Hashable, Sendable {
            case redirect(httpsPort: Int?, exemptPaths: Set<String>)
            case allowInsecureHTTP
        }
        let base: Base

        /// Redirect plain HTTP to HTTPS: 301 for GET and HEAD, 308 for other methods (so the
        /// method and body are kept). The same host, path and query are kept; the port becomes
        /// `httpsPort`, or the default 443 when it is `nil`. `exemptPaths` (exact paths, such as
        /// `/healthz`) are served over plain HTTP, for load balancer health checks.
        public static func redirect(httpsPort: Int? = nil, exemptPaths: [String] = []) throws(SecurityConfigurationError) -> HTTPSPolicy {
            if let httpsPort, !(1...65535).contains(httpsPort) {
                throw SecurityConfigurationError(
                    setting: "httpsPort",
                    value: String(httpsPort),
                    reason: .invalidValue,
                    message: "port must be 1 to 65535"
                )
            }
            for path in exemptPaths { try PathExemption.validatePath(path, setting: "redirectExemptPaths") }
            return HTTPSPolicy(base: .redirect(httpsPort: httpsPort == 443 ? nil : httpsPort, exemptPaths: Set(exemptPaths)))
        }

        /// Redirect every plain-HTTP request to HTTPS on port 443. The default.
        public static let redirectToHTTPS = HTTPSPolicy(base: .redirect(httpsPort: nil, exemptPaths: []))

        /// Serve plain HTTP as it is. Only for local development on loopback, or when a proxy
        /// in front already redirects; Rampart still sends HSTS only over HTTPS.
        public static let allowInsecureHTTP = HTTPSPolicy(base: .allowInsecureHTTP)
    }

    /// Why a request was refused before reaching the application.
    public struct Rejection: Error, Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingHost, malformedHost, conflictingHost, hostNotAllowed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The request has no `Host` (HTTP/1.1 requires one).
        public static let missingHost = Rejection(.missingHost)
        /// The `Host` is not `host[:port]`.
        public static let malformedHost = Rejection(.malformedHost)
        /// Several different `Host` values were sent.
        public static let conflictingHost = Rejection(.conflictingHost)
        /// The `Host` is not in the allow-list.
        public static let hostNotAllowed = Rejection(.hostNotAllowed)

        /// The stable reason code, such as `hostNotAllowed`.
        public var reason: String { base.rawValue }
        public var description: String { base.rawValue }
        /// The status to answer with: always 400 Bad Request.
        public var status: HTTPResponse.Status { .badRequest }
    }

    /// The outcome of ``evaluate(_:peer:)``.
    public enum Decision: Hashable, Sendable {
        /// Handle the request; `isSecure` says whether it arrived over HTTPS.
        case proceed(isSecure: Bool)
        /// Answer with a redirect to `location`.
        case redirect(location: String, status: HTTPResponse.Status)
        /// Refuse the request with 400.
        case reject(Rejection)
    }

    /// The hosts this application answers for.
    public let allowedHosts: HostAllowList
    /// The proxies whose forwarding headers are believed.
    public let trustedProxies: TrustedProxies
    /// What to do with plain HTTP.
    public let httpsPolicy: HTTPSPolicy
    /// Whether this server terminates TLS itself, so that every direct connection is HTTPS.
    public let serverTerminatesTLS: Bool
    /// Hosts already checked, so a request for a known host costs one lookup, not a parse.
    let checkedHosts = CheckedHosts()

    /// Creates the transport policy.
    /// - Parameters:
    ///   - allowedHosts: The hosts to answer for; there is no default, so a deployment must say.
    ///   - trustedProxies: The proxies to believe; none by default.
    ///   - httpsPolicy: Redirect plain HTTP to HTTPS by default.
    ///   - serverTerminatesTLS: Set when this server itself listens with TLS.
    public init(
        allowedHosts: HostAllowList,
        trustedProxies: TrustedProxies = .none,
        httpsPolicy: HTTPSPolicy = .redirectToHTTPS,
        serverTerminatesTLS: Bool = false
    ) {
        self.allowedHosts = allowedHosts
        self.trustedProxies = trustedProxies
        self.httpsPolicy = httpsPolicy
        self.serverTerminatesTLS = serverTerminatesTLS
    }

    /// The request's host, from `:authority` (HTTP/2) or `Host` (HTTP/1.1), or why there is none.
    public static func host(of request: HTTPRequest) -> Result<Substring, Rejection> {
        let hostFields = request.headerFields[values: .hostHeader]
        if hostFields.count > 1 && Set(hostFields).count > 1 { return .failure(.conflictingHost) }
        guard let host = request.authority ?? hostFields.first else { return .failure(.missingHost) }
        if let field = hostFields.first, field != host { return .failure(.conflictingHost) }
        return .success(Substring(host))
    }

    /// Whether the request arrived over HTTPS, believing forwarding headers only from a trusted
    /// proxy. Malformed or conflicting forwarding headers count as absent.
    public func isSecure(_ request: HTTPRequest, peer: IPAddress?) -> Bool {
        if trustedProxies.contains(peer), let forwarded = TrustedProxies.forwardedScheme(in: request.headerFields) {
            return forwarded == .https
        }
        return serverTerminatesTLS
    }

    /// Decides what to do with a request, in this order: host present and allowed (else 400,
    /// never a redirect to that host), then the scheme, then the HTTPS redirect.
    public func evaluate(_ request: HTTPRequest, peer: IPAddress?) -> Decision {
        let host: Substring
        switch Self.host(of: request) {
        case .failure(let rejection): return .reject(rejection)
        case .success(let h): host = h
        }
        let hostName: String
        switch checkedHosts.verdict(
            for: host,
            compute: { host in
                guard let (name, port) = HostAllowList.splitAuthority(HeaderGrammar.asciiLowercased(host)[...]) else {
                    return .failure(.malformedHost)
                }
                return allowedHosts.allows(host: name, port: port) ? .success(name) : .failure(.hostNotAllowed)
            }
        ) {
        case .failure(let rejection): return .reject(rejection)
        case .success(let name): hostName = name
        }
        let secure = isSecure(request, peer: peer)
        guard !secure, case .redirect(let httpsPort, let exemptPaths) = httpsPolicy.base else {
            return .proceed(isSecure: secure)
        }
        let path = request.path ?? "/"
        let pathOnly = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[..<$0]) } ?? path
        if exemptPaths.contains(pathOnly) { return .proceed(isSecure: false) }
        // An absolute-form or asterisk-form target is never copied into Location.
        let target = path.utf8.first == UInt8(ascii: "/") && !path.utf8.starts(with: "//".utf8) ? path : "/"
        let location = "https://" + hostName + (httpsPort.map { ":\($0)" } ?? "") + target
        let status: HTTPResponse.Status = request.method == .get || request.method == .head ? .movedPermanently : .permanentRedirect
        return .redirect(location: location, status: status)
    }
}

/// A bounded memo of `Host` values already judged, with their verdicts: the same few hosts come
/// on every request. Client-chosen values cannot grow it past ``capacity``; when full it starts
/// over.
final class CheckedHosts: Sendable {
    static let capacity = 64
    private let verdicts = Mutex<[String: Result<String, TransportSecurity.Rejection>]>([:])

    func verdict(
        for host: Substring,
        compute: (Substring) -> Result<String, TransportSecurity.Rejection>
    ) -> Result<String, TransportSecurity.Rejection> {
        // Hosts of up to 15 bytes (most, with the port) make a String without allocating.
        let key = String(host)
        if let known = verdicts.withLock({ $0[key] }) { return known }
        let verdict = compute(host)
        verdicts.withLock { verdicts in
            if verdicts.count >= Self.capacity { verdicts.removeAll(keepingCapacity: true) }
            verdicts[key] = verdict
        }
        return verdict
    }
}
