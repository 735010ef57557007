import HTTPTypes

/// `X-Content-Type-Options: nosniff`: browsers must honour the declared `Content-Type`, and
/// refuse scripts and styles whose type is wrong, instead of guessing (MIME sniffing).
///
/// See [MDN: X-Content-Type-Options](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Content-Type-Options)
/// and the [Fetch standard §3.6](https://fetch.spec.whatwg.org/#x-content-type-options-header).
public struct XContentTypeOptions: SecurityHeaderPolicy, Hashable {
    public let headerField = HTTPField(name: .xContentTypeOptions, value: "nosniff")
    private init() {}
    /// `nosniff`, the only value the header has.
    public static let nosniff = XContentTypeOptions()
}
