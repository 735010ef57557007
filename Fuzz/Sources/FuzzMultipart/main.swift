// `multipart/form-data` uploads under an UploadPolicy and MultipartLimits, through the public
// entry point `Request.multipartForm(policy:limits:)` (RampartHummingbird's MultipartReader over
// vapor/multipart-kit's parser, and its Content-Disposition reader). There is no framework-free
// entry point: MultipartReader and ContentDisposition are internal to RampartHummingbird.
//
// Input: line 1 is the Content-Type value, the rest is the body. The same bytes also drive a
// generated form.
//
// Properties:
// 1. The verdict does not depend on how the body is cut into chunks as it streams: the whole body
//    at once and the body in pieces (sizes drawn from the input, down to one byte) give the same
//    fields, files and file names, or the same refusal.
// 2. An accepted form respects the limits: at most `maximumParts` parts and `maximumFiles` files,
//    text fields within `maximumFieldBytes`, and every file accepted by `UploadPolicy.inspect`.
// 3. The CSRF middleware's `_csrf` scan (`MultipartFieldScan.firstValue`, both adapters) answers
//    the same for the whole body and for the body in pieces (the token, missing, or refused),
//    and hands on every byte of the body, in order.
// 4. A form generated from the input and serialised by RFC 7578 (fields, files with an allowed
//    signature, quoted names with escapes, RFC 8187 `filename*`) reads back to the same fields
//    and files, streamed in pieces.
import Foundation
import FuzzSupport
import HTTPTypes
import Hummingbird
import NIOCore
import Rampart
import RampartHummingbird

let policy = try! UploadPolicy(maximumBytes: 2048, allowedTypes: [.png, .gif, .pdf])
let limits = try! MultipartLimits(maximumParts: 6, maximumFiles: 2, maximumFieldBytes: 512, maximumPartHeaderBytes: 1024)

struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]
    struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        var chunks: [ByteBuffer]
        var index = 0
        mutating func next() async -> ByteBuffer? {
            guard index < chunks.count else { return nil }
            defer { index += 1 }
            return chunks[index]
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks) }
}

/// What a form read gave, comparable.
struct Outcome: Equatable, CustomStringConvertible {
    var fields: [[UInt8]] = []
    var files: [String] = []
    var refusal: String?

    var description: String {
        refusal.map { "refused \($0)" } ?? "fields \(fields.map { String(decoding: $0, as: UTF8.self).debugDescription }) files \(files)"
    }
}

func read(contentType: String, chunks: [[UInt8]]) -> (Outcome, MultipartForm?) {
    let head = HTTPRequest(method: .post, scheme: "https", authority: "example.com", path: "/upload", headerFields: [.contentType: contentType])
    let request = Request(head: head, body: RequestBody(asyncSequence: Chunks(chunks: chunks.map { ByteBuffer(bytes: $0) })))
    return runSync { () async -> (Outcome, MultipartForm?) in
        do {
            let form = try await request.multipartForm(policy: policy, limits: limits)
            var outcome = Outcome()
            outcome.fields = form.fields.map { Array($0.name.utf8) + [0] + Array($0.value.utf8) }
            outcome.files = form.files.map { "\($0.field.debugDescription) \($0.type) \($0.bytes.readableBytesView.count)B \(Array($0.bytes.readableBytesView).hashValue) name=\(($0.clientFilename ?? "nil").debugDescription)" }
            return (outcome, form)
        } catch let refusal as RequestRefusal {
            return (Outcome(refusal: "\(refusal.status.code) \(refusal.reason)"), nil)
        } catch {
            propertyFailed("multipartForm threw something other than a RequestRefusal: \(error)")
        }
    }
}

/// Cuts `body` into pieces whose sizes come from `generator`.
func pieces(_ body: [UInt8], _ generator: inout FuzzInput) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var start = 0
    while start < body.count {
        let size = generator.isAtEnd ? 7 : generator.int(in: 1...64)
        out.append(Array(body[start..<min(body.count, start + size)]))
        start += size
    }
    return out
}

