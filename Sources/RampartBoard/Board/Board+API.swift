import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

/// The JSON API.
extension Board {

    struct APIComment: Codable, Sendable {
        var id: Int64
        var author: String
        var body: String
        var createdAt: Int64
        init(_ comment: Comment) {
            (id, author, body, createdAt) = (comment.id, comment.username, comment.body, comment.createdAt)
        }
    }

    struct NewComment: Decodable { var body: String }

    func apiComments(_ request: BoardRequest) async throws -> BoardResponse {
        try .json(try await repository.comments(containing: nil, limit: 50).map(APIComment.init))
    }

    func apiPostComment(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        let body = try Self.validComment(try await request.decodeJSON(as: NewComment.self).body)
        return try .json(APIComment(try await repository.addComment(userID: user.id, body: body, now: Self.now())), status: .created)
    }
}
