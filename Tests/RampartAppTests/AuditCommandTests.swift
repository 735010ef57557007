import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartApp
import RampartAudit
import RampartHummingbird
import Testing

@testable import rampart

/// A fetcher that answers from a table, for the HTTPS paths a loopback test cannot serve.
struct TableFetcher: AuditFetching {
    let routes: [String: Result<AuditedResponse, AuditFetchError>]

    func fetch(_ url: AuditURL, headerFields: HTTPFields) async throws(AuditFetchError) -> AuditedResponse {
        guard let route = routes[url.description] else { throw .unreachable("connection refused") }
        return try route.get()
    }
}

@Suite("rampart audit")
struct AuditCommandTests {
    /// A live app behind Rampart's strict headers, on plain HTTP.
    static func makeApp() throws -> some ApplicationProtocol {
        let router = Router(context: BasicRampartRequestContext.self)
        let transport = TransportSecurity(
            allowedHosts: try HostAllowList(["localhost", "127.0.0.1"]),
            trustedProxies: try TrustedProxies([]),
            httpsPolicy: .allowInsecureHTTP
        )
        router.add(middleware: try SecurityHeadersMiddleware(headers: .strict, transport: transport))
        router.get("/") { _, _ in "home" }
        router.get("/login") { _, _ in
            Response(
                status: .ok,
                headers: [.setCookie: "sessionid=abc; HttpOnly; SameSite=Lax; Path=/"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "in"))
            )
        }
        router.get("/old") { _, _ in Response.redirect(to: "/", type: .permanent) }
        router.get("/loop") { _, _ in Response.redirect(to: "/loop", type: .found) }
        router.get("/ftp") { _, _ in Response.redirect(to: "ftp://example.com/", type: .permanent) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func withLiveApp(_ body: @Sendable @escaping (Int, AuditRunner) async throws -> Void) async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let fetcher = try HTTPClientAuditFetcher(timeoutSeconds: 5)
            do {
                try await body(port, AuditRunner(fetcher: fetcher))
                try await fetcher.shutdown()
            } catch {
                try? await fetcher.shutdown()
                throw error
            }
        }
    }

    @Test("a live app with the strict preset over plain HTTP is C+ 60: no HTTPS, no redirect")
    func livePlainHTTP() async throws {
        try await Self.withLiveApp { port, runner in
            let report = try await runner.audit(AuditURL("http://127.0.0.1:\(port)/")!)
            #expect(report.grade == .cPlus)
            #expect(report.score == 60)
            #expect(
                report.results.map(\.outcome.rawValue) == [
                    "csp-implemented-with-no-unsafe-default-src-none", "cookies-not-found",
                    "cross-origin-resource-sharing-not-implemented", "redirection-missing", "referrer-policy-private",
                    "hsts-not-implemented-no-https", "x-content-type-options-nosniff", "x-frame-options-implemented-via-csp",
                    "corp-implemented-with-same-origin", "coop-implemented-with-same-origin", "coep-not-implemented",
                ]
            )
            #expect(report[.redirection]?.explanation == "Plain HTTP does not redirect to HTTPS (http://127.0.0.1:\(port)/ answered 200)")
            #expect(Audit.table(report).contains("redirection-missing"))
        }
    }

    @Test("loopback is a trustworthy origin: its Secure cookies count as Secure over plain HTTP")
    func liveCookie() async throws {
        try await Self.withLiveApp { port, runner in
            let report = try await runner.audit(AuditURL("http://127.0.0.1:\(port)/login")!)
            // CookieHardening added Secure to the handler's cookie.
            #expect(report[.cookies]?.outcome == .cookiesSecureWithHttponlySessionsAndSamesite)
            #expect(report[.cookies]?.explanation == "All cookies are Secure, session cookies are HttpOnly, and all cookies set SameSite (sessionid)")
            #expect(report.score == 60)
            #expect(report.grade == .cPlus)
        }
    }

    @Test("redirects are followed by hand and graded")
    func liveRedirect() async throws {
        try await Self.withLiveApp { port, runner in
            let input = try await runner.input(for: AuditURL("http://127.0.0.1:\(port)/old")!)
            #expect(input.chain.map(\.status.code) == [301, 200])
            #expect(input.chain.map(\.url.path) == ["/old", "/"])
            #expect(input.corsProbe?.origin == AuditRunner.probeOrigin)
            let report = ObservatoryAudit.grade(input)
            #expect(report[.redirection]?.outcome == .redirectionNotToHTTPS)
            #expect(report.finalURL.description == "http://127.0.0.1:\(port)/")
        }
    }

    @Test(
        "bad redirects and unreachable hosts are one-line errors naming the value",
        arguments: [
            ("/loop", "http://127.0.0.1:PORT/loop redirects more than 5 times (last to '/loop')"),
            ("/ftp", "http://127.0.0.1:PORT/ftp redirects to 'ftp://example.com/', which is not an http:// or https:// URL"),
        ]
    )
    func liveErrors(_ path: String, _ message: String) async throws {
        try await Self.withLiveApp { port, runner in
            let error = await #expect(throws: AuditCommandError.self) {
                _ = try await runner.audit(AuditURL("http://127.0.0.1:\(port)\(path)")!)
            }
            #expect(error?.description == message.replacingOccurrences(of: "PORT", with: "\(port)"))
        }
    }

    @Test("an unreachable host is a one-line error naming the URL")
    func unreachable() async throws {
        let fetcher = try HTTPClientAuditFetcher(timeoutSeconds: 5)
        let error = await #expect(throws: AuditCommandError.self) {
            _ = try await AuditRunner(fetcher: fetcher).audit(AuditURL("http://127.0.0.1:1/")!)
        }
        try await fetcher.shutdown()
        #expect(error?.description.hasPrefix("cannot fetch http://127.0.0.1:1/: ") == true)
        #expect(error?.description.contains("\n") == false)
        #expect(error?.fetchError.map { if case .unreachable = $0 { true } else { false } } == true)
    }

    @Test("--min-grade: exit status 2 below it, success at or above it")
    func minimumGrade() async throws {
        try await Self.makeApp().test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/"
            let strict = try Audit.parse([url, "--min-grade", "A", "--json", "--timeout", "5"])
            let error = await #expect(throws: ExitCode.self) { try await strict.run() }
            #expect(error?.rawValue == 2)
            let lenient = try Audit.parse([url, "--min-grade", "c+", "--timeout", "5"])
            try await lenient.run()
        }
    }

    // MARK: HTTPS, through a table of responses

    static func strictFields(cookie: String? = nil) throws -> HTTPFields {
        var fields: HTTPFields = cookie.map { [.setCookie: $0] } ?? [:]
        try SecurityHeaders.strict.rendered().apply(to: &fields, nonce: CSPNonce(), isSecure: true, status: .ok)
        return fields
    }

    static func response(_ url: String, status: HTTPResponse.Status = .ok, _ fields: HTTPFields = [:]) -> AuditedResponse {
        AuditedResponse(url: AuditURL(url)!, status: status, headerFields: fields)
    }

    @Test(
        "an https URL: the http:// form is fetched for the redirection test",
        arguments: [
            ("redirects", "redirection-to-https", 135, AuditGrade.aPlus),
            ("refuses", "redirection-not-needed-no-http", 135, .aPlus),
            ("bad certificate", "redirection-invalid-cert", 80, .bPlus),
            ("serves plain HTTP", "redirection-missing", 80, .bPlus),
        ]
    )
    func httpsWithPlainHTTP(_ http: String, _ identifier: String, _ score: Int, _ grade: AuditGrade) async throws {
        var routes: [String: Result<AuditedResponse, AuditFetchError>] = [
            "https://example.com/": .success(
                Self.response("https://example.com/", try Self.strictFields(cookie: "__Host-session=v1.x; Secure; HttpOnly; SameSite=Lax; Path=/"))
            )
        ]
        switch http {
        case "redirects":
            routes["http://example.com/"] = .success(
                Self.response("http://example.com/", status: .movedPermanently, [.location: "https://example.com/"])
            )
        case "bad certificate":
            routes["http://example.com/"] = .success(
                Self.response("http://example.com/", status: .movedPermanently, [.location: "https://www.example.com/"])
            )
            routes["https://www.example.com/"] = .failure(.invalidCertificate("certificate verify failed"))
        case "serves plain HTTP":
            routes["http://example.com/"] = .success(Self.response("http://example.com/"))
        default:
            break
        }
        let report = try await AuditRunner(fetcher: TableFetcher(routes: routes)).audit(AuditURL("https://example.com/")!)
        #expect(report[.redirection]?.outcome.rawValue == identifier)
        #expect(report.score == score)
        #expect(report.grade == grade)
    }

    @Test("a relative Location resolves against the URL that sent it")
    func relativeLocation() throws {
        let base = AuditURL("https://example.com/a/b?x")!
        #expect(try AuditRunner.resolve("c", against: base).description == "https://example.com/a/c")
        #expect(try AuditRunner.resolve("/d", against: base).description == "https://example.com/d")
        #expect(try AuditRunner.resolve("//other.example/e", against: base).description == "https://other.example/e")
        #expect(try AuditRunner.resolve("http://example.com:8080/", against: base).description == "http://example.com:8080/")
        #expect(throws: AuditCommandError.self) { try AuditRunner.resolve("javascript:alert(1)", against: base) }
    }

    // MARK: --ca-cert, against the board served over HTTPS with a `rampart dev-cert` certificate

    /// Serves the reference app over HTTPS with a fresh dev certificate, and passes its port,
    /// the certificate file and a scratch folder.
    static func withDevCertServer(_ body: @Sendable @escaping (Int, String, String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-audit-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let certificate = try DevCertCommand.parse(["--out", folder + "/certs"]).write()
        let serve = try Serve.parse([
            "--port", "0", "--data-dir", folder + "/data", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.keyPath,
        ])
        let app = try await buildApplication(try serve.makeConfiguration(environment: [:]))
        try await app.test(.ahc(.https)) { client in
            try await body(try #require(client.port), certificate.certificatePath, folder)
        }
    }

    enum TrustCase: String, CaseIterable, CustomTestStringConvertible {
        case systemRootsOnly = "without --ca-cert: one line saying what failed and to pass --ca-cert"
        case devCertificate = "--ca-cert the server's dev certificate: graded"
        case otherCertificate = "--ca-cert another dev certificate: one line saying the file is not the issuer"
        var testDescription: String { rawValue }
    }

    @Test("an HTTPS server with a dev certificate", arguments: TrustCase.allCases)
    func devCertificate(_ trust: TrustCase) async throws {
        try await Self.withDevCertServer { port, certificatePath, folder in
            let url = "https://127.0.0.1:\(port)/"
            let caCertificate: String?
            switch trust {
            case .systemRootsOnly: caCertificate = nil
            case .devCertificate: caCertificate = certificatePath
            case .otherCertificate: caCertificate = try DevCertCommand.parse(["--out", folder + "/other"]).write().certificatePath
            }
            let fetcher = try HTTPClientAuditFetcher(timeoutSeconds: 5, caCertificatePath: caCertificate)
            let result: Result<AuditReport, AuditCommandError>
            do {
                result = .success(try await AuditRunner(fetcher: fetcher).audit(AuditURL(url)!))
            } catch let error as AuditCommandError {
                result = .failure(error)
            }
            try await fetcher.shutdown()
            let arguments = [url, "--timeout", "5", "--json"] + (caCertificate.map { ["--ca-cert", $0] } ?? [])
            switch trust {
            case .devCertificate:
                let report = try result.get()
                #expect(report[.strictTransportSecurity]?.outcome == .hstsImplementedMaxAgeAtLeastSixMonths)
                #expect(report[.redirection]?.outcome == .redirectionNotNeededNoHTTP)
                #expect(report.grade == .aPlus)
                try await Audit.parse(arguments + ["--min-grade", "A"]).run()
            case .systemRootsOnly, .otherCertificate:
                let expected =
                    trust == .systemRootsOnly
                    ? "cannot fetch \(url): TLS: certificate not trusted by this machine (CERTIFICATE_VERIFY_FAILED); pass --ca-cert FILE for a private CA or a rampart dev-cert certificate"
                    : "cannot fetch \(url): TLS: certificate not trusted by this machine or by the --ca-cert file (CERTIFICATE_VERIFY_FAILED); pass the CA that issued the server's certificate"
                guard case .failure(let error) = result else {
                    Issue.record("the audit of \(url) passed without a trusted certificate")
                    return
                }
                #expect(error.description == expected)
                #expect(error.fetchError.map { if case .invalidCertificate = $0 { true } else { false } } == true)
                // The command fails with the same one line.
                let commandError = await #expect(throws: AuditCommandError.self) { try await Audit.parse(arguments).run() }
                #expect(commandError?.description == expected)
            }
        }
    }

    @Test("https:// to a plain-HTTP port: one line saying the server did not answer in TLS")
    func httpsToPlainHTTP() async throws {
        try await Self.withLiveApp { port, runner in
            let error = await #expect(throws: AuditCommandError.self) { _ = try await runner.audit(AuditURL("https://127.0.0.1:\(port)/")!) }
            #expect(
                error?.description
                    == "cannot fetch https://127.0.0.1:\(port)/: TLS: the server did not answer in TLS (WRONG_VERSION_NUMBER); if it serves plain HTTP on this port, audit http://"
            )
        }
    }

    @Test(
        "a bad --ca-cert file is a one-line error naming it",
        arguments: [
            ("missing", nil, "FILE: cannot be opened (No such file or directory)"),
            ("not PEM", "not a certificate", "FILE: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
            (
                "a private key", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
                "FILE: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            ),
        ] as [(String, String?, String)]
    )
    func badCACertificate(_ name: String, _ contents: String?, _ message: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-audit-ca-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/ca.pem"
        if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        let expected = "--ca-cert " + message.replacingOccurrences(of: "FILE", with: path)
        let error = #expect(throws: CLIError.self) { _ = try HTTPClientAuditFetcher(timeoutSeconds: 5, caCertificatePath: path) }
        #expect(error?.description == expected)
        let commandError = await #expect(throws: CLIError.self) { try await Audit.parse(["https://127.0.0.1:1/", "--ca-cert", path]).run() }
        #expect(commandError?.description == expected)
    }

    @Test(
        "TLS failures are one line: BoringSSL's reason code, not its error stack",
        arguments: [
            (
                "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /src/ssl/handshake.cc:320",
                "CERTIFICATE_VERIFY_FAILED"
            ),
            ("Error: 268435703 error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER", "WRONG_VERSION_NUMBER"),
            ("Error: 1 no reason here", ""),
        ]
    )
    func tlsReason(_ line: String, _ reason: String) {
        #expect(HTTPClientAuditFetcher.reason(of: line) == reason)
    }

    // MARK: Arguments

    @Test("the subcommand is registered")
    func registered() throws {
        let command = try RampartCommand.parseAsRoot(["audit", "https://example.com/"])
        #expect((command as? Audit)?.url == "https://example.com/")
    }

    @Test("a bare host means https://")
    func bareHost() throws {
        #expect(try Audit.parse(["example.com"]).targetURL().description == "https://example.com/")
        #expect(try Audit.parse(["http://example.com:8080/x"]).targetURL().description == "http://example.com:8080/x")
    }

    @Test(
        "bad arguments are refused with a message naming the value",
        arguments: [
            (["ftp://example.com/"], "'ftp://example.com/' is not an http:// or https:// URL"),
            (["javascript:alert(1)"], "'javascript:alert(1)' is not an http:// or https:// URL"),
            (["https://example.com:99999/"], "'https://example.com:99999/' is not an http:// or https:// URL"),
            (["https://example.com/", "--timeout", "0"], "--timeout must be between 0 and 600 seconds, not 0.0"),
        ]
    )
    func badArguments(_ arguments: [String], _ message: String) {
        #expect(throws: (any Error).self) { try Audit.parse(arguments) }
        do {
            _ = try Audit.parse(arguments)
        } catch {
            #expect(Audit.message(for: error) == message)
        }
    }

    @Test("--min-grade takes the Observatory's letters only")
    func badGrade() {
        #expect(throws: (any Error).self) { try Audit.parse(["https://example.com/", "--min-grade", "E"]) }
        #expect((try? Audit.parse(["https://example.com/", "--min-grade", "b-"]))?.minimumGrade == .bMinus)
    }
}
