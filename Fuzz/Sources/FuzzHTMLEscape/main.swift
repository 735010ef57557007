// HTML escaping (HTML.escape, the SIMD block writer), Markup interpolation, and JSONForHTML.escape.
//
// Input: any bytes, as text and as raw UTF-8.
//
// Properties:
// 1. `HTML.escape` equals a byte-at-a-time escaper written here (& < > " ' to &amp; &lt; &gt;
//    &quot; &#39;), so the output holds none of the five raw, and decoding those five entities
//    gives the input back. `escape(utf8:)` on raw bytes equals `escape` of their UTF-8 decoding.
//    The same holds for the input shifted by 1–15 bytes (every alignment of the 16-byte blocks).
// 2. Interpolating a String into Markup escapes it exactly so.
// 3. `JSONForHTML.escape` leaves no `<`, `>`, `&`, and on UTF-8 input (what a JSON encoder
//    writes) no U+2028 or U+2029, and turning its `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`
//    back gives the input.
// 4. With RAMPART_FUZZ_DUMP set, each input and its escape are written out; check_corpus.py parses
//    `<p title="…">…</p>` with html5lib and checks that the attribute and the text both read back
//    as the input.
import FuzzSupport
import Rampart

let entities: [[UInt8]] = {
    var table = [[UInt8]](repeating: [], count: 256)
    for b in 0..<256 { table[b] = [UInt8(b)] }
    table[Int(UInt8(ascii: "&"))] = Array("&amp;".utf8)
    table[Int(UInt8(ascii: "<"))] = Array("&lt;".utf8)
    table[Int(UInt8(ascii: ">"))] = Array("&gt;".utf8)
    table[Int(UInt8(ascii: "\""))] = Array("&quot;".utf8)
    table[Int(UInt8(ascii: "'"))] = Array("&#39;".utf8)
    return table
}()

func referenceEscape(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 16)
    for b in bytes { out += entities[Int(b)] }
    return out
}

/// Decodes the five entities; nil if a '&' starts anything else, or a raw special byte is left.
func unescape(_ bytes: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    outer: while i < bytes.count {
        let b = bytes[i]
        if b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") { return nil }
        if b == UInt8(ascii: "&") {
            for raw in "&<>\"'".utf8 {
                let entity = entities[Int(raw)]
                if bytes.count - i >= entity.count, bytes[i..<(i + entity.count)].elementsEqual(entity) {
                    out.append(raw)
                    i += entity.count
                    continue outer
                }
            }
            return nil
        }
        out.append(b)
        i += 1
    }
    return out
}

/// JSONForHTML's five escapes turned back, in one pass.
func unescapeJSON(_ bytes: [UInt8]) -> [UInt8] {
    let escapes: [([UInt8], [UInt8])] = [("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"), ("\\u2028", "\u{2028}"), ("\\u2029", "\u{2029}")].map { (Array($0.0.utf8), Array($0.1.utf8)) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    outer: while i < bytes.count {
        if bytes[i] == UInt8(ascii: "\\"), bytes.count - i >= 6 {
            for (escape, raw) in escapes where bytes[i..<(i + 6)].elementsEqual(escape) {
                out += raw
                i += 6
                continue outer
            }
        }
        out.append(bytes[i])
        i += 1
    }
    return out
}

func fuzz(_ input: FuzzInput) {
    let text = input.text
    let textBytes = Array(text.utf8)
    let escaped = HTML.escape(text)
    let escapedBytes = Array(escaped.utf8)
    let expected = referenceEscape(textBytes)
    require(escapedBytes == expected, "HTML.escape(\(show(text))) = \(show(escaped)), expected \(show(String(decoding: expected, as: UTF8.self)))")
    require(unescape(escapedBytes) == textBytes, "a raw special byte, or unescaping does not give the input back: \(show(escaped))")
    require(HTML.escape(utf8: input.bytes).utf8.elementsEqual(escapedBytes), "escape(utf8:) differs from escape of the decoded text")
    // A shifted copy exercises another alignment of the 16-byte blocks.
    let shift = input.bytes.count % 15 + 1
    let padded = String(repeating: "a", count: shift) + text
    require(Array(HTML.escape(padded).utf8) == [UInt8](repeating: UInt8(ascii: "a"), count: shift) + expected, "HTML.escape differs at alignment \(shift) on \(show(text))")

    let markup: Markup = "<p title=\"\(text)\">\(text)</p>"
    let written = String(decoding: expected, as: UTF8.self)
    require(sameBytes(markup.html, "<p title=\"\(written)\">\(written)</p>"), "Markup interpolation differs from HTML.escape")

    let json = JSONForHTML.escape(input.bytes)
    let jsonBytes = Array(json.utf8)
    let isUTF8 = textBytes == input.bytes
    require(!jsonBytes.contains { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") },
            "JSONForHTML left a raw < > &: \(show(json)) from bytes \(input.bytes.map { String($0, radix: 16) })")
    // The escapes are defined on JSON text (valid UTF-8); the input may also hold them as text.
    if isUTF8, !input.bytes.contains(UInt8(ascii: "\\")) {
        require(!json.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 }, "JSONForHTML left U+2028/9 in \(show(json))")
        require(unescapeJSON(jsonBytes) == input.bytes, "JSONForHTML does not round-trip: \(show(text)) -> \(show(json))")
    }
    if Dump.isEnabled { Dump.record("html", ["input": text, "escaped": escaped]) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
