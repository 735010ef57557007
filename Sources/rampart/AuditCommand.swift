import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Rainbow
import Rampart

/// `rampart audit URL`: fetches a site and grades its security headers the way Mozilla's
/// HTTP Observatory does.
///
/// Redirects are followed by hand, at most ``AuditRunner/maximumRedirects``, and only to
/// `http` and `https` URLs. For an `https` URL the `http://` form is fetched too, to grade the
/// redirection; nothing listening there scores as a site without plain HTTP.
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
        let fetcher = HTTPClientAuditFetcher(timeoutSeconds: timeout)
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
        let coloured: String = switch report.grade {
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

    init(timeoutSeconds: Double) {
        let timeout = TimeAmount.milliseconds(Int64(timeoutSeconds * 1000))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout)
        )
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
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
            throw Self.classify(error)
        }
    }

    /// Sorts client errors into "nothing answered", "bad certificate" and the rest.
    static func classify(_ error: any Error) -> AuditFetchError {
        let text = String(describing: error)
        let lowered = text.lowercased()
        if let clientError = error as? HTTPClientError,
           [.connectTimeout, .deadlineExceeded, .readTimeout, .remoteConnectionClosed, .tlsHandshakeTimeout].contains(clientError) {
            return .unreachable(text)
        }
        if lowered.contains("certificate") || lowered.contains("handshake") {
            return .invalidCertificate(text)
        }
        if lowered.contains("connect") || lowered.contains("refused") || lowered.contains("lookup")
            || lowered.contains("resolve") || lowered.contains("unreachable") || lowered.contains("timeout") {
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
