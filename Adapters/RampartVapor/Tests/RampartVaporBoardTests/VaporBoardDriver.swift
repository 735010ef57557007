import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Rampart
import RampartBoard
import RampartVaporBoard
import Testing
import Vapor

/// The Vapor driver of the shared board journeys (`BoardJourneyTests.swift`, linked from the
/// root package's tests): the board configured by `VaporBoard.configure`, served on a loopback
/// port, and driven over real sockets by AsyncHTTPClient (redirects not followed, so each
/// `303` is seen as a browser's first response).
func withBoard(_ configuration: AppConfiguration, _ body: @escaping @Sendable (any VisitorTransport) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .notice
    do {
        try await VaporBoard.configure(app, configuration)
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await body(LiveTransport(client: client, base: "http://127.0.0.1:\(port)"))
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    } catch {
        await app.server.shutdown()
        try await app.asyncShutdown()
        throw error
    }
    await app.server.shutdown()
    try await app.asyncShutdown()
}

/// Requests over a real connection to the live Vapor server.
struct LiveTransport: VisitorTransport {
    let client: HTTPClient
    let base: String
    var sendsOwnAuthority: Bool { false }

    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> VisitResponse {
        var request = HTTPClientRequest(url: base + uri)
        request.method = NIOHTTP1.HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(30))
        var fields = HTTPFields()
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return VisitResponse(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: fields,
            body: bytes
        )
    }
}
