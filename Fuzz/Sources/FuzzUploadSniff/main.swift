// Upload content sniffing (UploadPolicy.inspect, earlyRefusal) and the download headers built
// from a client's file name (SafeDownload).
//
// Input: a file's bytes; the same bytes, as text, are the client's file name.
//
// Properties:
// 1. `inspect` agrees with a reading written here from the documentation: too large, empty, the
//    first allowed type whose signature (table below, from the WHATWG MIME Sniffing standard)
//    starts the file, polyglot when its first 1024 bytes hold one of the markup openers in any
//    ASCII case.
// 2. `earlyRefusal` on the first 16 bytes refuses only files that `inspect` would refuse as
//    unsupported, and never waits (nil) once 16 bytes are there unless a type matches.
// 3. `Content-Disposition` for any file name is a valid field value: the `filename` fallback is
//    printable ASCII without `"` `\` `/` `;` `%`; `filename*` is RFC 8187 (attr-chars and %XX) and
//    decodes to a name that has no control, quote, slash, backslash or `;`, does not start with
//    '.', and holds at most 100 bytes — the documented cleaning.
import FuzzSupport
import HTTPTypes
import Rampart

let signatures: [(UploadType, [[UInt8?]])] = [
    (.png, [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]]),
    (.jpeg, [[0xFF, 0xD8, 0xFF]]),
    (.gif, [Array("GIF87a".utf8), Array("GIF89a".utf8)]),
    (.webp, [Array("RIFF".utf8) + [nil, nil, nil, nil] + Array("WEBPVP".utf8)]),
    (.pdf, [Array("%PDF-".utf8)]),
]
let openers = ["<script", "<html", "<svg", "<!doctype", "<iframe", "<body", "<?xml", "<head", "<object", "<embed"].map { Array($0.utf8) }

let policies: [UploadPolicy] = [
    try! UploadPolicy(),
    try! UploadPolicy(maximumBytes: 64, allowedTypes: [.png, .gif]),
    try! UploadPolicy(maximumBytes: 2048, allowedTypes: [.pdf, .webp, .jpeg]),
]

func matches(_ type: UploadType, _ bytes: [UInt8]) -> Bool {
    signatures.first { $0.0 == type }!.1.contains { signature in
        bytes.count >= signature.count && zip(signature, bytes).allSatisfy { $0 == nil || $0 == $1 }
    }
}

func referenceInspect(_ policy: UploadPolicy, _ bytes: [UInt8]) -> Result<UploadType, UploadRefusal> {
    if bytes.count > policy.maximumBytes { return .failure(.tooLarge) }
    if bytes.isEmpty { return .failure(.empty) }
    guard let type = policy.allowedTypes.first(where: { matches($0, bytes) }) else { return .failure(.unsupportedType) }
    let window = bytes.prefix(1024).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    for opener in openers where window.count >= opener.count {
        for start in 0...(window.count - opener.count) where window[start..<(start + opener.count)].elementsEqual(opener) {
            return .failure(.polyglot)
        }
    }
    return .success(type)
}

func checkDisposition(_ name: String, inline: Bool) {
    let value = SafeDownload.contentDisposition(fileName: name, inline: inline, fallbackExtension: "png")
    require(HTTPField.isValidValue(value) && value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "Content-Disposition is not printable ASCII: \(show(value))")
    let prefix = (inline ? "inline" : "attachment") + "; filename=\""
    require(value.utf8.starts(with: prefix.utf8), "unexpected Content-Disposition \(show(value))")
    let rest = Array(value.utf8.dropFirst(prefix.utf8.count))
    guard let close = rest.firstIndex(of: 0x22) else { propertyFailed("unterminated filename in \(show(value))") }
    let fallback = rest[..<close]
    for forbidden in "\"\\/;%".utf8 {
        require(!fallback.contains(forbidden), "the filename fallback holds \(show(String(decoding: [forbidden], as: UTF8.self))): \(show(value)) from \(show(name))")
    }
    var clean = Array(fallback)
    let tail = rest[(close + 1)...]
    if !tail.isEmpty {
        let star = "; filename*=UTF-8''".utf8
        require(tail.starts(with: star), "unexpected text after filename: \(show(value))")
        let encoded = Array(tail.dropFirst(star.count))
        var decoded: [UInt8] = []
        var i = 0
        while i < encoded.count {
            let b = encoded[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < encoded.count, let h = UInt8(String(decoding: encoded[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else {
                    propertyFailed("bad percent-encoding in \(show(value))")
                }
                decoded.append(h)
                i += 3
            } else {
                // RFC 8187 attr-char
                require((b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || (b >= 0x30 && b <= 0x39) || "!#$&+-.^_`|~".utf8.contains(b), "filename* holds \(b): \(show(value))")
                decoded.append(b)
                i += 1
            }
        }
        clean = decoded
    }
    let cleanName = String(decoding: clean, as: UTF8.self)
    require(clean.count <= 100, "file name longer than 100 bytes: \(show(cleanName))")
    require(clean.first != UInt8(ascii: "."), "file name starts with '.': \(show(cleanName)) from \(show(name))")
    for scalar in cleanName.unicodeScalars {
        let v = scalar.value
        require(!(v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || "\"';%/\\".unicodeScalars.contains(scalar)),
                "the cleaned file name holds U+\(String(v, radix: 16)): \(show(cleanName)) from \(show(name))")
    }
}

func fuzz(_ input: FuzzInput) {
    let bytes = input.bytes
    // One policy per input (the last byte picks), to keep the rate up.
    for policy in [policies[Int(bytes.last ?? 0) % policies.count]] {
        // 1. inspect.
        let verdict = policy.inspect(bytes)
        let expected = referenceInspect(policy, bytes)
        require(verdict == expected, "inspect gave \(verdict), the reference \(expected)")
        // 2. The early decision.
        let early = policy.earlyRefusal(prefix: bytes.prefix(UploadPolicy.sniffLength))
        if bytes.count >= UploadPolicy.sniffLength {
            let anyMatch = policy.allowedTypes.contains { matches($0, Array(bytes.prefix(UploadPolicy.sniffLength))) }
            require((early == nil) == anyMatch, "earlyRefusal is \(String(describing: early)) but a type \(anyMatch ? "matches" : "does not match")")
        } else {
            require(early == nil, "earlyRefusal decided on \(bytes.count) bytes")
        }
        if early != nil, bytes.count <= policy.maximumBytes {
            require(verdict == .failure(.unsupportedType), "earlyRefusal refused a file inspect gives \(verdict)")
        }
    }
    // 3. Download headers for the bytes as a file name.
    let name = input.text
    checkDisposition(name, inline: (bytes.first ?? 0) & 1 == 1)
    if (bytes.first ?? 0) & 0x0E == 0 {
        let headers = SafeDownload.headers(for: .png, fileName: name, inline: true)
        require(headers[.contentType] == "image/png" && headers[.xContentTypeOptions] == "nosniff", "download headers lack the type or nosniff")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
