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

/// The CSP report receiver and its dashboard.
extension Board {

    /// The CSP report receiver: Rampart's ``CSPReportReceiver`` (both formats, 64 KiB), recording
    /// each report under a per-client budget (the client's address through the trusted-proxy
    /// rules), so one client's flood cannot keep another's reports out.
    func cspReportReceiver() throws -> CSPReportReceiver<AppRequestContext> {
        try CSPReportReceiver { [repository, configuration] reports, request, context in
            let now = Self.now()
            let client =
                configuration.transport.trustedProxies.clientAddress(peer: context.security.peerAddress, fields: request.headers)?.description
                ?? "unknown"
            for report in reports {
                if try await repository.recordCSPReport(report, client: client, now: now, perMinuteCap: configuration.cspReportsPerMinute)
                    == .rateLimited
                {
                    context.logger.debug("Rampart board: CSP report dropped by the per-client cap")
                    break
                }
            }
        }
    }

    func cspDashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let user = try await currentUser(context) else { return Self.redirect("/login") }
        guard user.isAdmin else { throw HTTPError(.forbidden, message: "Only the admin can see CSP reports.") }
        let groups = try await repository.cspReportGroups(limit: 200).map { group -> [String: any Sendable] in
            [
                "directive": group.directive, "blockedURI": group.blockedURI, "count": group.count, "documentURI": group.documentURI,
                "lastSeen": Date(timeIntervalSince1970: TimeInterval(group.lastSeen)).formatted(.iso8601),
            ]
        }
        let dropped = try await repository.cspReportsDropped()
        return try await page(
            "cspReports",
            title: "CSP reports",
            ["groups": groups, "dropped": dropped, "hasDropped": dropped > 0],
            user: user,
            context: context
        )
        .response(from: request, context: context)
    }
}
