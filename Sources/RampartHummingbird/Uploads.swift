import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import Rampart
// The form types (`MultipartForm`, `UploadedFile`, `MultipartLimits`) live in the shared target,
// so the Vapor adapter reads forms the same way; re-exported so that `import RampartHummingbird`
// keeps bringing them.
@_exported import RampartMultipart

extension Request {
    /// Reads a `multipart/form-data` body as it streams, with vapor/multipart-kit's parser, under
    /// an `UploadPolicy` and `MultipartLimits`.
    ///
    /// Every check stops reading at once: the rest of an oversized or refused body is never
    /// buffered. A `Content-Length` over the limit is refused before the first byte is read; a
    /// file whose first bytes match no allowed type is refused before its remaining bytes are read.
    ///
    /// - Throws: `RequestRefusal`: 415 for another content type or a refused file type
    ///   (`unsupportedType`, `polyglot`); 413 `tooLarge` for a file, field, part count or
    ///   body over its limit; 400 `malformedMultipart` for a bad boundary, a part without a
    ///   name, or a truncated body; 400 `empty` for an empty file.
    public func multipartForm(policy: UploadPolicy, limits: MultipartLimits = .standard) async throws -> MultipartForm {
        try await MultipartReader.readForm(
            contentType: headers[.contentType],
            contentLength: headers[.contentLength],
            body: body,
            policy: policy,
            limits: limits
        )
    }

    /// Reads a raw (not multipart) upload body as it streams, under an `UploadPolicy`: 413 as
    /// soon as it passes the size limit, 415 as soon as its first bytes match no allowed type.
    ///
    /// - Throws: `RequestRefusal` with the policy's reason.
    public func collectUpload(policy: UploadPolicy) async throws -> (type: UploadType, bytes: ByteBuffer) {
        let bytes = try await collectBody(
            limit: policy.maximumBytes,
            what: "the upload",
            inspect: { prefix in
                policy.earlyRefusal(prefix: prefix.readableBytesView).map(RequestRefusal.init)
            }
        )
        switch policy.inspect(bytes.readableBytesView) {
        case .success(let type): return (type, bytes)
        case .failure(let refusal): throw RequestRefusal(refusal)
        }
    }

    /// ``collectBody(limit:what:)`` with a check on the first bytes (none when `inspect` is nil), once at least
    /// ``UploadPolicy/sniffLength`` of them have arrived (a shorter body is the caller's to check).
    func collectBody(limit: Int, what: String, inspect: ((ByteBuffer) -> RequestRefusal?)?) async throws -> ByteBuffer {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw RequestRefusal.tooLarge("\(what) is over \(limit) bytes")
        }
        var collected = ByteBuffer()
        var inspected = false
        for try await chunk in body {
            // The first bytes are judged as soon as they are here, before the size: read byte by
            // byte, a body of the wrong type is refused at its 16th byte, long before it passes the
            // limit, and a larger chunk must give the same refusal.
            let have = collected.readableBytes
            if let inspect, !inspected, UploadPolicy.sniffLength <= limit, have + chunk.readableBytes >= UploadPolicy.sniffLength {
                inspected = true
                var prefix = collected
                prefix.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: max(0, UploadPolicy.sniffLength - have))!)
                if let refusal = inspect(prefix) { throw refusal }
            }
            guard have + chunk.readableBytes <= limit else {
                throw RequestRefusal.tooLarge("\(what) is over \(limit) bytes")
            }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}
