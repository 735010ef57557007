import HTTPTypes
import Rampart
import Testing

@Suite("Uploads: sniffing and safe downloads")
struct UploadTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + Array(repeating: 0, count: 64)
    static let policy = try! UploadPolicy(maximumBytes: 1024)

    @Test(
        "types come from content, never from names",
        arguments: [
            (png, "image/png"),
            ([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 20), "image/jpeg"),
            (Array("GIF89a".utf8) + [1, 0, 1, 0], "image/gif"),
            (Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8) + [0, 0], "image/webp"),
            (Array("%PDF-1.7\n".utf8), "application/pdf"),
        ] as [([UInt8], String)]
    )
    func sniffed(_ bytes: [UInt8], _ type: String) throws {
        #expect(try Self.policy.inspect(bytes).get().mediaType == type)
    }

    @Test(
        "refused uploads",
        arguments: [
            (Array("<!doctype html><script>alert(1)</script>".utf8), UploadRefusal.unsupportedType),  // HTML renamed .png
            (Array("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".utf8), .unsupportedType),
            (Array("<?xml version=\"1.0\"?><x/>".utf8), .unsupportedType),
            (Array("GIF89a/*<script>alert(1)</script>*/".utf8), .polyglot),  // GIF/JS/HTML polyglot
            (png + Array("<html><body onload=alert(1)>".utf8), .polyglot),
            ([UInt8](), .empty),
            ([UInt8](repeating: 0x89, count: 2000), .tooLarge),
            (Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8), .unsupportedType),
        ] as [([UInt8], UploadRefusal)]
    )
    func refused(_ bytes: [UInt8], _ refusal: UploadRefusal) {
        #expect(Self.policy.inspect(bytes) == .failure(refusal))
    }

    @Test("a PNG named .html is still a PNG and is served as one")
    func renamedPNG() throws {
        let type = try Self.policy.inspect(Self.png).get()
        let headers = SafeDownload.headers(for: type, fileName: "page.html")
        #expect(headers[.contentType] == "image/png")
        #expect(headers[.contentDisposition] == "attachment; filename=\"page.html\"")
    }

    @Test("download headers, exactly")
    func downloadHeaders() {
        let headers = SafeDownload.headers(for: .png, fileName: "cat.png", inline: true)
        #expect(headers[.contentType] == "image/png")
        #expect(headers[.xContentTypeOptions] == "nosniff")
        #expect(headers[.contentSecurityPolicy] == "sandbox; default-src 'none'")
        #expect(headers[.crossOriginResourcePolicy] == "same-origin")
        #expect(headers[.contentDisposition] == "inline; filename=\"cat.png\"")
        #expect(SafeDownload.headers(for: .pdf, fileName: "doc.pdf", inline: true)[.contentDisposition] == "attachment; filename=\"doc.pdf\"")
    }

    @Test(
        "file names are cleaned for Content-Disposition",
        arguments: [
            ("../../etc/passwd", "attachment; filename=\"passwd\""),
            ("..\\..\\boot.ini", "attachment; filename=\"boot.ini\""),
            ("a\r\nSet-Cookie: x=1.png", "attachment; filename=\"aSet-Cookie: x=1.png\""),
            ("q\"uote'.png", "attachment; filename=\"quote.png\""),
            ("nul\u{0}byte.png", "attachment; filename=\"nulbyte.png\""),
            ("semi;colon.png", "attachment; filename=\"semicolon.png\""),
            (".hidden", "attachment; filename=\"hidden\""),
            ("", "attachment; filename=\"download.png\""),
            ("/", "attachment; filename=\"download.png\""),
            ("Résumé 2026.png", "attachment; filename=\"R_sum_ 2026.png\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.png"),
            ("猫.png", "attachment; filename=\"_.png\"; filename*=UTF-8''%E7%8C%AB.png"),
            ("evil\u{202E}gnp.exe", "attachment; filename=\"evilgnp.exe\""),
        ]
    )
    func fileNames(_ name: String, _ expected: String) {
        #expect(SafeDownload.contentDisposition(fileName: name, fallbackExtension: "png") == expected)
    }

    @Test("stored names are random and never the client's")
    func storedNames() {
        let names = Set((0..<1000).map { _ in UploadPolicy.storedName() })
        #expect(names.count == 1000)
        #expect(names.allSatisfy { $0.utf8.count == 22 && !$0.contains("/") && !$0.contains(".") })
    }
}
