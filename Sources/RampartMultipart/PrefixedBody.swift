import NIOCore
import Rampart

/// A request body after a scan read its first chunks: those chunks, then the rest of the original
/// body, so the handler reads the whole body as if nothing had been read (any framework: the
/// iterator is the framework's own body iterator).
///
/// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578).
public struct PrefixedBody<Rest: AsyncIteratorProtocol>: AsyncSequence, Sendable where Rest.Element == ByteBuffer {
    /// The body's bytes.
    public typealias Element = ByteBuffer
    let prefix: [ByteBuffer]
    let rest: IteratorBox<Rest>

    /// The chunks already read, then the rest.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var prefix: IndexingIterator<[ByteBuffer]>
        let rest: IteratorBox<Rest>

        /// The next chunk.
        public mutating func next() async throws -> ByteBuffer? {
            if let chunk = prefix.next() { return chunk }
            return try await rest.next()
        }
    }

    /// Starts reading: the kept chunks first.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(prefix: prefix.makeIterator(), rest: rest) }
}

/// Holds a body's iterator after a scan. A request body is read by one task, once, so the
/// unsynchronised state is never shared.
public final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    init(_ iterator: Iterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}

extension MultipartFieldScan {
    /// Finds the first `field` of a streamed multipart body by reading only as far as the end of
    /// that field, looking at no more than `limit` bytes (past them the field is missing), and
    /// returns the body to hand on: the chunks read, then the rest, never buffered whole here.
    /// Browsers send fields in document order, so a CSRF field put first in the form is found in
    /// the first chunk.
    /// - Returns: The field's value (`nil` when it is missing), or `badToken` for a body the
    ///   parser refuses; and the body to read next.
    public static func firstValue<Iterator: AsyncIteratorProtocol>(
        of field: String,
        boundary: String,
        limit: Int,
        in iterator: Iterator
    ) async throws -> (value: Result<String?, CSRFError>, body: PrefixedBody<Iterator>) where Iterator.Element == ByteBuffer {
        let scan = MultipartFieldScan(field: field, boundary: boundary)
        let box = IteratorBox(iterator)
        var consumed: [ByteBuffer] = []
        var total = 0
        var result: Result<String?, CSRFError> = .success(nil)
        while total < limit, let chunk = try await box.next() {
            consumed.append(chunk)
            let scanned = chunk.getSlice(at: chunk.readerIndex, length: min(chunk.readableBytes, limit - total))!
            total += scanned.readableBytes
            do {
                if let value = try scan.feed(scanned) {
                    result = .success(value)
                    break
                }
            } catch {
                result = .failure(.badToken)
                break
            }
        }
        return (result, PrefixedBody(prefix: consumed, rest: box))
    }
}
