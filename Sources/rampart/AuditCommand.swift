import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOSSL
import Rainbow
import Rampart
import RampartAudit
import SwiftASN1
import X509

/// `rampart audit URL`: fetches a site and grades its security headers the way Mozilla's
/// HTTP Observatory does.
///
/// Redirects are followed by hand, at most ``AuditRunner/maximumRedirects``, and only to
/// `http` and `https` URLs. For an `https` URL the `http://` form is fetched too, to grade the
/// redirection; nothing listening there scores as a site without plain HTTP.
///
/// Certificates are checked against this machine's trust store, plus the PEM certificates of
/// `--ca-cert FILE` (a private CA, or the certificate `rampart dev-cert` wrote). A TLS failure is
/// one line that says what went wrong and what to try.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade a site's security headers like Mozilla's HTTP Observatory.",
        discussion: "Scoring: https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring"
    )

    @Argument(help: "The URL to audit (http:// or https://; a bare host means https://).")
    var url: String

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .customLong("min-grade"), help: "Exit with status 2 when the grade is below this one (A+, A, A-, B+, … F).")
    var minimumGrade: AuditGrade?

    @Option(name: .long, help: "Seconds to wait for each response.")
    var timeout: Double = 10

    @Option(
        name: .customLong("ca-cert"),
        help: ArgumentHelp("Also trust the PEM CA certificate(s) in this file, such as the one `rampart dev-cert` writes.", valueName: "file")
    )
    var caCertificate: String?

    /// The URL to audit, parsed.
    func targetURL() throws -> AuditURL {
        try Self.parseTarget(url)
    }

    /// Parses the command's URL argument; a bare host (`example.com`) means `https://example.com/`.
    static func parseTarget(_ text: String) throws(ValidationError) -> AuditURL {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let candidate = trimmed.contains("://") ? trimmed : "https://\(trimmed)"
        guard !trimmed.isEmpty, let parsed = AuditURL(candidate) else {
            throw ValidationError("'\(text)' is not an http:// or https:// URL")
        }
        return parsed
    }

    func validate() throws {
        _ = try targetURL()
        guard timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be between 0 and 600 seconds, not \(timeout)")
        }
    }

    func run() async throws {
        let target = try targetURL()
        let fetcher = try HTTPClientAuditFetcher(timeoutSeconds: timeout, caCertificatePath: caCertificate)
        let report: AuditReport
        do {
            report = try await AuditRunner(fetcher: fetcher).audit(target)
            try? await fetcher.shutdown()
        } catch {
            try? await fetcher.shutdown()
            throw error
        }
        if json {
            print(try Self.json(report))
        } else {
            print(Self.table(report))
        }
        if let minimumGrade, report.grade < minimumGrade {
            FileHandle.standardError.write(Data("rampart audit: grade \(report.grade) is below the minimum \(minimumGrade)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The report as pretty-printed JSON with sorted keys.
    static func json(_ report: AuditReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The report as a coloured table (colours are dropped when stdout is not a terminal).
    static func table(_ report: AuditReport) -> String {
        let gradeText = "\(report.grade)"
        let coloured: String =
            switch report.grade {
            case .aPlus, .a, .aMinus: gradeText.green.bold
            case .bPlus, .b, .bMinus, .cPlus, .c: gradeText.yellow.bold
            default: gradeText.red.bold
            }
        var lines = [
            "Observatory-style audit of \(report.url)" + (report.finalURL == report.url ? "" : " (final: \(report.finalURL))"),
            "Grade \(coloured)   Score \(report.score)",
            "",
        ]
        let width = report.results.map(\.test.title.count).max() ?? 0
        for result in report.results {
            let modifier = result.isScored ? (result.modifier > 0 ? "+\(result.modifier)" : "\(result.modifier)") : "info"
            let mark: String
            let modifierText: String
            if !result.isScored {
                mark = "i".lightBlack
                modifierText = modifier.padding(toLength: 5, withPad: " ", startingAt: 0).lightBlack
            } else if result.passed {
                mark = "✓".green
                modifierText = modifier.padding(toLength: 5, withPad: " ", startingAt: 0).green
            } else {
                mark = "✗".red
                modifierText = modifier.padding(toLength: 5, withPad: " ", startingAt: 0).red
            }
            let title = result.test.title.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("\(mark) \(title)  \(modifierText) \(result.outcome.rawValue.bold)")
            lines.append("  \(String(repeating: " ", count: width))        \(result.explanation)")
        }
        lines.append("")
        lines.append("Scoring: https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring")
        return lines.joined(separator: "\n")
    }
}

/// `--min-grade A-`: grades as the Observatory writes them.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
extension AuditGrade: ExpressibleByArgument {
    /// Parses a grade argument (`A+`, `b-`); see ``AuditGrade/init(_:)``.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init?(argument: String) { self.init(argument) }
    /// Every grade, best first, for `--help`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static var allValueStrings: [String] { allCases.reversed().map(\.rawValue) }
}

/// Why fetching one URL failed.
enum AuditFetchError: Error, Equatable {
    /// Nothing answered: connection refused, unknown host, or timed out.
    case unreachable(String)
    /// The TLS handshake failed on the certificate.
    case invalidCertificate(String)
    /// Anything else.
    case failed(String)
}

/// Fetches one URL without following redirects.
protocol AuditFetching: Sendable {
    /// Sends a `GET` with the given extra header fields and returns the response head.
    func fetch(_ url: AuditURL, headerFields: HTTPFields) async throws(AuditFetchError) -> AuditedResponse
}

/// An ``AuditFetching`` over AsyncHTTPClient, with automatic redirects disabled.
final class HTTPClientAuditFetcher: AuditFetching {
    let client: HTTPClient
    let timeout: TimeAmount
    /// The most body to read and discard, so that the connection can be reused.
    static let maximumBody = 4 << 20

    /// The `--ca-cert` file, when one is trusted besides the system's roots.
    let caCertificatePath: String?

    /// Creates a fetcher; `caCertificatePath` names a PEM file of extra trusted certificates.
    /// - Throws: ``CLIError`` naming the file when it cannot be read or holds no certificate.
    init(timeoutSeconds: Double, caCertificatePath: String? = nil) throws(CLIError) {
        let timeout = TimeAmount.milliseconds(Int64(timeoutSeconds * 1000))
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificatePath {
            tls.additionalTrustRoots = [.certificates(Self.trustAnchors(try Self.loadCertificates(caCertificatePath)))]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout)
        )
        configuration.decompression = .disabled
        // A refused connection or a failed handshake is an answer, not a glitch: report it at
        // once instead of retrying until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
        self.caCertificatePath = caCertificatePath
    }

    /// The certificates of a PEM file, for `--ca-cert`.
    static func loadCertificates(_ path: String) throws(CLIError) -> [NIOSSLCertificate] {
        let bytes: [UInt8]
        do {
            bytes = try CLIFiles.read(path)
        } catch {
            throw CLIError("--ca-cert \(error.description)")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
        guard !certificates.isEmpty else {
            throw CLIError("--ca-cert \(path): holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// The trust anchors for `--ca-cert`'s certificates.
    ///
    /// A CA certificate anchors chains as it stands. A self-signed end-entity certificate, such
    /// as the one `rampart dev-cert` writes, does not: BoringSSL accepts an issuer, even a trusted
    /// one, only if its key usage allows `keyCertSign`, so the server's own certificate is never
    /// found as its issuer. For such a certificate a stand-in anchor is added: the same subject,
    /// public key and validity, marked as a CA. BoringSSL does not check a trust anchor's own
    /// signature, so the stand-in is signed by a throwaway key. It admits exactly what the
    /// certificate's key signed under its name: the file is trusted as a CA, which is what
    /// `--ca-cert` asks for.
    ///
    /// See [RFC 5280 §6.1](https://www.rfc-editor.org/rfc/rfc5280#section-6.1) (trust anchors).
    static func trustAnchors(_ certificates: [NIOSSLCertificate]) -> [NIOSSLCertificate] {
        var anchors = certificates
        for certificate in certificates {
            guard let parsed = try? Certificate(derEncoded: certificate.toDERBytes()), parsed.issuer == parsed.subject else { continue }
            if case .isCertificateAuthority? = try? parsed.extensions.basicConstraints,
                (try? parsed.extensions.keyUsage)?.map(\.keyCertSign) ?? true
            {
                continue  // A CA already.
            }
            do {
                let standIn = try Certificate(
                    version: .v3,
                    serialNumber: Certificate.SerialNumber(),
                    publicKey: parsed.publicKey,
                    notValidBefore: parsed.notValidBefore,
                    notValidAfter: parsed.notValidAfter,
                    issuer: parsed.subject,
                    subject: parsed.subject,
                    signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                        Critical(KeyUsage(keyCertSign: true))
                        SubjectKeyIdentifier(hash: parsed.publicKey)
                    },
                    issuerPrivateKey: Certificate.PrivateKey(P256.Signing.PrivateKey())
                )
                var serializer = DER.Serializer()
                try serializer.serialize(standIn)
                anchors.append(try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der))
            } catch {
                continue  // The certificate itself is still trusted as it stands.
            }
        }
        return anchors
    }

    func shutdown() async throws { try await client.shutdown() }

    func fetch(_ url: AuditURL, headerFields: HTTPFields) async throws(AuditFetchError) -> AuditedResponse {
        var request = HTTPClientRequest(url: url.description)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "rampart-audit")
        for field in headerFields { request.headers.add(name: field.name.rawName, value: field.value) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: Self.maximumBody)
            var fields = HTTPFields()
            for (name, value) in response.headers {
                guard let fieldName = HTTPField.Name(name) else { continue }
                fields.append(HTTPField(name: fieldName, value: value))
            }
            return AuditedResponse(url: url, status: HTTPResponse.Status(code: Int(response.status.code)), headerFields: fields)
        } catch {
            if let tlsFailure = Self.describeTLSFailure(error, host: url.host, caCertificatePath: caCertificatePath) {
                throw .invalidCertificate(tlsFailure)
            }
            throw Self.classify(error)
        }
    }

    /// A TLS failure as one line, `TLS: <what went wrong> (<BoringSSL's reason>); <what to try>`,
    /// instead of BoringSSL's error stack; `nil` when the error is not a TLS failure.
    static func describeTLSFailure(_ error: any Error, host: String, caCertificatePath: String?) -> String? {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "TLS: the certificate is not issued for \(host); audit a name the certificate covers"
        }
        guard let sslError = error as? NIOSSLError, case .handshakeFailed(let failure) = sslError else { return nil }
        let reasons: [String]
        switch failure {
        case .sslError(let stack), .unknownError(let stack): reasons = stack.map { Self.reason(of: $0.description) }
        default: reasons = []
        }
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            if caCertificatePath != nil {
                return
                    "TLS: certificate not trusted by this machine or by the --ca-cert file (CERTIFICATE_VERIFY_FAILED); pass the CA that issued the server's certificate"
            }
            return
                "TLS: certificate not trusted by this machine (CERTIFICATE_VERIFY_FAILED); pass --ca-cert FILE for a private CA or a rampart dev-cert certificate"
        }
        if reasons.contains("WRONG_VERSION_NUMBER") {
            return "TLS: the server did not answer in TLS (WRONG_VERSION_NUMBER); if it serves plain HTTP on this port, audit http://"
        }
        // The last reason is the one the handshake failed with; earlier ones say why.
        return "TLS: handshake failed (\(reasons.last { !$0.isEmpty } ?? "\(failure)"))"
    }

    /// BoringSSL's reason code from one entry of its error stack, such as
    /// `Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …/handshake.cc:320`.
    static func reason(of line: String) -> String {
        guard let start = line.range(of: "error:") else { return "" }
        var text = line[start.upperBound...]
        if let at = text.range(of: " at ") { text = text[..<at.lowerBound] }
        guard let last = text.split(separator: ":").last, !last.isEmpty else { return "" }
        let isCode = last.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
        }
        return isCode ? String(last) : ""
    }

    /// Sorts client errors into "nothing answered", "bad certificate" and the rest.
    static func classify(_ error: any Error) -> AuditFetchError {
        let text = String(describing: error)
        let lowered = text.lowercased()
        if let clientError = error as? HTTPClientError,
            [.connectTimeout, .deadlineExceeded, .readTimeout, .remoteConnectionClosed, .tlsHandshakeTimeout].contains(clientError)
        {
            return .unreachable(text)
        }
        if lowered.contains("certificate") || lowered.contains("handshake") {
            return .invalidCertificate(text)
        }
        if lowered.contains("connect") || lowered.contains("refused") || lowered.contains("lookup")
            || lowered.contains("resolve") || lowered.contains("unreachable") || lowered.contains("timeout")
        {
            return .unreachable(text)
        }
        return .failed(text)
    }
}

