// Shared by the Hummingbird tests and (through a symbolic link) the Vapor package's board tests:
// no framework here. Each side's driver supplies `withBoard`.
import Foundation
import HTTPTypes
import NIOCore
import Rampart
import RampartBoard
import Testing

/// A configuration on its own temporary data directory, with no RAMPART_KEYS. Tests use bcrypt
/// cost 10 to stay quick; the app's default is 12 (checked in `BoardAppTests`).
func testConfiguration(port: Int = 5000, environment: [String: String] = [:], passwordHashCost: Int = 10) throws -> AppConfiguration {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-app-\(UUID().uuidString)").path
    return try AppConfiguration(port: port, dataDirectory: folder, passwordHashCost: passwordHashCost, environment: environment)
}

/// A browser-like client over Hummingbird's test client: it keeps the `__Host-session` cookie,
/// sends `Sec-Fetch-Site: same-origin`, and reads CSRF tokens from the last page.
struct Visitor {
    let client: any VisitorTransport
    var cookie: String?
    /// The `__Host-device` cookie from a successful login, kept like a browser would.
    var deviceCookie: String?
    var lastPage = ""

    init(_ client: any VisitorTransport) { self.client = client }

    var headers: HTTPFields {
        var fields: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "same-origin", .accept: "text/html"]
        let cookies = [cookie, deviceCookie].compactMap { $0 }
        if !cookies.isEmpty { fields[.cookie] = cookies.joined(separator: "; ") }
        return fields
    }

    mutating func take(_ response: VisitResponse) {
        for value in response.headers[values: .setCookie] where value.hasPrefix("__Host-device=") {
            deviceCookie = String(value.prefix { $0 != ";" })
        }
        for value in response.headers[values: .setCookie] where value.hasPrefix("__Host-session=") {
            let pair = String(value.prefix { $0 != ";" })
            cookie = pair == "__Host-session=" || value.contains("Max-Age=0") ? nil : pair
        }
        if response.headers[.contentType]?.hasPrefix("text/html") == true { lastPage = String(buffer: response.body) }
    }

    @discardableResult
    mutating func get(_ uri: String) async throws -> VisitResponse {
        let response = try await client.send(uri: uri, method: .get, headers: headers, body: nil)
        take(response)
        return response
    }

    /// The masked token of the last page's `<meta name="csrf-token">`.
    var csrfToken: String? { Self.value(in: lastPage, after: "<meta name=\"csrf-token\" content=\"") }
    /// The first hidden `_csrf` field of the last page after `marker`.
    func field(after marker: String) -> String? {
        guard let start = lastPage.firstRange(of: marker)?.upperBound else { return nil }
        return Self.value(in: String(lastPage[start...]), after: "name=\"_csrf\" value=\"")
    }

    static func value(in html: String, after prefix: String) -> String? {
        guard let start = html.firstRange(of: prefix)?.upperBound else { return nil }
        return String(html[start...].prefix { $0 != "\"" })
    }

    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    /// Posts a form with the last page's masked token (unless `token` is given).
    @discardableResult
    mutating func post(_ uri: String, _ pairs: [(String, String)], token: String? = nil, extraHeaders: HTTPFields = [:]) async throws -> VisitResponse
    {
        var fields = headers
        fields[.contentType] = "application/x-www-form-urlencoded"
        for field in extraHeaders { fields[field.name] = field.value }
        let response = try await client.send(uri: uri, method: .post, headers: fields, body: Self.form([("_csrf", token ?? csrfToken ?? "")] + pairs))
        take(response)
        return response
    }

    @discardableResult
    mutating func register(_ name: String, password: String = "correct horse battery") async throws -> VisitResponse {
        try await get("/register")
        return try await post("/register", [("username", name), ("password", password)])
    }

    @discardableResult
    mutating func logIn(_ name: String, password: String = "correct horse battery", extraHeaders: HTTPFields = [:]) async throws -> VisitResponse {
        try await get("/login")
        return try await post("/login", [("username", name), ("password", password)], extraHeaders: extraHeaders)
    }
}

/// A response as the ``Visitor`` sees it.
struct VisitResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer
}

/// How a ``Visitor`` sends requests: Hummingbird's test clients, or a live server's client.
protocol VisitorTransport: Sendable {
    func send(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> VisitResponse
    /// Whether the transport sends an authority of its own beside a `Host` field given in
    /// `headers` (Hummingbird's router test client does; a live HTTP/1.1 client sends one `Host`).
    var sendsOwnAuthority: Bool { get }
}

extension VisitorTransport {
    /// Sends one request as it is (no cookie or `Sec-Fetch-Site` added).
    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> VisitResponse {
        try await send(uri: uri, method: method, headers: headers, body: body)
    }
}

/// The bytes of a 1×1 PNG.
let onePixelPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
]

/// A multipart body with the CSRF token first, then one file.
func multipartUpload(token: String, filename: String, contentType: String, bytes: [UInt8], boundary: String = "rampartBoundary") -> ByteBuffer {
    var buffer = ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n")
    buffer.writeString(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n"
    )
    buffer.writeBytes(bytes)
    buffer.writeString("\r\n--\(boundary)--\r\n")
    return buffer
}

/// `X-Frame-Options` (the core's own name for it is package-internal).
let frameOptionsField = HTTPField.Name("X-Frame-Options")!
