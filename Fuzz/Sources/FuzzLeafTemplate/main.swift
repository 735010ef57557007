// TemplateContextCheck.checkLeaf: the HTML-context check and rewrite of Leaf templates.
//
// Input: a template file (with an optional suffix after a NUL byte).
//
// Properties:
// 1. An accepted template's rewrite has no anonymous `#(` tag left for LeafKit: every `#(` is
//    escaped (`\#(`), so every expression prints through Rampart's tags.
// 2. The rewrite only adds (it is at least as long as the template), and a template without
//    `#` comes back unchanged.
// 3. A refusal names a line of the template, and text appended after a refused template never
//    makes it pass (except refusals about the end: an unclosed tag or block, text that ends
//    inside a tag, attribute or raw-text element, or a template that ends in tag syntax, whose
//    tag the appended text could extend).
import FuzzSupport
import Rampart

let rules = TemplateContextCheck.LeafRules(
    textTag: "rampartText",
    urlTag: "rampartURL",
    markupTags: ["csrfField", "csrfMeta"],
    refusedTags: ["unsafeHTML": "refused"],
    knownTags: ["rampartText", "rampartURL", "cspNonce", "csrfField", "csrfMeta", "lowercased", "count", "date"]
)

func check(_ text: String) -> Result<String, TemplateSecurityError> {
    Result { () throws(TemplateSecurityError) -> String in try TemplateContextCheck.checkLeaf(text, name: "fuzz", rules: rules) }
}

/// Whether LeafKit would lex an anonymous `#(` tag in `bytes`: outside `\\#`, and outside the
/// parameters of a named tag (which run to the matching `)`, skipping `"…"` with `\\"`).
func hasAnonymousTag(_ bytes: [UInt8]) -> Bool {
    func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    var i = 0
    while i < bytes.count {
        if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "#") {
            i += 2
            continue
        }
        guard bytes[i] == UInt8(ascii: "#"), i + 1 < bytes.count else {
            i += 1
            continue
        }
        if bytes[i + 1] == UInt8(ascii: "(") { return true }
        var j = i + 1
        while j < bytes.count && isLetter(bytes[j]) { j += 1 }
        guard j > i + 1, j < bytes.count, bytes[j] == UInt8(ascii: "(") else {
            i = max(j, i + 1)
            continue
        }
        var depth = 0
        while j < bytes.count {
            let c = bytes[j]
            if c == UInt8(ascii: "\"") {
                j += 1
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") {
                    j += bytes[j] == UInt8(ascii: "\\") && j + 1 < bytes.count && bytes[j + 1] == UInt8(ascii: "\"") ? 2 : 1
                }
            } else if c == UInt8(ascii: "(") {
                depth += 1
            } else if c == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { break }
            }
            j += 1
        }
        i = j + 1
    }
    return false
}

func fuzz(_ input: FuzzInput) {
    var bytes = input.bytes
    var suffix: [UInt8] = []
    if let nul = bytes.firstIndex(of: 0) {
        suffix = Array(bytes[(nul + 1)...])
        bytes = Array(bytes[..<nul])
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let lineCount = text.utf8.filter { $0 == 0x0A }.count + 1
    let result = check(text)
    verbose("template \(show(text))\n  result: \(result)")
    switch result {
    case .success(let rewrite):
        let out = Array(rewrite.utf8)
        // 1. No anonymous expression is left to LeafKit's own escaping path.
        require(!hasAnonymousTag(out), "an anonymous #( survived the rewrite:\n  \(show(text))\n  \(show(rewrite))")
        // 2. Only additions; no `#`, nothing to rewrite.
        require(out.count >= text.utf8.count, "the rewrite is shorter than the template: \(show(text)) -> \(show(rewrite))")
        if !text.utf8.contains(UInt8(ascii: "#")) {
            require(sameBytes(rewrite, text), "a template without # was changed: \(show(text)) -> \(show(rewrite))")
        }
    case .failure(let error):
        // 3. A line of the template, and stable under appended text.
        require((1...lineCount).contains(error.line), "refusal on line \(error.line) of \(lineCount): \(error)")
        // A template that ends in the middle of what could still be a tag (a name, parameters,
        // a `:`) can change meaning with what follows: `#cspNonce` + `x` is `#cspNoncex`.
        let last = bytes.last ?? 0x20
        let endsInTagSyntax = (last >= 0x41 && last <= 0x5A) || (last >= 0x61 && last <= 0x7A) || Array("#()\":\\".utf8).contains(last)
        if error.reason != "unclosedTag" && error.reason != "endsInContext" && !endsInTagSyntax {
            if case .success = check(text + String(decoding: suffix, as: UTF8.self)) {
                propertyFailed("appending \(show(String(decoding: suffix, as: UTF8.self))) made a refused template pass:\n  \(show(text))\n  refused: \(error)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
