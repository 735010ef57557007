import Logging
import Rampart

extension RampartMisuse {
    /// Reports a misuse through the core in Vapor's names, logging it on `logger`.
    static func reportVapor(_ misuse: RampartMisuse, logger: Logger) {
        report(misuse, names: .vapor) { kind, fix in
            logger.error("Rampart is wired wrongly", metadata: ["rampart.misuse": .string(kind), "rampart.fix": .string(fix)])
        }
    }
}
