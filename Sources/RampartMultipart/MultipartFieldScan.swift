import MultipartKit
import NIOCore
import Rampart

/// Finds the first value of one field in a streamed `multipart/form-data` body, with
/// vapor/multipart-kit's parser, stopping as soon as that field is complete.
///
/// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578).
public final class MultipartFieldScan {
    let parser: MultipartParser
    var headerGuard: MultipartHeaderGuard
    var isField = false
    var value: [UInt8] = []
    var found: String?

    public init(field: String, boundary: String) {
        parser = MultipartParser(boundary: boundary)
        headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, headerValue in
            guard HeaderGrammar.asciiLowercased(name) == "content-disposition" else { return }
            self.isField = ContentDisposition(parsing: headerValue).parameters["name"] == field
        }
        parser.onBody = { [unowned self] buffer in
            if self.isField, self.found == nil, self.value.count < 1024 { self.value.append(contentsOf: buffer.readableBytesView) }
        }
        parser.onPartComplete = { [unowned self] in
            if self.isField, self.found == nil { self.found = String(decoding: self.value, as: UTF8.self) }
            self.isField = false
        }
    }

    /// Feeds a chunk; returns the value once the field is complete.
    ///
    /// The answer does not depend on how the body is split. When the chunk holds a byte
    /// multipart-kit would trap on, the bytes before it are parsed first; and a field complete
    /// before a byte multipart-kit refuses is the answer. In smaller chunks, either field would
    /// have been found before the bad byte was read.
    /// - Throws: `MultipartError.invalidHeader` at a part header multipart-kit cannot read
    ///   safely, or multipart-kit's syntax error, when either comes before the field is complete.
    public func feed(_ chunk: ByteBuffer) throws -> String? {
        if let trap = headerGuard.firstTrap(in: chunk) {
            if trap > 0, let before = chunk.getSlice(at: chunk.readerIndex, length: trap), let value = try execute(before) { return value }
            throw MultipartError.invalidHeader
        }
        return try execute(chunk)
    }

    /// Runs multipart-kit on bytes the guard passed; the field's value once it is complete,
    /// even if a syntax error follows it in the same bytes.
    private func execute(_ bytes: ByteBuffer) throws -> String? {
        do {
            try parser.execute(bytes)
        } catch {
            if let found { return found }
            throw error
        }
        return found
    }

    /// A part header multipart-kit cannot read safely.
    public enum MultipartError: Error { case invalidHeader }
}
