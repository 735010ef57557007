import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

extension SessionKey where Value == String {
    /// A one-shot message shown on the next page.
    static let flash = SessionKey("flash")
}

/// The message board: accounts, comments, profiles with avatar uploads, a JSON API and a CSP
/// report receiver with its dashboard, every page under the `.strict` header preset.
///
/// It holds no HTTP framework: ``routes()`` are answered from a ``BoardRequest``, and each
/// adapter (Hummingbird in `RampartApp`, Vapor in `RampartVaporBoard`) registers them behind
/// Rampart's middleware.
public struct Board: Sendable {
    let repository: any AppRepository
    /// The board's checked templates.
    public let templates: SafeMustache
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

    /// Loads the templates, grants the bootstrap admin and prepares the login decoy.
    /// - Throws: a template error (a bug), or the repository's error.
    public init(services: AppServices, configuration: AppConfiguration) async throws {
        self.services = services
        self.configuration = configuration
        self.repository = services.repository
        self.templates = try SafeMustache(templates: BoardTemplates.all)
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

    func currentUser(_ request: BoardRequest) async throws -> User? {
        guard let id = try await request.session.userID else { return nil }
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
        request: BoardRequest,
        cacheKey: String? = nil
    ) async throws -> BoardResponse {
        var values = values
        values["title"] = title
        if let user { values["currentUser"] = ["username": user.username, "isAdmin": user.isAdmin] as [String: any Sendable] }
        let session = try await request.session
        let flash = session[.flash]
        if let flash {
            values["flash"] = flash
            session[.flash] = nil
        }
        let html =
            if let cacheKey, flash == nil {
                templates.render(name, values, request: request.templateValues, cacheKey: cacheKey)
            } else {
                templates.render(name, values, request: request.templateValues)
            }
        guard let html else {
            request.logger.error("Rampart template not found", metadata: ["rampart.template": .string(name)])
            throw RequestRefusal.internalError
        }
        return .html(html, status: status)
    }

    func requireUser(_ request: BoardRequest) async throws -> User {
        guard let user = try await currentUser(request) else {
            throw RequestRefusal(status: .unauthorized, reason: RequestRefusal.statusCode(for: .unauthorized), message: "Log in first.")
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
