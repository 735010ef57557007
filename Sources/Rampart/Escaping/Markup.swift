/// Trusted HTML: markup that is safe to send as it is.
///
/// String interpolation into `Markup` escapes every value, unless the value is itself `Markup`:
/// ```swift
/// let page: Markup = "<p>\(comment.body)</p>"   // comment.body is escaped
/// let list: Markup = "<ul>\(items)</ul>"        // items: Markup passes through
/// ```
/// so HTML built in code is safe by construction. ``init(unsafeRaw:)`` is the one bypass; use it
/// only for text you wrote yourself, never for anything derived from input.
///
/// See [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and Go's [`html/template.HTML`](https://pkg.go.dev/html/template#HTML), the same idea.
public struct Markup: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// The HTML text.
    public let html: String

    /// Wraps text as trusted HTML without escaping it. Never pass untrusted input.
    public init(unsafeRaw html: String) {
        self.html = html
    }

    /// A literal is trusted: it is part of the program, not input.
    public init(stringLiteral value: String) {
        self.html = value
    }

    public init(stringInterpolation: Interpolation) {
        self.html = stringInterpolation.output
    }

    /// Builds `Markup`, escaping every interpolated value that is not `Markup`.
    public struct Interpolation: StringInterpolationProtocol {
        var output = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            output.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) {
            output += literal
        }

        /// Trusted markup passes through.
        public mutating func appendInterpolation(_ markup: Markup) {
            output += markup.html
        }

        /// A list of trusted fragments passes through, concatenated.
        public mutating func appendInterpolation(_ fragments: [Markup]) {
            for fragment in fragments { output += fragment.html }
        }

        /// Anything else is escaped.
        public mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            output += HTML.escape(value.description)
        }

        /// Text is escaped.
        public mutating func appendInterpolation(_ value: String) {
            output += HTML.escape(value)
        }
    }

    /// Joins fragments.
    public static func + (lhs: Markup, rhs: Markup) -> Markup {
        Markup(unsafeRaw: lhs.html + rhs.html)
    }

    public var description: String { html }
}
