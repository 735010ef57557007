import HTTPTypes
import Rampart
import Testing

@Suite("Client address behind trusted proxies")
struct ClientAddressTests {
    static let proxies = try! TrustedProxies(["10.0.0.0/8", "::1/128"])

    @Test(
        "X-Forwarded-For is read from the right, believing only trusted hops",
        arguments: [
            // peer, X-Forwarded-For values, expected client
            ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  // untrusted peer: header ignored
            ("10.0.0.1", [String](), "10.0.0.1"),  // trusted peer, no header
            ("10.0.0.1", ["198.51.100.1"], "198.51.100.1"),
            ("10.0.0.1", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),  // a spoofed left entry is ignored
            ("10.0.0.1", ["1.2.3.4, 198.51.100.1, 10.0.0.7"], "198.51.100.1"),  // two proxy hops
            ("10.0.0.1", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),  // repeated header lines
            ("10.0.0.1", ["1.2.3.4, garbage"], "10.0.0.1"),  // malformed: stop at the last trusted hop
            ("::1", ["2001:db8::5"], "2001:db8::5"),
        ]
    )
    func resolution(_ peer: String, _ forwarded: [String], _ expected: String) {
        var fields = HTTPFields()
        for value in forwarded { fields.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: value)) }
        #expect(Self.proxies.clientAddress(peer: IPAddress(peer), fields: fields) == IPAddress(expected))
    }

    @Test("no peer and no trust gives no address")
    func none() {
        #expect(TrustedProxies.none.clientAddress(peer: nil, fields: [:]) == nil)
    }
}
