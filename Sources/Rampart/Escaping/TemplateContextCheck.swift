/// A refused template: a variable tag stands where escaping cannot make it safe.
///
/// See Go's [`html/template` contexts](https://pkg.go.dev/html/template#hdr-Contexts) and the
/// [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html).
public struct TemplateSecurityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The template's name.
    public let template: String
    /// The 1-based line of the offending tag.
    public let line: Int
    /// The tag as written, such as `{{bio}}`.
    public let tag: String
    /// A stable reason code: `inScript`, `inStyle`, `inEventHandler`, `inStyleAttribute`,
    /// `unquotedAttribute`, `inComment`, `inTag`, `inHTMLAttribute` (`srcdoc`, `<meta http-equiv>`),
    /// `inMetaRefresh`, `escapedRawText`, `endsInContext`, `malformedTag`, `delimiterChange`,
    /// `contentTypeChange`, `unclosedTag`.
    public let reason: String
    /// The explanation.
    public let message: String

    public var description: String { "\(template):\(line): \(tag) \(message) (\(reason))" }

    /// Creates an error for a template refused at load.
    public init(template: String, line: Int, tag: String, reason: String, message: String) {
        self.template = template
        self.line = line
        self.tag = tag
        self.reason = reason
        self.message = message
    }
}

/// Checks a Mustache template's variable tags against the HTML context they stand in, and
/// rewrites it for safe rendering.
///
/// Refused (with the template name, line and reason): a variable inside `<script>`, `<style>`
/// (or another raw-text element), an `on*` attribute, a `style` attribute, an unquoted attribute
/// value, an HTML comment, or inside a tag outside any attribute value; a delimiter change; a
/// `CONTENT_TYPE` pragma.
///
/// Rewritten:
/// - a variable at the start of a URL attribute value (`href`, `src`, `action`, `formaction`,
///   `poster`, `srcset`, …) is wrapped to render through ``SafeURL``;
/// - triple-mustache `{{{x}}}` and `{{& x}}` become `{{x}}`: a ``Markup`` value still renders
///   as it is, and anything else is escaped.
public enum TemplateContextCheck {
    /// What the rewritten template uses to switch escaping modes.
    public struct Markers: Sendable {
        /// Inserted before a URL-attribute variable.
        public let enterURL: String
        /// Inserted after it.
        public let leaveURL: String
        public init(enterURL: String, leaveURL: String) {
            self.enterURL = enterURL
            self.leaveURL = leaveURL
        }
    }

    static let urlAttributes: Set<String> = [
        "href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "cite", "data", "background",
        "longdesc", "manifest", "ping", "codebase", "archive", "usemap", "icon", "lowsrc", "dynsrc", "profile",
    ]
    static let rawTextElements: Set<String> = ["script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript"]

    enum State {
        case data
        case comment
        /// `<!` not followed by `--` (`<![CDATA[` in HTML, `<!DOCTYPE`), `<?`, or `</` not
        /// followed by a letter: the HTML tokenizer's bogus comment, which ends at the first `>`.
        case bogusComment
        case rawText(String)
        case tagName
        case beforeAttributeName
        case attributeName
        case afterAttributeName
        case beforeAttributeValue
        case attributeValue(quote: UInt8?)  // nil: unquoted
    }

