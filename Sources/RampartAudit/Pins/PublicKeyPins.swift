import Crypto
import HTTPTypes
import Rampart

/// The HTTP Public Key Pinning header (HPKP), sent report-only unless you insist.
///
/// **Browsers dropped HPKP; prefer other defences.** RFC 7469 let a site tell browsers to accept
/// only certificate chains containing one of a few pinned public keys, for up to `max-age`
/// seconds. Chrome announced its removal in 2017, stopped honouring the header in 2018 and
/// removed the rest, reporting included, in Chrome 72; Firefox turned it off in Firefox 72
/// (2020). The reasons:
/// - **Self-denial of service.** A site that lost its pinned keys, or rotated its certificate
///   without a backup pin, locked its own visitors out until `max-age` expired, with no way to
///   undo it from the server.
/// - **Hostile pinning.** An attacker who briefly controlled the site (or its DNS and a
///   mis-issued certificate) could pin keys of their own and hold the domain to ransom.
/// - **Little use.** Very few sites deployed it, and those that did often got it wrong.
///
/// What to use instead:
/// - **Certificate Transparency monitoring**: every publicly trusted certificate is logged
///   ([RFC 9162](https://www.rfc-editor.org/rfc/rfc9162)); watch the logs for certificates
///   issued for your domains that you did not ask for.
/// - **CAA records** ([RFC 8659](https://www.rfc-editor.org/rfc/rfc8659)): DNS records naming the
///   only certificate authorities allowed to issue for your domain.
/// - **HSTS** (``StrictTransportSecurity``): HTTPS only, so there is no plain-HTTP connection
///   to intercept in the first place.
///
/// This policy is therefore **report-only by default**: it renders
/// `Public-Key-Pins-Report-Only`, which never blocks a connection. Current browsers ignore both
/// headers; the policy exists for older or custom clients that still read them, and so that a
/// deployment that insists on HPKP gets a header that is at least well formed and hard to misuse. The enforcing `Public-Key-Pins` is sent only
/// with `dangerouslyEnforce: true`. Either way the policy needs at least two distinct pins, one
/// of them a backup key that is not in the current chain (RFC 7469 §4.3), and caps `max-age` at
/// 60 days (RFC 7469 §4.1) unless `dangerouslyAllowMaxAgeOverSixtyDays` is set. Browsers ignore
/// `max-age` in the report-only header; it is rendered anyway so that the two headers differ
/// only in their names. Browsers ignore both headers on plain-HTTP responses (RFC 7469 §2.2.2).
///
/// ```swift
/// let pins = try PublicKeyPins(pins: [currentPin, backupPin], reportURI: "https://example.com/hpkp")
/// pins.headerField.value
/// // pin-sha256="…"; pin-sha256="…"; max-age=5184000; report-uri="https://example.com/hpkp"
/// ```
///
/// See [RFC 7469](https://www.rfc-editor.org/rfc/rfc7469) and
/// [MDN: Public-Key-Pins](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Public-Key-Pins).
public struct PublicKeyPins: SecurityHeaderPolicy, Hashable {
    /// The pins, in order: the standard Base64 of the SHA-256 of each key's SubjectPublicKeyInfo.
    public let pins: [String]
    /// How long, in seconds, an enforcing browser would remember the pins.
    public let maxAge: Int
    /// Whether the pins cover every subdomain too.
    public let includeSubDomains: Bool
    /// The absolute `https:` or `http:` URL that pin-validation failures are reported to.
    public let reportURI: String?
    /// Whether the enforcing `Public-Key-Pins` header is sent instead of the report-only one.
    public let isEnforced: Bool
    /// The rendered header: `Public-Key-Pins-Report-Only`, or `Public-Key-Pins` when enforced.
    public let headerField: HTTPField

    /// The longest `max-age` accepted without an explicit override: 60 days (5,184,000 seconds),
    /// the upper limit RFC 7469 §4.1 suggests.
    public static let maximumMaxAge = 5_184_000

