import Rampart
import Testing

@Suite("Content-Security-Policy")
struct ContentSecurityPolicyTests {
    static let nonce = CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!

    @Test("by default (strict preset): the exact policy, nonce in script-src and style-src")
    func strictPreset() {
        let csp = SecurityHeaders.strictContentSecurityPolicy
        #expect(
            csp.description
                == "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests"
        )
        #expect(
            csp.headerValue(nonce: Self.nonce, isSecure: false)
                == "default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
    }

    @Test("which directives get the nonce is configurable")
    func nonceDirectives() throws {
        let csp = try ContentSecurityPolicy([.defaultSrc(.none), .scriptSrcElem(.self), .styleSrc(.self)], nonceDirectives: [.scriptSrcElem])
        #expect(
            csp.headerValue(nonce: Self.nonce, isSecure: true)
                == "default-src 'none'; script-src-elem 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self'"
        )
        let none = try ContentSecurityPolicy([.defaultSrc(.none)], nonceDirectives: [])
        #expect(none.headerValue(nonce: Self.nonce, isSecure: true) == "default-src 'none'")
        #expect(!none.usesNonce)
    }

    @Test("every typed source and directive renders as CSP3 text")
    func everyDirective() throws {
        let csp = try ContentSecurityPolicy(
            [
                .defaultSrc(.self),
                .childSrc(.self),
                .connectSrc(.self, .scheme("wss"), .host("api.example.com")),
                .fencedFrameSrc(.none),
                .fontSrc(.self, .scheme("data:")),
                .frameSrc(.host("https://*.youtube.com")),
                .imgSrc(.self, .scheme("https"), .host("*.cdn.example:8443/img/")),
                .manifestSrc(.self),
                .mediaSrc(.host("media.example.com:*")),
                .objectSrc(.none),
                .scriptSrc(
                    .strictDynamic,
                    .unsafeHashes,
                    .reportSample,
                    .wasmUnsafeEval,
                    .sha256(base64: "qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=")
                ),
                .scriptSrcElem(.self, .inlineSpeculationRules),
                .scriptSrcAttr(.none),
                .styleSrc(.self),
                .styleSrcElem(.self, .unsafeInline),
                .styleSrcAttr(.unsafeHashes, .sha256(base64: "qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=")),
                .workerSrc(.self),
                .baseURI(.self),
                .formAction(.self, .host("https://login.example")),
                .frameAncestors(.self, .host("https://partner.example")),
                .sandbox(.allowForms, .allowScripts),
                .upgradeInsecureRequests,
                .requireTrustedTypesForScript,
                .trustedTypes("default", "dompurify", allowDuplicates: true),
                .reportURI("/csp-reports", "https://reports.example/csp"),
            ],
            nonceDirectives: []
        )
        #expect(
            csp.headerValue(nonce: Self.nonce, isSecure: true)
                == "default-src 'self'; child-src 'self'; connect-src 'self' wss: api.example.com; fenced-frame-src 'none'; font-src 'self' data:; frame-src https://*.youtube.com; img-src 'self' https: *.cdn.example:8443/img/; manifest-src 'self'; media-src media.example.com:*; object-src 'none'; script-src 'strict-dynamic' 'unsafe-hashes' 'report-sample' 'wasm-unsafe-eval' 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='; script-src-elem 'self' 'inline-speculation-rules'; script-src-attr 'none'; style-src 'self'; style-src-elem 'self' 'unsafe-inline'; style-src-attr 'unsafe-hashes' 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='; worker-src 'self'; base-uri 'self'; form-action 'self' https://login.example; frame-ancestors 'self' https://partner.example; sandbox allow-forms allow-scripts; upgrade-insecure-requests; require-trusted-types-for 'script'; trusted-types default dompurify 'allow-duplicates'; report-uri /csp-reports https://reports.example/csp"
        )
    }

    @Test("hash sources are computed from the exact inline text (CSP3 example vector)")
    func hashOfContent() {
        // The example from CSP Level 3 §8.3: alert('Hello, world.');
        #expect(CSPSource.hash(of: "alert('Hello, world.');").description == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='")
        #expect(CSPSource.hash(of: "", using: .sha384).description == "'sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb'")
        #expect(
            CSPSource.hash(of: "", using: .sha512).description
                == "'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=='"
        )
    }

    @Test("upgrade-insecure-requests is sent over HTTPS only")
    func upgradeInsecureRequests() throws {
        let csp = try ContentSecurityPolicy([.defaultSrc(.self), .upgradeInsecureRequests], nonceDirectives: [])
        #expect(csp.headerValue(nonce: Self.nonce, isSecure: true) == "default-src 'self'; upgrade-insecure-requests")
        #expect(csp.headerValue(nonce: Self.nonce, isSecure: false) == "default-src 'self'")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let directives: [CSPDirective]
        var nonceDirectives: [CSPDirective.Name] = []
        let reason: SecurityConfigurationError.Reason
        let message: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "semicolon in a host",
            directives: [.defaultSrc(.host("example.com;script-src *"))],
            reason: .invalidCharacter,
            message: "default-src: source contains ';'"
        ),
        Refusal(
            name: "comma in a host",
            directives: [.defaultSrc(.host("example.com,default-src *"))],
            reason: .invalidCharacter,
            message: "default-src: source contains ','"
        ),
        Refusal(
            name: "CR in a host",
            directives: [.defaultSrc(.host("a.example\r"))],
            reason: .invalidCharacter,
            message: "default-src: source contains CR"
        ),
        Refusal(
            name: "LF in a host",
            directives: [.defaultSrc(.host("a.example\nSet-Cookie: x"))],
            reason: .invalidCharacter,
            message: "default-src: source contains LF"
        ),
        Refusal(
            name: "single quote in a host",
            directives: [.defaultSrc(.host("'self"))],
            reason: .invalidCharacter,
            message: "default-src: source contains a single quote"
        ),
        Refusal(
            name: "double quote in a host",
            directives: [.defaultSrc(.host("a\".example"))],
            reason: .invalidCharacter,
            message: "default-src: source contains a double quote"
        ),
        Refusal(
            name: "space in a host",
            directives: [.defaultSrc(.host("a.example b.example"))],
            reason: .invalidCharacter,
            message: "default-src: source contains whitespace"
        ),
        Refusal(
            name: "non-ASCII host",
            directives: [.defaultSrc(.host("bücher.example"))],
            reason: .invalidCharacter,
            message: "default-src: source contains a non-ASCII byte (use the punycode form of the host)"
        ),
        Refusal(
            name: "semicolon in a scheme",
            directives: [.defaultSrc(.scheme("https;"))],
            reason: .invalidCharacter,
            message: "default-src: scheme contains ';'"
        ),
        Refusal(
            name: "unquoted self",
            directives: [.defaultSrc(.host("self"))],
            reason: .unquotedKeyword,
            message: "default-src: keyword 'self' must be quoted; use .self instead of a host"
        ),
        Refusal(
            name: "unquoted unsafe-inline",
            directives: [.defaultSrc(.none), .scriptSrc(.host("unsafe-inline"))],
            reason: .unquotedKeyword,
            message: "script-src: keyword 'unsafe-inline' must be quoted; use .unsafeInline instead of a host"
        ),
        Refusal(
            name: "unquoted NONE",
            directives: [.defaultSrc(.host("NONE"))],
            reason: .unquotedKeyword,
            message: "default-src: keyword 'none' must be quoted; use .none instead of a host"
        ),
        Refusal(
            name: "unquoted hash",
            directives: [.defaultSrc(.host("sha256-abc"))],
            reason: .unquotedKeyword,
            message: "default-src: nonce and hash sources must be quoted"
        ),
        Refusal(
            name: "duplicate directive",
            directives: [.defaultSrc(.none), .imgSrc(.self), .imgSrc(.none)],
            reason: .duplicate,
            message: "duplicate directive img-src; browsers ignore every copy after the first"
        ),
        Refusal(
            name: "none mixed with self",
            directives: [.defaultSrc(.none, .self)],
            reason: .noneMixedWithOtherSources,
            message: "default-src: 'none' cannot be combined with other sources"
        ),
        Refusal(
            name: "missing default-src",
            directives: [.scriptSrc(.self)],
            reason: .missingDefaultSrc,
            message:
                "policy has no default-src, so every resource type it does not list is unrestricted; add .defaultSrc(.none) or pass dangerouslyOmitDefaultSrc"
        ),
        Refusal(
            name: "empty source list",
            directives: [.defaultSrc()],
            reason: .empty,
            message: "default-src has no sources; write .none to allow nothing"
        ),
        Refusal(name: "duplicate source", directives: [.defaultSrc(.self, .self)], reason: .duplicate, message: "default-src: duplicate source"),
        Refusal(
            name: "bad host grammar",
            directives: [.defaultSrc(.host("exa mple"))],
            reason: .invalidCharacter,
            message: "default-src: source contains whitespace"
        ),
        Refusal(
            name: "wildcard in the middle",
            directives: [.defaultSrc(.host("a.*.example"))],
            reason: .invalidSource,
            message: "default-src: not a valid host source"
        ),
        Refusal(
            name: "bad port",
            directives: [.defaultSrc(.host("a.example:99999"))],
            reason: .invalidSource,
            message: "default-src: not a valid host source"
        ),
        Refusal(
            name: "query in a host source",
            directives: [.defaultSrc(.host("https://a.example/x?y"))],
            reason: .invalidSource,
            message: "default-src: not a valid host source"
        ),
        Refusal(name: "bad scheme", directives: [.defaultSrc(.scheme("1http"))], reason: .invalidSource, message: "default-src: not a valid scheme"),
        Refusal(
            name: "hash not Base64",
            directives: [.defaultSrc(.none), .scriptSrc(.sha256(base64: "not*base64"))],
            reason: .invalidSource,
            message: "script-src: sha256 hash is not valid Base64"
        ),
        Refusal(
            name: "hash wrong length",
            directives: [.defaultSrc(.none), .scriptSrc(.sha384(base64: "qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng="))],
            reason: .invalidSource,
            message: "script-src: sha384 hash decodes to 32 bytes, expected 48"
        ),
        Refusal(
            name: "hash in img-src",
            directives: [.defaultSrc(.none), .imgSrc(.sha256(base64: "qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng="))],
            reason: .invalidSource,
            message: "img-src: hashes only apply to script and style directives"
        ),
        Refusal(
            name: "strict-dynamic in style-src",
            directives: [.defaultSrc(.none), .styleSrc(.strictDynamic)],
            reason: .invalidSource,
            message: "style-src: 'strict-dynamic' only applies to script directives"
        ),
        Refusal(
            name: "unsafe-inline in img-src",
            directives: [.defaultSrc(.none), .imgSrc(.unsafeInline)],
            reason: .invalidSource,
            message: "img-src: 'unsafe-inline' only applies to script and style directives"
        ),
        Refusal(
            name: "keyword in frame-ancestors",
            directives: [.defaultSrc(.none), .frameAncestors(.unsafeInline)],
            reason: .invalidSource,
            message: "frame-ancestors accepts only host and scheme sources, 'self' and 'none'"
        ),
        Refusal(
            name: "report-to with a bad name",
            directives: [.defaultSrc(.none), .reportTo("CSP Endpoint")],
            reason: .invalidCharacter,
            message: "report-to: value contains whitespace"
        ),
        Refusal(
            name: "report-to upper case",
            directives: [.defaultSrc(.none), .reportTo("CSP")],
            reason: .invalidValue,
            message: "report-to: endpoint names are lowercase letters, digits, '_', '-', '.' and '*', starting with a letter"
        ),
        Refusal(
            name: "report-uri injection",
            directives: [.defaultSrc(.none), .reportURI("/r; script-src *")],
            reason: .invalidCharacter,
            message: "report-uri: value contains ';'"
        ),
        Refusal(
            name: "report-uri scheme",
            directives: [.defaultSrc(.none), .reportURI("javascript:alert(1)")],
            reason: .invalidValue,
            message: "report-uri: not an absolute http(s) URL or a path starting with '/'"
        ),
        Refusal(
            name: "trusted-types bad name",
            directives: [.defaultSrc(.none), .trustedTypes("a!b")],
            reason: .invalidValue,
            message: "trusted-types: not a valid policy name"
        ),
        Refusal(
            name: "nonce for a missing directive",
            directives: [.defaultSrc(.self)],
            nonceDirectives: [.scriptSrc],
            reason: .missingDirective,
            message: "nonceDirectives names script-src, but the policy has no script-src directive, so the nonce would have no effect"
        ),
        Refusal(
            name: "nonce for a 'none' directive",
            directives: [.defaultSrc(.self), .scriptSrc(.none)],
            nonceDirectives: [.scriptSrc],
            reason: .noneMixedWithOtherSources,
            message: "script-src is 'none', so it cannot also take the nonce; remove it from nonceDirectives"
        ),
        Refusal(
            name: "nonce for img-src",
            directives: [.defaultSrc(.self), .imgSrc(.self)],
            nonceDirectives: [.imgSrc],
            reason: .invalidValue,
            message: "nonceDirectives: img-src does not accept nonces; only script-src*, style-src* and default-src do"
        ),
        Refusal(name: "no directives", directives: [], reason: .empty, message: "policy has no directives"),
    ]

    @Test("invalid policies are refused, naming the directive and the value", arguments: refusals)
    func refused(_ refusal: Refusal) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try ContentSecurityPolicy(refusal.directives, nonceDirectives: refusal.nonceDirectives)
        }
        #expect(error?.setting == "Content-Security-Policy")
        #expect(error?.reason == refusal.reason)
        #expect(error?.message == refusal.message)
    }

    @Test("the error message shows control characters escaped, on one line")
    func errorDescriptionEscapes() {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try ContentSecurityPolicy([.defaultSrc(.host("a.example\r\nSet-Cookie: x=1"))])
        }
        #expect(
            error?.description
                == "Content-Security-Policy: default-src: source contains CR (value: \"a.example\\r\\nSet-Cookie: x=1\", reason: invalidCharacter)"
        )
    }

    @Test("dangerouslyOmitDefaultSrc allows a policy without default-src")
    func omitDefaultSrc() throws {
        let csp = try ContentSecurityPolicy([.frameAncestors(.none)], nonceDirectives: [], dangerouslyOmitDefaultSrc: true)
        #expect(csp.headerValue(nonce: Self.nonce, isSecure: true) == "frame-ancestors 'none'")
    }

    @Test("a policy parsed from header text renders back the same")
    func parsing() throws {
        let text =
            "default-src 'none'; script-src 'self' 'STRICT-DYNAMIC' https:; img-src 'self' data: *.example.com; frame-ancestors 'none'; sandbox allow-forms; upgrade-insecure-requests; report-uri /r"
        let csp = try ContentSecurityPolicy(parsing: text, nonceDirectives: [])
        #expect(
            csp.headerValue(nonce: Self.nonce, isSecure: true)
                == "default-src 'none'; script-src 'self' 'strict-dynamic' https:; img-src 'self' data: *.example.com; frame-ancestors 'none'; sandbox allow-forms; upgrade-insecure-requests; report-uri /r"
        )
    }

    @Test(
        "parsing refuses bad policy text",
        arguments: [
            (
                "default-src 'none', script-src *", SecurityConfigurationError.Reason.invalidCharacter,
                "policy contains ',', which would start a second policy"
            ),
            ("default-src 'none'\r\nX: y", .invalidCharacter, "policy contains CR"),
            ("default-src 'none'; scirpt-src 'self'", .invalidValue, "unknown directive 'scirpt-src'"),
            (
                "default-src 'none'; script-src 'nonce-abc'", .invalidSource,
                "script-src: a fixed nonce defeats the purpose of a nonce; Rampart adds a fresh one per request to the directives in nonceDirectives"
            ),
            ("default-src 'none'; script-src 'unsafe-everything'", .invalidSource, "script-src: unknown quoted keyword 'unsafe-everything'"),
            ("default-src self", .unquotedKeyword, "default-src: keyword 'self' must be quoted; use .self instead of a host"),
            ("default-src 'none'; sandbox allow-everything", .invalidValue, "sandbox: unknown flag"),
            ("default-src 'none'; upgrade-insecure-requests yes", .invalidValue, "upgrade-insecure-requests takes no value"),
            ("default-src 'none'; default-src 'self'", .duplicate, "duplicate directive default-src; browsers ignore every copy after the first"),
        ]
    )
    func parsingRefused(_ text: String, _ reason: SecurityConfigurationError.Reason, _ message: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try ContentSecurityPolicy(parsing: text, nonceDirectives: []) }
        #expect(error?.reason == reason)
        #expect(error?.message == message)
    }

    @Test("setting() replaces a directive in place; removing() drops one")
    func editing() throws {
        let csp = try SecurityHeaders.strictContentSecurityPolicy.setting(.imgSrc(.self, .scheme("data")))
        #expect(csp.description.contains("; img-src 'self' data:; font-src 'self';"))
        let removed = try csp.removing(.upgradeInsecureRequests)
        #expect(!removed.description.contains("upgrade-insecure-requests"))
        #expect(throws: SecurityConfigurationError.self) { try csp.removing(.defaultSrc) }
    }
}

