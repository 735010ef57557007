import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Rampart
import RampartApp
import Testing

extension Visitor {
    init(_ client: any TestClientProtocol) { self.init(TestClientTransport(client: client)) }
}

/// Hummingbird's router or live test client.
struct TestClientTransport: VisitorTransport {
    let client: any TestClientProtocol
    var sendsOwnAuthority: Bool { true }

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> VisitResponse {
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        return VisitResponse(status: response.status, headers: response.headers, body: response.body)
    }
}

/// The Hummingbird driver of the shared journeys: the board built by `buildApplication` and
/// driven through Hummingbird's router test client.
func withBoard(_ configuration: AppConfiguration, _ body: @escaping @Sendable (any VisitorTransport) async throws -> Void) async throws {
    let app = try await buildApplication(configuration)
    try await app.test(.router) { client in try await body(TestClientTransport(client: client)) }
}
