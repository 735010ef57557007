import Foundation

/// Reference codecs from Foundation, independent of Rampart's own Base64.
public enum Reference {
    /// base64url without padding (RFC 4648 §5), through Foundation.
    public static func base64URLEncode(_ bytes: [UInt8]) -> String {
        let standard = Data(bytes).base64EncodedString()
        var out: [UInt8] = []
        out.reserveCapacity(standard.utf8.count)
        for b in standard.utf8 {
            switch b {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): break
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64url text that is canonical: only `A–Z a–z 0–9 - _`, no padding, and the
    /// text Foundation would produce for the decoded bytes (unused trailing bits zero).
    public static func strictBase64URLDecode(_ text: some StringProtocol) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count + 2)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): standard.append(b)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        switch standard.count % 4 {
        case 0: break
        case 2: standard += [UInt8(ascii: "="), UInt8(ascii: "=")]
        case 3: standard.append(UInt8(ascii: "="))
        default: return nil
        }
        guard let data = Data(base64Encoded: Data(standard)) else { return nil }
        let bytes = [UInt8](data)
        return base64URLEncode(bytes).utf8.elementsEqual(text.utf8) ? bytes : nil
    }

    /// Decodes Base64 in either alphabet, padded or not, through Foundation (lenient about the
    /// unused trailing bits).
    public static func lenientBase64Decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count + 2)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: standard.append(b)
            }
        }
        while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(standard)).map { [UInt8]($0) }
    }
}
