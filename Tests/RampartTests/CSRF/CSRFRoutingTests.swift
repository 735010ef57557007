import HTTPTypes
import Rampart
import Testing

@Suite("CSRF exemptions and one-time routes: paths compared as bytes")
struct CSRFRoutingTests {
    /// Exemption, request path → exempt.
    static let exemptionCases: [(CSRFConfiguration.Exemption, String, Bool)] = [
        (.path("/webhooks/stripe", reason: "signed"), "/webhooks/stripe", true),
        (.path("/webhooks/stripe", reason: "signed"), "//webhooks//stripe/", true),
        (.path("/webhooks/stripe", reason: "signed"), "/webhooks/stripe/x", false),
        (.path("/webhooks/stripe", reason: "signed"), "/Webhooks/stripe", false),
        (.path("/webhooks/stripe", reason: "signed"), "/webhooks/%73tripe", false),
        (.prefix("/webhooks", reason: "signed"), "/webhooks/github", true),
        (.prefix("/webhooks", reason: "signed"), "/webhooks-admin/x", false),
        // Canonically equivalent, different bytes: the router sees another path.
        (.path("/caf\u{E9}", reason: "test"), "/cafe\u{301}", false),
        (.path("/cafe\u{301}", reason: "test"), "/caf\u{E9}", false),
        // A combining mark after `/` must not hide the segment boundary (as a Character split would).
        (.prefix("/webhooks", reason: "signed"), "/webhooks/\u{301}x", true),
        (.path("/webhooks", reason: "signed"), "/webhooks/\u{301}x", false),
    ]

    @Test("an exemption matches its path segment by segment, byte for byte", arguments: exemptionCases)
    func exemptions(exemption: CSRFConfiguration.Exemption, path: String, exempt: Bool) {
        #expect(exemption.matches(path[...]) == exempt)
    }

    /// Route, method, request path → matched (one-time token required).
    static let oneTimeCases: [(HTTPRequest.Method, String, Bool)] = [
        (.post, "/profile/export", true),
        (.post, "/Profile/EXPORT", true),
        (.post, "//profile//export/", true),
        (.post, "/%70rofile/export", true),
        (.post, "/profile/%45xport", true),
        (.post, "/profile/export%", false),
        (.post, "/profile/exports", false),
        (.get, "/profile/export", false),
        (.post, "/profile/e\u{301}xport", false),
    ]

    @Test("a one-time route matches however its path is spelled (case, %-escapes, empty segments)", arguments: oneTimeCases)
    func oneTimeRoutes(method: HTTPRequest.Method, path: String, matched: Bool) {
        let route = CSRFConfiguration.OneTimeRoute(.post, "/profile/export", action: "export")
        #expect(route.matches(method: method, path: path[...]) == matched)
    }

    /// `X-CSRF-Token` values → the token read, or the failure.
    static let headerCases: [([String], Result<String, CSRFError>?)] = [
        ([], nil),
        (["abc"], .success("abc")),
        (["abc", "def"], .failure(.badToken)),
    ]

    @Test("the header token: none, one, or several (refused)", arguments: headerCases)
    func headerToken(values: [String], expected: Result<String, CSRFError>?) {
        var fields = HTTPFields()
        for value in values { fields.append(HTTPField(name: CSRFConfiguration.headerName, value: value)) }
        #expect(CSRFConfiguration.headerToken(in: fields) == expected)
    }

    @Test(
        "the form token: none, one, or several (refused)",
        arguments: [
            ("a=1", Result<String?, CSRFError>.success(nil)),
            ("_csrf=abc&a=1", .success("abc")),
            ("_csrf=abc&_csrf=def", .failure(.badToken)),
            ("_csrf=a%2Bb+c", .success("a+b c")),
        ]
    )
    func formToken(body: String, expected: Result<String?, CSRFError>) {
        #expect(CSRFConfiguration.formToken(in: Array(body.utf8)) == expected)
    }
}
