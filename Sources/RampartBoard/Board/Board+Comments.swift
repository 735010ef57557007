import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMustache
import RampartSQLite

/// The home page and comments.
extension Board {

    func home(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await currentUser(request)
        let query = request.queryValue("q").map { String($0.prefix(200)) } ?? ""
        let comments = try await repository.comments(containing: query.isEmpty ? nil : query, limit: 50)
        // Without a search, the page is a function of who is asking and which comments exist:
        // it is rendered once per such state and reused (each response gets its own nonce and
        // tokens). A search is rendered every time.
        let cacheKey = query.isEmpty ? Self.homeCacheKey(user: user, comments: comments) : nil
        return try await page(
            "home",
            title: query.isEmpty ? "Home" : "Search: \(query)",
            [
                "q": query,
                "hasQuery": !query.isEmpty,
                "resultCount": comments.count,
                "hasComments": !comments.isEmpty,
                "commentList": renderedComments(comments),
            ],
            user: user,
            request: request,
            cacheKey: cacheKey
        )
    }

    /// What the home page without a search shows: the user (id, name, admin flag) and the ids of
    /// the comments listed (a comment never changes, and a deleted one drops out of the list).
    static func homeCacheKey(user: User?, comments: [Comment]) -> String {
        var key = user.map { "u:\($0.id):\($0.username):\($0.isAdmin)" } ?? "anonymous"
        key.reserveCapacity(key.utf8.count + comments.count * 8)
        for comment in comments {
            key += ","
            key += String(comment.id)
        }
        return key
    }

    /// The comments as HTML, each rendered once through the `comment` template and kept: a
    /// comment never changes (deleted ones drop out of the list), and rendering its dates and
    /// links is most of a page's work.
    func renderedComments(_ comments: [Comment]) -> Markup {
        var html = ""
        for comment in comments {
            let fragment =
                commentFragments.lookup(comment.id).value
                ?? {
                    let rendered = templates.render("comment", Self.commentValues(comment)) ?? ""
                    commentFragments.insert(comment.id, rendered)
                    return rendered
                }()
            html += fragment
        }
        // Each fragment came out of the safe template layer, escaped.
        return Markup(unsafeRaw: html)
    }

    static func commentValues(_ comment: Comment) -> [String: any Sendable] {
        let date = Date(timeIntervalSince1970: TimeInterval(comment.createdAt))
        return [
            "id": comment.id,
            "username": comment.username,
            "iso": date.formatted(.iso8601),
            "when": date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)),
            "segments": LinkText.segments(comment.body).map { segment -> [String: any Sendable] in
                segment.href.map { ["text": segment.text, "href": $0] } ?? ["text": segment.text]
            },
        ]
    }

    static func validComment(_ body: String) throws -> String {
        guard !body.allSatisfy(\.isWhitespace), body.count <= commentLimit, body.utf8.count <= commentLimit * 4 else {
            throw RequestRefusal(status: .badRequest, reason: "invalidComment", message: "a comment is 1 to \(commentLimit) characters")
        }
        return body
    }

    func postComment(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        let body = try Self.validComment(try await Self.form(CommentForm.self, request).body)
        _ = try await repository.addComment(userID: user.id, body: body, now: Self.now())
        return BoardResponse.redirect("/")
    }
}
