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

extension PathExemption {
    /// Refuses a configured path that no request path can equal: one that does not start with
    /// `/`, holds a space, a control character or anything outside visible ASCII (a request
    /// target is ASCII, RFC 9112 §3.2, and exemptions compare it undecoded), or names a query
    /// (exemptions compare the path alone).
    /// - Parameters:
    ///   - path: The configured path or prefix.
    ///   - setting: The setting named in the error, such as `csrfExemptions`.
    /// - Throws: ``SecurityConfigurationError`` naming `setting` and the path.
    package static func validatePath(_ path: String, setting: String) throws(SecurityConfigurationError) {
        guard path.utf8.first == UInt8(ascii: "/"), HeaderGrammar.isVisibleASCII(path), !path.utf8.contains(UInt8(ascii: "?")) else {
            throw SecurityConfigurationError(
                setting: setting,
                value: path,
                reason: .invalidValue,
                message: "an exempt path starts with '/' and has no query, spaces, control characters or non-ASCII bytes"
            )
        }
    }

    /// Checks every exemption of one setting: its path (``validatePath(_:setting:)``) and its
    /// reason, which may not be blank.
    /// - Parameters:
    ///   - exemptions: The configured exemptions.
    ///   - setting: The setting named in the error.
    ///   - blankReasonMessage: What the error asks for when a reason is blank.
    /// - Throws: ``SecurityConfigurationError`` for the first bad exemption.
    package static func validate(_ exemptions: [PathExemption], setting: String, blankReasonMessage: String) throws(SecurityConfigurationError) {
        for exemption in exemptions {
            try validatePath(exemption.path, setting: setting)
            guard exemption.reason.utf8.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
                throw SecurityConfigurationError(setting: setting, value: exemption.path, reason: .empty, message: blankReasonMessage)
            }
        }
    }
}
