import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

/// Reading forms: fields, sizes and the error a bad one gets.
extension Board {

    /// A form read from `application/x-www-form-urlencoded` fields (the URL Standard's parser,
    /// `URLEncodedForm`): each field is required, and the first value counts.
    protocol FormFields {
        init(field: (String) throws(RequestRefusal) -> String) throws(RequestRefusal)
    }

    struct Credentials: FormFields {
        var username: String
        var password: String
        init(field: (String) throws(RequestRefusal) -> String) throws(RequestRefusal) {
            username = try field("username")
            password = try field("password")
        }
    }

    struct CommentForm: FormFields {
        var body: String
        init(field: (String) throws(RequestRefusal) -> String) throws(RequestRefusal) { body = try field("body") }
    }

    static func form<T: FormFields>(_ type: T.Type, _ request: BoardRequest, limit: Int = 16 * 1024) async throws -> T {
        guard request.contentMediaType == "application/x-www-form-urlencoded" else {
            throw RequestRefusal(
                status: .unsupportedMediaType,
                reason: "unsupportedMediaType",
                message: "send the form as application/x-www-form-urlencoded"
            )
        }
        let body = try await request.collectBody(limit: limit, what: "the form")
        let pairs = URLEncodedForm.pairs(in: body.readableBytesView)
        return try T { (name: String) throws(RequestRefusal) -> String in
            guard let value = pairs.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) })?.value else {
                throw RequestRefusal(status: .badRequest, reason: "malformedForm", message: "the form is missing a field or is malformed")
            }
            return value
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
