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
//    makes it pass (except refusals about the end: an unclosed tag or block, or text that ends
//    inside a tag, attribute or raw-text element).
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
        for i in out.indices.dropLast() where out[i] == UInt8(ascii: "#") && out[i + 1] == UInt8(ascii: "(") {
            require(i > 0 && out[i - 1] == UInt8(ascii: "\\"), "an anonymous #( survived the rewrite:\n  \(show(text))\n  \(show(rewrite))")
        }
        // 2. Only additions; no `#`, nothing to rewrite.
        require(out.count >= text.utf8.count, "the rewrite is shorter than the template: \(show(text)) -> \(show(rewrite))")
        if !text.utf8.contains(UInt8(ascii: "#")) {
            require(sameBytes(rewrite, text), "a template without # was changed: \(show(text)) -> \(show(rewrite))")
        }
    case .failure(let error):
        // 3. A line of the template, and stable under appended text.
        require((1...lineCount).contains(error.line), "refusal on line \(error.line) of \(lineCount): \(error)")
        if error.reason != "unclosedTag" && error.reason != "endsInContext" {
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
