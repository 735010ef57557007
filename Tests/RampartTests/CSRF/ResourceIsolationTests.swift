import HTTPTypes
import Rampart
import Testing

@Suite("Fetch-metadata resource isolation and Clear-Site-Data")
struct ResourceIsolationTests {
    static func request(
        _ method: HTTPRequest.Method = .get,
        _ path: String = "/api/comments",
        site: [String] = [],
        mode: [String] = [],
        dest: [String] = []
    ) -> HTTPRequest {
        var fields = HTTPFields()
        for value in site { fields.append(HTTPField(name: HTTPField.Name("Sec-Fetch-Site")!, value: value)) }
        for value in mode { fields.append(HTTPField(name: HTTPField.Name("Sec-Fetch-Mode")!, value: value)) }
        for value in dest { fields.append(HTTPField(name: HTTPField.Name("Sec-Fetch-Dest")!, value: value)) }
        return HTTPRequest(method: method, scheme: "https", authority: "example.com", path: path, headerFields: fields)
    }

    /// Label, request, verdict under the standard policy.
    static let standardCases: [(String, HTTPRequest, ResourceIsolationPolicy.Verdict)] = [
        ("no fetch metadata (curl, old browsers)", request(), .allowed),
        ("no fetch metadata, POST", request(.post), .allowed),
        ("same-origin fetch", request(site: ["same-origin"], mode: ["cors"], dest: ["empty"]), .allowed),
        ("same-origin POST", request(.post, site: ["same-origin"], mode: ["cors"], dest: ["empty"]), .allowed),
        ("typed URL (none)", request(site: ["none"], mode: ["navigate"], dest: ["document"]), .allowed),
        ("case is ignored", request(site: ["Cross-Site"], mode: ["NAVIGATE"], dest: ["Document"]), .allowed),
        ("a link from another site", request(site: ["cross-site"], mode: ["navigate"], dest: ["document"]), .allowed),
        ("same-site fetch (refused by default)", request(site: ["same-site"], mode: ["cors"], dest: ["empty"]), .refused),
        ("cross-site <script src>", request(site: ["cross-site"], mode: ["no-cors"], dest: ["script"]), .refused),
        ("cross-site <img src>", request(site: ["cross-site"], mode: ["no-cors"], dest: ["image"]), .refused),
        ("cross-site fetch()", request(site: ["cross-site"], mode: ["cors"], dest: ["empty"]), .refused),
        ("cross-site <iframe>", request(site: ["cross-site"], mode: ["navigate"], dest: ["iframe"]), .refused),
        ("cross-site <frame>", request(site: ["cross-site"], mode: ["navigate"], dest: ["frame"]), .refused),
        ("cross-site <object>", request(site: ["cross-site"], mode: ["navigate"], dest: ["object"]), .refused),
        ("cross-site <embed>", request(site: ["cross-site"], mode: ["navigate"], dest: ["embed"]), .refused),
        ("cross-site navigation without Sec-Fetch-Dest", request(site: ["cross-site"], mode: ["navigate"]), .refused),
        ("cross-site form POST navigation", request(.post, site: ["cross-site"], mode: ["navigate"], dest: ["document"]), .refused),
        ("cross-site HEAD navigation", request(.head, site: ["cross-site"], mode: ["navigate"], dest: ["document"]), .refused),
        ("cross-site without Sec-Fetch-Mode", request(site: ["cross-site"], dest: ["document"]), .refused),
        ("two Sec-Fetch-Site values", request(site: ["same-origin", "cross-site"]), .refused),
        ("a list in one Sec-Fetch-Site", request(site: ["same-origin, cross-site"]), .refused),
        ("an unknown Sec-Fetch-Site", request(site: ["cross-origin"], mode: ["navigate"], dest: ["document"]), .refused),
        ("an empty Sec-Fetch-Site", request(site: [""]), .refused),
        ("two Sec-Fetch-Mode values", request(site: ["cross-site"], mode: ["navigate", "navigate"], dest: ["document"]), .refused),
        ("two Sec-Fetch-Dest values", request(site: ["cross-site"], mode: ["navigate"], dest: ["document", "iframe"]), .refused),
    ]

    @Test("the standard policy", arguments: standardCases)
    func standard(label: String, request: HTTPRequest, verdict: ResourceIsolationPolicy.Verdict) {
        #expect(ResourceIsolationPolicy.standard.evaluate(request) == verdict, "\(label)")
    }

    @Test("allowSameSite and allowCrossSiteFrames each undo one refusal, by name")
    func options() throws {
        let sameSite = try ResourceIsolationPolicy(allowSameSite: true)
        #expect(sameSite.evaluate(Self.request(site: ["same-site"], mode: ["cors"], dest: ["empty"])) == .allowed)
        #expect(sameSite.evaluate(Self.request(site: ["cross-site"], mode: ["navigate"], dest: ["iframe"])) == .refused)
        let frames = try ResourceIsolationPolicy(allowCrossSiteFrames: true)
        #expect(frames.evaluate(Self.request(site: ["cross-site"], mode: ["navigate"], dest: ["iframe"])) == .allowed)
        #expect(frames.evaluate(Self.request(site: ["cross-site"], mode: ["navigate"], dest: ["object"])) == .refused)
        #expect(frames.evaluate(Self.request(site: ["same-site"], mode: ["cors"], dest: ["empty"])) == .refused)
    }

