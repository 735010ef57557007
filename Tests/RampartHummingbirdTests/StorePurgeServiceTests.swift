import Logging
import Rampart
import RampartHummingbird
import ServiceLifecycle
import Testing

@Suite("StorePurgeService")
struct StorePurgeServiceTests {
    @Test("purges expired sessions and used tokens on its schedule, and stops on shutdown")
    func purges() async throws {
        let sessions = InMemorySessionStore()
        let tokens = InMemoryUsedTokenStore()
        try await sessions.save(
            SessionStoreKey(rawValue: "old"),
            .create(SessionRecord(userID: nil, values: [:], createdAt: 0, lastSeenAt: 0), expiresAt: 10)
        )
        try await sessions.save(
            SessionStoreKey(rawValue: "live"),
            .create(SessionRecord(userID: nil, values: [:], createdAt: 0, lastSeenAt: 0), expiresAt: 5000)
        )
        _ = try await tokens.markUsed("old", expiresAt: 10)
        let service = StorePurgeService(
            stores: [sessions, tokens],
            interval: .milliseconds(20),
            clock: WallClock { 100 },
            logger: Logger(label: "test")
        )
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<200 where sessions.count != 1 { try await Task.sleep(for: .milliseconds(10)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(sessions.count == 1)
        // The purged id can be used again: it no longer exists in the store.
        #expect(try await tokens.markUsed("old", expiresAt: 10))
    }
}
