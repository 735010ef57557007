import HTTPTypes

/// The form a refusal is written in, chosen from the request by one rule
/// (``RefusalFormat/init(for:)``) for every refusal Rampart makes.
///
/// See [MDN: Content negotiation](https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Content_negotiation).
public enum RefusalFormat: Sendable, Hashable {
    /// `text/html`: a page for a person in a browser.
    case html
    /// `application/json`: `{"error":…,"reason":…,"message":…}` for scripts and API clients.
    case json
    /// `text/plain`: one line, for `curl` and everything else.
    case plainText

    /// Reads `Accept` (every field, joined) and `Content-Type`:
    /// 1. `Accept` naming `text/html` or `application/xhtml+xml` (a browser navigation): HTML;
    /// 2. `Accept` naming a JSON type (`application/json`, `application/problem+json`, any
    ///    `+json`): JSON;
    /// 3. a request body sent as JSON (`application/json` or `+json`): JSON, since its sender is
    ///    a script;
    /// 4. otherwise plain text.
    ///
    /// Quality values are not weighed: a client listing HTML at all can read HTML.
    public init(accept: String?, contentType: String?) {
        let accept = accept.map(HeaderGrammar.asciiLowercased) ?? ""
        if accept.contains("text/html") || accept.contains("application/xhtml+xml") {
            self = .html
        } else if accept.contains("json") {
            self = .json
        } else if let contentType, MediaType.isJSON(contentType) {
            self = .json
        } else {
            self = .plainText
        }
    }

    /// The format for a request head; see ``init(accept:contentType:)``.
    public init(for request: HTTPRequest) {
        let accept = request.headerFields[values: .accept]
        self.init(accept: accept.isEmpty ? nil : accept.joined(separator: ","), contentType: request.headerFields[.contentType])
    }
}

/// What a refusal is being written for: the request's method and path (when the request head
/// was read), the negotiated format, and the response's CSP nonce for an inline `<style>` or
/// `<script>` on a custom page.
public struct RefusalRequest: Sendable {
    /// The method, or `nil` when the head could not be read (a 431, 414 or header timeout).
    public let method: HTTPRequest.Method?
    /// The request path without the query, as the client sent it (untrusted: escape it before
    /// showing it), or `""` when the head could not be read.
    public let path: String
    /// The format ``RefusalFormat/init(for:)`` chose.
    public let format: RefusalFormat
    /// The nonce the response's `Content-Security-Policy` allows.
    public let cspNonce: CSPNonce?

    /// Describes a request; `head` is `nil` when it could not be read.
    public init(head: HTTPRequest?, cspNonce: CSPNonce?) {
        self.method = head?.method
        self.path = head?.path.map { String($0.prefix { $0 != "?" }) } ?? ""
        self.format = head.map(RefusalFormat.init(for:)) ?? .plainText
        self.cspNonce = cspNonce
    }

    /// Describes a request in a given format.
    public init(method: HTTPRequest.Method?, path: String, format: RefusalFormat, cspNonce: CSPNonce?) {
        self.method = method
        self.path = path
        self.format = format
        self.cspNonce = cspNonce
    }
}

/// A refusal's body and its media type.
public struct RefusalPage: Sendable, Hashable {
    /// The `Content-Type` sent, such as `text/html; charset=utf-8`.
    public let contentType: String
    /// The body.
    public let body: String

    /// A page with the given media type. Pass a full `Content-Type` with its charset.
    public init(contentType: String, body: String) {
        self.contentType = contentType
        self.body = body
    }

    /// An HTML page, from trusted markup (``Markup`` escapes what is interpolated into it).
    public static func html(_ markup: Markup) -> RefusalPage {
        RefusalPage(contentType: "text/html; charset=utf-8", body: markup.html)
    }
}

/// How every refusal is written: one place to restyle the host check's 400, CSRF's 403, the
/// 413/415 body limits, the connection limits' 408/414/431, a 503 and the 404/405/500 pages,
/// like Go's `CrossOriginProtection.SetDenyHandler`.
///
/// ```swift
/// let pages = RefusalPages { refusal, request in
///     guard request.format == .html else { return nil }     // JSON and text as standard
///     return .html("<h1>\(refusal.status.code)</h1><p>\(refusal.message)</p>")
/// }
/// ```
///
/// Whatever the page, the status, the refusal's own fields (`Allow`, `Retry-After`),
/// `Cache-Control: no-store` and the security headers are sent. A renderer returns `nil` to
/// use the standard page.
///
/// See [MDN: HTTP response status codes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status).
public struct RefusalPages: Sendable {
    /// Writes a page for a refusal, or returns `nil` for the standard one.
    public typealias Renderer = @Sendable (RequestRefusal, RefusalRequest) -> RefusalPage?

    private let renderer: Renderer?

    /// Rampart's own pages (``standardPage(for:format:)``).
    public static let standard = RefusalPages(renderer: nil)

    private init(renderer: Renderer?) { self.renderer = renderer }

    /// Pages written by `renderer`; where it returns `nil`, the standard page.
    public init(_ renderer: @escaping Renderer) {
        self.renderer = renderer
    }

    /// The page for a refusal.
    public func page(for refusal: RequestRefusal, request: RefusalRequest) -> RefusalPage {
        renderer?(refusal, request) ?? Self.standardPage(for: refusal, format: request.format)
    }

    /// Rampart's standard page in each format:
    /// - HTML: a page with the status as its title and heading, the message and the reason
    ///   code, with no script, style or external resource;
    /// - JSON: `{"error":"forbidden","reason":"originMismatch","message":"…"}` (`error` is
    ///   ``RequestRefusal/statusCode``), escaped so it is safe inside HTML too;
    /// - plain text: `403 Forbidden: message (reason)` and a newline.
    public static func standardPage(for refusal: RequestRefusal, format: RefusalFormat) -> RefusalPage {
        let status = "\(refusal.status.code) \(refusal.status.reasonPhrase)"
        switch format {
        case .html:
            return .html(
                """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>\(status)</title></head>
                <body><h1>\(status)</h1><p>\(refusal.message)</p><p><code>\(refusal.reason)</code></p></body></html>

                """
            )
        case .json:
            let json =
                "{\"error\":\(jsonString(refusal.statusCode)),\"reason\":\(jsonString(refusal.reason)),\"message\":\(jsonString(refusal.message))}"
            return RefusalPage(contentType: "application/json; charset=utf-8", body: JSONForHTML.escape(Array(json.utf8)))
        case .plainText:
            return RefusalPage(contentType: "text/plain; charset=utf-8", body: "\(status): \(refusal.message) (\(refusal.reason))\n")
        }
    }

    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and controls escaped.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
