// TemplateContextCheck: the HTML-context check and rewrite of Mustache templates.
//
// Input: a template file.
//
// Properties:
// 1. The markers never change the verdict, and removing them from the rewritten text gives the
//    text rewritten without markers.
// 2. The rewrite is a fixed point: checking its own output (without markers) accepts it and
//    changes nothing.
// 3. A refusal names a line of the template, and is stable: text appended after a refused
//    template never changes the verdict (except a refusal about the end of the template: an
//    unclosed tag, or text that ends inside a tag or a raw-text element).
// 4. With RAMPART_FUZZ_DUMP set, each accepted template and its rewrite are written out, and
//    check_corpus.py renders them with hostile values and parses the result with html5lib: every
//    value must land in text or in a quoted attribute value that is neither an event handler nor
//    a style, never in a raw-text element, a comment, a tag or an attribute name.
import Foundation
import FuzzSupport
import Rampart

let markers = TemplateContextCheck.Markers(enterURL: "{{% CONTENT_TYPE: URL}}", leaveURL: "{{% CONTENT_TYPE: HTML}}")
let noMarkers = TemplateContextCheck.Markers(enterURL: "", leaveURL: "")

func check(_ text: String, _ markers: TemplateContextCheck.Markers) -> Result<String, TemplateSecurityError> {
    Result { () throws(TemplateSecurityError) -> String in try TemplateContextCheck.check(text, name: "fuzz", markers: markers) }
}

func fuzz(_ input: FuzzInput) {
    var bytes = input.bytes
    var suffix: [UInt8] = []
    // An optional suffix after a NUL byte, for the stability check.
    if let nul = bytes.firstIndex(of: 0) {
        suffix = Array(bytes[(nul + 1)...])
        bytes = Array(bytes[..<nul])
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let lineCount = text.utf8.filter { $0 == 0x0A }.count + 1

    let plain = check(text, noMarkers)
    // With markers on half the inputs (and always when dumping), to keep the rate up.
    let marked = Dump.isEnabled || (input.bytes.last ?? 0) & 1 == 0 ? check(text, markers) : plain
    verbose("template \(show(text))\n  with markers: \(marked)\n  without:      \(plain)")
    switch (marked, plain) {
    case (.success(let withMarkers), .success(let without)):
        // 1. Markers only add the markers.
        let stripped = replacingBytes(replacingBytes(withMarkers, markers.enterURL, with: ""), markers.leaveURL, with: "")
        require(sameBytes(stripped, without) || text.contains("CONTENT_TYPE"), "markers changed more than the markers:\n  \(show(withMarkers))\n  \(show(without))")
        // 2. Fixed point.
        switch check(without, noMarkers) {
        case .success(let again):
            require(sameBytes(again, without), "the rewrite is not a fixed point:\n  once  \(show(without))\n  twice \(show(again))")
        case .failure(let error):
            propertyFailed("the rewrite of an accepted template is refused (\(error)):\n  template \(show(text))\n  rewrite  \(show(without))")
        }
        if Dump.isEnabled { Dump.record("template", ["template": text, "rewrite": withMarkers]) }
    case (.failure(let a), .failure(let b)):
        require(a == b, "markers changed the refusal: \(a) vs \(b)")
        // 3. A line of the template, and stable under appended text.
        require((1...lineCount).contains(a.line), "refusal on line \(a.line) of \(lineCount): \(a)")
        // Refusals at the end of the template (an unclosed tag, or text that ends inside a tag,
        // attribute or raw-text element) depend on what follows; the others are final.
        if a.reason != "unclosedTag" && a.reason != "endsInContext" {
            let longer = text + String(decoding: suffix, as: UTF8.self)
            switch check(longer, noMarkers) {
            case .success:
                propertyFailed("appending \(show(String(decoding: suffix, as: UTF8.self))) made a refused template pass:\n  \(show(text))\n  refused: \(a)")
            case .failure(let c):
                require(c.reason == a.reason && c.line == a.line && c.tag == a.tag, "appending text changed the refusal from \(a) to \(c)")
            }
        }
    default:
        propertyFailed("markers changed the verdict: \(marked) vs \(plain) for \(show(text))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
