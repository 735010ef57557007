import Rampart
import Synchronization

/// The limits of ``SQLiteSessionStore``'s in-process cache of session records.
///
/// See [SQLite: Appropriate Uses](https://www.sqlite.org/whentouse.html) on one process owning
/// a database file.
public struct SessionCacheLimits: Sendable, Hashable {
    /// The most records kept.
    public let entries: Int
    /// The most bytes of records kept (approximate: keys, user ids and values).
    public let bytes: Int

    /// Limits the cache. 0 entries turns it off.
    /// - Throws: ``SecurityConfigurationError`` naming `sessionCacheEntries` or
    ///   `sessionCacheBytes` for a negative value.
    public init(entries: Int, bytes: Int) throws {
        guard entries >= 0 else {
            throw SecurityConfigurationError(
                setting: "sessionCacheEntries",
                value: String(entries),
                reason: .invalidValue,
                message: "must be 0 (off) or more"
            )
        }
        guard bytes >= 0 else {
            throw SecurityConfigurationError(
                setting: "sessionCacheBytes",
                value: String(bytes),
                reason: .invalidValue,
                message: "must be 0 (off) or more"
            )
        }
        self.entries = entries
        self.bytes = bytes
    }

    /// 10,000 records and 16 MiB: every active session of a busy single instance.
    public static let standard = try! SessionCacheLimits(entries: 10_000, bytes: 16 * 1024 * 1024)
    /// No cache: every load reads the database.
    public static let off = try! SessionCacheLimits(entries: 0, bytes: 0)
}

/// What the cache holds and how it has done, for benchmarks and monitoring.
public struct SessionCacheStatistics: Sendable, Hashable {
    /// Records held now.
    public let entries: Int
    /// Approximate bytes held now.
    public let bytes: Int
    /// Loads answered from the cache.
    public let hits: Int
    /// Loads that read the database.
    public let misses: Int
    /// Records dropped to stay within the limits.
    public let evictions: Int
}

/// A bounded least-recently-used map from store key to session record, written through by the
/// store after each commit.
///
/// Exactness rests on two rules: every write updates or removes its entry *after* its transaction
/// committed and *while* it still holds SQLite's single writer (so entries follow the commit
/// order); and a load that missed inserts what it read only if no write of any key happened
/// since the load began (a generation number), so a slow read never puts back a row that a
/// later write changed or deleted.
final class SessionCache: Sendable {
    private struct Node {
        var key: String
        var record: SessionRecord
        var expiresAt: Int64
        var bytes: Int
        var previous: Int
        var next: Int
    }

    private struct State {
        var index: [String: Int] = [:]
        var nodes: [Node] = []
        var free: [Int] = []
        /// Most recently used first.
        var head = -1
        var tail = -1
        var bytes = 0
        var generation: UInt64 = 0
        var hits = 0
        var misses = 0
        var evictions = 0

        mutating func unlink(_ i: Int) {
            let (p, n) = (nodes[i].previous, nodes[i].next)
            if p >= 0 { nodes[p].next = n } else { head = n }
            if n >= 0 { nodes[n].previous = p } else { tail = p }
        }

        mutating func pushFront(_ i: Int) {
            nodes[i].previous = -1
            nodes[i].next = head
            if head >= 0 { nodes[head].previous = i }
            head = i
            if tail < 0 { tail = i }
        }

        mutating func remove(_ key: String) {
            guard let i = index.removeValue(forKey: key) else { return }
            unlink(i)
            bytes -= nodes[i].bytes
            nodes[i].record = SessionRecord(userID: nil, values: [:], createdAt: 0, lastSeenAt: 0)
            free.append(i)
        }
    }

    let limits: SessionCacheLimits
    private let state = Mutex(State())

    init(limits: SessionCacheLimits) {
        self.limits = limits
    }

    /// The record under `key`, marking it most recently used; a miss returns the generation to
    /// pass to ``fill(_:_:expiresAt:generation:)``.
    func lookup(_ key: SessionStoreKey) -> (record: SessionRecord?, generation: UInt64) {
        state.withLock { state in
            guard let i = state.index[key.rawValue] else {
                state.misses += 1
                return (nil, state.generation)
            }
            state.hits += 1
            if state.head != i {
                state.unlink(i)
                state.pushFront(i)
            }
            return (state.nodes[i].record, state.generation)
        }
    }

    /// Caches what a load read, unless a write happened since the load began.
    func fill(_ key: SessionStoreKey, _ record: SessionRecord, expiresAt: Int64, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            put(&state, key.rawValue, record, expiresAt: expiresAt)
        }
    }

    /// After a committed write: the key now holds `record` (or nothing, for `nil`).
    func wrote(_ key: SessionStoreKey, _ record: SessionRecord?, expiresAt: Int64) {
        state.withLock { state in
            state.generation &+= 1
            if let record {
                put(&state, key.rawValue, record, expiresAt: expiresAt)
            } else {
                state.remove(key.rawValue)
            }
        }
    }

    /// After a committed bulk delete: drops every entry that matches.
    func removeAll(where matches: (SessionRecord, Int64) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            let doomed = state.index.filter { matches(state.nodes[$0.value].record, state.nodes[$0.value].expiresAt) }.map(\.key)
            for key in doomed { state.remove(key) }
        }
    }

    var statistics: SessionCacheStatistics {
        state.withLock { SessionCacheStatistics(entries: $0.index.count, bytes: $0.bytes, hits: $0.hits, misses: $0.misses, evictions: $0.evictions) }
    }

    private func put(_ state: inout State, _ key: String, _ record: SessionRecord, expiresAt: Int64) {
        let bytes = key.utf8.count + record.approximateByteCount
        guard limits.entries > 0, bytes <= limits.bytes else { return state.remove(key) }
        if let i = state.index[key] {
            state.bytes += bytes - state.nodes[i].bytes
            state.nodes[i].record = record
            state.nodes[i].expiresAt = expiresAt
            state.nodes[i].bytes = bytes
            if state.head != i {
                state.unlink(i)
                state.pushFront(i)
            }
        } else {
            let node = Node(key: key, record: record, expiresAt: expiresAt, bytes: bytes, previous: -1, next: -1)
            let i: Int
            if let reused = state.free.popLast() {
                state.nodes[reused] = node
                i = reused
            } else {
                state.nodes.append(node)
                i = state.nodes.count - 1
            }
            state.index[key] = i
            state.bytes += bytes
            state.pushFront(i)
        }
        while state.index.count > limits.entries || state.bytes > limits.bytes, state.tail >= 0 {
            state.remove(state.nodes[state.tail].key)
            state.evictions += 1
        }
    }
}
