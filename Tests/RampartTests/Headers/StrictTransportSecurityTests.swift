import HTTPTypes
import Rampart
import Testing

@Suite("Strict-Transport-Security")
struct StrictTransportSecurityTests {
    @Test("by default: two years with includeSubDomains")
    func byDefault() throws {
        #expect(StrictTransportSecurity.default.headerField.value == "max-age=63072000; includeSubDomains")
        #expect(try StrictTransportSecurity().headerField.value == "max-age=63072000; includeSubDomains")
        #expect(StrictTransportSecurity.default.headerField.name == .strictTransportSecurity)
    }

    @Test("disabled sends max-age=0 to undo HSTS")
    func disabled() {
        #expect(StrictTransportSecurity.disabled.headerField.value == "max-age=0")
    }

    @Test("preload is opt-in and rendered last")
    func preload() throws {
        let hsts = try StrictTransportSecurity(maxAge: 31_536_000, includeSubDomains: true, preload: true)
        #expect(hsts.headerField.value == "max-age=31536000; includeSubDomains; preload")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let maxAge: Int
        let includeSubDomains: Bool
        let preload: Bool
        let reason: SecurityConfigurationError.Reason
        let description: String
        var testDescription: String { description }
    }

    @Test(
        "invalid combinations are refused with the reason",
        arguments: [
            Bad(
                maxAge: 300,
                includeSubDomains: true,
                preload: true,
                reason: .notEligible,
                description:
                    "Strict-Transport-Security: preload needs max-age of at least 31536000 seconds (one year) (value: \"max-age=300; includeSubDomains; preload\", reason: notEligible)"
            ),
            Bad(
                maxAge: 63_072_000,
                includeSubDomains: false,
                preload: true,
                reason: .notEligible,
                description: "Strict-Transport-Security: preload needs includeSubDomains (value: \"max-age=63072000; preload\", reason: notEligible)"
            ),
            Bad(
                maxAge: -1,
                includeSubDomains: true,
                preload: false,
                reason: .invalidValue,
                description:
                    "Strict-Transport-Security: max-age must not be negative (value: \"max-age=-1; includeSubDomains\", reason: invalidValue)"
            ),
        ]
    )
    func refused(_ bad: Bad) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try StrictTransportSecurity(maxAge: bad.maxAge, includeSubDomains: bad.includeSubDomains, preload: bad.preload)
        }
        #expect(error?.reason == bad.reason)
        #expect(error?.setting == "Strict-Transport-Security")
        #expect(error?.description == bad.description)
    }
}
