#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Session values as the database stores them: a JSON object of base64 strings (each value is
/// JSON itself). Shared by the SQLite and PostgreSQL session stores.
package enum SessionValueCoding {
    package static func encode(_ values: [String: [UInt8]]) throws -> Data {
        try JSONEncoder().encode(values.mapValues { Data($0) })
    }

    package static func decode(_ data: Data) throws -> [String: [UInt8]] {
        try JSONDecoder().decode([String: Data].self, from: data).mapValues { Array($0) }
    }
}
