import HTTPTypes
import RampartAudit
import Testing

@testable import Rampart

@Suite("Public-Key-Pins")
struct PublicKeyPinsTests {
    /// ISRG Root X1's SubjectPublicKeyInfo (RSA 4096), from /etc/ssl/certs/ISRG_Root_X1.pem;
    /// its pin is published widely and was checked with
    /// `openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.
    static let isrgRootX1SPKI =
        "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAregkc/QUN/ObnitXKByHvty33ziQjG485legePd1wqL+9Wpu9gBPKNveaIZsRJO2sWP9FBJrvx/S6jGbIX7RMzy6SPXded+zuP8S8SGaS8GKhnFpSmZmbI9+PHC/rSkiBvPkwOaAruJLj7eZfpQDn9NHl3yZSCNT6DiuTwpvgy7RSVeMgHS22i/QOI17A3AhG3XyMDz6j67d2mOr6xZPwo4RS37PC+j/tXcu9LJ7SuBMEiUMcI0DKaDhUyTsE9nuGb8Qs0qMP4mjYVHerIcHlPRjcewu4m9bmIHhiVw0eWx27zuQYnnm26SaLybF0BDhDt7ZEI4W+7f3qPfH5QIHmI82CJXn4jeWDTZ1nvsOcrEdm7wD+UkF2IHdBbQq1kHprAF2lQoP2N/VvRIfNS8oF2zSmMGoCWR3bkc3us6sWV5onX9y1onFBkEpPlk+3Sb1JMkRp1qjTEAfRqGZtac6UW6GO559cqcSBXhZ7T5ReBULA4+N0C8Fsj57ShxLcwUS/Mbq4FATfEOTdLPKdOeOHwEI0DDUW3E2tAe6wTAwXEi3gjuYpn1giqKjKYLMur2DBBuigwNBodYF8RvCtvCofIY7RqhIKojcdpp2vx9qpT0Zj+s482TeyCsNCij/99viFULUItAnXeF5/hjncIitTubZizrG3SdRbv+8ZPUzQ08CAwEAAQ=="
    /// ISRG Root X2's SubjectPublicKeyInfo (ECDSA P-384).
    static let isrgRootX2SPKI =
        "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEzZvVn4CDCuwJSvMWSj5cz3es3mcFDR0HttwW+1qLFNvicWDEukWVEYmO6gbf9yoWHKS5xcUy4APgHoIYOIvXRdgKam7mAHf7AlF9ItgKbppbd9/w+kHsOdx1ymgHDB/q"

    static let pinX1 = "C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M="
    static let pinX2 = "diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI="