    /// Exemption, request path, exempt.
    static let exemptionCases: [(ResourceIsolationPolicy.Exemption, String, Bool)] = [
        (.path("/embed.js", reason: "the widget"), "/embed.js", true),
        (.path("/embed.js", reason: "the widget"), "/embed.js?v=3", true),
        (.path("/embed.js", reason: "the widget"), "/embed.jsx", false),
        (.path("/embed.js", reason: "the widget"), "/%65mbed.js", false),
        (.prefix("/public", reason: "assets for embedding"), "/public/logo.png", true),
        (.prefix("/public", reason: "assets for embedding"), "/public", true),
        (.prefix("/public", reason: "assets for embedding"), "/publications/x", false),
        (.prefix("/public", reason: "assets for embedding"), "/api/public", false),
    ]

    @Test("an exempt path is not checked; a lookalike is", arguments: exemptionCases)
    func exemptions(exemption: ResourceIsolationPolicy.Exemption, path: String, exempt: Bool) throws {
        let policy = try ResourceIsolationPolicy(exemptions: [exemption])
        let verdict = policy.evaluate(Self.request(.get, path, site: ["cross-site"], mode: ["no-cors"], dest: ["script"]))
        #expect(verdict == (exempt ? .exempt(reason: exemption.reason) : .refused))
    }

    /// Exemption → the setting's bad value is named. The same rule holds for CSRF exemptions,
    /// resource-isolation exemptions and the HTTPS redirect's exempt paths (one validation).
    static let badExemptions: [(PathExemption, SecurityConfigurationError.Reason)] = [
        (.path("embed.js", reason: "no slash"), .invalidValue),
        (.path("", reason: "empty"), .invalidValue),
        (.path("/a b", reason: "space"), .invalidValue),
        (.path("/a\tb", reason: "tab"), .invalidValue),
        (.path("/a\r\nX: y", reason: "CRLF"), .invalidValue),
        (.path("/a\u{7F}", reason: "DEL"), .invalidValue),
        (.path("/über", reason: "non-ASCII: a request target is ASCII"), .invalidValue),
        (.path("/a?b=1", reason: "query"), .invalidValue),
        (.prefix("/public", reason: ""), .empty),
        (.prefix("/public", reason: "   "), .empty),
        (.prefix("/public", reason: " \t\r\n"), .empty),
    ]

    @Test("a bad exemption refuses to start, naming the setting", arguments: badExemptions)
    func badExemption(exemption: PathExemption, reason: SecurityConfigurationError.Reason) {
        func names(_ setting: String) -> (any Error) -> Bool {
            { error in
                guard let error = error as? SecurityConfigurationError else { return false }
                return error.setting == setting && error.reason == reason && error.value == exemption.path
            }
        }
        #expect(performing: { _ = try ResourceIsolationPolicy(exemptions: [exemption]) }, throws: names("resourceIsolation.exemptions"))
        #expect(performing: { _ = try CSRFConfiguration(exemptions: [exemption]) }, throws: names("csrfExemptions"))
        if reason == .invalidValue {
            #expect(
                performing: { _ = try TransportSecurity.HTTPSPolicy.redirect(exemptPaths: [exemption.path]) },
                throws: names("redirectExemptPaths")
            )
        }
    }

    @Test(
        "good exemptions start",
        arguments: [
            PathExemption.path("/csp-reports", reason: "browsers send reports without cookies"),
            .prefix("/webhooks/", reason: "signed by the provider"),
            .path("/a%20b", reason: "percent-encoded, as it arrives"),
            .prefix("/", reason: "everything (a reviewer will see this)"),
        ]
    )
    func goodExemption(exemption: PathExemption) throws {
        _ = try ResourceIsolationPolicy(exemptions: [exemption])
        _ = try CSRFConfiguration(exemptions: [exemption])
        _ = try TransportSecurity.HTTPSPolicy.redirect(exemptPaths: [exemption.path])
    }

    @Test("the refusal: 403 crossSiteResource")
    func refusal() {
        let refusal = RequestRefusal.crossSiteResource
        #expect(refusal.status == .forbidden)
        #expect(refusal.reason == "crossSiteResource")
        #expect(ResourceIsolationPolicy.varyFieldValue == "Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest")
    }

    @Test("Clear-Site-Data: exact values; empty and repeated lists refused")
    func clearSiteData() throws {
        #expect(ClearSiteData.logout.headerField.name.rawName == "Clear-Site-Data")
        #expect(ClearSiteData.logout.headerField.value == "\"cache\", \"storage\"")
        #expect(ClearSiteData.accountDeletion.headerField.value == "\"cache\", \"cookies\", \"storage\"")
        #expect(try ClearSiteData([.cookies]).headerField.value == "\"cookies\"")
        #expect(try ClearSiteData([.executionContexts, .cache]).headerField.value == "\"executionContexts\", \"cache\"")
        #expect(throws: SecurityConfigurationError.self) { try ClearSiteData([]) }
        #expect(throws: SecurityConfigurationError.self) { try ClearSiteData([.cache, .storage, .cache]) }
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("Clear-Site-Data")!, value: "\"cookies\""))
        ClearSiteData.logout.apply(to: &fields)
        #expect(fields[values: HTTPField.Name("Clear-Site-Data")!] == ["\"cache\", \"storage\""])
    }
}
