import HTTPTypes

/// The cookies of a request, parsed tolerantly and with bounds.
///
/// - Whitespace around pairs is ignored, and `;` without a space is accepted.
/// - For a name sent twice, the first value wins: browsers send the most specific cookie
///   (longest path) first.
/// - At most ``maximumCount`` cookies and ``maximumTotalBytes`` bytes are read; the excess is
///   ignored and counted in ``ignoredCount``, never a crash.
/// - A malformed pair (no `=`, an empty or non-token name, bytes outside RFC 6265) is skipped and
///   counted. Parsing never throws.
///
/// See [RFC 6265 §5.4](https://www.rfc-editor.org/rfc/rfc6265#section-5.4) and
/// [MDN: Cookie](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cookie).
public struct RequestCookies: Sendable {
    /// The most cookies read from one request.
    public static let maximumCount = 64
    /// The most bytes of `Cookie` header read from one request.
    public static let maximumTotalBytes = 8 * 1024

    /// The cookies, in the order received, first occurrence of each name only.
    public let pairs: [(name: String, value: String)]
    /// How many pairs were skipped: malformed, duplicates, or beyond the bounds.
    public let ignoredCount: Int

    /// Parses every `Cookie` field of a request.
    public init(_ fields: HTTPFields) {
        self.init(headerValues: fields[values: .cookie])
    }

    /// Parses `Cookie` header values.
    public init(headerValues: [String]) {
        var pairs: [(name: String, value: String)] = []
        var ignored = 0
        var budget = Self.maximumTotalBytes
        var seen = Set<String>()
        for header in headerValues {
            for piece in header.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true) {
                let pair = Substring(piece)
                let trimmed = HeaderGrammar.trimOWS(pair)
                if trimmed.isEmpty { continue }
                budget -= trimmed.utf8.count
                guard budget >= 0, pairs.count < Self.maximumCount else {
                    ignored += 1
                    continue
                }
                guard let equals = trimmed.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                    ignored += 1
                    continue
                }
                let name = HeaderGrammar.trimOWS(trimmed[..<equals])
                let value = HeaderGrammar.trimOWS(trimmed[trimmed.utf8.index(after: equals)...])
                guard !name.isEmpty, name.utf8.allSatisfy(HeaderGrammar.isTokenChar), SetCookie.isCookieValue(String(value)) else {
                    ignored += 1
                    continue
                }
                let nameString = String(name)
                guard seen.insert(nameString).inserted else {
                    ignored += 1
                    continue
                }
                pairs.append((nameString, String(value)))
            }
        }
        self.pairs = pairs
        self.ignoredCount = ignored
    }

    /// The value of the first cookie with this name.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }
}
