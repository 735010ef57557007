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

    /// The value of the first cookie named `name`, with the same rules as parsing them all but
    /// without building the list: the session cookie is read this way on every request.
    public static func value(named name: String, in fields: HTTPFields) -> String? {
        var found: String?
        var pieces = 0
        var total = 0
        var simple = true
        let nameBytes = Array(name.utf8)
        for field in fields where field.name == .cookie {
            field.withUnsafeBytesOfValue { header in
                total += header.count
                HeaderGrammar.forEachPiece(of: header, separatedBy: UInt8(ascii: ";")) { piece in
                    if !piece.isEmpty { pieces += 1 }
                    if found == nil, let value = Self.value(of: nameBytes, in: UnsafeBufferPointer(rebasing: header[piece])) {
                        found = value
                    }
                    return true
                }
            }
            // Past the bounds, only the full parse knows which pairs count.
            if total > maximumTotalBytes || pieces > maximumCount {
                simple = false
                break
            }
        }
        return simple ? found : RequestCookies(fields)[name]
    }

    /// The value of one `name=value` piece if its name is `name` and both parts are valid.
    private static func value(of name: [UInt8], in piece: UnsafeBufferPointer<UInt8>) -> String? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var lower = 0
        var upper = piece.count
        while lower < upper, isSpace(piece[lower]) { lower += 1 }
        while upper > lower, isSpace(piece[upper - 1]) { upper -= 1 }
        guard let equals = piece[lower..<upper].firstIndex(of: UInt8(ascii: "=")) else { return nil }
        var nameEnd = equals
        while nameEnd > lower, isSpace(piece[nameEnd - 1]) { nameEnd -= 1 }
        guard nameEnd - lower == name.count, name.withUnsafeBufferPointer({ $0.elementsEqual(piece[lower..<nameEnd]) }) else { return nil }
        var valueStart = equals + 1
        while valueStart < upper, isSpace(piece[valueStart]) { valueStart += 1 }
        var value = UnsafeBufferPointer(rebasing: piece[valueStart..<upper])
        if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
            value = UnsafeBufferPointer(rebasing: value[1..<(value.count - 1)])
        }
        guard value.allSatisfy(SetCookie.isCookieOctet) else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: piece[valueStart..<upper]), as: UTF8.self)
    }
}
