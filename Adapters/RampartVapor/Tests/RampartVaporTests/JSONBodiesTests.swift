import NIOCore
import NIOHTTP1
import Rampart
import RampartVapor
import Testing
import Vapor
import VaporTesting

@Suite("JSON bodies (Vapor)")
struct JSONBodiesTests {
    struct Item: Codable, Sendable {
        let name: String
        let count: Int
    }

    /// Content type, body → status, exact refusal JSON (nil: the echo).
    static let cases: [(String?, String, HTTPResponseStatus, String)] = [
        ("application/json", #"{"name":"<b>","count":2}"#, .ok, #"{"count":2,"name":"\u003cb\u003e"}"#),
        ("application/vnd.api+json", #"{"name":"a","count":1}"#, .ok, #"{"count":1,"name":"a"}"#),
        (
            "text/plain", #"{"name":"a","count":1}"#, .unsupportedMediaType,
            #"{"error":"unsupportedMediaType","reason":"unsupportedMediaType","message":"send Content-Type: application/json"}"#
        ),
        (
            nil, #"{"name":"a","count":1}"#, .unsupportedMediaType,
            #"{"error":"unsupportedMediaType","reason":"unsupportedMediaType","message":"send Content-Type: application/json"}"#
        ),
        (
            "application/json", String(repeating: "[", count: 20) + String(repeating: "]", count: 20), .badRequest,
            #"{"error":"badRequest","reason":"tooDeep","message":"the JSON nests deeper than 8 levels"}"#
        ),
        (
            "application/json", #"{"name":"a"}"#, .badRequest,
            #"{"error":"badRequest","reason":"malformedJSON","message":"missing field count"}"#
        ),
        (
            "application/json", #"{"name":"a","count":"x"}"#, .badRequest,
            #"{"error":"badRequest","reason":"malformedJSON","message":"wrong type at count"}"#
        ),
        (
            "application/json", "{not json", .badRequest,
            #"{"error":"badRequest","reason":"malformedJSON","message":"the body is not valid JSON"}"#
        ),
        (
            "application/json", #"{"name":""# + String(repeating: "x", count: 300) + #"","count":1}"#, .payloadTooLarge,
            #"{"error":"tooLarge","reason":"tooLarge","message":"the JSON body is over 256 bytes"}"#
        ),
    ]

    @Test("decodeJSON: 415, 413, 400 tooDeep and malformedJSON with the same refusals as on Hummingbird", arguments: cases)
    func decode(contentType: String?, body: String, status: HTTPResponseStatus, expected: String) async throws {
        try await withApp { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            let limits = try JSONLimits(maximumBytes: 256, maximumDepth: 8)
            app.on(.POST, "items", body: .stream) { req async throws -> JSONResponse<Item> in
                JSONResponse(try await req.decodeJSON(as: Item.self, limits: limits))
            }
            var headers: HTTPHeaders = ["Host": "localhost", "Accept": "application/json"]
            if let contentType { headers.add(name: "Content-Type", value: contentType) }
            let response = try await app.testing().sendRequest(.POST, "/items", headers: headers, body: ByteBuffer(string: body))
            #expect(response.status == status)
            #expect(response.body.string == expected)
            #expect(response.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
        }
    }
}