/// A one-line failure of the audit, naming the value at fault.
struct AuditCommandError: Error, CustomStringConvertible, Equatable {
    let description: String
    /// When a fetch failed: why, and how many redirects in it happened.
    var fetchError: AuditFetchError? = nil
    var hop = 0
}

/// Follows redirects by hand and gathers everything ``ObservatoryAudit`` grades.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
struct AuditRunner: Sendable {
    /// The most redirects followed from one URL.
    static let maximumRedirects = 5
    /// The `Origin` sent by the CORS probe; a site that echoes it back allows any origin.
    static let probeOrigin = "https://rampart-audit.invalid"

    let fetcher: any AuditFetching

    /// Fetches `url` and follows its redirects: at most ``maximumRedirects``, `http` and `https` only.
    func follow(_ url: AuditURL) async throws -> [AuditedResponse] {
        var chain: [AuditedResponse] = []
        var current = url
        while true {
            let response: AuditedResponse
            do throws(AuditFetchError) {
                response = try await fetcher.fetch(current, headerFields: [:])
            } catch {
                switch error {
                case .unreachable(let reason), .invalidCertificate(let reason), .failed(let reason):
                    throw AuditCommandError(description: "cannot fetch \(current): \(Self.oneLine(reason))", fetchError: error, hop: chain.count)
                }
            }
            chain.append(response)
            guard response.isRedirect, let location = response.headerFields[.location] else { return chain }
            guard chain.count <= Self.maximumRedirects else {
                throw AuditCommandError(description: "\(url) redirects more than \(Self.maximumRedirects) times (last to '\(location)')")
            }
            current = try Self.resolve(location, against: current)
        }
    }

