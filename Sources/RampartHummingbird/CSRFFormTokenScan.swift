import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import Synchronization

/// Finds the first value of one field in a streamed `multipart/form-data` body, with
/// vapor/multipart-kit's parser, stopping as soon as that field is complete.
///
/// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578).
final class MultipartFieldScan {
    let parser: MultipartParser
    var headerGuard: MultipartHeaderGuard
    var isField = false
    var value: [UInt8] = []
    var found: String?

    init(field: String, boundary: String) {
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
    func feed(_ chunk: ByteBuffer) throws -> String? {
        guard headerGuard.check(chunk) else { throw MultipartError.invalidHeader }
        try parser.execute(chunk)
        return found
    }

    enum MultipartError: Error { case invalidHeader }
}

/// The chunks already read, then the rest of the original body.
struct PrefixedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let prefix: [ByteBuffer]
    let rest: IteratorBox

    struct AsyncIterator: AsyncIteratorProtocol {
        var prefix: IndexingIterator<[ByteBuffer]>
        let rest: IteratorBox
        mutating func next() async throws -> ByteBuffer? {
            if let chunk = prefix.next() { return chunk }
            return try await rest.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(prefix: prefix.makeIterator(), rest: rest) }
}

/// Holds the original body's iterator after the CSRF scan. A request body is read by one task,
/// once, so the unsynchronised state is never shared.
final class IteratorBox: @unchecked Sendable {
    var iterator: RequestBody.AsyncIterator
    init(_ iterator: RequestBody.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
