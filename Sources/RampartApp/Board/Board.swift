import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartHummingbird
import RampartSQLite

extension SessionKey where Value == String {
    /// A one-shot message shown on the next page.
    static let flash = SessionKey("flash")
}

/// The message board: accounts, comments, profiles with avatar uploads, a JSON API and a CSP
/// report receiver with its dashboard, every page under the `.strict` header preset.
struct Board: Sendable {
    let repository: any AppRepository
    let templates: SafeTemplates
    let services: AppServices
    let configuration: AppConfiguration
    /// A bcrypt hash of a random password, verified against when the user does not exist, so
    /// an unknown name takes as long as a wrong password.
    let decoyHash: String
    /// Each comment's HTML, rendered once (comments are immutable).
    let commentFragments = ReadCache<Int64, String>(capacity: 2_000)
    /// Signs and verifies device cookies (the ring's cookie-signing keys, bound to the name).
    let deviceCodec: SignedCookieCodec

    static let uploadPolicy = try! UploadPolicy(maximumBytes: 2 * 1024 * 1024, allowedTypes: UploadType.all)
    static let maximumFailures = 10
    static let commentLimit = 2000

    init(services: AppServices, configuration: AppConfiguration) async throws {
        self.services = services
        self.configuration = configuration
        self.repository = services.repository
        self.templates = try SafeTemplates(templates: BoardTemplates.all)
        self.deviceCodec = SignedCookieCodec(keyRing: services.keyRing)
        if let admin = configuration.bootstrapAdmin, try await services.repository.setAdmin(username: admin, isAdmin: true) {
            Logger(label: "rampart").notice("Rampart board: admin granted from RAMPART_ADMIN", metadata: ["account": .string(admin)])
        }
        let cost = configuration.passwordHashCost
        let randomPassword = UploadPolicy.storedName() + UploadPolicy.storedName()
        self.decoyHash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(randomPassword, cost: UInt8(cost)) }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: Rendering

    func currentUser(_ context: AppRequestContext) async throws -> User? {
        guard let id = try await context.session.userID else { return nil }
        return try await repository.user(id: id)
    }

    /// Renders a page: its template inside the header and footer partials.
    ///
    /// - Parameter cacheKey: Set when the page is a function of this key alone (apart from the
    ///   nonce and CSRF tokens, filled in per response); it is ignored while a flash message
    ///   is shown.
    func page(
        _ name: String,
        title: String,
        _ values: [String: any Sendable] = [:],
        status: HTTPResponse.Status = .ok,
        user: User?,
        context: AppRequestContext,
        cacheKey: String? = nil
    ) async throws -> HTMLResponse {
        var values = values
        values["title"] = title
        if let user { values["currentUser"] = ["username": user.username, "isAdmin": user.isAdmin] as [String: any Sendable] }
        let session = try await context.session
        let flash = session[.flash]
        if let flash {
            values["flash"] = flash
            session[.flash] = nil
        }
        var response: HTMLResponse
        if let cacheKey, flash == nil {
            response = try templates.render(name, values, context: context, cacheKey: cacheKey)
        } else {
            response = try templates.render(name, values, context: context)
        }
        response.status = status
        return response
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .contentLength: "0"])
    }

    func requireUser(_ context: AppRequestContext) async throws -> User {
        guard let user = try await currentUser(context) else {
            throw HTTPError(.unauthorized, message: "Log in first.")
        }
        return user
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