    /// Resolves a `Location` against the URL that sent it; only `http` and `https` results pass.
    static func resolve(_ location: String, against base: AuditURL) throws -> AuditURL {
        guard let baseURL = URL(string: base.description),
            let resolved = URL(string: location, relativeTo: baseURL)?.absoluteURL,
            let next = AuditURL(resolved.absoluteString)
        else {
            throw AuditCommandError(description: "\(base) redirects to '\(oneLine(location))', which is not an http:// or https:// URL")
        }
        return next
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }.prefix(200))
    }

    /// Fetches everything the audit needs and grades it.
    func audit(_ url: AuditURL) async throws -> AuditReport {
        ObservatoryAudit.grade(try await input(for: url))
    }

    /// The requested URL's chain, the `http://` form's chain (for an `https` URL) and a CORS probe.
    func input(for url: AuditURL) async throws -> AuditInput {
        let chain = try await follow(url)
        var plainHTTP: PlainHTTPFetch?
        if url.isSecure, let httpURL = url.with(scheme: "http") {
            plainHTTP = try await plainHTTPFetch(httpURL)
        }
        let final = chain[chain.count - 1]
        var probe: CORSProbe?
        if let response = try? await fetcher.fetch(final.url, headerFields: [.origin: Self.probeOrigin]) {
            probe = CORSProbe(origin: Self.probeOrigin, response: response)
        }
        return AuditInput(chain: chain, plainHTTP: plainHTTP, corsProbe: probe)
    }

    /// The `http://` form: nothing answering the first request is "no plain HTTP"; a bad
    /// certificate after a redirect is `redirection-invalid-cert`.
    func plainHTTPFetch(_ url: AuditURL) async throws -> PlainHTTPFetch {
        do {
            return .chain(try await follow(url))
        } catch let error as AuditCommandError {
            switch error.fetchError {
            case .invalidCertificate?: return .invalidCertificate
            case .unreachable? where error.hop == 0: return .unreachable
            default: throw error
            }
        }
    }
}
