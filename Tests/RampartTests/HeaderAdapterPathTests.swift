import HTTPTypes
import Rampart
import Testing

/// The additive path adapters without `HTTPFields` take (Vapor): which response headers force
/// the full `apply`, and the prepared strings.
@Suite("RenderedSecurityHeaders: the additive path")
struct HeaderAdapterPathTests {
    static let rendered = try! SecurityHeaders.strict.rendered()

    @Test(
        "governs(headerNamed:) names exactly the headers the set writes or removes, in any case",
        arguments: [
            ("Content-Security-Policy", true),
            ("content-security-policy", true),
            ("CONTENT-SECURITY-POLICY-REPORT-ONLY", true),
            ("Strict-Transport-Security", true),
            ("X-Frame-Options", true),
            ("x-content-type-options", true),
            ("Server", true),
            ("X-Powered-By", true),
            ("Content-Type", false),
            ("Content-Length", false),
            ("Set-Cookie", false),
            ("X-Frame-Option", false),
            ("X-Custom", false),
            ("", false),
        ]
    )
    func governs(name: String, expected: Bool) {
        #expect(Self.rendered.governs(headerNamed: name) == expected)
    }

    @Test("the prepared pairs are the fixed fields, in order, and HSTS is the strict value")
    func pairs() {
        let pairs = Self.rendered.fixedNameValuePairs
        #expect(pairs.map(\.name) == Self.rendered.fixedFields.map(\.name.rawName))
        #expect(pairs.map(\.value) == Self.rendered.fixedFields.map(\.value))
        #expect(pairs.first.map { "\($0.name): \($0.value)" } == "X-Content-Type-Options: nosniff")
        #expect(Self.rendered.strictTransportSecurity?.value == "max-age=63072000; includeSubDomains")
    }
}
