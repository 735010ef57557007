extension TemplateContextCheck {
    /// What the Leaf check rewrites output tags to, and which tags it treats specially.
    ///
    /// See [Leaf: overview](https://docs.vapor.codes/leaf/overview/) and
    /// [Go `html/template` contexts](https://pkg.go.dev/html/template#hdr-Contexts).
    public struct LeafRules: Sendable {
        /// The tag `#(expr)` in text or a quoted attribute value is rewritten to, as
        /// `#textTag(expr)`: an unescaped tag that escapes through ``HTML/escape(_:)``.
        public let textTag: String
        /// The tag an output at the start of a URL attribute value is wrapped in, as
        /// `#urlTag(expr)`: an unescaped tag that filters through ``SafeURL`` and escapes.
        public let urlTag: String
        /// Tags whose output is markup, not escaped (`UnsafeUnescapedLeafTag`s such as
        /// `csrfField`): allowed only in HTML text, never inside a tag or an attribute.
        public let markupTags: Set<String>
        /// Tags refused wherever they stand, with the reason to show (`unsafeHTML`, which
        /// writes template data into the page as markup).
        public let refusedTags: [String: String]
        /// The registered tag names. A bare `#name` (no parameters, no body) is a tag only when
        /// it is registered; otherwise LeafKit prints it as it is (`href="#top"`).
        public let knownTags: Set<String>

        /// Rules naming the rewrite tags (ASCII letters only, as Leaf's tag names are).
        public init(textTag: String, urlTag: String, markupTags: Set<String>, refusedTags: [String: String], knownTags: Set<String>) {
            self.textTag = textTag
            self.urlTag = urlTag
            self.markupTags = markupTags
            self.refusedTags = refusedTags
            self.knownTags = knownTags
        }
    }

    /// Checks a Leaf template's output tags against the HTML context they stand in, and
    /// rewrites it so output escapes through Rampart.
    ///
    /// It follows LeafKit 1.14's lexer: `\#` is a literal `#`; `#` followed by `(` or an ASCII
    /// letter starts a tag; a tag name is ASCII letters; parameters run to the matching `)`,
    /// skipping `"…"` literals (with `\"` inside); a `:` after the name or the parameters opens
    /// a body, which `#end…` closes.
    ///
    /// Refused, with the template name, line and reason, as ``check(_:name:markers:)`` refuses
    /// them: an output tag (`#(x)`, or any tag with parameters that is not a block) inside
    /// `<script>`, `<style>`, an `on*` or `style` attribute, an unquoted attribute value, a
    /// comment or a tag; `#extend`, `#import` and markup tags outside HTML text; the
    /// ``LeafRules/refusedTags``; and a template that does not end in HTML text. A tag with a
    /// non-ASCII byte outside string literals, or a combining mark right after `#`, `"` or
    /// `)` (which would join it into another `Character` for LeafKit's lexer), is refused as
    /// `malformedTag`.
    ///
    /// Rewritten: `#(x)` becomes `#textTag(x)`; an output at the start of a URL attribute value
    /// becomes `#urlTag(x)` (or `#urlTag(name(x))` for a named tag).
    public static func checkLeaf(_ source: String, name: String, rules: LeafRules) throws(TemplateSecurityError) -> String {
        var s = Scanner(source, name: name, dialect: .leaf)
        let bytes = s.bytes
        let n = bytes.count
        let hash = UInt8(ascii: "#")
        while s.i < n {
            let b = bytes[s.i]
            // `\#` prints `#`: keep both bytes for LeafKit, and feed `#` to the tokenizer as text.
            if b == UInt8(ascii: "\\") && s.i + 1 < n && bytes[s.i + 1] == hash {
                s.out.append(b)
                s.i += 1
                try s.step()
                continue
            }
            guard b == hash, s.i + 1 < n else {
                try s.step()
                continue
            }
            let next = bytes[s.i + 1]
            if next >= 0x80 && joinsPrevious(bytes, at: s.i + 1) {
                throw s.fail(
                    Array(bytes[s.i..<min(n, s.i + 8)]),
                    "malformedTag",
                    "has a combining mark after #; LeafKit would read another character"
                )
            }
            guard next == UInt8(ascii: "(") || HeaderGrammar.isAlpha(next) else {
                try s.step()
                continue
            }
            try leafTag(&s, rules: rules)
        }
        if let open = s.blocks.last {
            throw TemplateSecurityError(
                template: name,
                line: s.line,
                tag: "#\(open)",
                reason: "unclosedTag",
                message: "is still open at the end; close it with #end\(open == "else" || open == "elseif" ? "if" : open)"
            )
        }
        try s.finish()
        return String(decoding: s.out, as: UTF8.self)
    }

    /// Whether the scalar starting at `index` extends the grapheme before it (a combining mark,
    /// a variation selector, a zero-width joiner or a spacing mark), so that Swift's
    /// `Character`, which LeafKit's lexer compares, would not be the ASCII byte before it.
    static func joinsPrevious(_ bytes: [UInt8], at index: Int) -> Bool {
        let tail = bytes[index..<min(bytes.count, index + 4)]
        guard let scalar = String(decoding: tail, as: UTF8.self).unicodeScalars.first else { return false }
        return scalar.properties.isGraphemeExtend || scalar.value == 0x200D || scalar.properties.generalCategory == .spacingMark
    }

    /// One Leaf tag at `s.i` (a `#` followed by `(` or a letter).
    static func leafTag(_ s: inout Scanner, rules: LeafRules) throws(TemplateSecurityError) {
        let bytes = s.bytes
        let n = bytes.count
        let start = s.i
        var j = start + 1
        while j < n && HeaderGrammar.isAlpha(bytes[j]) { j += 1 }
        let name = String(decoding: bytes[(start + 1)..<j], as: UTF8.self)
        var parameters: Range<Int>? = nil
        if j < n && bytes[j] == UInt8(ascii: "(") {
            let open = j
            var depth = 0
            var closed = false
            while j < n {
                let c = bytes[j]
                if c == UInt8(ascii: "\"") {
                    if j + 1 < n && bytes[j + 1] >= 0x80 && joinsPrevious(bytes, at: j + 1) {
                        throw s.fail(
                            Array(bytes[start..<min(n, j + 4)]),
                            "malformedTag",
                            "has a combining mark after a quote; LeafKit would read another character"
                        )
                    }
                    j += 1
                    while j < n && bytes[j] != UInt8(ascii: "\"") {
                        if bytes[j] == 0x0A || bytes[j] == 0x0D {
                            throw s.fail(Array(bytes[start..<j]), "malformedTag", "has a string literal that runs past the end of the line")
                        }
                        if bytes[j] == UInt8(ascii: "\\") && j + 1 < n && bytes[j + 1] == UInt8(ascii: "\"") {
                            j += 2
                            continue
                        }
                        j += 1
                    }
                    guard j < n else { break }
                    if j + 1 < n && bytes[j + 1] >= 0x80 && joinsPrevious(bytes, at: j + 1) {
                        throw s.fail(
                            Array(bytes[start..<min(n, j + 4)]),
                            "malformedTag",
                            "has a combining mark after a quote; LeafKit would read another character"
                        )
                    }
                } else if c >= 0x80 || c == 0x0A || c == 0x0D {
                    throw s.fail(
                        Array(bytes[start..<j]),
                        "malformedTag",
                        "has a non-ASCII byte or a line break outside a string literal; put the text in the context or in \"…\""
                    )
                } else if c == UInt8(ascii: "(") {
                    depth += 1
                } else if c == UInt8(ascii: ")") {
                    depth -= 1
                    if depth == 0 {
                        j += 1
                        closed = true
                        break
                    }
                }
                j += 1
            }
            guard closed else {
                throw s.fail(Array(bytes[start..<min(n, start + 40)]), "unclosedTag", "is not closed")
            }
            if j < n && bytes[j] >= 0x80 && joinsPrevious(bytes, at: j) {
                throw s.fail(
                    Array(bytes[start..<min(n, j + 4)]),
                    "malformedTag",
                    "has a combining mark after ); LeafKit would read another character"
                )
            }
            parameters = (open + 1)..<(j - 1)
        }
        // `#(x):` has no body: LeafKit prints the colon.
        var hasBody = false
        if !name.isEmpty && j < n && bytes[j] == UInt8(ascii: ":") {
            hasBody = true
            j += 1
            if j < n && bytes[j] >= 0x80 && joinsPrevious(bytes, at: j) {
                throw s.fail(
                    Array(bytes[start..<min(n, j + 4)]),
                    "malformedTag",
                    "has a combining mark after :; LeafKit would read another character"
                )
            }
        }
        // A bare `#name` that is not a registered tag, a block or a terminator is text to
        // LeafKit (it prints `#name`): let the tokenizer see it as text.
        let isTerminator = name.hasPrefix("end") || name == "else" || name == "elseif"
        if parameters == nil && !hasBody && !isTerminator && !rules.knownTags.contains(name) {
            try s.step()
            while s.i < j { try s.step() }
            return
        }
        let tag = Array(bytes[start..<j])
        defer {
            for b in tag where b == 0x0A { s.line += 1 }
            s.i = j
        }

        if let reason = rules.refusedTags[name] {
            throw s.fail(tag, "refusedTag", reason)
        }
        // As LeafKit's parser: a terminator (`#end…`, `#else`, `#elseif`) closes the open
        // block first, and a tag with `:` then opens one.
        if isTerminator {
            guard let closed = s.blocks.popLast() else {
                throw s.fail(tag, "malformedTag", "closes a block that is not open")
            }
            if closed == "export" && !s.inText {
                throw s.fail(
                    tag,
                    "exportEndsInContext",
                    "ends an #export body outside HTML text; the body is placed where #import stands, in HTML text"
                )
            }
        }
        if hasBody {
            if name == "export" && !s.inText {
                throw s.fail(
                    tag,
                    "partialInContext",
                    "starts an #export body outside HTML text; the body is placed where #import stands, in HTML text"
                )
            }
            if name == "extend" && !s.inText {
                throw s.fail(
                    tag,
                    "partialInContext",
                    "includes another template outside plain HTML text; templates are checked as HTML text on their own"
                )
            }
            s.blocks.append(name)
        }
        if isTerminator || hasBody {
            s.out += tag
            return
        }
        switch name {
        case "extend", "import":
            guard s.inText else {
                throw s.fail(
                    tag,
                    "partialInContext",
                    "includes another template outside plain HTML text; templates are checked as HTML text on their own"
                )
            }
            s.out += tag
            return
        case "export":
            // `#export("key", value)`: the value is placed where #import stands.
            s.out += tag
            return
        case "":
            guard let parameters else {
                throw s.fail(tag, "malformedTag", "is an expression without parameters")
            }
            switch try s.place(tag) {
            case .text:
                s.out += Array("#\(rules.textTag)(".utf8) + bytes[parameters] + [UInt8(ascii: ")")]
            case .url:
                s.out += Array("#\(rules.urlTag)(".utf8) + bytes[parameters] + [UInt8(ascii: ")")]
            }
            return
        default:
            break
        }
        // A tag that writes output: checked where it stands, as #(…) is.
        let placement = try s.place(tag)
        if rules.markupTags.contains(name) {
            guard s.inText else {
                throw s.fail(tag, "markupInContext", "writes markup, so it may stand only in HTML text, not inside a tag or an attribute")
            }
        }
        switch placement {
        case .text:
            s.out += tag
        case .url:
            guard let parameters else {
                throw s.fail(tag, "malformedTag", "starts a URL attribute without parameters; write it as #\(name)() so it can be filtered")
            }
            s.out += Array("#\(rules.urlTag)(\(name)(".utf8) + bytes[parameters] + Array("))".utf8)
        }
    }
}
