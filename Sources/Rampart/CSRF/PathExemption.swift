/// A path or route group that a check skips, with the reason why that is safe: a CSRF exemption
/// (``CSRFConfiguration/Exemption``) or a resource-isolation exemption
/// (``ResourceIsolationPolicy/Exemption``).
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct PathExemption: Sendable, Hashable {
    /// The exact path, or the prefix.
    public let path: String
    /// Whether ``path`` is a prefix.
    public let isPrefix: Bool
    /// Why the path is exempt, for reviewers and the log.
    public let reason: String

    /// One exact path, such as a webhook that carries its own signature (the query is ignored).
    public static func path(_ path: String, reason: String) -> PathExemption { PathExemption(path: path, isPrefix: false, reason: reason) }
    /// Every path under a prefix (a route group), such as `/webhooks/`, by whole segments.
    public static func prefix(_ prefix: String, reason: String) -> PathExemption { PathExemption(path: prefix, isPrefix: true, reason: reason) }

    /// Whether a request path (without its query) is exempt. Paths are compared segment by
    /// segment, the way Hummingbird's router reads them (empty segments skipped, case kept, no
    /// decoding), so `.prefix("/webhooks")` covers `/webhooks/github` and `//webhooks/` but never
    /// `/webhooks-admin/…`. A path the router would reach some other way (a case-insensitive
    /// router, say) is not exempt: the check then runs, which fails closed.
    public func matches(_ requestPath: Substring) -> Bool {
        let want = RoutePath.segments(path[...])
        let have = RoutePath.segments(requestPath)
        return isPrefix ? have.starts(with: want) : have == want
    }
}
