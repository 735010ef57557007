import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import Rampart
import RampartMultipart
import RampartMustache
import RampartSQLite

/// The profile: avatar uploads served with SafeDownload, deleting the account with a one-time token.
extension Board {

    func profile(_ request: BoardRequest) async throws -> BoardResponse {
        guard let user = try await currentUser(request) else { return BoardResponse.redirect("/login") }
        return try await page(
            "profile",
            title: user.username,
            [
                "username": user.username,
                "isAdmin": user.isAdmin,
                "avatarID": user.avatarUploadID ?? "",
                "oneTimeField": try request.requireCSRF().oneTimeField(action: "profile.delete"),
                "exportField": try request.requireCSRF().oneTimeField(action: "profile.export"),
            ],
            user: user,
            request: request
        )
    }

    func uploadAvatar(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        let form = try await request.multipartForm(policy: Self.uploadPolicy)
        guard let file = form.file("file") else {
            throw RequestRefusal(status: .badRequest, reason: "missingFile", message: "choose a file to upload")
        }
        // The name offered back on download keeps the client's stem but takes the sniffed
        // type's extension, so a PNG sent as "x.html" is never saved to disk as HTML.
        let stem = (file.clientFilename ?? "avatar").split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        let upload = StoredUpload(
            id: file.storedName,
            ownerID: user.id,
            mediaType: file.type.mediaType,
            clientFilename: (stem.isEmpty ? "avatar" : stem) + "." + file.type.fileExtension,
            bytes: Array(file.bytes.readableBytesView),
            createdAt: Self.now()
        )
        try await repository.saveUpload(upload)
        try await repository.setAvatar(userID: user.id, uploadID: upload.id)
        try await request.session[.flash] = "Avatar updated (\(file.type.mediaType), \(upload.bytes.count) bytes)."
        return BoardResponse.redirect("/profile")
    }

    func download(_ request: BoardRequest) async throws -> BoardResponse {
        guard let id = request.parameters["id"], let upload = try await repository.upload(id: id),
            let type = UploadType.all.first(where: { $0.mediaType == upload.mediaType })
        else { throw RequestRefusal.notFound }
        var headers = SafeDownload.headers(for: type, fileName: upload.clientFilename, inline: type.isRasterImage)
        headers[.contentLength] = String(upload.bytes.count)
        headers[.cacheControl] = "private, max-age=3600"
        return BoardResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: upload.bytes))
    }

    /// What a data export holds.
    struct DataExport: Encodable {
        var username: String
        var createdAt: Int64
        var isAdmin: Bool
        var avatar: String?
        var comments: [APIComment]
    }

    /// The user's data as a JSON download. A sensitive read, so the form carries a one-time
    /// token: a copied or replayed form does not download it again.
    func exportProfile(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        let comments = try await repository.comments(byUser: user.id, limit: 10_000)
        let export = DataExport(
            username: user.username,
            createdAt: user.createdAt,
            isAdmin: user.isAdmin,
            avatar: user.avatarUploadID.map { "/uploads/\($0)" },
            comments: comments.map(APIComment.init)
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let buffer = ByteBuffer(string: JSONForHTML.escape(try encoder.encode(export)))
        request.logger.notice("Rampart board: data exported", metadata: ["user.id": .string(user.id)])
        return BoardResponse(
            status: .ok,
            headers: [
                .contentType: "application/json; charset=utf-8",
                .contentDisposition: "attachment; filename=\"rampart-\(user.username)-export.json\"",
                .cacheControl: "no-store",
                .contentLength: String(buffer.readableBytes),
            ],
            body: buffer
        )
    }

    func deleteProfile(_ request: BoardRequest) async throws -> BoardResponse {
        let user = try await requireUser(request)
        try await repository.deleteUser(id: user.id)
        _ = try await services.sessionStore.deleteAll(forUser: user.id)
        try await request.session.logOut()
        request.logger.notice("Rampart board: account deleted", metadata: ["user.id": .string(user.id)])
        return BoardResponse.redirect("/").clearingSiteData(.accountDeletion)
    }
}
