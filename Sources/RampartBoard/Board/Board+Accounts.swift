import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

/// Accounts: registration, log in (throttled, with device cookies), log out.
extension Board {

    func register(_ request: BoardRequest) async throws -> BoardResponse {
        let form = try await Self.form(Credentials.self, request)
        func refuse(_ problem: String, _ status: HTTPResponse.Status) async throws -> BoardResponse {
            try await page(
                "register",
                title: "Register",
                ["problem": problem, "username": form.username],
                status: status,
                user: nil,
                request: request
            )

        }
        guard let username = Self.normalisedUsername(form.username) else {
            return try await refuse("User names are 3 to 32 of a–z, 0–9, _ . and -.", .badRequest)
        }
        guard (8...72).contains(form.password.utf8.count) else {
            return try await refuse("Passwords are 8 to 72 bytes (bcrypt reads no further).", .badRequest)
        }
        let cost = configuration.passwordHashCost
        let password = form.password
        let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: UInt8(cost)) }
        let admin: AdminGrant = username == configuration.bootstrapAdmin ? .always : (configuration.firstUserBecomesAdmin ? .ifFirst : .never)
        guard let user = try await repository.createUser(username: username, passwordHash: hash, now: Self.now(), admin: admin) else {
            return try await refuse("That name is taken.", .conflict)
        }
        try await request.session.logIn(userID: user.id)
        try await request.session[.flash] = "Welcome, \(user.username)." + (user.isAdmin ? " You are the admin." : "")
        request.logger.info("Rampart board: user registered", metadata: ["user.id": .string(user.id)])
        var response = BoardResponse.redirect("/")
        response.setCookie(try deviceCookie(for: user, now: Self.now()))
        return response
    }

    func logIn(_ request: BoardRequest) async throws -> BoardResponse {
        let form = try await Self.form(Credentials.self, request)
        let now = Self.now()
        let username = Self.normalisedUsername(form.username)
        let client = configuration.transport.trustedProxies.clientAddress(peer: request.peerAddress, fields: request.headers)
        let user = try await username.asyncMap { try await repository.user(named: $0) } ?? nil
        // OWASP device cookies: a browser that logged in as this user before is throttled on its
        // own budget; everyone else shares the account's and their address's, so an attacker who
        // spends the account's budget does not lock the owner out.
        let device = user.flatMap { deviceID(in: request, for: $0) }
        let keys =
            device.map { ["device:" + $0] }
            ?? ["account:" + (username ?? "invalid"), "client:" + (client?.description ?? "unknown")]
        // Reserve the attempt before bcrypt runs: concurrent guesses cannot all pass the check.
        if let (key, oldest) = try await repository.reserveLoginAttempt(
            keys: keys,
            since: now - SQLiteAppRepository.loginFailureWindow,
            now: now,
            limit: Self.maximumFailures
        ) {
            let retryAfter = max(1, oldest + SQLiteAppRepository.loginFailureWindow - now)
            request.logger.notice(
                "Rampart board: login throttled",
                metadata: [
                    "throttle.key": .string(String(key.prefix { $0 != ":" })),
                    "account": .string(username ?? "invalid"),
                    "client.address": .string(client?.description ?? "unknown"),
                ]
            )
            throw RequestRefusal(
                status: .tooManyRequests,
                reason: RequestRefusal.statusCode(for: .tooManyRequests),
                message: "Too many failed logins. Try again in \(retryAfter) seconds.",
                headerFields: [.retryAfter: String(retryAfter)]
            )
        }
        let password = form.password
        let hash = user?.passwordHash ?? decoyHash
        let verified = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        guard let user, verified else {
            // The reserved attempt stays: it is the failure.
            return try await page(
                "login",
                title: "Log in",
                ["problem": "Wrong user name or password.", "username": form.username],
                status: .unauthorized,
                user: nil,
                request: request
            )
        }
        try await repository.releaseLoginAttempt(keys: keys, at: now)
        try await request.session.logIn(userID: user.id)
        var response = BoardResponse.redirect("/")
        response.setCookie(try deviceCookie(for: user, now: now))
        return response
    }

    /// The device cookie's name and lifetime (OWASP Authentication Cheat Sheet, device cookies).
    static let deviceCookieName = "__Host-device"
    static let deviceCookieLifetime: Int64 = 365 * 24 * 3600

    /// The device id in a valid device cookie issued to `user`, if the request has one.
    func deviceID(in request: BoardRequest, for user: User) -> String? {
        guard let text = RequestCookies.value(named: Self.deviceCookieName, in: request.headers),
            case .success(let value) = deviceCodec.verifyString(text, name: Self.deviceCookieName)
        else { return nil }
        guard let dot = value.lastIndex(of: "."), value[..<dot] == user.id[...] else { return nil }
        let id = value[value.index(after: dot)...]
        return id.isEmpty ? nil : String(id)
    }

    /// A new signed device cookie binding a fresh device id to `user`.
    func deviceCookie(for user: User, now: Int64) throws -> SetCookie {
        let expires = now + Self.deviceCookieLifetime
        let value = deviceCodec.sign("\(user.id).\(UploadPolicy.storedName())", name: Self.deviceCookieName, expiresAt: expires)
        return try SetCookie(name: Self.deviceCookieName, value: value, maxAge: Int(Self.deviceCookieLifetime), sameSite: .strict)
    }

    func logOut(_ request: BoardRequest) async throws -> BoardResponse {
        try await request.session.logOut()
        return BoardResponse.redirect("/").clearingSiteData(.logout)
    }

    func revokeAll(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        let count = try await services.sessionStore.deleteAll(forUser: user.id)
        try await request.session.logOut()
        request.logger.info("Rampart board: sessions revoked", metadata: ["user.id": .string(user.id), "sessions": "\(count)"])
        return BoardResponse.redirect("/login").clearingSiteData(.logout)
    }
}
