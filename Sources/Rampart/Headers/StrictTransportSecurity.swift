import HTTPTypes

/// The `Strict-Transport-Security` header (HSTS): browsers use only HTTPS for this host.
///
/// The default is `max-age=63072000; includeSubDomains` (two years). `preload` is opt-in and
/// checked for eligibility with the browsers' preload list rules. To undo HSTS, send
/// ``disabled`` (`max-age=0`) for a while instead of dropping the header, so browsers forget it.
/// Rampart sends this header only on HTTPS responses, as RFC 6797 §7.2 requires.
///
/// See [RFC 6797](https://www.rfc-editor.org/rfc/rfc6797) and
/// [MDN: Strict-Transport-Security](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Strict-Transport-Security).
public struct StrictTransportSecurity: SecurityHeaderPolicy, Hashable {
    /// How long, in seconds, the browser remembers to use HTTPS only.
    public let maxAge: Int
    /// Whether the rule covers every subdomain too.
    public let includeSubDomains: Bool
    /// Whether the host asks to be on the browsers' built-in preload list.
    public let preload: Bool
    public let headerField: HTTPField

    /// The minimum `max-age` accepted for `preload` (one year), per hstspreload.org.
    public static let minimumPreloadMaxAge = 31_536_000

    /// Creates and validates an HSTS policy.
    /// - Throws: ``SecurityConfigurationError`` when `maxAge` is negative, or `preload` is asked
    ///   without `includeSubDomains` and a `maxAge` of at least one year.
    public init(maxAge: Int = 63_072_000, includeSubDomains: Bool = true, preload: Bool = false) throws {
        let rendered = Self.render(maxAge: maxAge, includeSubDomains: includeSubDomains, preload: preload)
        guard maxAge >= 0 else {
            throw SecurityConfigurationError(
                setting: "Strict-Transport-Security",
                value: rendered,
                reason: .invalidValue,
                message: "max-age must not be negative"
            )
        }
        if preload {
            guard maxAge >= Self.minimumPreloadMaxAge else {
                throw SecurityConfigurationError(
                    setting: "Strict-Transport-Security",
                    value: rendered,
                    reason: .notEligible,
                    message: "preload needs max-age of at least \(Self.minimumPreloadMaxAge) seconds (one year)"
                )
            }
            guard includeSubDomains else {
                throw SecurityConfigurationError(
                    setting: "Strict-Transport-Security",
                    value: rendered,
                    reason: .notEligible,
                    message: "preload needs includeSubDomains"
                )
            }
        }
        self.init(unchecked: maxAge, includeSubDomains: includeSubDomains, preload: preload)
    }

    private init(unchecked maxAge: Int, includeSubDomains: Bool, preload: Bool) {
        self.maxAge = maxAge
        self.includeSubDomains = includeSubDomains
        self.preload = preload
        self.headerField = HTTPField(
            name: .strictTransportSecurity,
            value: Self.render(maxAge: maxAge, includeSubDomains: includeSubDomains, preload: preload)
        )
    }

    private static func render(maxAge: Int, includeSubDomains: Bool, preload: Bool) -> String {
        var value = "max-age=\(maxAge)"
        if includeSubDomains { value += "; includeSubDomains" }
        if preload { value += "; preload" }
        return value
    }

    /// `max-age=63072000; includeSubDomains`.
    public static let `default` = StrictTransportSecurity(unchecked: 63_072_000, includeSubDomains: true, preload: false)

    /// `max-age=0`: tells browsers to forget an earlier HSTS policy. Use this to undo HSTS.
    public static let disabled = StrictTransportSecurity(unchecked: 0, includeSubDomains: false, preload: false)
}
