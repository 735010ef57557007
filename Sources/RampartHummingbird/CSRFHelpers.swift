import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import Synchronization

/// Template helpers for the current request's CSRF tokens.
///
/// ```swift
/// let form: Markup = "<form method=post action=/comments>\(context.csrf.hiddenField())…</form>"
/// ```
/// Issuing a token makes sure the session is stored, and marks the response
/// `Cache-Control: no-store` with `Vary: Cookie`.
public struct CSRFHelpers: Sendable {
    let session: SessionHandle
    let state: CSRFState?

    /// A fresh masked token for this session (different on every call).
    public func token() -> String {
        state?.markIssued()
        return session.maskedToken()
    }

    /// `<input type="hidden" name="_csrf" value="…">`.
    public func hiddenField() -> Markup {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(token())\">"
    }

    /// `<meta name="csrf-token" content="…">`, for scripts that send `X-CSRF-Token`.
    public func metaTag() -> Markup {
        "<meta name=\"csrf-token\" content=\"\(token())\">"
    }

    /// A one-time token for a sensitive action.
    /// - Throws: when no one-time tokens are configured or the action is not registered.
    public func oneTimeToken(action: String) throws -> String {
        guard let tokens = state?.oneTimeTokens else {
            throw SecurityConfigurationError(
                setting: "oneTimeTokens",
                value: action,
                reason: .missingDirective,
                message: "CSRFMiddleware has no one-time tokens configured"
            )
        }
        state?.markIssued()
        return try tokens.issue(action: action, sessionSecret: session.csrfSecret)
    }

    /// A hidden `_csrf` field holding a one-time token for `action`.
    public func oneTimeField(action: String) throws -> Markup {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(try oneTimeToken(action: action))\">"
    }
}

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
