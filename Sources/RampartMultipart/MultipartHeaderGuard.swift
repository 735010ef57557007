import NIOCore

/// Checks a streamed `multipart/form-data` body before multipart-kit sees it: multipart-kit 4.7.1
/// traps (stops the process, index out of range) on a part header name byte of 0x80 or more, so
/// such a body is refused here with a 400 instead.
///
/// The check follows multipart-kit's own parser state by state (preamble, CRLF, header name,
/// header value, body, boundary, epilogue), so it sees a header name exactly where multipart-kit
/// would read one. Where multipart-kit would throw a syntax error the check stops: the parser
/// reads nothing further.
///
/// See [RFC 7578 §4](https://www.rfc-editor.org/rfc/rfc7578#section-4) and
/// [RFC 2046 §5.1.1](https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1).
public struct MultipartHeaderGuard: Sendable {
    private enum State {
        case preamble(Int)
        case preHeaders(expectingLF: Bool)
        case headerName(empty: Bool)
        case headerValue(empty: Bool)
        case postHeaderValue
        case postHeaders
        case body
        case boundary(Int)
        case epilogue
        case stopped
    }

    private let boundary: [UInt8]
    private var state = State.preamble(0)

    /// Whether a `boundary` parameter is one RFC 2046 allows: 1 to 70 characters from
    /// `bchars`, not ending in a space.
    ///
    /// See [RFC 2046 §5.1.1](https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1).
    public static func isValidBoundary(_ boundary: String) -> Bool {
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".utf8)
        return (1...70).contains(boundary.utf8.count) && boundary.utf8.allSatisfy(allowed.contains) && boundary.utf8.last != 0x20
    }

    /// A guard for a body with this boundary.
    public init(boundary: String) {
        self.boundary = Array("\r\n--".utf8) + Array(boundary.utf8)
    }

    /// The offset in `chunk` (from its reader index) of the first byte multipart-kit would trap
    /// on, or `nil` if it can read the whole chunk. The bytes before that offset are safe to
    /// parse, so a problem earlier in the body can be found first, whatever the chunking.
    public mutating func firstTrap(in chunk: ByteBuffer) -> Int? {
        for (offset, byte) in chunk.readableBytesView.enumerated() {
            switch state {
            case .preamble(var index):
                if index == 0, byte == boundary[2] {
                    index = 3
                } else if byte == boundary[index] {
                    index += 1
                } else if index > 0, byte == boundary[0] {
                    index = 1
                } else {
                    index = 0
                }
                state = index >= boundary.count ? .preHeaders(expectingLF: false) : .preamble(index)
            case .preHeaders(let expectingLF):
                if !expectingLF, byte == 0x0D {
                    state = .preHeaders(expectingLF: true)
                } else if expectingLF, byte == 0x0A {
                    state = .headerName(empty: true)
                } else {
                    state = .stopped
                }
            case .headerName(let empty):
                if byte == UInt8(ascii: ":"), !empty {
                    state = .headerValue(empty: true)
                } else if byte == 0x0D, empty {
                    state = .postHeaders
                } else if byte >= 0x80 {
                    return offset
                }  // multipart-kit's table has 128 entries
                else if Self.isAllowedName(byte) {
                    state = .headerName(empty: false)
                } else {
                    state = .stopped
                }
            case .headerValue(let empty):
                if byte == 0x0D {
                    state = .postHeaderValue
                } else if (byte == 0x20 || byte == 0x09) && empty {
                    state = .headerValue(empty: true)
                } else {
                    state = .headerValue(empty: false)
                }
            case .postHeaderValue:
                state = byte == 0x0A ? .headerName(empty: true) : .stopped
            case .postHeaders:
                state = byte == 0x0A ? .body : .stopped
            case .body:
                if byte == boundary[0] { state = .boundary(1) }
            case .boundary(let index):
                if index >= boundary.count {
                    state = byte == 0x0D ? .preHeaders(expectingLF: true) : (byte == UInt8(ascii: "-") ? .epilogue : .stopped)
                } else if byte == boundary[index] {
                    state = .boundary(index + 1)
                } else {
                    state = byte == boundary[0] ? .boundary(1) : .body
                }
            case .epilogue, .stopped:
                return nil
            }
        }
        return nil
    }

    /// multipart-kit's allowed header name bytes (below 0x80).
    static func isAllowedName(_ byte: UInt8) -> Bool {
        switch byte {
        case 33, 35...39, 42...43, 45...46, 48...57, 65...90, 94...122, 124, 126: true
        default: false
        }
    }
}
