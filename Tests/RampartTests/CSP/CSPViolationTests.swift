import Rampart
import Testing

/// CSP violation reports, read from both formats browsers send.
@Suite("CSP violation reports")
struct CSPViolationTests {
    @Test("a CSP Level 2 report-uri body: one report, the directive's first word")
    func legacy() throws {
        let body =
            #"{"csp-report":{"document-uri":"https://example.com/","violated-directive":"script-src-elem 'self'","blocked-uri":"inline","line-number":12,"source-file":"https://example.com/","script-sample":"alert(1)","disposition":"report"},"extra":"ignored"}"#
        let reports = try #require(CSPViolation.parseReports(Array(body.utf8)))
        #expect(
            reports == [
                CSPViolation(
                    directive: "script-src-elem",
                    blockedURI: "inline",
                    documentURI: "https://example.com/",
                    sourceFile: "https://example.com/",
                    lineNumber: 12,
                    disposition: "report",
                    sample: "alert(1)"
                )
            ]
        )
    }

    @Test("a Reporting API body: csp-violation entries only, defaults filled in")
    func reportingAPI() throws {
        let body = #"""
            [{"type":"csp-violation","age":1,"url":"https://example.com/","body":{"documentURL":"https://example.com/","effectiveDirective":"img-src","blockedURL":"https://evil.example/x.png","lineNumber":"7","statusCode":200}},
             {"type":"deprecation","body":{"id":"x"}},
             42,
             {"type":"csp-violation","body":{"violatedDirective":"style-src-elem","blockedURL":"inline","disposition":"enforce"}}]
            """#
        let reports = try #require(CSPViolation.parseReports(Array(body.utf8)))
        #expect(
            reports == [
                CSPViolation(directive: "img-src", blockedURI: "https://evil.example/x.png", documentURI: "https://example.com/", lineNumber: 7),
                CSPViolation(directive: "style-src-elem", blockedURI: "inline", documentURI: ""),
            ]
        )
    }

    @Test(
        "not a report: nil",
        arguments: [
            "", "{}", "[]", "null", #"{"csp-report":{}}"#, #"{"csp-report":"x"}"#, #"[{"type":"deprecation","body":{}}]"#,
            #"[{"type":"csp-violation","body":{"blockedURL":"x"}}]"#, "not json",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ]
    )
    func notReports(_ body: String) {
        #expect(CSPViolation.parseReports(Array(body.utf8)) == nil)
    }

    @Test("at most 100 reports per body, each text cut to 512 bytes")
    func limits() throws {
        let entry = #"{"type":"csp-violation","body":{"effectiveDirective":"\#(String(repeating: "d", count: 600))","blockedURL":"x"}}"#
        let reports = try #require(CSPViolation.parseReports(Array(("[" + Array(repeating: entry, count: 150).joined(separator: ",") + "]").utf8)))
        #expect(reports.count == 100)
        #expect(reports[0].directive.utf8.count == 512)
    }
}
