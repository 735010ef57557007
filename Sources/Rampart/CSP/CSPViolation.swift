import HTTPTypes

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One CSP violation report, normalised from either report format.
///
/// See [MDN: CSP violation reports](https://developer.mozilla.org/en-US/docs/Web/API/CSPViolationReportBody).
public struct CSPViolation: Sendable, Hashable {
    /// The directive violated, such as `script-src-elem`.
    public var directive: String
    /// What was blocked: a URL, or `inline`, `eval`, …
    public var blockedURI: String
    /// The page the violation happened on.
    public var documentURI: String
    /// The script file, if known.
    public var sourceFile: String
    /// The line, if known.
    public var lineNumber: Int
    /// `enforce` or `report`.
    public var disposition: String
    /// The first characters of the blocked code, if the policy asks for `'report-sample'`.
    public var sample: String

    /// Creates a report value; every text is cut to 512 bytes.
    public init(
        directive: String,
        blockedURI: String,
        documentURI: String,
        sourceFile: String = "",
        lineNumber: Int = 0,
        disposition: String = "enforce",
        sample: String = ""
    ) {
        func cut(_ s: String) -> String { s.utf8.count <= 512 ? s : String(decoding: s.utf8.prefix(512), as: UTF8.self) }
        self.directive = cut(directive)
        self.blockedURI = cut(blockedURI)
        self.documentURI = cut(documentURI)
        self.sourceFile = cut(sourceFile)
        self.lineNumber = lineNumber
        self.disposition = cut(disposition)
        self.sample = cut(sample)
    }
}

extension CSPViolation {
    /// Reads a CSP violation report body in either format, or `nil` when it is not one:
    /// - `application/csp-report` (CSP Level 2 `report-uri`): `{"csp-report": {"violated-directive": …}}`,
    ///   one report, its directive's first word;
    /// - `application/reports+json` (the Reporting API, `report-to`):
    ///   `[{"type": "csp-violation", "body": {"effectiveDirective": …}}]`, up to 100 reports;
    ///   entries of other types are skipped.
    ///
    /// The bytes are checked against ``JSONLimits/standard``'s depth before any decoding. Numbers
    /// and strings are both accepted where browsers differ (`line-number`). Every text is cut to
    /// 512 bytes.
    ///
    /// See [MDN: CSP violation reports](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-uri)
    /// and [W3C Reporting API](https://w3c.github.io/reporting/).
    public static func parseReports(_ bytes: some Collection<UInt8>) -> [CSPViolation]? {
        let bytes = Array(bytes)
        guard !JSONLimits.standard.exceedsDepth(bytes) else { return nil }
        let decoder = JSONDecoder()
        if let legacy = try? decoder.decode(LegacyReport.self, from: Data(bytes)), let fields = legacy.report {
            let directive = fields.text("effective-directive", "violated-directive")
            guard !directive.isEmpty else { return nil }
            // The first word: CSP2 browsers send the whole directive ("script-src 'self'").
            let firstWord = directive.utf8.split(separator: UInt8(ascii: " ")).first.map { String(decoding: $0, as: UTF8.self) } ?? directive
            return [
                CSPViolation(
                    directive: firstWord,
                    blockedURI: fields.text("blocked-uri"),
                    documentURI: fields.text("document-uri"),
                    sourceFile: fields.text("source-file"),
                    lineNumber: fields.int("line-number"),
                    disposition: fields.text("disposition").isEmpty ? "enforce" : fields.text("disposition"),
                    sample: fields.text("script-sample")
                )
            ]
        }
        if let list = try? decoder.decode([ReportEntry].self, from: Data(bytes)) {
            let reports = list.prefix(100).compactMap { entry -> CSPViolation? in
                guard entry.type == "csp-violation", let body = entry.body else { return nil }
                let directive = body.text("effectiveDirective", "violatedDirective")
                guard !directive.isEmpty else { return nil }
                return CSPViolation(
                    directive: directive,
                    blockedURI: body.text("blockedURL"),
                    documentURI: body.text("documentURL"),
                    sourceFile: body.text("sourceFile"),
                    lineNumber: body.int("lineNumber"),
                    disposition: body.text("disposition").isEmpty ? "enforce" : body.text("disposition"),
                    sample: body.text("sample")
                )
            }
            return reports.isEmpty ? nil : reports
        }
        return nil
    }

    /// An object's scalar members as text; nested values are skipped.
    struct ReportFields: Decodable {
        var values: [String: String] = [:]

        struct Key: CodingKey {
            let stringValue: String
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if let text = try? container.decode(String.self, forKey: key) {
                    values[key.stringValue] = text
                } else if let number = try? container.decode(Int.self, forKey: key) {
                    values[key.stringValue] = String(number)
                } else if let number = try? container.decode(Double.self, forKey: key) {
                    values[key.stringValue] = String(number)
                }
            }
        }

        func text(_ keys: String...) -> String {
            for key in keys { if let value = values[key] { return value } }
            return ""
        }

        func int(_ key: String) -> Int { values[key].flatMap { Int($0) } ?? 0 }
    }

    /// `{"csp-report": {…}}`; other members are ignored.
    struct LegacyReport: Decodable {
        var report: ReportFields?
        enum CodingKeys: String, CodingKey { case report = "csp-report" }
    }

    /// One Reporting API entry; anything that is not an object reads as an entry of no type.
    struct ReportEntry: Decodable {
        var type: String?
        var body: ReportFields?

        enum CodingKeys: String, CodingKey { case type, body }

        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: CodingKeys.self) else { return }
            type = try? container.decode(String.self, forKey: .type)
            body = try? container.decode(ReportFields.self, forKey: .body)
        }
    }
}

extension CSPViolation {
    /// The media types a report receiver accepts: `application/csp-report`,
    /// `application/reports+json` and `application/json` (sent by some older browsers).
    ///
    /// See [MDN: CSP violation reports](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-uri).
    public static var reportMediaTypes: Set<String> { ["application/csp-report", "application/reports+json", "application/json"] }

    /// Receives the reports of one request, for any framework's receiver: checks the media type,
    /// reads at most `maximumBytes` through `collect` (which refuses more), and parses them with
    /// ``parseReports(_:)``.
    /// - Throws: `RequestRefusal` 415 `unsupportedMediaType` for another `Content-Type`, 400
    ///   `malformedReport` for bytes that are not a report, or `collect`'s refusal (413).
    ///
    /// See [W3C Reporting API](https://w3c.github.io/reporting/).
    public static func receive<Bytes: Collection<UInt8>>(
        contentType: String?,
        maximumBytes: Int,
        collect: (Int) async throws -> Bytes
    ) async throws -> [CSPViolation] {
        guard let media = contentType.map(MediaType.essence(of:)), reportMediaTypes.contains(media) else {
            throw RequestRefusal(
                status: .unsupportedMediaType,
                reason: "unsupportedMediaType",
                message: "send application/csp-report or application/reports+json"
            )
        }
        guard let reports = parseReports(try await collect(maximumBytes)) else {
            throw RequestRefusal(status: .badRequest, reason: "malformedReport", message: "not a CSP violation report")
        }
        return reports
    }
}
