import HTTPTypes

/// Fetch-metadata *resource isolation*: refuses every request another site's page makes for this
/// site's resources, except a top-level navigation (a link followed, a bookmark, a typed URL).
///
/// A `<script src>`, `<img src>`, `<iframe>` or `fetch()` on an attacker's page sends the
/// visitor's cookies (where `SameSite` allows) and lets that page time the answer, watch its load
/// and error events, or read it through a side channel (XSSI, XS-Leaks, Spectre). The browser
/// says who asked in `Sec-Fetch-Site`, `Sec-Fetch-Mode` and `Sec-Fetch-Dest`; this policy
/// refuses the cross-site ones with `403 crossSiteResource` before any handler, session or store
/// is reached. The CSRF defence guards state changes; this guards reads.
///
/// | request | answer |
/// | --- | --- |
/// | no `Sec-Fetch-Site` (old browsers, `curl`, servers) | allowed |
/// | `same-origin`, `none` (typed URL, bookmark) | allowed |
/// | `same-site` (a sibling subdomain) | refused, unless `allowSameSite` |
/// | `cross-site` `GET` navigation to a document (`Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`) | allowed: links from other sites work |
/// | `cross-site` navigation into a frame (`iframe`, `frame`) | refused, unless `allowCrossSiteFrames` |
/// | every other `cross-site` request (`no-cors` script or image loads, `cors` fetches, `object`/`embed`, `POST` navigations) | refused |
/// | a path listed in ``exemptions`` | allowed, not checked |
/// | several or unknown `Sec-Fetch-Site` values | refused |
///
/// This is the policy of web.dev's [Protect your resources from web attacks with Fetch
/// Metadata](https://web.dev/articles/fetch-metadata), made stricter in two ways a user can undo
/// by name: `same-site` requests are refused (as Rampart's CSRF check refuses them: a sibling
/// subdomain may serve user content), and so are cross-site frames (web.dev leaves those to
/// `frame-ancestors`; a page meant to be framed elsewhere needs both).
///
/// Every answer on a checked path depends on those three request headers, so the adapters add
/// `Vary: Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest` to it (``varyFieldValue``): a shared
/// cache never hands the refusal to a same-origin visitor, nor the resource to another site.
///
/// See [MDN: Sec-Fetch-Site](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Sec-Fetch-Site)
/// and the [Fetch Metadata specification](https://www.w3.org/TR/fetch-metadata/).
public struct ResourceIsolationPolicy: Sendable, Hashable {
    /// A path the policy does not check, and why: a public asset meant for embedding, a CORS
    /// endpoint, an OAuth `form_post` callback. A route group is exempted by its path prefix.
    public typealias Exemption = PathExemption

    /// What the policy decided for one request.
    public enum Verdict: Sendable, Hashable {
        /// The path is exempt; the request was not checked, and its answer needs no `Vary`.
        case exempt(reason: String)
        /// The request may proceed. Its answer gets ``ResourceIsolationPolicy/varyFieldValue``.
        case allowed
        /// Refused with ``RequestRefusal/crossSiteResource``. The refusal gets the `Vary` too.
        case refused
    }

    /// Whether `Sec-Fetch-Site: same-site` (a sibling subdomain under the same registrable
    /// domain) is allowed. Off by default.
    public let allowSameSite: Bool
    /// Whether cross-site navigations into frames (`Sec-Fetch-Dest: iframe` or `frame`) are
    /// allowed. Off by default; a page meant to be framed by another site also needs
    /// `frame-ancestors` to name that site.
    public let allowCrossSiteFrames: Bool
    /// The paths the policy does not check.
    public let exemptions: [Exemption]

    /// `Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest`: the request headers a checked answer
    /// depends on.
    ///
    /// See [RFC 9110 §12.5.5](https://www.rfc-editor.org/rfc/rfc9110#section-12.5.5).
    public static let varyFieldValue = "Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest"

    /// The policy with no exemptions: same-site requests and cross-site frames refused.
    public static let standard = ResourceIsolationPolicy(validated: false, allowCrossSiteFrames: false, exemptions: [])

    /// Creates a policy.
    /// - Parameters:
    ///   - allowSameSite: Allow `same-site` requests (sibling subdomains). Off by default.
    ///   - allowCrossSiteFrames: Allow other sites to frame this site's pages. Off by default.
    ///   - exemptions: Paths not checked, each with its reason.
    /// - Throws: ``SecurityConfigurationError`` for an exemption whose path does not start with
    ///   `/`, holds a query, a space, a control character or a non-ASCII byte, or whose reason is
    ///   blank.
    public init(allowSameSite: Bool = false, allowCrossSiteFrames: Bool = false, exemptions: [Exemption] = []) throws(SecurityConfigurationError) {
        try PathExemption.validate(
            exemptions,
            setting: "resourceIsolation.exemptions",
            blankReasonMessage: "say why this path may be loaded by other sites"
        )
        self.init(validated: allowSameSite, allowCrossSiteFrames: allowCrossSiteFrames, exemptions: exemptions)
    }

    private init(validated allowSameSite: Bool, allowCrossSiteFrames: Bool, exemptions: [Exemption]) {
        self.allowSameSite = allowSameSite
        self.allowCrossSiteFrames = allowCrossSiteFrames
        self.exemptions = exemptions
    }

    /// Decides one request from its method, path and fetch-metadata headers.
    public func evaluate(_ request: HTTPRequest) -> Verdict {
        if !exemptions.isEmpty {
            let path = Self.pathWithoutQuery(request.path ?? "/")
            if let exemption = exemptions.first(where: { $0.matches(path) }) { return .exempt(reason: exemption.reason) }
        }
        let fields = request.headerFields
        let sites = fields[values: .secFetchSite]
        if sites.isEmpty { return .allowed }
        guard sites.count == 1 else { return .refused }
        switch HeaderGrammar.asciiLowercased(sites[0]) {
        case "same-origin", "none":
            return .allowed
        case "same-site":
            return allowSameSite ? .allowed : .refused
        case "cross-site":
            break
        default:
            return .refused
        }
        let modes = fields[values: .secFetchMode]
        let dests = fields[values: .secFetchDest]
        guard request.method == .get, modes.count == 1, dests.count <= 1,
            HeaderGrammar.asciiLowercased(modes[0]) == "navigate"
        else { return .refused }
        switch dests.first.map(HeaderGrammar.asciiLowercased) {
        case "document": return .allowed
        case "iframe", "frame": return allowCrossSiteFrames ? .allowed : .refused
        default: return .refused
        }
    }

    static func pathWithoutQuery(_ path: String) -> Substring {
        let full = path[...]
        if let query = full.utf8.firstIndex(of: UInt8(ascii: "?")) { return full[..<query] }
        return full
    }
}

extension RequestRefusal {
    /// 403: another site's page asked for a resource (``ResourceIsolationPolicy``).
    public static let crossSiteResource = RequestRefusal(
        status: .forbidden,
        reason: "crossSiteResource",
        message: "this resource cannot be loaded by another site"
    )
}
