import Logging
import Rampart
import ServiceLifecycle

/// Deletes expired sessions on a schedule, as a service of the application.
///
/// ```swift
/// Application(router: router, services: [StorePurgeService(store: store, logger: logger)])
/// ```
///
/// Several instances may run it against one shared store: a purge is a single `DELETE … WHERE
/// expires_at <= now`, so two instances never undo each other's work.
///
/// See [swift-service-lifecycle](https://swiftpackageindex.com/swift-server/swift-service-lifecycle/documentation/servicelifecycle).
public struct StorePurgeService: Service {
    let store: any SessionStore
    let interval: Duration
    let clock: WallClock
    let logger: Logger

    /// Creates the service; it purges every `interval` (5 minutes by default).
    public init(store: any SessionStore, interval: Duration = .seconds(300), clock: WallClock = .system, logger: Logger) {
        self.store = store
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await store.purgeExpired(now: clock.now())
                    if purged > 0 { logger.debug("Rampart purged expired sessions", metadata: ["rampart.count": "\(purged)"]) }
                } catch {
                    logger.warning("Rampart could not purge expired sessions", metadata: ["rampart.error": .string(String(describing: type(of: error)))])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
