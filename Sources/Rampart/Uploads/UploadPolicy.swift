import HTTPTypes

/// A file type Rampart accepts for upload, identified by its leading bytes.
///
/// See [WHATWG MIME Sniffing §6](https://mimesniff.spec.whatwg.org/#matching-an-image-type-pattern) and
/// [MDN: Common MIME types](https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/MIME_types/Common_types).
public struct UploadType: Hashable, Sendable, CustomStringConvertible {
    /// The media type it is served with, such as `image/png`.
    public let mediaType: String
    /// The usual file extension, without the dot.
    public let fileExtension: String
    /// Whether it is a raster image, the only kind that may be shown inline.
    public let isRasterImage: Bool
    let signatures: [[UInt8?]]

    public static let png = UploadType(
        mediaType: "image/png",
        fileExtension: "png",
        isRasterImage: true,
        signatures: [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]]
    )
    public static let jpeg = UploadType(
        mediaType: "image/jpeg",
        fileExtension: "jpg",
        isRasterImage: true,
        signatures: [[0xFF, 0xD8, 0xFF]]
    )
    public static let gif = UploadType(
        mediaType: "image/gif",
        fileExtension: "gif",
        isRasterImage: true,
        signatures: [Array("GIF87a".utf8), Array("GIF89a".utf8)]
    )
    /// `RIFF????WEBPVP`: the four size bytes are wildcards.
    public static let webp = UploadType(
        mediaType: "image/webp",
        fileExtension: "webp",
        isRasterImage: true,
        signatures: [Array("RIFF".utf8) + [nil, nil, nil, nil] + Array("WEBPVP".utf8)]
    )
    public static let pdf = UploadType(
        mediaType: "application/pdf",
        fileExtension: "pdf",
        isRasterImage: false,
        signatures: [Array("%PDF-".utf8)]
    )

    /// Every type Rampart knows. SVG, HTML and XML are deliberately absent: they can run script.
    public static let all: [UploadType] = [.png, .jpeg, .gif, .webp, .pdf]

    func matches(_ bytes: some Collection<UInt8>) -> Bool {
        signatures.contains { signature in
            bytes.count >= signature.count && zip(signature, bytes).allSatisfy { $0 == nil || $0 == $1 }
        }
    }

    public var description: String { mediaType }
}

/// Why an upload was refused.
public struct UploadRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: String, Hashable, Sendable { case tooLarge, empty, unsupportedType, polyglot }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Over the size limit: 413.
    public static let tooLarge = UploadRefusal(.tooLarge)
    /// No bytes: 400.
    public static let empty = UploadRefusal(.empty)
    /// Not one of the allowed types by its content, whatever its name or declared type: 415.
    public static let unsupportedType = UploadRefusal(.unsupportedType)
    /// An allowed type whose first bytes also hold markup a browser could run: 415.
    public static let polyglot = UploadRefusal(.polyglot)

    /// The stable reason code.
    public var reason: String { base.rawValue }
    public var description: String { base.rawValue }
    /// The status to answer with.
    public var status: HTTPResponse.Status {
        switch base {
        case .tooLarge: .contentTooLarge
        case .empty: .badRequest
        case .unsupportedType, .polyglot: .unsupportedMediaType
        }
    }
}

/// What uploads are accepted: a size limit and an allow-list of types sniffed from content.
///
/// The client's file name and declared `Content-Type` are ignored when deciding the type. SVG,
/// HTML, XML and anything unrecognised are refused. Stored files get a random name
/// (``storedName()``), never the client's.
///
/// See [OWASP File Upload Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html).
public struct UploadPolicy: Sendable {
    /// The largest upload accepted, in bytes.
    public let maximumBytes: Int
    /// The types accepted.
    public let allowedTypes: [UploadType]

    /// Bytes looked at for markup that would make a file a polyglot.
    static let polyglotWindow = 1024

    /// Creates a policy.
    /// - Throws: ``SecurityConfigurationError`` for a non-positive limit or an empty type list.
    public init(maximumBytes: Int = 5 * 1024 * 1024, allowedTypes: [UploadType] = UploadType.all) throws(SecurityConfigurationError) {
        guard maximumBytes > 0 else {
            throw SecurityConfigurationError(
                setting: "maximumUploadBytes",
                value: String(maximumBytes),
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        guard !allowedTypes.isEmpty else {
            throw SecurityConfigurationError(setting: "allowedUploadTypes", value: "", reason: .empty, message: "allow at least one type")
        }
        self.maximumBytes = maximumBytes
        self.allowedTypes = allowedTypes
    }

    /// Decides the type of an upload from its bytes.
    public func inspect(_ bytes: some Collection<UInt8>) -> Result<UploadType, UploadRefusal> {
        guard bytes.count <= maximumBytes else { return .failure(.tooLarge) }
        guard !bytes.isEmpty else { return .failure(.empty) }
        guard let type = allowedTypes.first(where: { $0.matches(bytes) }) else { return .failure(.unsupportedType) }
        if Self.containsMarkup(bytes.prefix(Self.polyglotWindow)) { return .failure(.polyglot) }
        return .success(type)
    }

    /// How many leading bytes are enough to recognise every allowed type (WebP needs 14).
    public static let sniffLength = 16

    /// An early decision on the first bytes of a stream, so an upload of the wrong type is
    /// refused before the rest is read: `.unsupportedType` once ``sniffLength`` bytes match no
    /// allowed type, `nil` to read on. ``inspect(_:)`` still decides on the whole file.
    public func earlyRefusal(prefix: some Collection<UInt8>) -> UploadRefusal? {
        guard prefix.count >= Self.sniffLength else { return nil }
        return allowedTypes.contains(where: { $0.matches(prefix) }) ? nil : .unsupportedType
    }

    /// A random name to store an upload under: 128 bits, base64url, no extension from the client.
    public static func storedName() -> String {
        Base64.encode(SecureRandom.bytes(16), urlSafe: true)
    }

    /// Whether bytes hold the start of markup that old sniffing browsers would render as HTML.
    static func containsMarkup(_ bytes: some Collection<UInt8>) -> Bool {
        let lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let needles = ["<script", "<html", "<svg", "<!doctype", "<iframe", "<body", "<?xml", "<head", "<object", "<embed"].map { Array($0.utf8) }
        return needles.contains { needle in
            lower.count >= needle.count
                && (0...(lower.count - needle.count)).contains { start in
                    lower[start..<(start + needle.count)].elementsEqual(needle)
                }
        }
    }
}
