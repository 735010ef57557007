import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

/// The CSP report receiver and its dashboard.
extension Board {

    /// The CSP report receiver (both formats, 64 KiB, read by `CSPViolation.receive`),
    /// recording each report under a per-client budget (the client's address through the
    /// trusted-proxy rules), so one client's flood cannot keep another's reports out; 204.
    func receiveCSPReports(_ request: BoardRequest) async throws -> BoardResponse {
        let reports = try await CSPViolation.receive(contentType: request.headers[.contentType], maximumBytes: 64 * 1024) { limit in
            try await request.collectBody(limit: limit, what: "the report").readableBytesView
        }
        let now = Self.now()
        let client =
            configuration.transport.trustedProxies.clientAddress(peer: request.peerAddress, fields: request.headers)?.description ?? "unknown"
        for report in reports {
            if try await repository.recordCSPReport(report, client: client, now: now, perMinuteCap: configuration.cspReportsPerMinute)
                == .rateLimited
            {
                request.logger.debug("Rampart board: CSP report dropped by the per-client cap")
                break
            }
        }
        return BoardResponse(status: .noContent)
    }

    func cspDashboard(_ request: BoardRequest) async throws -> BoardResponse {
        guard let user = try await currentUser(request) else { return BoardResponse.redirect("/login") }
        guard user.isAdmin else {
            throw RequestRefusal(
                status: .forbidden,
                reason: RequestRefusal.statusCode(for: .forbidden),
                message: "Only the admin can see CSP reports."
            )
        }
        let view = Self.cspReportView(try await repository.cspReportGroups(limit: 500))
        let dropped = try await repository.cspReportsDropped()
        return try await page(
            "cspReports",
            title: "CSP reports",
            ["sections": view.sections, "noise": view.noise, "hasNoise": view.noise > 0, "dropped": dropped, "hasDropped": dropped > 0],
            user: user,
            request: request
        )

    }

    /// The dashboard's view of the report groups: one section for the enforced policy and one
    /// for the report-only policy, each with its groups, the suggestion for each, and the
    /// suggested changes per directive (the sources to add, and other advice); and the number
    /// of reports hidden as extension, `about:` or `data:` noise.
    static func cspReportView(_ groups: [CSPReportGroup]) -> (sections: [[String: any Sendable]], noise: Int) {
        var noise = 0
        var sections: [[String: any Sendable]] = []
        for (disposition, title, explanation, id) in [
            ("enforce", "Enforced policy: blocked", "The browser blocked these under Content-Security-Policy.", "enforced"),
            (
                "report", "Report-only policy: would have blocked",
                "Content-Security-Policy-Report-Only: nothing was blocked. Fix these before enforcing the policy.", "report-only"
            ),
        ] {
            var rows: [[String: any Sendable]] = []
            var sources: [String: [String]] = [:]
            var advice: [String: [String]] = [:]
            var directives: [String] = []
            for group in groups where group.disposition == disposition {
                let suggestion = CSPSuggestion(directive: group.directive, blockedURI: group.blockedURI, documentURI: group.documentURI)
                if suggestion.isNoise {
                    noise += group.count
                    continue
                }
                if !directives.contains(group.directive) { directives.append(group.directive) }
                if case .addSource(let source) = suggestion.action {
                    if !sources[group.directive, default: []].contains(source) { sources[group.directive, default: []].append(source) }
                } else if !advice[group.directive, default: []].contains(suggestion.description) {
                    advice[group.directive, default: []].append(suggestion.description)
                }
                rows.append([
                    "directive": group.directive, "blockedURI": group.blockedURI, "count": group.count, "documentURI": group.documentURI,
                    "lastSeen": Date(timeIntervalSince1970: TimeInterval(group.lastSeen)).formatted(.iso8601),
                    "suggestion": suggestion.description,
                ])
            }
            let changes: [[String: any Sendable]] = directives.map { directive in
                var parts: [String] = []
                if let add = sources[directive] { parts.append("add " + add.joined(separator: " ")) }
                parts += advice[directive] ?? []
                return ["directive": directive, "advice": parts.joined(separator: "; ")]
            }
            sections.append([
                "id": id, "title": title, "explanation": explanation, "groups": rows, "changes": changes, "hasGroups": !rows.isEmpty,
            ])
        }
        return (sections, noise)
    }
}
