import NIOCore

/// Checks a streamed `multipart/form-data` body before multipart-kit sees it: every part's
/// header names must be visible ASCII. multipart-kit 4.7.1 traps (stops the process) on a header
/// name byte of 0x80 or more, so such a body is refused here with a 400 instead.
///
/// A small state machine over the bytes, carried across chunks: find the delimiter
/// `CRLF--boundary` (the first one may start the body), skip the rest of its line, then read
/// header lines up to the empty line, checking each name up to its `:`.
///
/// See [RFC 7578 §4](https://www.rfc-editor.org/rfc/rfc7578#section-4) and
/// [RFC 2046 §5.1.1](https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1).
struct MultipartHeaderGuard {
    private enum State { case body, boundaryLine, lineStart, name, value, emptyLine }

    private let delimiter: [UInt8]
    private var matched: Int
    private var state = State.body

    init(boundary: String) {
        delimiter = Array("\r\n--".utf8) + Array(boundary.utf8)
        matched = 2  // the body may begin with the delimiter, without the CRLF before it
    }

    /// Whether the chunk keeps the body acceptable so far.
    mutating func check(_ chunk: ByteBuffer) -> Bool {
        for byte in chunk.readableBytesView {
            switch state {
            case .body:
                if byte == delimiter[matched] {
                    matched += 1
                    if matched == delimiter.count { state = .boundaryLine; matched = 0 }
                } else {
                    // "\r" never occurs in a boundary, so a match can only restart at a "\r".
                    matched = byte == 0x0D ? 1 : 0
                }
            case .boundaryLine:
                if byte == 0x0A { state = .lineStart }
            case .lineStart:
                if byte == 0x0D { state = .emptyLine } else if byte == 0x0A { state = .body; matched = 0 } else {
                    guard Self.isNameByte(byte) else { return false }
                    state = .name
                }
            case .name:
                if byte == UInt8(ascii: ":") { state = .value } else {
                    guard Self.isNameByte(byte) else { return false }
                }
            case .value:
                if byte == 0x0A { state = .lineStart }
            case .emptyLine:
                guard byte == 0x0A else { return false }
                state = .body
                matched = 0
            }
        }
        return true
    }

    /// Visible ASCII, no space: what a header name may hold (RFC 9110 tokens, loosely).
    static func isNameByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}