    /// The fewest distinct pins accepted: the current key and at least one backup.
    public static let minimumPinCount = 2

    /// `Public-Key-Pins`.
    public static let enforcedHeaderName = HTTPField.Name("Public-Key-Pins")!
    /// `Public-Key-Pins-Report-Only`.
    public static let reportOnlyHeaderName = HTTPField.Name("Public-Key-Pins-Report-Only")!

    /// Creates and validates an HPKP policy.
    ///
    /// - Parameters:
    ///   - pins: At least two distinct pins, each the standard Base64 (with padding) of a 32-byte
    ///     SHA-256 digest, as ``pin(subjectPublicKeyInfoDER:)`` computes. Include a backup key
    ///     that is kept offline and not in the current certificate chain.
    ///   - maxAge: Seconds, from 0 (which tells enforcing browsers to forget the pins) to
    ///     ``maximumMaxAge``; 60 days by default.
    ///   - includeSubDomains: Whether the pins cover every subdomain too.
    ///   - reportURI: Where browsers report failures: an absolute `https:` or `http:` URL.
    ///     Without it the report-only header does nothing at all.
    ///   - dangerouslyEnforce: Send the enforcing `Public-Key-Pins`. A mistake then locks
    ///     visitors of clients that still honour HPKP out of the site for up to `maxAge`.
    ///   - dangerouslyAllowMaxAgeOverSixtyDays: Accept a `maxAge` above ``maximumMaxAge``.
    /// - Throws: ``SecurityConfigurationError`` naming the header, when there are fewer than two
    ///   pins (`empty`, `notEligible`), a pin is listed twice (`duplicate`), a pin is not the
    ///   Base64 of 32 bytes (`invalidValue`) or holds a delimiter or control byte
    ///   (`invalidCharacter`), `maxAge` is negative (`invalidValue`) or over 60 days without the
    ///   override (`notEligible`), or `reportURI` is not an absolute http(s) URL (`invalidValue`)
    ///   or holds CR, LF, `;`, `,`, a quote or a backslash (`invalidCharacter`).
    public init(
        pins: [String],
        maxAge: Int = PublicKeyPins.maximumMaxAge,
        includeSubDomains: Bool = false,
        reportURI: String? = nil,
        dangerouslyEnforce: Bool = false,
        dangerouslyAllowMaxAgeOverSixtyDays: Bool = false
    ) throws(SecurityConfigurationError) {
        let setting = (dangerouslyEnforce ? Self.enforcedHeaderName : Self.reportOnlyHeaderName).rawName

        for pin in pins {
            if Self.hasInjectionByte(pin) {
                throw SecurityConfigurationError(
                    setting: setting,
                    value: pin,
                    reason: .invalidCharacter,
                    message: "a pin-sha256 value must not hold control characters, quotes, backslashes, ';' or ','"
                )
            }
            guard Self.isSHA256Pin(pin) else {
                throw SecurityConfigurationError(
                    setting: setting,
                    value: pin,
                    reason: .invalidValue,
                    message: "a pin-sha256 value is the standard Base64 (with padding) of a 32-byte SHA-256 digest"
                )
            }
        }
        for (index, pin) in pins.enumerated() where pins[..<index].contains(pin) {
            throw SecurityConfigurationError(setting: setting, value: pin, reason: .duplicate, message: "pin-sha256 value listed twice")
        }
        guard !pins.isEmpty else {
            throw SecurityConfigurationError(
                setting: setting,
                value: "",
                reason: .empty,
                message: "at least \(Self.minimumPinCount) pin-sha256 values are needed: the current key and a backup key"
            )
        }
        guard pins.count >= Self.minimumPinCount else {
            throw SecurityConfigurationError(
                setting: setting,
                value: pins.joined(separator: " "),
                reason: .notEligible,
                message: "a backup pin is required (RFC 7469 §4.3): give at least \(Self.minimumPinCount) distinct pin-sha256 values"
            )
        }
        guard maxAge >= 0 else {
            throw SecurityConfigurationError(
                setting: setting,
                value: "max-age=\(maxAge)",
                reason: .invalidValue,
                message: "max-age must not be negative"
            )
        }
        guard maxAge <= Self.maximumMaxAge || dangerouslyAllowMaxAgeOverSixtyDays else {
            throw SecurityConfigurationError(
                setting: setting,
                value: "max-age=\(maxAge)",
                reason: .notEligible,
                message: "max-age over \(Self.maximumMaxAge) seconds (60 days) needs dangerouslyAllowMaxAgeOverSixtyDays"
            )
        }
        if let reportURI {
            if Self.hasInjectionByte(reportURI) {
                throw SecurityConfigurationError(
                    setting: setting,
                    value: reportURI,
                    reason: .invalidCharacter,
                    message: "report-uri must not hold control characters, quotes, backslashes, ';' or ','"
                )
            }
            guard Self.isAbsoluteReportURI(reportURI) else {
                throw SecurityConfigurationError(
                    setting: setting,
                    value: reportURI,
                    reason: .invalidValue,
                    message: "report-uri must be an absolute https:// or http:// URL with a host, of visible ASCII"
                )
            }
        }

        self.pins = pins
        self.maxAge = maxAge
        self.includeSubDomains = includeSubDomains
        self.reportURI = reportURI
        self.isEnforced = dangerouslyEnforce

        // RFC 7469 §2.1: Public-Key-Pins = 1#( directive-name [ "=" directive-value ] ),
        // separated by ";"; pin-sha256 and report-uri values are quoted-strings.
        var value = pins.map { "pin-sha256=\"\($0)\"" }.joined(separator: "; ")
        value += "; max-age=\(maxAge)"
        if includeSubDomains { value += "; includeSubDomains" }
        if let reportURI { value += "; report-uri=\"\(reportURI)\"" }
        self.headerField = HTTPField(name: dangerouslyEnforce ? Self.enforcedHeaderName : Self.reportOnlyHeaderName, value: value)
    }

