import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import Synchronization

extension RampartRequestContext {
    /// CSRF token helpers for templates. Needs ``SessionMiddleware`` and ``CSRFMiddleware``.
    public var csrf: CSRFHelpers {
        guard let session = security.sessionHandle else {
            RampartMisuse.report(.csrfWithoutMiddleware, logger: logger)
            return CSRFHelpers(
                session: security.sessionHandle ?? SessionHandle(detached: .fresh(now: WallClock.system.now())),
                state: security.csrfState
            )
        }
        return CSRFHelpers(session: session, state: security.csrfState)
    }
}
