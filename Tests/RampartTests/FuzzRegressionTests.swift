import HTTPTypes
import Rampart
import RampartAudit
import Testing

/// Bugs found by the libFuzzer targets in `Fuzz/` (see Fuzz/README.md, "Findings"). Every test
/// failed on the code the fuzzers found the bug in; they were fixed in 2da1c7d and b7f5964. The
/// inputs are the fuzzers' findings, reduced by hand; Fuzz/regressions holds the originals.
///
/// Most are one pattern: a check on UTF-8 bytes (`utf8.starts(with:)`, `utf8.first`) followed by
/// `dropFirst`, `hasPrefix`, `split` or `==` on `Character`s, which treat a separator followed by a
/// combining mark or a joiner as one unit, or compare by canonical equivalence.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let keyA = try! SecretKey(bytes: [UInt8](repeating: 0x11, count: 32))
    static let ring = try! KeyRing(current: keyA)
    static let clock = WallClock { 1_700_000_000 }

    // MARK: Signed and sealed cookies

    /// A cookie signed or sealed for one name must not verify under another, however long.
    /// Before 2da1c7d only the first 255 bytes of the name were kept in the envelope and compared.
    @Test("a cookie for one long name does not open under another", arguments: ["signed", "sealed"])
    func longCookieNames(codec: String) throws {
        let prefix = String(repeating: "n", count: 255)
        if codec == "signed" {
            let signed = SignedCookieCodec(keyRing: Self.ring, clock: Self.clock)
            let cookie = signed.sign("admin=false", name: prefix + "a")
            #expect(signed.verify(cookie, name: prefix + "b") == .failure(.wrongName))
        } else {
            let sealed = SealedCookieCodec(keyRing: Self.ring, clock: Self.clock)
            let cookie = try sealed.seal("admin=false", name: prefix + "a")
            #expect(sealed.open(cookie, name: prefix + "b") == .failure(.wrongName))
        }
    }

    struct Respelling: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let codec: String
        let respell: @Sendable (String) -> String?
    }

    /// Changing a byte of a cookie's text must make it fail ("tampering any byte fails"). Before
    /// 2da1c7d the base64url parts also decoded in the standard alphabet and with '=' padding, so
    /// several texts verified for one payload.
    @Test(
        "another spelling of a cookie's Base64 does not verify",
        arguments: [
            Respelling(testDescription: "signed, '_' as '/' in the payload", codec: "signed") {
                respell($0, part: 2) { $0.replacingFirst(UInt8(ascii: "_"), with: UInt8(ascii: "/")) }
            },
            Respelling(testDescription: "signed, '=' after the payload", codec: "signed") {
                respell($0, part: 2) { $0.count % 4 == 0 ? nil : $0 + [UInt8](repeating: UInt8(ascii: "="), count: 4 - $0.count % 4) }
            },
            Respelling(testDescription: "sealed, '=' at the end", codec: "sealed") {
                respell($0, part: 2) { $0.count % 4 == 0 ? nil : $0 + [UInt8](repeating: UInt8(ascii: "="), count: 4 - $0.count % 4) }
            },
            Respelling(testDescription: "sealed, '-' or '_' in the other alphabet", codec: "sealed") {
                respell($0, part: 2) {
                    $0.replacingFirst(UInt8(ascii: "-"), with: UInt8(ascii: "+")) ?? $0.replacingFirst(UInt8(ascii: "_"), with: UInt8(ascii: "/"))
                }
            },
        ]
    )
    func respelledCookies(_ respelling: Respelling) throws {
        if respelling.codec == "signed" {
            // 0xFF bytes encode as runs of '_'; 40 of them leave the payload's last group partial.
            let value = [UInt8](repeating: 0xFF, count: 40)
            let signed = SignedCookieCodec(keyRing: Self.ring, clock: Self.clock)
            let cookie = signed.sign(value, name: "s")
            let changed = try #require(respelling.respell(cookie))
            #expect(signed.verify(changed, name: "s") != .success(value), "\(changed) verifies like \(cookie)")
        } else {
            let value = [UInt8](repeating: 0xFF, count: 41)
            let sealed = SealedCookieCodec(keyRing: Self.ring, clock: Self.clock)
            // Seal until the text has the byte to respell (the nonce is random).
            var found: (String, String)?
            for _ in 0..<64 where found == nil {
                let cookie = try sealed.seal(value, name: "s")
                if let changed = respelling.respell(cookie) { found = (cookie, changed) }
            }
            let (cookie, changed) = try #require(found)
            #expect(sealed.open(changed, name: "s") != .success(value), "\(changed) opens like \(cookie)")
        }
    }

    /// Rewrites one dot-separated part of a cookie's text (0 is the marker, 1 the key id).
    static func respell(_ cookie: String, part: Int, _ change: ([UInt8]) -> [UInt8]?) -> String? {
        var parts = cookie.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        guard let changed = change(parts[part]) else { return nil }
        parts[part] = changed
        return String(decoding: Array(parts.joined(separator: [UInt8(ascii: ".")])), as: UTF8.self)
    }

    // MARK: JSON in HTML

    /// `JSONForHTML.escape` must never let `<`, `>` or `&` through, whatever the bytes. Before
    /// 2da1c7d a 0xE2 byte that did not start U+2028 or U+2029 made it copy the next one or two
    /// bytes unescaped, so invalid UTF-8 could close the `<script>` element it is meant for.
    @Test(
        "JSONForHTML escapes < > & after a stray 0xE2",
        arguments: [
            [0xE2] + Array("<".utf8),
            [0xE2, 0x80] + Array(">".utf8),
            [0xE2, 0xE2] + Array("&".utf8),
            [0xE2] + Array("</script".utf8) + [0x09, 0xE2] + Array(">".utf8) + [0xE2] + Array("<img src=x onerror=alert(1)".utf8) + [0xE2]
                + Array(">".utf8),
        ] as [[UInt8]]
    )
    func jsonAfterE2(_ bytes: [UInt8]) {
        let escaped = JSONForHTML.escape(bytes)
        #expect(
            !escaped.utf8.contains { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") },
            "\(escaped.debugDescription)"
        )
    }

    // MARK: Key files

    /// A key file written with CRLF line endings must load. Before 2da1c7d `KeyRing(parsing:)`
    /// split on Characters, and "\r\n" is one Character, neither "\n" nor "\r": the file was refused.
    @Test("a key file with CRLF line endings loads", arguments: [["A", "\r\n"], ["A", "\r\n", "B", "\r\n"], ["A", "\r\n", "B"]])
    func crlfKeyFile(layout: [String]) throws {
        let a = try SecretKey(bytes: [UInt8](0..<32))
        let b = try SecretKey(bytes: [UInt8](32..<64))
        let text = layout.map { $0 == "A" ? a.exportBase64URL() : $0 == "B" ? b.exportBase64URL() : $0 }.joined()
        let ring = try KeyRing(parsing: text)
        #expect(ring.all == (layout.contains("B") ? [a, b] : [a]))
    }

    // MARK: Download names

    /// The cleaned file name keeps only the last path component and never starts with '.'. Before
    /// 2da1c7d a '/' or '\' followed by a combining mark was not split on (Character split), and a
    /// leading dot survived when spaces or a combining mark came with it.
    @Test(
        "Content-Disposition names have no path and no leading dot",
        arguments: [
            "dir/\u{301}passwd", "dir\\\u{301}x.html", " .htaccess", ".\u{6D7}htaccess", " ..",
        ]
    )
    func downloadNames(_ name: String) {
        let value = SafeDownload.contentDisposition(fileName: name)
        // Bytes, not Characters: the point is what a '/' followed by a mark still is.
        let fallback = Array(value.utf8.split(separator: UInt8(ascii: "\""))[1])
        #expect(!fallback.contains(UInt8(ascii: "/")) && !fallback.contains(UInt8(ascii: "\\")), "\(value)")
        #expect(
            !value.utf8.split(separator: UInt8(ascii: "%")).dropFirst().contains { $0.starts(with: "2F".utf8) || $0.starts(with: "5C".utf8) },
            "\(value)"
        )
        #expect(fallback.first != UInt8(ascii: "."), "\(value)")
    }

    // MARK: IP addresses, hosts and origins

    /// Address text that inet_pton refuses must not parse. Before 2da1c7d a single leading ':'
    /// read as "::", and a combining mark or joiner right after "[" or "::" was dropped with them.
    @Test("malformed IPv6 text is refused", arguments: [":1", ":4316:d:b:811", "::\u{200C}1", "::\u{200C}f:127.0.0.1", "[\u{301}::1]"])
    func malformedIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    struct HostCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let check: @Sendable () -> Bool
    }

    /// Hosts, patterns and origins with a mark after their "[", ".", "*." or ":" must be refused
    /// like any other non-ASCII host. Before 2da1c7d dropFirst dropped the mark with the separator.
    @Test(
        "hosts with a mark after a separator are refused",
        arguments: [
            HostCase(testDescription: "Host [:1]") { !HostAllowList.loopback.allows("[:1]") },
            HostCase(testDescription: "Host [::1]:\\u{FE0F}8443") { !HostAllowList.loopback.allows("[::1]:\u{FE0F}8443") },
            HostCase(testDescription: "pattern .\\u{338}example.com") { (try? HostAllowList([".\u{338}example.com"])) == nil },
            HostCase(testDescription: "pattern *.\\u{338}example.com") { (try? HostAllowList(["*.\u{338}example.com"])) == nil },
            HostCase(testDescription: "Origin http://[:1]") { WebOrigin(parsing: "http://[:1]") == nil },
        ]
    )
    func hostsWithMarks(_ hostCase: HostCase) {
        #expect(hostCase.check())
    }

    // MARK: The audit

    /// A URL the audit accepts prints as text that parses back to it. Before 2da1c7d an empty port
    /// after a host holding ':' was accepted, and the host kept the ':'.
    @Test("AuditURL round-trips", arguments: ["https://example.com:8ps:/", "https://a:b:/path"])
    func auditURLRoundTrip(_ text: String) {
        if let url = AuditURL(text) {
            #expect(AuditURL(url.description) == url, "\(text) prints \(url.description)")
        }
    }

    /// Browsers read the HSTS directive name exactly; "max-age" followed by a joiner or combining
    /// mark is an unknown directive, and the header sets no policy. Before b7f5964 the audit dropped
    /// "max-age" as 7 Characters (`dropFirst("max-age".count)`), the mark went with the "e", and
    /// the header passed as a max-age.
    @Test(
        "the audit reads HSTS directive names as browsers do",
        arguments: ["max-age\u{200D}=31536000", "max-age\u{301}=31536000; includeSubDomains"]
    )
    func auditHSTSMarks(_ value: String) throws {
        let url = try #require(AuditURL("https://example.com/"))
        let response = AuditedResponse(url: url, status: .ok, headerFields: [.strictTransportSecurity: value])
        let report = ObservatoryAudit.grade(AuditInput(chain: [response]))
        #expect(report[.strictTransportSecurity]?.outcome == .hstsHeaderInvalid)
    }

    /// Browsers split CSP source lists on ASCII whitespace; a combining mark after a space is an
    /// invalid source of its own, and `https:` before it still allows every HTTPS script. Before
    /// 2da1c7d the audit split on Characters, read one source "https: \u{301}", and passed the policy.
    @Test(
        "the audit reads CSP sources as browsers do",
        arguments: [
            "default-src 'none'; script-src https: \u{301}",
            "default-src 'none'; script-src 'self' * \u{301}",
        ]
    )
    func auditCSPMarks(_ policy: String) throws {
        let url = try #require(AuditURL("https://example.com/"))
        let response = AuditedResponse(url: url, status: .ok, headerFields: [.contentSecurityPolicy: policy])
        let report = ObservatoryAudit.grade(AuditInput(chain: [response]))
        #expect(report[.contentSecurityPolicy]?.outcome == .cspImplementedWithUnsafeInline)
    }

    /// Directive names and sources compare by code point, as browsers and the Observatory do.
    /// `"\u{1FEF}"` (GREEK VARIA) is canonically equivalent to `` "`" ``, so as Swift `String`s
    /// (dictionary keys, set members) they were one: before this fix the audit called a policy with
    /// the two unknown directives `\u{1FEF}` and `` ` `` invalid ("appears twice"), and intersected
    /// the sources `x\u{1FEF}` and `` x` `` of two policies into one. Found by FuzzCSPAudit
    /// (`audit-csp-canonical-equivalence`). Since the audit also grades Chromium's reading, which
    /// skips a directive holding a non-ASCII character, only the names half still shows in a grade;
    /// the third row now shows Chromium's reading.
    @Test(
        "the audit compares CSP names and sources by code point, not canonical equivalence",
        arguments: [
            (
                "default-src 'self'; \u{1FEF}; `", "csp-implemented-with-no-unsafe",
                "Chromium ignores \\u{1FEF}, which holds a non-ASCII character"
            ),
            (
                ";;;;;\u{1FEF};;;;;;;;`;#;;;;;;t:", "csp-implemented-with-unsafe-inline",
                "script-src allows *; Chromium ignores \\u{1FEF}, which holds a non-ASCII character"
            ),
            // As written, x` and x\u{1FEF} intersect to nothing ('none'); Chromium drops the second
            // default-src, so its policy is gone and the first decides (see the non-ASCII test).
            (
                "default-src x`, default-src x\u{1FEF}", "csp-implemented-with-no-unsafe",
                "Chromium ignores default-src, which holds a non-ASCII character"
            ),
            ("default-src 'self'; ` 'none'; ` 'self'", "csp-header-invalid", "` appears twice in one policy"),
        ] as [(String, String, String?)]
    )
    func auditCSPCodePoints(_ policy: String, _ outcome: String, _ detail: String?) throws {
        let url = try #require(AuditURL("https://example.com/"))
        let response = AuditedResponse(url: url, status: .ok, headerFields: [.contentSecurityPolicy: policy])
        let result = try #require(ObservatoryAudit.grade(AuditInput(chain: [response]))[.contentSecurityPolicy])
        #expect(result.outcome.rawValue == outcome)
        #expect(result.explanation == (detail.map { "\(result.outcome.summary) (\($0))" } ?? result.outcome.summary))
    }

    // MARK: SafeURL

    /// SafeURL decodes character references "as the HTML parser would", for URLs written into HTML
    /// unescaped. Before 2da1c7d it read at most 8 digits of a numeric reference (the tokenizer reads
    /// them all), and matched &colon; with a Character-based hasPrefix that a combining mark defeats.
    @Test(
        "javascript: behind a character reference is refused",
        arguments: [
            "javascript&#0000000058;alert(1)",
            "javascript&#x00000003A;alert(1)",
            "javascript&colon;\u{301}alert(1)",
        ]
    )
    func safeURLReferences(_ url: String) {
        #expect(SafeURL(url).wasRefused)
    }

    // MARK: Templates

    /// The rewrite of an accepted template must be read as the check read it: checked again, it is
    /// accepted unchanged. Before 2da1c7d `{{{a}}` (a brace short) ran to the next "}}}", was
    /// rewritten to `{{…}}`, and the rewrite held a variable inside `<script>` that was never
    /// checked; until b7f5964 `{{{{html}}}` was rewritten to `{{{html}}`, which does not close.
    @Test(
        "template rewrites keep the tags the check read",
        arguments: [
            "{{{a}} <script>{{b}}</script> {{c}}}",
            "<title>{{&{{#x}}</title>{{y}}",
            "<p>{{{{html}}}</p>",
        ]
    )
    func templateRewrite(_ template: String) throws {
        let none = TemplateContextCheck.Markers(enterURL: "", leaveURL: "")
        guard let rewrite = try? TemplateContextCheck.check(template, name: "t", markers: none) else { return }
        #expect(!rewrite.utf8.split(separator: UInt8(ascii: "<")).contains { $0.starts(with: "script>{{".utf8) }, "\(rewrite)")
        #expect((try? TemplateContextCheck.check(rewrite, name: "t", markers: none)) == rewrite, "\(rewrite)")
    }

    /// The HTML tokenizer reads `<!` not followed by `--` (`<![CDATA[` in HTML, `<!DOCTYPE`), `<?`
    /// and `</` not followed by a letter as a bogus comment up to the first `>`. Until stop 23 the
    /// check read them as text (or a tag), and a value inside one was accepted: found by
    /// check_corpus.py's html5lib run on FuzzTemplateContext's corpus in CI
    /// (`<\u{FFFD}x<![CDATA[…"{{& v}}";</script>`).
    @Test(
        "a value inside a bogus comment is refused; text after its > is data again",
        arguments: [
            ("<p><![CDATA[ \"{{& v}}\"; ]]></p>", "inComment"),
            ("<\u{FFFD}x<![CDATA[\"{{& v}}\";</script>", "inComment"),
            ("<?php echo {{v}} ?>", "inComment"),
            ("</!{{v}}>", "inComment"),
            ("<!DOCTYPE {{v}}>", "inComment"),
            ("<!DOCTYPE html><p>{{v}}</p>", ""),
            ("<p><![if x]>{{v}}</p>", ""),
            ("<?xml version=\"1.0\"?><p title=\"{{v}}\">{{v}}</p>", ""),
            ("</>{{v}}", ""),
        ]
    )
    func bogusComments(_ template: String, _ reason: String) {
        let none = TemplateContextCheck.Markers(enterURL: "", leaveURL: "")
        do {
            _ = try TemplateContextCheck.check(template, name: "t", markers: none)
            #expect(reason.isEmpty, "accepted: \(template)")
        } catch {
            #expect(error.reason == reason, "\(template): \(error)")
        }
    }
}

extension Array where Element == UInt8 {
    /// A copy with the first `byte` replaced, or nil when there is none.
    fileprivate func replacingFirst(_ byte: UInt8, with replacement: UInt8) -> [UInt8]? {
        guard let index = firstIndex(of: byte) else { return nil }
        var copy = self
        copy[index] = replacement
        return copy
    }
}
