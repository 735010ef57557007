// `application/x-www-form-urlencoded` decoding (URLEncodedForm in the core), through
// its public entry point `Request.formQueryValue(_:)`. The same decoder reads the `_csrf` field of
// a form body and RFC 8187 file names in multipart parts.
//
// Input: a query string (after `?`, up to any `#`).
//
// Properties:
// 1. For every name in the query, `formQueryValue` returns the first value that the WHATWG URL
//    Standard's urlencoded parser (§5.1, written here) gives for exactly that name, compared as
//    code points.
//    `URLEncodedForm.pairs` (the core's reader) gives exactly the parser's pairs for the raw bytes.
// 2. Pairs generated from the input, serialised with the urlencoded serialiser (§5.2, written
//    here), read back.
// 3. With RAMPART_FUZZ_DUMP set, each (query, name, value) is written out for check_corpus.py to
//    compare with ada-url's URLSearchParams.
import FuzzSupport
import HTTPTypes
import Hummingbird
import NIOCore
import Rampart
import RampartHummingbird

/// WHATWG URL §5.1 application/x-www-form-urlencoded parsing.
func referenceParse(_ bytes: [UInt8]) -> [(name: String, value: String)] {
    func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
    func percentDecode(_ bytes: ArraySlice<UInt8>) -> String {
        let input = bytes.map { $0 == UInt8(ascii: "+") ? 0x20 : $0 }
        var out: [UInt8] = []
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%"), i + 2 < input.count, let h = hex(input[i + 1]), let l = hex(input[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(input[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
    var pairs: [(name: String, value: String)] = []
    for sequence in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
        if let equals = sequence.firstIndex(of: UInt8(ascii: "=")) {
            pairs.append((percentDecode(sequence[..<equals]), percentDecode(sequence[(equals + 1)...])))
        } else {
            pairs.append((percentDecode(sequence), ""))
        }
    }
    return pairs
}

/// WHATWG URL §5.2 application/x-www-form-urlencoded serialising.
func serialize(_ pairs: [(name: String, value: String)]) -> String {
    func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x20: out += "+"
            case 0x2A, 0x2D, 0x2E, 0x5F, 0x30...0x39, 0x41...0x5A, 0x61...0x7A: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }
    return pairs.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&")
}

func request(query: String) -> Request {
    Request(head: HTTPRequest(method: .get, scheme: "https", authority: "example.com", path: "/search?" + query), body: RequestBody(buffer: ByteBuffer()))
}

func fuzz(_ input: FuzzInput) {
    var query = input.bytes
    if let hash = query.firstIndex(of: UInt8(ascii: "#")) { query = Array(query[..<hash]) }
    let text = String(decoding: query, as: UTF8.self)
    let decoded = request(query: text)
    // The query as the request holds it (HTTPRequest legalises the path).
    let held = decoded.uri.query ?? ""
    let expected = referenceParse(Array(held.utf8))

    // 1. Every name written, plus one built from the input.
    var names: [String] = []
    for (name, _) in expected where !names.contains(where: { sameBytes($0, name) }) { names.append(name) }
    var generator = input
    names.append(generator.string(from: Array("_csrfqKk".utf8), upTo: 6))
    for name in names.prefix(10) {
        let value = decoded.formQueryValue(name)
        let reference = expected.first { sameBytes($0.name, name) }?.value
        require(value.map { Array($0.utf8) } == reference.map { Array($0.utf8) },
                "formQueryValue(\(show(name))) in \(show(held)) is \(value.map { show($0) } ?? "nil"), the WHATWG parser gives \(reference.map { show($0) } ?? "nil")")
        if Dump.isEnabled { Dump.record("form", ["query": held, "name": name, "value": value ?? "\u{0}none"]) }
    }

    // 1b. The core's reader on the raw bytes (no HTTPRequest in between): every pair, in order.
    let core = URLEncodedForm.pairs(in: query)
    let raw = referenceParse(query)
    require(core.count == raw.count && zip(core, raw).allSatisfy { sameBytes($0.name, $1.name) && sameBytes($0.value, $1.value) },
            "URLEncodedForm.pairs(\(show(text))) differs from the WHATWG parser")

    // 2. Generated pairs.
    var pairs: [(name: String, value: String)] = []
    for _ in 0..<generator.int(in: 0...4) {
        pairs.append((String(decoding: generator.bytes(upTo: 12), as: UTF8.self), String(decoding: generator.bytes(upTo: 24), as: UTF8.self)))
    }
    let serialized = serialize(pairs)
    let form = request(query: serialized)
    for (name, _) in pairs {
        let first = pairs.first { sameBytes($0.name, name) }!.value
        let value = form.formQueryValue(name)
        require(value.map { sameBytes($0, first) } == true, "serialised \(show(serialized)): \(show(name)) read as \(value.map { show($0) } ?? "nil"), expected \(show(first))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
