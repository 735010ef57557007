import HTTPTypes

/// How the CSRF middleware of an adapter (`CSRFMiddleware` on Hummingbird, `RampartCSRFMiddleware`
/// on Vapor) protects unsafe requests.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFConfiguration: Sendable {
    /// A path that skips the CSRF checks, with the reason why that is safe.
    public typealias Exemption = PathExemption

    /// Which checks run.
    public struct Mode: Sendable, Hashable {
        enum Base: Hashable, Sendable { case tokens, headersOnly }
        let base: Base
        /// The origin checks, then a masked or one-time token. The default for apps with sessions.
        public static let tokens = Mode(base: .tokens)
        /// The origin checks only: for JSON APIs called by non-browser clients, where there is no
        /// session cookie to ride on.
        public static let headersOnly = Mode(base: .headersOnly)
    }

    /// A route whose unsafe requests need a one-time token for an action.
    public struct OneTimeRoute: Sendable, Hashable {
        /// The method, `POST` by default.
        public let method: HTTPRequest.Method
        /// The exact path.
        public let path: String
        /// The action the one-time token must be issued for.
        public let action: String
        /// Creates a route requirement.
        public init(_ method: HTTPRequest.Method = .post, _ path: String, action: String) {
            self.method = method
            self.path = path
            self.action = action
        }

        /// Whether a request is for this route. Every spelling a router could send to the same
        /// handler matches: empty segments (`//`, a trailing `/`) are skipped, `%XX` escapes are
        /// decoded and case is ignored. Matching more than the router does only ever asks for a
        /// one-time token where a masked one would have done, never the other way round.
        public func matches(method: HTTPRequest.Method, path requestPath: Substring) -> Bool {
            method == self.method && RoutePath.looseSegments(requestPath) == RoutePath.looseSegments(path[...])
        }
    }

    /// The origin checks.
    public var crossOrigin: CrossOriginProtection
    /// Which checks run.
    public var mode: Mode
    /// Paths that skip the checks.
    public var exemptions: [Exemption]
    /// One-time tokens for sensitive actions, if any.
    public var oneTimeTokens: OneTimeTokens?
    /// Routes that need a one-time token instead of the masked session token.
    public var oneTimeRoutes: [OneTimeRoute]
    /// The largest form body read to find the `_csrf` field; a larger one gets 413.
    public var maximumFormBytes: Int

    /// Creates a configuration.
    /// - Throws: `SecurityConfigurationError` when an exemption's path is not one a request can
    ///   have (no leading `/`, a query, a space, a control character or a non-ASCII byte) or its
    ///   reason is blank, a one-time route
    ///   names an action the issuer does not know, or the body limit is not positive.
    public init(
        crossOrigin: CrossOriginProtection = try! CrossOriginProtection(),
        mode: Mode = .tokens,
        exemptions: [Exemption] = [],
        oneTimeTokens: OneTimeTokens? = nil,
        oneTimeRoutes: [OneTimeRoute] = [],
        maximumFormBytes: Int = 1024 * 1024
    ) throws {
        try PathExemption.validate(exemptions, setting: "csrfExemptions", blankReasonMessage: "say why this path is safe without CSRF checks")
        for route in oneTimeRoutes {
            guard let oneTimeTokens, oneTimeTokens.actions.contains(route.action) else {
                throw SecurityConfigurationError(
                    setting: "oneTimeRoutes",
                    value: route.action,
                    reason: .missingDirective,
                    message: "the action is not registered with oneTimeTokens"
                )
            }
        }
        guard maximumFormBytes > 0 else {
            throw SecurityConfigurationError(
                setting: "maximumFormBytes",
                value: String(maximumFormBytes),
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        self.crossOrigin = crossOrigin
        self.mode = mode
        self.exemptions = exemptions
        self.oneTimeTokens = oneTimeTokens
        self.oneTimeRoutes = oneTimeRoutes
        self.maximumFormBytes = maximumFormBytes
    }
}

/// Request paths split into segments on the byte `/`, compared as bytes: never as `Character`s,
/// which would let a combining mark after `/` hide a boundary, or compare two spellings of a
/// segment as canonically equivalent when the router sees different bytes.
enum RoutePath {
    /// The segments, empty ones dropped (`//` and a trailing `/` add none).
    static func segments(_ path: Substring) -> [[UInt8]] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
    }

    /// The segments percent-decoded and ASCII-lowercased, for matching a one-time route however
    /// the client spelled it (a segment with a malformed `%` escape is kept as it is).
    static func looseSegments(_ path: Substring) -> [[UInt8]] {
        segments(path).map { segment in
            (percentDecoded(segment) ?? segment).map(HeaderGrammar.asciiLower)
        }.filter { !$0.isEmpty }
    }

    /// `%XX` escapes decoded; `nil` if a `%` is not followed by two hex digits.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}
