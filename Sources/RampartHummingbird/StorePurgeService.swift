import Logging
import Rampart
import ServiceLifecycle

/// Deletes expired rows (sessions, used one-time tokens) on a schedule, as a service of the
/// application.
///
/// ```swift
/// Application(router: router, services: [StorePurgeService(stores: [sessions, usedTokens], logger: logger)])
/// ```
///
/// Several instances may run it against one shared store: a purge is a single `DELETE … WHERE
/// expires_at <= now`, so two instances never undo each other's work.
///
/// See [swift-service-lifecycle](https://swiftpackageindex.com/swift-server/swift-service-lifecycle/documentation/servicelifecycle).
public struct StorePurgeService: Service {
    let stores: [any PurgeableStore]
    let interval: Duration
    let clock: WallClock
    let logger: Logger

    /// Creates the service; it purges every `interval` (5 minutes by default).
    public init(stores: [any PurgeableStore], interval: Duration = .seconds(300), clock: WallClock = .system, logger: Logger) {
        self.stores = stores
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for store in stores {
                    do {
                        let purged = try await store.purgeExpired(now: clock.now())
                        if purged > 0 {
                            logger.debug(
                                "Rampart purged expired rows",
                                metadata: ["rampart.count": "\(purged)", "rampart.store": "\(type(of: store))"]
                            )
                        }
                    } catch {
                        logger.warning(
                            "Rampart could not purge expired rows",
                            metadata: ["rampart.error": .string(String(describing: type(of: error)))]
                        )
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