    @Test("by default: report-only, 60 days, no subdomains, no report-uri")
    func byDefault() throws {
        let pins = try PublicKeyPins(pins: [Self.pinX1, Self.pinX2])
        #expect(pins.headerField.name.rawName == "Public-Key-Pins-Report-Only")
        #expect(
            pins.headerField.value
                == "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=5184000"
        )
        #expect(!pins.isEnforced)
        #expect(pins.maxAge == PublicKeyPins.maximumMaxAge)
    }

    struct Rendered: Sendable, CustomTestStringConvertible {
        let name: String
        let maxAge: Int
        let includeSubDomains: Bool
        let reportURI: String?
        let enforce: Bool
        let allowLong: Bool
        let header: String
        let value: String
        var testDescription: String { name }
    }

    @Test(
        "header strings",
        arguments: [
            Rendered(
                name: "report-only with everything",
                maxAge: 86400,
                includeSubDomains: true,
                reportURI: "https://example.com/hpkp-report",
                enforce: false,
                allowLong: false,
                header: "Public-Key-Pins-Report-Only",
                value:
                    "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=86400; includeSubDomains; report-uri=\"https://example.com/hpkp-report\""
            ),
            Rendered(
                name: "enforced needs dangerouslyEnforce",
                maxAge: 600,
                includeSubDomains: false,
                reportURI: nil,
                enforce: true,
                allowLong: false,
                header: "Public-Key-Pins",
                value:
                    "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=600"
            ),
            Rendered(
                name: "max-age=0 unpins",
                maxAge: 0,
                includeSubDomains: false,
                reportURI: "http://reports.example/r?x=1",
                enforce: true,
                allowLong: false,
                header: "Public-Key-Pins",
                value:
                    "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=0; report-uri=\"http://reports.example/r?x=1\""
            ),
            Rendered(
                name: "exactly 60 days needs no override",
                maxAge: 5_184_000,
                includeSubDomains: true,
                reportURI: nil,
                enforce: false,
                allowLong: false,
                header: "Public-Key-Pins-Report-Only",
                value:
                    "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=5184000; includeSubDomains"
            ),
            Rendered(
                name: "over 60 days with the named override",
                maxAge: 31_536_000,
                includeSubDomains: false,
                reportURI: nil,
                enforce: false,
                allowLong: true,
                header: "Public-Key-Pins-Report-Only",
                value:
                    "pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; max-age=31536000"
            ),
        ]
    )
    func rendered(_ c: Rendered) throws {
        let pins = try PublicKeyPins(
            pins: [Self.pinX1, Self.pinX2],
            maxAge: c.maxAge,
            includeSubDomains: c.includeSubDomains,
            reportURI: c.reportURI,
            dangerouslyEnforce: c.enforce,
            dangerouslyAllowMaxAgeOverSixtyDays: c.allowLong
        )
        #expect(pins.headerField.name.rawName == c.header)
        #expect(pins.headerField.value == c.value)
        #expect(pins.isEnforced == c.enforce)
    }

    @Test("three pins keep their order")
    func threePins() throws {
        let third = PublicKeyPins.pin(subjectPublicKeyInfoDER: [0x30, 0x00])
        let pins = try PublicKeyPins(pins: [Self.pinX2, third, Self.pinX1], maxAge: 60)
        #expect(pins.pins == [Self.pinX2, third, Self.pinX1])
        #expect(
            pins.headerField.value
                == "pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"; pin-sha256=\"\(third)\"; pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"; max-age=60"
        )
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        var pins: [String] = [PublicKeyPinsTests.pinX1, PublicKeyPinsTests.pinX2]
        var maxAge: Int = 600
        var reportURI: String? = nil
        var enforce = false
        let reason: SecurityConfigurationError.Reason
        let description: String
        var testDescription: String { name }
    }

    @Test(
        "refusals, each with its typed error",
        arguments: [
            Bad(
                name: "no pins",
                pins: [],
                reason: .empty,
                description:
                    "Public-Key-Pins-Report-Only: at least 2 pin-sha256 values are needed: the current key and a backup key (value: \"\", reason: empty)"
            ),
            Bad(
                name: "no backup pin",
                pins: [PublicKeyPinsTests.pinX1],
                reason: .notEligible,
                description:
                    "Public-Key-Pins-Report-Only: a backup pin is required (RFC 7469 §4.3): give at least 2 distinct pin-sha256 values (value: \"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\", reason: notEligible)"
            ),
            Bad(
                name: "the same pin twice is not a backup",
                pins: [PublicKeyPinsTests.pinX1, PublicKeyPinsTests.pinX1],
                enforce: true,
                reason: .duplicate,
                description:
                    "Public-Key-Pins: pin-sha256 value listed twice (value: \"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\", reason: duplicate)"
            ),
            Bad(
                name: "not base64",
                pins: [PublicKeyPinsTests.pinX1, "not a pin"],
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value is the standard Base64 (with padding) of a 32-byte SHA-256 digest (value: \"not a pin\", reason: invalidValue)"
            ),
            Bad(
                name: "SHA-1 sized (20 bytes)",
                pins: [PublicKeyPinsTests.pinX1, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="],
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value is the standard Base64 (with padding) of a 32-byte SHA-256 digest (value: \"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\", reason: invalidValue)"
            ),
            Bad(
                name: "unpadded",
                pins: [PublicKeyPinsTests.pinX1, "diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI"],
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value is the standard Base64 (with padding) of a 32-byte SHA-256 digest (value: \"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI\", reason: invalidValue)"
            ),
            Bad(
                name: "URL-safe alphabet",
                pins: [PublicKeyPinsTests.pinX1, "diGVwiVYbubAI3RW4hB9xU8e_CH2GnkuvVFZE8zmgzI="],
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value is the standard Base64 (with padding) of a 32-byte SHA-256 digest (value: \"diGVwiVYbubAI3RW4hB9xU8e_CH2GnkuvVFZE8zmgzI=\", reason: invalidValue)"
            ),
            Bad(
                name: "quote in a pin",
                pins: [PublicKeyPinsTests.pinX1, "x\"; max-age=999999999"],
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value must not hold control characters, quotes, backslashes, ';' or ',' (value: \"x\\\"; max-age=999999999\", reason: invalidCharacter)"
            ),
            Bad(
                name: "CRLF in a pin",
                pins: [PublicKeyPinsTests.pinX1, "x\r\nSet-Cookie: a=b"],
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: a pin-sha256 value must not hold control characters, quotes, backslashes, ';' or ',' (value: \"x\\r\\nSet-Cookie: a=b\", reason: invalidCharacter)"
            ),
            Bad(
                name: "negative max-age",
                maxAge: -1,
                reason: .invalidValue,
                description: "Public-Key-Pins-Report-Only: max-age must not be negative (value: \"max-age=-1\", reason: invalidValue)"
            ),
            Bad(
                name: "max-age over 60 days",
                maxAge: 5_184_001,
                enforce: true,
                reason: .notEligible,
                description:
                    "Public-Key-Pins: max-age over 5184000 seconds (60 days) needs dangerouslyAllowMaxAgeOverSixtyDays (value: \"max-age=5184001\", reason: notEligible)"
            ),
            Bad(
                name: "relative report-uri",
                reportURI: "/hpkp",
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must be an absolute https:// or http:// URL with a host, of visible ASCII (value: \"/hpkp\", reason: invalidValue)"
            ),
            Bad(
                name: "javascript: report-uri",
                reportURI: "javascript:alert(1)",
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must be an absolute https:// or http:// URL with a host, of visible ASCII (value: \"javascript:alert(1)\", reason: invalidValue)"
            ),
            Bad(
                name: "report-uri without host",
                reportURI: "https:///x",
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must be an absolute https:// or http:// URL with a host, of visible ASCII (value: \"https:///x\", reason: invalidValue)"
            ),
            Bad(
                name: "space in report-uri",
                reportURI: "https://example.com/a b",
                reason: .invalidValue,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must be an absolute https:// or http:// URL with a host, of visible ASCII (value: \"https://example.com/a b\", reason: invalidValue)"
            ),
            Bad(
                name: "CRLF in report-uri",
                reportURI: "https://example.com/\r\nX-Evil: 1",
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must not hold control characters, quotes, backslashes, ';' or ',' (value: \"https://example.com/\\r\\nX-Evil: 1\", reason: invalidCharacter)"
            ),
            Bad(
                name: "semicolon in report-uri",
                reportURI: "https://example.com/;includeSubDomains",
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must not hold control characters, quotes, backslashes, ';' or ',' (value: \"https://example.com/;includeSubDomains\", reason: invalidCharacter)"
            ),
            Bad(
                name: "comma in report-uri",
                reportURI: "https://example.com/a,b",
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must not hold control characters, quotes, backslashes, ';' or ',' (value: \"https://example.com/a,b\", reason: invalidCharacter)"
            ),
            Bad(
                name: "quote in report-uri",
                reportURI: "https://example.com/\"",
                reason: .invalidCharacter,
                description:
                    "Public-Key-Pins-Report-Only: report-uri must not hold control characters, quotes, backslashes, ';' or ',' (value: \"https://example.com/\\\"\", reason: invalidCharacter)"
            ),
        ]
    )
    func refused(_ bad: Bad) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try PublicKeyPins(pins: bad.pins, maxAge: bad.maxAge, reportURI: bad.reportURI, dangerouslyEnforce: bad.enforce)
        }
        #expect(error?.reason == bad.reason)
        #expect(error?.setting == (bad.enforce ? "Public-Key-Pins" : "Public-Key-Pins-Report-Only"))
        #expect(error?.description == bad.description)
    }

    struct KnownKey: Sendable, CustomTestStringConvertible {
        let name: String
        let spki: String
        let pin: String
        var testDescription: String { name }
    }

    @Test(
        "the pin of a known key matches openssl's",
        arguments: [
            KnownKey(name: "ISRG Root X1 (RSA 4096)", spki: PublicKeyPinsTests.isrgRootX1SPKI, pin: PublicKeyPinsTests.pinX1),
            KnownKey(name: "ISRG Root X2 (P-384)", spki: PublicKeyPinsTests.isrgRootX2SPKI, pin: PublicKeyPinsTests.pinX2),
        ]
    )
    func knownPin(_ key: KnownKey) throws {
        let der = try #require(Base64.decode(key.spki))
        #expect(PublicKeyPins.pin(subjectPublicKeyInfoDER: der) == key.pin)
        #expect(PublicKeyPins.isSHA256Pin(key.pin))
    }

    @Test("the pin is SHA-256 in standard padded Base64: the empty input")
    func emptyInput() {
        // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855.
        #expect(PublicKeyPins.pin(subjectPublicKeyInfoDER: []) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    }

    @Test(
        "every ASCII byte inside a pin: base64 accepted, delimiters invalidCharacter, the rest invalidValue",
        arguments: Array(UInt8(0)...UInt8(0x7F))
    )
    func byteSweep(_ byte: UInt8) {
        // 44 characters that decode to 32 bytes when `byte` is in the Base64 alphabet.
        let pin = "A" + String(decoding: [byte], as: UTF8.self) + String(repeating: "A", count: 41) + "="
        let result = Result { () throws(SecurityConfigurationError) in try PublicKeyPins(pins: [Self.pinX1, pin]) }
        let isBase64 = HeaderGrammar.isAlpha(byte) || HeaderGrammar.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        let breaksOut =
            byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: ",")
        switch result {
        case .success(let pins):
            #expect(isBase64, "byte 0x\(String(byte, radix: 16)) was accepted")
            #expect(pins.headerField.value.utf8.filter { $0 == UInt8(ascii: "\"") }.count == 4)
        case .failure(let error):
            #expect(!isBase64, "byte 0x\(String(byte, radix: 16)) was refused")
            #expect(error.reason == (breaksOut ? .invalidCharacter : .invalidValue))
        }
    }
}
