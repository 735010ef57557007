import HTTPTypes
import Rampart

/// One response the audit saw: where it came from, its status and its header fields.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditedResponse: Sendable, Hashable {
    /// The URL that was requested.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var url: AuditURL
    /// The response status.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var status: HTTPResponse.Status
    /// The response's header fields, repeated fields included.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var headerFields: HTTPFields

    /// Creates a response record.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(url: AuditURL, status: HTTPResponse.Status, headerFields: HTTPFields) {
        self.url = url
        self.status = status
        self.headerFields = headerFields
    }

    /// Whether the status is a redirection that carries a `Location` (301, 302, 303, 307, 308).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var isRedirect: Bool {
        [301, 302, 303, 307, 308].contains(status.code) && headerFields[.location] != nil
    }
}

/// What happened when the `http://` form of the site was fetched, for the redirection test.
///
/// See [MDN: HTTP Observatory, Tests & Scoring, Redirections](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct PlainHTTPFetch: Sendable, Hashable {
    enum Kind: Hashable {
        case chain([AuditedResponse])
        case unreachable, invalidCertificate
    }
    let kind: Kind

    /// The `http://` URL answered; `responses` is its redirect chain, first request first.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static func chain(_ responses: [AuditedResponse]) -> PlainHTTPFetch { PlainHTTPFetch(kind: .chain(responses)) }
    /// Nothing listens for plain HTTP (connection refused or timed out): no redirection is needed.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let unreachable = PlainHTTPFetch(kind: .unreachable)
    /// A redirect from `http://` led to an `https://` URL whose certificate chain is invalid.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let invalidCertificate = PlainHTTPFetch(kind: .invalidCertificate)

    /// The redirect chain, when there is one.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var responses: [AuditedResponse]? {
        if case .chain(let responses) = kind { return responses } else { return nil }
    }
}

/// A request sent with an `Origin` header, to see how the site answers cross-origin reads.
///
/// See [MDN: HTTP Observatory, Tests & Scoring, CORS](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct CORSProbe: Sendable, Hashable {
    /// The `Origin` the probe sent.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var origin: String
    /// The response to the probe.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var response: AuditedResponse

    /// Creates a probe record.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(origin: String, response: AuditedResponse) {
        self.origin = origin
        self.response = response
    }
}

/// Everything the audit grades: the requested URL's redirect chain and, optionally, what the
/// `http://` form of the site and a cross-origin probe returned.
///
/// ```swift
/// let input = AuditInput(chain: [redirect, final], plainHTTP: .chain([httpRedirect, final]))
/// let report = ObservatoryAudit.grade(input)
/// ```
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditInput: Sendable, Hashable {
    /// The requested URL's responses, first request first; the last one is the page graded.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var chain: [AuditedResponse]
    /// The `http://` form of the site. `nil` means it was not fetched: when ``chain`` itself
    /// starts over `http`, that chain is used; otherwise the site counts as not reachable over
    /// plain HTTP (`redirection-not-needed-no-http`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var plainHTTP: PlainHTTPFetch?
    /// A request with an `Origin` header; without one, the final response's CORS headers are
    /// read with no origin to compare against.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var corsProbe: CORSProbe?
    /// Hosts known to be on the browsers' HSTS preload list (`hsts-preloaded`,
    /// `redirection-all-redirects-preloaded`). Rampart ships no copy of the list, so this is
    /// empty unless the caller supplies it. A listed host covers its subdomains too.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var preloadedHosts: Set<String>

    /// Creates an audit input.
    /// - Precondition: `chain` is not empty.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(chain: [AuditedResponse], plainHTTP: PlainHTTPFetch? = nil, corsProbe: CORSProbe? = nil, preloadedHosts: Set<String> = []) {
        precondition(!chain.isEmpty, "an audit needs at least one response")
        self.chain = chain
        self.plainHTTP = plainHTTP
        self.corsProbe = corsProbe
        self.preloadedHosts = Set(preloadedHosts.map { HeaderGrammar.asciiLowercased($0) })
    }

    /// The response graded: the last of ``chain``.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var finalResponse: AuditedResponse { chain[chain.count - 1] }

    func isPreloaded(_ host: String) -> Bool {
        var candidate = Substring(host)
        while true {
            if preloadedHosts.contains(String(candidate)) { return true }
            guard let dot = candidate.utf8.firstIndex(of: UInt8(ascii: ".")) else { return false }
            candidate = candidate[candidate.utf8.index(after: dot)...]
        }
    }
}
