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
            request: request
        )

    }
}