/// The `boundary` parameter of a Content-Type, as the CSRF middleware hands it to the scan (a
/// valid RFC 2046 boundary, unquoted), or `nil`.
func boundary(of contentType: String) -> String? {
    guard let range = contentType.range(of: "boundary=") else { return nil }
    var value = String(contentType[range.upperBound...].prefix { $0 != ";" })
    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
    return MultipartHeaderGuard.isValidBoundary(value) ? value : nil
}

/// What the `_csrf` scan answers for a body in these chunks, and the bytes it hands on.
func scan(boundary: String, chunks: [[UInt8]]) -> (answer: String, handedOn: [UInt8]) {
    runSync { () async -> (answer: String, handedOn: [UInt8]) in
        do {
            let (value, rest) = try await MultipartFieldScan.firstValue(
                of: "_csrf",
                boundary: boundary,
                limit: 1024,
                in: Chunks(chunks: chunks.map { ByteBuffer(bytes: $0) }).makeAsyncIterator()
            )
            var handedOn: [UInt8] = []
            for try await chunk in rest { handedOn += chunk.readableBytesView }
            switch value {
            case .success(let token): return (token.map { "token \($0.debugDescription)" } ?? "missing", handedOn)
            case .failure(let error): return ("refused \(error.reason)", handedOn)
            }
        } catch {
            propertyFailed("the _csrf scan threw: \(error)")
        }
    }
}

func checkLimits(_ form: MultipartForm) {
    require(form.fields.count + form.files.count <= limits.maximumParts, "more parts than the limit")
    require(form.files.count <= limits.maximumFiles, "more files than the limit")
    for field in form.fields { require(field.value.utf8.count <= limits.maximumFieldBytes * 3, "field over the limit") }
    for file in form.files {
        require(policy.inspect(file.bytes.readableBytesView) == .success(file.type), "a file inspect refuses was accepted")
    }
}

func fuzzed(_ input: FuzzInput) {
    let bytes = input.bytes
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    var contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    if contentType.utf8.last == 0x0D { contentType.removeLast() }
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []

    let (whole, form) = read(contentType: contentType, chunks: body.isEmpty ? [] : [body])
    var generator = FuzzInput(bytes: Array(bytes.reversed()))
    let (streamed, _) = read(contentType: contentType, chunks: pieces(body, &generator))
    require(whole == streamed, "the verdict depends on the chunking:\n  whole    \(whole)\n  streamed \(streamed)")
    if let form { checkLimits(form) }

    if let boundary = boundary(of: contentType) {
        let wholeScan = scan(boundary: boundary, chunks: body.isEmpty ? [] : [body])
        var scanGenerator = FuzzInput(bytes: Array(bytes.reversed()))
        let streamedScan = scan(boundary: boundary, chunks: pieces(body, &scanGenerator))
        require(wholeScan.answer == streamedScan.answer, "the _csrf scan depends on the chunking:\n  whole    \(wholeScan.answer)\n  streamed \(streamedScan.answer)")
        require(wholeScan.handedOn == body && streamedScan.handedOn == body, "the _csrf scan lost or reordered bytes of the body")
    }
}

// MARK: Generated forms

let boundaryAlphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?".utf8)
let nameAlphabet = Array("abcxyz_-. 019\"\\é😀".utf8)
let fileSignatures: [(UploadType, [UInt8])] = [
    (.png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
    (.gif, Array("GIF89a".utf8)),
    (.pdf, Array("%PDF-1.7\n".utf8)),
]

func quoted(_ s: String) -> String {
    "\"" + replacingBytes(replacingBytes(s, "\\", with: "\\\\"), "\"", with: "\\\"") + "\""
}

func percentEncoded(_ s: String) -> String {
    s.utf8.map { b in
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == UInt8(ascii: ".") ? String(UnicodeScalar(b)) : "%" + String(b, radix: 16, uppercase: true).leftPadded
    }.joined()
}

extension String {
    var leftPadded: String { utf8.count == 1 ? "0" + self : self }
}

func generated(_ input: FuzzInput) {
    var generator = input
    var boundary = generator.string(from: boundaryAlphabet, upTo: 40, minimum: 1)
    var parts: [(name: String, filename: String?, content: [UInt8], type: UploadType?)] = []
    var fileCount = 0
    for _ in 0..<generator.int(in: 1...limits.maximumParts) {
        // Names are trimmed by the Content-Disposition reader; keep them free of edge spaces.
        let name = generator.string(from: nameAlphabet, upTo: 10, minimum: 1).trimmingASCIISpaces
        guard !name.isEmpty else { continue }
        if fileCount < limits.maximumFiles, generator.bool() {
            fileCount += 1
            let (type, signature) = fileSignatures[generator.int(in: 0...2)]
            var content = signature + generator.bytes(upTo: 200).map { $0 == UInt8(ascii: "<") ? UInt8(ascii: "[") : $0 }
            if content.isEmpty { content = signature }
            let filename = generator.string(from: nameAlphabet, upTo: 12, minimum: 1).trimmingASCIISpaces
            parts.append((name, filename.isEmpty ? "x" : filename, content, type))
        } else {
            parts.append((name, nil, Array(String(decoding: generator.bytes(upTo: 100), as: UTF8.self).utf8), nil))
        }
    }
    guard !parts.isEmpty else { return }
    // The boundary must not occur in any content.
    while parts.contains(where: { part in
        let needle = Array(("\r\n--" + boundary).utf8)
        let haystack = Array("\r\n".utf8) + part.content + Array("\r\n".utf8)
        return haystack.count >= needle.count && (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }) { boundary += "Z" }
    boundary = String(boundary.prefix(70))
    while boundary.utf8.last == 0x20 { boundary.removeLast() }

    var body: [UInt8] = []
    let useExtended = generator.bool()
    for part in parts {
        var disposition = "Content-Disposition: form-data; name=\(quoted(part.name))"
        if let filename = part.filename {
            disposition += useExtended ? "; filename=\"fallback\"; filename*=UTF-8''\(percentEncoded(filename))" : "; filename=\(quoted(filename))"
        }
        body += Array("--\(boundary)\r\n\(disposition)\r\n".utf8)
        if let type = part.type { body += Array("Content-Type: \(type.mediaType)\r\n".utf8) }
        body += Array("\r\n".utf8) + part.content + Array("\r\n".utf8)
    }
    body += Array("--\(boundary)--\r\n".utf8)

    let contentType = "multipart/form-data; boundary=" + (generator.bool() ? quoted(boundary) : boundary)
    let (outcome, form) = read(contentType: contentType, chunks: pieces(body, &generator))
    guard let form else {
        propertyFailed("a generated form was refused (\(outcome)):\n  Content-Type: \(contentType)\n\(String(decoding: body, as: UTF8.self).debugDescription)")
    }
    let fields = parts.filter { $0.filename == nil }
    let files = parts.filter { $0.filename != nil }
    require(form.fields.count == fields.count && zip(form.fields, fields).allSatisfy { sameBytes($0.name, $1.name) && Array($0.value.utf8) == $1.content },
            "fields read back as \(form.fields.map { ($0.name, $0.value) }), sent \(fields.map { ($0.name, String(decoding: $0.content, as: UTF8.self)) })\n\(String(decoding: body, as: UTF8.self).debugDescription)")
    require(form.files.count == files.count, "files read back: \(form.files.count) of \(files.count)")
    for (file, sent) in zip(form.files, files) {
        require(sameBytes(file.field, sent.name) && file.type == sent.type! && Array(file.bytes.readableBytesView) == sent.content,
                "file \(show(sent.name)) read back as \(show(file.field)) \(file.type) \(file.bytes.readableBytes) bytes")
        require(file.clientFilename.map { sameBytes($0, sent.filename!) } == true, "file name \(show(sent.filename!)) read back as \(file.clientFilename.map { show($0) } ?? "nil")")
    }
}

func fuzz(_ input: FuzzInput) {
    fuzzed(input)
    // A generated form on one input in four, to keep the rate up.
    if (input.bytes.last ?? 0) & 3 == 0 { generated(input) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
