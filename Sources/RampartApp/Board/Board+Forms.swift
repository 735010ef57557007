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

/// Reading forms: fields, sizes and the error a bad one gets.
extension Board {

    struct Credentials: Decodable {
        var username: String
        var password: String
    }
    struct CommentForm: Decodable { var body: String }

    static func form<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int = 16 * 1024) async throws -> T {
        guard request.contentMediaType == "application/x-www-form-urlencoded" else {
            throw RequestRefusal(
                status: .unsupportedMediaType,
                reason: "unsupportedMediaType",
                message: "send the form as application/x-www-form-urlencoded"
            )
        }
        let body = try await request.collectBody(limit: limit, what: "the form")
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
        } catch {
            throw RequestRefusal(status: .badRequest, reason: "malformedForm", message: "the form is missing a field or is malformed")
        }
    }

    /// 3 to 32 of `a–z 0–9 _ . -`, lower-cased: no look-alike names.
    static func normalisedUsername(_ raw: String) -> String? {
        let name = raw.lowercased()
        guard (3...32).contains(name.utf8.count),
            name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D })
        else { return nil }
        return name
    }
}
