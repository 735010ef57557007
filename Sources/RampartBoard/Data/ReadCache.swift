import Synchronization

/// A bounded in-process cache of query results for the SQLite repository, exact because one
/// process owns the database file: every write that could change a cached result clears it
/// after it commits, and a read that missed stores what it read only if no write committed since
/// it began (a generation number), so a slow read never puts back what a write changed.
///
/// See [SQLite: Appropriate Uses](https://www.sqlite.org/whentouse.html) on one process owning
/// a database file.
final class ReadCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: Value] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most entries kept; past it, the cache starts over (entries are cheap to read again).
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached value, or the generation to pass to ``fill(_:_:generation:)`` after reading.
    func lookup(_ key: Key) -> (value: Value?, generation: UInt64) {
        state.withLock { ($0.entries[key], $0.generation) }
    }

    /// Stores what a read found, unless a write committed since the read began.
    func fill(_ key: Key, _ value: Value, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity, state.entries[key] == nil { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = value
        }
    }

    /// Stores a value that no write can change (an immutable row's rendering).
    func insert(_ key: Key, _ value: Value) {
        state.withLock { state in
            if state.entries.count >= capacity, state.entries[key] == nil { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = value
        }
    }

    /// After a committed write: forgets `key`, or everything.
    func invalidate(_ key: Key? = nil) {
        state.withLock { state in
            state.generation &+= 1
            if let key { state.entries[key] = nil } else { state.entries.removeAll(keepingCapacity: true) }
        }
    }

    /// The cached value, or `read()`'s, stored for next time.
    func value(_ key: Key, read: () async throws -> Value) async rethrows -> Value {
        let (cached, generation) = lookup(key)
        if let cached { return cached }
        let value = try await read()
        fill(key, value, generation: generation)
        return value
    }
}
