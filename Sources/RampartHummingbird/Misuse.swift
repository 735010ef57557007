import Logging
import Rampart

extension RampartMisuse {
    /// What went wrong and the right order, in Hummingbird's names (``SecurityHeadersMiddleware``,
    /// ``SessionMiddleware``, ``CSRFMiddleware``).
    ///
    /// See [OWASP Secure Product Design](https://cheatsheetseries.owasp.org/cheatsheets/Secure_Product_Design_Cheat_Sheet.html).
    public var message: String { message(.hummingbird) }

    /// Reports a misuse through the core, logging it on `logger`.
    static func report(_ misuse: RampartMisuse, logger: Logger) {
        report(misuse, names: .hummingbird) { kind, fix in
            logger.error("Rampart is wired wrongly", metadata: ["rampart.misuse": .string(kind), "rampart.fix": .string(fix)])
        }
    }
}
