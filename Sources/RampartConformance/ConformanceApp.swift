import Foundation
import HTTPTypes
public import Rampart

/// The app every adapter serves for the conformance suite: the same options, the same routes,
/// the same pages. An adapter's driver builds it with that framework's own API (and nothing
/// else), starts it on a loopback port, and runs ``ConformanceSuite/cases`` against it.
///
/// Options: ``options(dataDirectory:)`` (host `app.example`, `127.0.0.1/32` a trusted proxy, so
/// plain HTTP is redirected unless that proxy says `X-Forwarded-Proto: https`; a one-time token
/// for `POST /account/delete`; `POST /webhooks/payment` exempt from CSRF; the session idle
/// timeout the case asks for, ``ConformanceCase/sessionIdleTimeout``).
///
/// Routes, each answering exactly this:
///
/// | route | answer |
/// | --- | --- |
/// | `GET /` | ``homePage(nonce:csrfField:)`` with the request's nonce and `csrf.hiddenField()`, as HTML |
/// | `GET /boom` | throws ``Boom`` (an error the framework does not know) |
/// | `GET /refuse` | throws ``refusal`` |
/// | `GET /me` | `user: ID` (or `user: -`), as plain text |
/// | `POST /login` | signs in `ada`; `welcome ada` |
/// | `POST /logout-everywhere` | `logOutEverywhere()`; `revoked N`, with `Clear-Site-Data: "cache", "storage"` set by the adapter's helper |
/// | `POST /comments` | `comment ok` |
/// | `GET /delete-form` | ``deleteForm(field:)`` with `csrf.oneTimeField(action: "account.delete")` |
/// | `POST /account/delete` | `deleted` |
/// | `POST /webhooks/payment` | `webhook ok` |
/// | `POST /upload` | the multipart form under ``uploadPolicy``; `stored TYPE BYTES` for its `avatar` file |
/// | `POST /api/items` | an ``Item`` decoded under ``jsonLimits``; the item with its name uppercased, as a `JSONResponse` |
///
/// See [OWASP Web Security Testing Guide](https://owasp.org/www-project-web-security-testing-guide/).
public enum ConformanceApp {
    /// The only allowed host.
    public static let host = "app.example"

    /// The options every driver passes to its adapter's one-call setup.
    public static func options(
        dataDirectory: String,
        sessionIdleTimeout: Duration = .seconds(600),
        resourceIsolation: Bool = false
    ) -> RampartOptions {
        RampartOptions(
            allowedHosts: [host],
            trustedProxies: ["127.0.0.1/32"],
            dataDirectory: dataDirectory,
            oneTimeRoutes: [.init(.post, "/account/delete", action: "account.delete")],
            csrfExemptions: [.path("/webhooks/payment", reason: "signed by the payment provider")],
            resourceIsolation: resourceIsolation ? Self.resourceIsolation : nil,
            sessionIdleTimeout: sessionIdleTimeout,
            sessionAbsoluteTimeout: .seconds(3600)
        )
    }

    /// The options a case asks for (its idle timeout, and resource isolation on or off).
    public static func options(dataDirectory: String, for conformanceCase: ConformanceCase) -> RampartOptions {
        options(
            dataDirectory: dataDirectory,
            sessionIdleTimeout: conformanceCase.sessionIdleTimeout,
            resourceIsolation: conformanceCase.resourceIsolation
        )
    }

    /// The resource isolation of the cases that turn it on: the standard policy with `GET /me`
    /// exempt.
    public static let resourceIsolation = try! ResourceIsolationPolicy(exemptions: [.path("/me", reason: "the suite's exempt path")])

    /// `POST /upload`: PNG only, at most 128 KiB (over the CSRF check's 64 KiB form limit, so a
    /// form whose token is in its `_csrf` field must be scanned as it streams).
    public static let uploadPolicy = try! UploadPolicy(maximumBytes: 128 * 1024, allowedTypes: [.png])

    /// `POST /api/items`: at most 256 bytes, nested at most 4 deep.
    public static let jsonLimits = try! JSONLimits(maximumBytes: 256, maximumDepth: 4)

    /// The JSON body of `POST /api/items`.
    public struct Item: Codable, Sendable, Equatable {
        public let name: String
        public init(name: String) { self.name = name }
    }

    /// What `GET /boom` throws; its text must never reach the client.
    public struct Boom: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "boom-secret-detail-42" }
    }

    /// What `GET /refuse` throws.
    public static let refusal = RequestRefusal(status: .forbidden, reason: "membersOnly", message: "This page is for members.")

    /// What `POST /upload` throws when the form has no `avatar` file.
    public static let noFile = RequestRefusal(status: .badRequest, reason: "noFile", message: "The form has no avatar file.")

    /// The page of `GET /`.
    public static func homePage(nonce: String, csrfField: Markup) -> Markup {
        "<!doctype html><title>home</title><script nonce=\"\(nonce)\">go()</script><form method=\"post\" action=\"/comments\">\(csrfField)</form>"
    }

    /// The page of `GET /delete-form`.
    public static func deleteForm(field: Markup) -> Markup {
        "<!doctype html><title>delete</title><form method=\"post\" action=\"/account/delete\">\(field)</form>"
    }
}
