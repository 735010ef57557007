import HTTPTypes

/// `X-Download-Options: noopen`: old Internet Explorer may not open a download in the site's
/// context, only save it.
///
/// See [MDN: HTTP headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers) and
/// [helmet: X-Download-Options](https://helmetjs.github.io/#x-download-options).
public struct XDownloadOptions: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .xDownloadOptions, value: value) }
    /// `noopen`, the default.
    public static let noopen = XDownloadOptions("noopen")
}
