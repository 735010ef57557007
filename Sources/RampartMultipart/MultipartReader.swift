import HTTPTypes
import MultipartKit
import NIOCore
import Rampart

/// Limits on a `multipart/form-data` body, besides the `UploadPolicy` size of each file.
///
/// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578) and
/// [OWASP File Upload Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html).
public struct MultipartLimits: Sendable, Hashable {
    /// The most parts (fields and files together). 16 by default.
    public let maximumParts: Int
    /// The most files. 1 by default.
    public let maximumFiles: Int
    /// The largest text field, in bytes. 64 KiB by default.
    public let maximumFieldBytes: Int
    /// The largest header block of one part, in bytes. 8 KiB by default.
    public let maximumPartHeaderBytes: Int

    /// Creates limits.
    /// - Throws: `SecurityConfigurationError` naming the setting when a limit is not positive.
    public init(
        maximumParts: Int = 16,
        maximumFiles: Int = 1,
        maximumFieldBytes: Int = 64 * 1024,
        maximumPartHeaderBytes: Int = 8 * 1024
    ) throws(SecurityConfigurationError) {
        for (setting, value) in [
            ("maximumParts", maximumParts), ("maximumFiles", maximumFiles), ("maximumFieldBytes", maximumFieldBytes),
            ("maximumPartHeaderBytes", maximumPartHeaderBytes),
        ] where value <= 0 {
            throw SecurityConfigurationError(setting: setting, value: String(value), reason: .invalidValue, message: "must be positive")
        }
        self.maximumParts = maximumParts
        self.maximumFiles = maximumFiles
        self.maximumFieldBytes = maximumFieldBytes
        self.maximumPartHeaderBytes = maximumPartHeaderBytes
    }

    /// The defaults.
    public static let standard = try! MultipartLimits()

    /// The most bytes a whole body may hold under `policy`: every file at its limit, every other
    /// part at the field limit, plus the part headers and boundaries.
    /// The most body bytes a form under these limits and `policy` can take.
    public func maximumBodyBytes(policy: UploadPolicy) -> Int {
        let (files, overflowFiles) = maximumFiles.multipliedReportingOverflow(by: policy.maximumBytes)
        let fields = maximumParts * (maximumFieldBytes + maximumPartHeaderBytes + 80)
        return overflowFiles ? Int.max : files.addingReportingOverflow(fields).overflow ? Int.max : files + fields
    }
}

/// A file accepted from an upload: its type sniffed from its bytes, and a random stored name.
///
/// The client's file name is kept only to be shown or offered back in `Content-Disposition`
/// (through `SafeDownload`); never use it as a path.
public struct UploadedFile: Sendable {
    /// The form field it came in.
    public let field: String
    /// The type sniffed from its bytes, whatever the client declared.
    public let type: UploadType
    /// The bytes.
    public let bytes: ByteBuffer
    /// A random name to store it under (`UploadPolicy.storedName()`).
    public let storedName: String
    /// The file name the client sent, if any. Display only.
    public let clientFilename: String?
}

/// A parsed `multipart/form-data` body: text fields and accepted files.
public struct MultipartForm: Sendable {
    /// Text fields in order, as name and value (invalid UTF-8 replaced by U+FFFD).
    public let fields: [(name: String, value: String)]
    /// Accepted files in order.
    public let files: [UploadedFile]

    /// The first value of a text field.
    public func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    /// The first file sent in a field.
    public func file(_ name: String) -> UploadedFile? { files.first { $0.field == name } }
}

/// Drives multipart-kit's callback parser over streamed chunks and applies the limits. Used by
/// one task at a time.
public final class MultipartReader {
    struct Part {
        var name: String?
        var filename: String?
        var headerBytes = 0
        var body = ByteBuffer()
        var isFile: Bool { filename != nil }
        var sniffed = false
    }

    let parser: MultipartParser
    let policy: UploadPolicy
    let limits: MultipartLimits
    var current: Part?
    var fields: [(name: String, value: String)] = []
    var files: [UploadedFile] = []
    var parts = 0
    var failure: RequestRefusal?

    var headerGuard: MultipartHeaderGuard