    /// Checks `source` and returns the rewritten template text.
    public static func check(_ source: String, name: String, markers: Markers) throws(TemplateSecurityError) -> String {
        var s = Scanner(source, name: name, dialect: .mustache)
        let bytes = s.bytes
        while s.i < bytes.count {
            // A Mustache tag.
            guard s.startsWith("{{", at: s.i) else {
                try s.step()
                continue
            }
            let i = s.i
            let triple = s.startsWith("{{{", at: i)
            let close = triple ? "}}}" : "}}"
            var end = i + (triple ? 3 : 2)
            while end < bytes.count && !s.startsWith(close, at: end) { end += 1 }
            guard end < bytes.count else {
                throw s.fail(Array(bytes[i..<min(bytes.count, i + 20)]), "unclosedTag", "is not closed")
            }
            let tag = Array(bytes[i..<(end + close.utf8.count)])
            var inner = Array(bytes[(i + (triple ? 3 : 2))..<end])
            // `{{{a}}` runs to the next "}}}" across other tags, and `{{{{x}}}}` would be
            // rewritten to another tag: a brace inside a tag is refused rather than guessed at.
            if inner.contains(0x7B) || inner.contains(0x7D) {
                throw s.fail(Array(tag.prefix(40)), "malformedTag", "holds another tag's braces; close each tag before the next")
            }
            while let f = inner.first, f == 0x20 { inner.removeFirst() }
            let sigil = inner.first
            var isVariable = true
            var unescaped = triple
            switch sigil {
            case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "<"):
                isVariable = false
                s.sectionDepth += 1
            case UInt8(ascii: "/"):
                isVariable = false
                s.sectionDepth -= 1
            case UInt8(ascii: "!"):
                isVariable = false
            case UInt8(ascii: ">"):
                isVariable = false
                if case .data = s.state {
                } else {
                    throw s.fail(
                        tag,
                        "partialInContext",
                        "includes a partial outside plain HTML text; partials are checked as HTML text on their own"
                    )
                }
            case UInt8(ascii: "="):
                throw s.fail(tag, "delimiterChange", "changes the delimiters, which the context check does not follow")
            case UInt8(ascii: "%"):
                throw s.fail(tag, "contentTypeChange", "sets a pragma; Rampart chooses the content type, and TEXT would turn escaping off")
            case UInt8(ascii: "&"):
                unescaped = true
                inner.removeFirst()
                // `{{&= x}}` would be rewritten to `{{= x}}`, another kind of tag.
                while let f = inner.first, f == 0x20 { inner.removeFirst() }
                if let f = inner.first, Array("=#^/!><$%&{".utf8).contains(f) {
                    throw s.fail(tag, "malformedTag", "names a variable with a tag sigil; rename it")
                }
            default:
                break
            }
            if isVariable {
                let variableName = String(decoding: inner, as: UTF8.self).trimmingTemplateSpaces
                let rewritten = Array("{{\(variableName)}}".utf8)
                switch try s.place(tag) {
                case .text:
                    s.out += unescaped ? rewritten : tag
                case .url:
                    s.out += Array(markers.enterURL.utf8) + rewritten + Array(markers.leaveURL.utf8)
                }
            } else {
                s.out += tag
            }
            for b in tag where b == 0x0A { s.line += 1 }
            s.i = end + close.utf8.count
        }
        try s.finish()
        return String(decoding: s.out, as: UTF8.self)
    }

    /// Where an output tag stands, once the check has let it through.
    enum Placement {
        /// HTML text or a quoted attribute value: HTML escaping makes it safe.
        case text
        /// The start of a URL attribute value: it must also pass ``SafeURL``.
        case url
    }

    enum Dialect {
        case mustache
        case leaf
    }

    /// The HTML tokenizer state that the Mustache and Leaf checks share. Literal template bytes
    /// are fed to it one at a time with `step()`; each output tag asks `place(_:)` whether it
    /// may stand where the tokenizer is.
    struct Scanner {
        let bytes: [UInt8]
        let name: String
        let dialect: Dialect
        var out: [UInt8] = []
        var state = State.data
        var line = 1
        var tagName: [UInt8] = []
        var attributeName: [UInt8] = []
        var valueSoFar: [UInt8] = []
        // Section nesting, to tell literal text that always renders from text inside a section.
        var sectionDepth = 0
        var valueStartDepth = 0
        // A literal `/`, `?` or `#` at the value's own depth: later variables are a path or query.
        var valueHasPathPrefix = false
        // <meta>: whether `http-equiv` is `refresh`, and the tag of a variable seen in `content`.
        var metaRefresh = false
        var metaContentVariable: [UInt8]? = nil
        var i = 0
        // Leaf: the names of the open blocks.
        var blocks: [String] = [] {
            didSet { sectionDepth = blocks.count }
        }

        init(_ source: String, name: String, dialect: Dialect) {
            bytes = Array(source.utf8)
            self.name = name
            self.dialect = dialect
            out.reserveCapacity(bytes.count + 64)
        }

        func fail(_ tag: [UInt8], _ reason: String, _ message: String) -> TemplateSecurityError {
            TemplateSecurityError(template: name, line: line, tag: String(decoding: tag, as: UTF8.self), reason: reason, message: message)
        }

        func startsWith(_ text: String, at index: Int, caseInsensitive: Bool = false) -> Bool {
            let needle = Array(text.utf8)
            guard index + needle.count <= bytes.count else { return false }
            for k in 0..<needle.count {
                let a = caseInsensitive && bytes[index + k] >= 0x41 && bytes[index + k] <= 0x5A ? bytes[index + k] | 0x20 : bytes[index + k]
                if a != needle[k] { return false }
            }
            return true
        }

        /// Whether an output tag starts at `index`: after `<` it would choose the element.
        func outputTagStarts(at index: Int) -> Bool {
            switch dialect {
            case .mustache:
                return startsWith("{{", at: index)
            case .leaf:
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "#") else { return false }
                return bytes[index + 1] == UInt8(ascii: "(") || HeaderGrammar.isAlpha(bytes[index + 1])
            }
        }

        /// At the end of an attribute value: `<meta http-equiv=refresh>` after a variable in
        /// `content` is refused too.
        mutating func finishValue() throws(TemplateSecurityError) {
            guard tagName == Array("meta".utf8), attributeName == Array("http-equiv".utf8) else { return }
            let value = HeaderGrammar.asciiLowercased(String(decoding: valueSoFar, as: UTF8.self)[...]).trimmingTemplateSpaces
            guard value == "refresh" else { return }
            metaRefresh = true
            if let variable = metaContentVariable {
                throw fail(variable, "inMetaRefresh", "is inside the content of <meta http-equiv=refresh>, a URL no filter sees")
            }
        }

        /// Whether the tokenizer is in HTML text (where partials, imports and markup may go).
        var inText: Bool {
            if case .data = state { return true }
            return false
        }

        /// Checks an output tag against the tokenizer's state: refused where escaping cannot
        /// make it safe, `.url` at the start of a URL attribute value, `.text` elsewhere.
        mutating func place(_ tag: [UInt8]) throws(TemplateSecurityError) -> Placement {
            switch state {
            case .data:
                return .text
            case .comment, .bogusComment:
                throw fail(tag, "inComment", "is inside an HTML comment, where it could end the comment")
            case .rawText(let element):
                let reason = element == "style" ? "inStyle" : (element == "script" ? "inScript" : "inRawText")
                throw fail(
                    tag,
                    reason,
                    "is inside <\(element)>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element"
                )
            case .tagName, .beforeAttributeName, .attributeName, .afterAttributeName:
                throw fail(tag, "inTag", "is inside a tag outside any attribute value, where it could add attributes")
            case .beforeAttributeValue, .attributeValue(quote: nil):
                throw fail(
                    tag,
                    "unquotedAttribute",
                    "is in an unquoted attribute value; quote it with \" so a space cannot start a new attribute"
                )
            case .attributeValue(quote: _?):
                let attribute = String(decoding: attributeName, as: UTF8.self)
                if attribute.hasPrefix("on") {
                    throw fail(tag, "inEventHandler", "is inside the event-handler attribute \(attribute), which runs as script")
                }
                if attribute == "style" {
                    throw fail(tag, "inStyleAttribute", "is inside a style attribute, where CSS can load URLs and break out")
                }
                if attribute == "srcdoc" {
                    throw fail(tag, "inHTMLAttribute", "is inside srcdoc, whose decoded value is the markup of a same-origin frame")
                }
                let tag0 = String(decoding: tagName, as: UTF8.self)
                if tag0 == "meta" && attribute == "http-equiv" {
                    throw fail(tag, "inHTMLAttribute", "is inside <meta http-equiv>, which could make the page refresh to a URL")
                }
                if tag0 == "meta" && attribute == "content" {
                    if metaRefresh {
                        throw fail(tag, "inMetaRefresh", "is inside the content of <meta http-equiv=refresh>, a URL no filter sees")
                    }
                    metaContentVariable = tag
                }
                valueSoFar += [UInt8(ascii: "x")]
                // Every variable in a URL attribute is filtered as a URL unless literal
                // template text before it, outside any section, already holds `/`, `?` or
                // `#` (then it can only be a path, query or fragment part).
                return urlAttributes.contains(attribute) && !valueHasPathPrefix ? .url : .text
            }
        }

        /// Copies the literal byte at `i` to the output and advances the tokenizer.
        mutating func step() throws(TemplateSecurityError) {
            let b = bytes[i]
            if b == 0x0A { line += 1 }
            out.append(b)
            i += 1
            let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
            let isSpace = b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C

            switch state {
            case .data:
                if b == UInt8(ascii: "<") {
                    if startsWith("!--", at: i) {
                        state = .comment
                        out += bytes[i..<(i + 3)]
                        i += 3
                    } else if i < bytes.count,
                        HeaderGrammar.isAlpha(bytes[i]) || outputTagStarts(at: i)
                            || (bytes[i] == UInt8(ascii: "/") && outputTagStarts(at: i + 1))
                    {
                        // A variable right after "<" would choose the element: treat it as a tag name.
                        state = .tagName
                        tagName = []
                        metaRefresh = false
                        metaContentVariable = nil
                    } else if i < bytes.count, bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") {
                        // `</>`: the tokenizer drops it and stays in data.
                        state = .tagName
                        tagName = [UInt8(ascii: "/")]
                    } else if i < bytes.count, bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "?") || bytes[i] == UInt8(ascii: "/") {
                        // `<!x`, `<?x`, `</!x`: a bogus comment up to the first `>`.
                        state = .bogusComment
                    }
                }
            case .bogusComment:
                if b == UInt8(ascii: ">") { state = .data }
            case .comment:
                if b == UInt8(ascii: "-") && startsWith("->", at: i) {
                    out += bytes[i..<(i + 2)]
                    i += 2
                    state = .data
                }
            case .rawText(let element):
                // As the HTML tokenizer: `</name` ends the element only when whitespace, `/` or
                // `>` follows (`</scriptx>` is still script).
                let after = i + 1 + element.utf8.count
                if b == UInt8(ascii: "<") && startsWith("/" + element, at: i, caseInsensitive: true)
                    && (after >= bytes.count || [0x20, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "/"), UInt8(ascii: ">")].contains(bytes[after]))
                {
                    state = .tagName
                    tagName = [UInt8(ascii: "/")]
                } else if b == UInt8(ascii: "<") && element == "script" && startsWith("!--", at: i) {
                    throw fail(
                        Array("<!--".utf8),
                        "escapedRawText",
                        "is a comment opener inside <script>, where the tokenizer's escaped states change where the script ends"
                    )
                }
            case .tagName:
                if isSpace {
                    state = .beforeAttributeName
                } else if b == UInt8(ascii: ">") {
                    state = afterTag(tagName)
                } else if b == UInt8(ascii: "/") && !tagName.isEmpty {
                    state = .beforeAttributeName
                } else {
                    tagName.append(lower)
                }
            case .beforeAttributeName:
                if isSpace || b == UInt8(ascii: "/") { break }
                if b == UInt8(ascii: ">") {
                    state = afterTag(tagName)
                } else {
                    state = .attributeName
                    attributeName = [lower]
                }
            case .attributeName:
                if isSpace {
                    state = .afterAttributeName
                } else if b == UInt8(ascii: "=") {
                    state = .beforeAttributeValue
                } else if b == UInt8(ascii: ">") {
                    state = afterTag(tagName)
                } else if b == UInt8(ascii: "/") {
                    state = .beforeAttributeName
                } else {
                    attributeName.append(lower)
                }
            case .afterAttributeName:
                if isSpace { break }
                if b == UInt8(ascii: "=") {
                    state = .beforeAttributeValue
                } else if b == UInt8(ascii: ">") {
                    state = afterTag(tagName)
                } else {
                    state = .attributeName
                    attributeName = [lower]
                }
            case .beforeAttributeValue:
                if isSpace { break }
                valueSoFar = []
                valueStartDepth = sectionDepth
                valueHasPathPrefix = false
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                    state = .attributeValue(quote: b)
                } else if b == UInt8(ascii: ">") {
                    state = afterTag(tagName)
                } else {
                    state = .attributeValue(quote: nil)
                    valueSoFar = [b]
                    valueHasPathPrefix = b == UInt8(ascii: "/") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#")
                }
            case .attributeValue(let quote):
                let ends = quote.map { b == $0 } ?? (isSpace || b == UInt8(ascii: ">"))
                if ends {
                    try finishValue()
                    state = quote == nil && b == UInt8(ascii: ">") ? afterTag(tagName) : .beforeAttributeName
                } else {
                    valueSoFar.append(b)
                    if sectionDepth == valueStartDepth && (b == UInt8(ascii: "/") || b == UInt8(ascii: "?") || b == UInt8(ascii: "#")) {
                        valueHasPathPrefix = true
                    }
                }
            }
        }

        /// Every template, partials included, must end where it began: in HTML text. A partial
        /// that left `<script>` or an attribute open would put the includer's variables there.
        func finish() throws(TemplateSecurityError) {
            guard inText else {
                throw TemplateSecurityError(
                    template: name,
                    line: line,
                    tag: "(end)",
                    reason: "endsInContext",
                    message: "is inside \(describe(state)); every template and partial must end in HTML text"
                )
            }
        }
    }

    static func describe(_ state: State) -> String {
        switch state {
        case .data: "HTML text"
        case .comment, .bogusComment: "an HTML comment"
        case .rawText(let element): "<\(element)>"
        case .attributeValue: "an attribute value"
        default: "a tag"
        }
    }

    /// The state after a tag closes: raw text for `<script>`, `<style>` and the like.
    static func afterTag(_ name: [UInt8]) -> State {
        let element = String(decoding: name, as: UTF8.self)
        return rawTextElements.contains(element) ? .rawText(element) : .data
    }
}

extension String {
    var trimmingTemplateSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