    /// The pin of a public key: the standard Base64 (with padding) of the SHA-256 digest of its
    /// DER-encoded SubjectPublicKeyInfo, as `pin-sha256` expects.
    ///
    /// The input must be the whole SubjectPublicKeyInfo structure (algorithm and key), which is
    /// what `openssl pkey -pubin -outform der` writes and what swift-crypto's
    /// `P256.Signing.PublicKey.derRepresentation` returns; not the raw key bytes and not the
    /// certificate. The bytes are not parsed.
    ///
    /// See [RFC 7469 §2.4](https://www.rfc-editor.org/rfc/rfc7469#section-2.4).
    public static func pin(subjectPublicKeyInfoDER: some Sequence<UInt8>) -> String {
        Base64.encode(Array(SHA256.hash(data: Array(subjectPublicKeyInfoDER))))
    }

    /// Whether a string is a canonical `pin-sha256` value: 44 characters of standard Base64,
    /// padded, that decode to exactly 32 bytes.
    public static func isSHA256Pin(_ value: String) -> Bool {
        guard value.utf8.count == 44, let bytes = Base64.decode(value), bytes.count == SHA256.byteCount else { return false }
        // Base64.decode also takes the URL-safe alphabet; only the standard one is canonical here.
        return Base64.encode(bytes).utf8.elementsEqual(value.utf8)
    }

    /// A byte that could end the quoted-string or the directive, or split the header.
    private static func hasInjectionByte(_ value: String) -> Bool {
        value.utf8.contains { b in
            b < 0x20 || b == 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: ";") || b == UInt8(ascii: ",")
        }
    }

    /// `https://` or `http://`, a host, then visible ASCII without quotes (see
    /// ``ReportingEndpoints``); relative references are refused because the report is sent
    /// from the browser's pin store, not from a page.
    private static func isAbsoluteReportURI(_ value: String) -> Bool {
        guard ReportingEndpoints.isReportURL(value) else { return false }
        return !value.utf8.starts(with: "/".utf8)
    }
}
