import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import RampartMultipart
import Synchronization

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