@Suite("CSP nonces")
struct CSPNonceTests {
    @Test("100,000 nonces: no repeats, each 24 Base64 characters decoding to 16 bytes")
    func uniqueAndWellFormed() {
        var seen = Set<String>()
        seen.reserveCapacity(100_000)
        var malformed = 0
        for _ in 0..<100_000 {
            let nonce = CSPNonce()
            seen.insert(nonce.value)
            if nonce.value.utf8.count != 24 || CSPNonce(nonce.value) == nil || !nonce.value.hasSuffix("==") { malformed += 1 }
        }
        #expect(seen.count == 100_000)
        #expect(malformed == 0)
    }

    @Test("a nonce decodes to exactly 16 random bytes")
    func decodesTo16Bytes() throws {
        let nonce = CSPNonce()
        let bytes = try #require(Base64Decoding.decode(nonce.value))
        #expect(bytes.count == 16)
    }

    @Test(
        "wrapping refuses values that are not Base64 of at least 16 bytes",
        arguments: [
            "", "short", "AAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA==\"", "AAAAAAAAAAAAAAAA AAAAAA==", "'AAAAAAAAAAAAAAAAAAAAAA=='",
        ]
    )
    func refusesBadValues(_ value: String) {
        #expect(CSPNonce(value) == nil)
    }
}

/// Decodes standard Base64 independently of the code under test.
enum Base64Decoding {
    static func decode(_ s: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bits: UInt32 = 0
        var count = 0
        var out: [UInt8] = []
        for b in s.utf8 where b != UInt8(ascii: "=") {
            guard let v = alphabet.firstIndex(of: b) else { return nil }
            bits = bits << 6 | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return out
    }
}