    /// Reads a whole `multipart/form-data` body under `policy` and `limits`, the same on every
    /// adapter: 415 `unsupportedMediaType` for another content type, 400 `malformedMultipart`
    /// for a missing or invalid boundary, 413 `tooLarge` at once for a larger `Content-Length`
    /// and as soon as the streamed bytes pass the limit, and the reader's own refusals (part
    /// counts and sizes, file types by their bytes, header names multipart-kit cannot read).
    ///
    /// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578).
    public static func readForm<Body: AsyncSequence>(
        contentType: String?,
        contentLength: String?,
        body: Body,
        policy: UploadPolicy,
        limits: MultipartLimits
    ) async throws -> MultipartForm where Body.Element == ByteBuffer {
        guard let contentType, MediaType.essence(of: contentType) == "multipart/form-data" else {
            throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType", message: "send Content-Type: multipart/form-data")
        }
        guard let boundary = MediaType.parameter("boundary", in: contentType), isValidBoundary(boundary) else {
            throw RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "the multipart boundary is missing or invalid")
        }
        let maximumBody = limits.maximumBodyBytes(policy: policy)
        if let declared = contentLength.flatMap({ Int($0) }), declared > maximumBody {
            throw RequestRefusal.tooLarge("the upload is over \(maximumBody) bytes")
        }
        let reader = MultipartReader(boundary: boundary, policy: policy, limits: limits)
        var total = 0
        for try await chunk in body {
            let room = maximumBody - total
            total += chunk.readableBytes
            guard total <= maximumBody else {
                // Read the bytes that fit first: a refusal earlier in the body (a file type) is then
                // the one reported, as it is when the body arrives in smaller chunks.
                if room > 0, let fitting = chunk.getSlice(at: chunk.readerIndex, length: room) { try reader.feed(fitting) }
                throw RequestRefusal.tooLarge("the upload is over \(maximumBody) bytes")
            }
            try reader.feed(chunk)
        }
        return try reader.finish()
    }

    /// A reader for one body with this boundary.
    public init(boundary: String, policy: UploadPolicy, limits: MultipartLimits) {
        self.parser = MultipartParser(boundary: boundary)
        self.headerGuard = MultipartHeaderGuard(boundary: boundary)
        self.policy = policy
        self.limits = limits
        parser.onHeader = { [unowned self] name, value in self.header(name, value) }
        parser.onBody = { [unowned self] buffer in self.bodyBytes(&buffer) }
        parser.onPartComplete = { [unowned self] in self.completePart() }
    }

    /// RFC 2046 §5.1.1: 1 to 70 characters from `bchars`, not ending in a space.
    /// Whether a `boundary` parameter is one RFC 2046 allows.
    public static func isValidBoundary(_ boundary: String) -> Bool {
        MultipartHeaderGuard.isValidBoundary(boundary)
    }

    /// Reads the next chunk of the body.
    /// - Throws: `RequestRefusal` as soon as a limit or the policy refuses something.
    public func feed(_ chunk: ByteBuffer) throws {
        if let trap = headerGuard.firstTrap(in: chunk) {
            // Parse what comes before the bad byte first: a refusal earlier in the body (a file
            // type, a limit) is then the one reported, as it is when the body arrives in smaller
            // chunks. The verdict must not depend on how the body was split.
            if trap > 0, let before = chunk.getSlice(at: chunk.readerIndex, length: trap) { try execute(before) }
            throw RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "a part header name is not ASCII")
        }
        try execute(chunk)
    }

    /// Runs multipart-kit on bytes the guard passed; its error, or a refusal a callback recorded.
    private func execute(_ bytes: ByteBuffer) throws {
        do {
            try parser.execute(bytes)
        } catch {
            throw failure ?? RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "the multipart body is malformed")
        }
        if let failure { throw failure }
    }

    /// The form, once the whole body was fed.
    /// - Throws: `RequestRefusal` for a body that ended early or was refused.
    public func finish() throws -> MultipartForm {
        if let failure { throw failure }
        guard current == nil, parts > 0 else {
            throw RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "the multipart body is truncated")
        }
        return MultipartForm(fields: fields, files: files)
    }

    func fail(_ refusal: RequestRefusal) {
        if failure == nil { failure = refusal }
    }

    func header(_ name: String, _ value: String) {
        guard failure == nil else { return }
        if current == nil {
            parts += 1
            guard parts <= limits.maximumParts else {
                return fail(.tooLarge("more than \(limits.maximumParts) parts"))
            }
            current = Part()
        }
        current!.headerBytes += name.utf8.count + value.utf8.count + 4
        guard current!.headerBytes <= limits.maximumPartHeaderBytes else {
            return fail(.tooLarge("a part's headers are over \(limits.maximumPartHeaderBytes) bytes"))
        }
        guard HeaderGrammar.asciiLowercased(name) == "content-disposition" else { return }
        let disposition = ContentDisposition(parsing: value)
        guard disposition.type == "form-data", let fieldName = disposition.parameters["name"] else {
            return fail(RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "a part is not form-data with a name"))
        }
        current!.name = fieldName
        current!.filename = disposition.parameters["filename*"].flatMap(ContentDisposition.decodeExtended) ?? disposition.parameters["filename"]
    }

    func bodyBytes(_ buffer: inout ByteBuffer) {
        guard failure == nil else { return }
        guard var part = current, part.name != nil else {
            return fail(RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "a part has no Content-Disposition name"))
        }
        current = nil  // keep the buffer uniquely referenced while appending
        let limit = part.isFile ? policy.maximumBytes : limits.maximumFieldBytes
        // The type is judged on the first `sniffLength` bytes as soon as they are here, before
        // the size: read byte by byte, a file of the wrong type is refused at its 16th byte,
        // long before it passes the limit, and a larger chunk must give the same refusal.
        let have = part.body.readableBytes
        if part.isFile, !part.sniffed, UploadPolicy.sniffLength <= limit, have + buffer.readableBytes >= UploadPolicy.sniffLength {
            part.sniffed = true
            let prefix = Array(part.body.readableBytesView) + buffer.readableBytesView.prefix(max(0, UploadPolicy.sniffLength - have))
            if let refusal = policy.earlyRefusal(prefix: prefix) { return fail(RequestRefusal(refusal)) }
        }
        guard have + buffer.readableBytes <= limit else {
            return fail(part.isFile ? RequestRefusal(.tooLarge) : .tooLarge("a form field is over \(limits.maximumFieldBytes) bytes"))
        }
        part.body.writeBuffer(&buffer)
        current = part
    }

    func completePart() {
        guard failure == nil else { return }
        guard let part = current, let name = part.name else {
            return fail(RequestRefusal(status: .badRequest, reason: "malformedMultipart", message: "a part has no Content-Disposition name"))
        }
        current = nil
        if part.isFile {
            guard files.count < limits.maximumFiles else {
                return fail(.tooLarge("more than \(limits.maximumFiles) files"))
            }
            switch policy.inspect(part.body.readableBytesView) {
            case .success(let type):
                files.append(
                    UploadedFile(field: name, type: type, bytes: part.body, storedName: UploadPolicy.storedName(), clientFilename: part.filename)
                )
            case .failure(let refusal):
                fail(RequestRefusal(refusal))
            }
        } else {
            fields.append((name, String(decoding: part.body.readableBytesView, as: UTF8.self)))
        }
    }
}
