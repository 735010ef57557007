import Rampart
import Testing

@Suite("IP addresses and CIDR ranges")
struct IPAddressTests {
    @Test(
        "valid addresses parse to their canonical text",
        arguments: [
            ("127.0.0.1", "127.0.0.1"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("::1", "::1"),
            ("::", "::"),
            ("[::1]", "::1"),
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            ("2001:db8::", "2001:db8::"),
            ("fe80::1:2", "fe80::1:2"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("::ffff:10.0.0.1", "10.0.0.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ]
    )
    func parses(_ text: String, _ canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
    }

    @Test(
        "malformed addresses are refused",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
            ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "[127.0.0.1]", "g::1", "1:2:3:4:5:6:7:", "[::1",
        ]
    )
    func refuses(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "CIDR membership",
        arguments: [
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "::a01:203", false),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::1/128", "::1", true),
            ("::/0", "10.0.0.1", true),
        ]
    )
    func contains(_ cidr: String, _ address: String, _ expected: Bool) throws {
        let network = try IPNetwork(cidr)
        #expect(network.contains(try #require(IPAddress(address))) == expected)
    }

    @Test(
        "bad CIDR ranges are refused naming the setting",
        arguments: [
            ("10.0.0.0/33", "trustedProxies: prefix length must be 0 to 32 (value: \"10.0.0.0/33\", reason: invalidValue)"),
            (
                "10.0.0.1/8",
                "trustedProxies: host bits are set below the prefix; did you mean 10.0.0.0/8? (value: \"10.0.0.1/8\", reason: invalidValue)"
            ),
            ("10.0.0.0/", "trustedProxies: prefix length must be 0 to 32 (value: \"10.0.0.0/\", reason: invalidValue)"),
            ("localhost", "trustedProxies: not an IP address or CIDR range (value: \"localhost\", reason: invalidValue)"),
            ("::1/129", "trustedProxies: prefix length must be 0 to 128 (value: \"::1/129\", reason: invalidValue)"),
        ]
    )
    func refusedRanges(_ cidr: String, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try TrustedProxies([cidr]) }
        #expect(error?.description == description)
    }

    @Test(
        "loopback hosts: localhost, 127.0.0.0/8 and ::1 (bracketed or not); nothing else",
        arguments: [
            ("localhost", true), ("LOCALHOST", true), ("127.0.0.1", true), ("127.9.8.7", true), ("::1", true), ("[::1]", true),
            ("128.0.0.1", false), ("0.0.0.0", false), ("::", false), ("db.internal", false), ("localhost.example", false), ("[127.0.0.1]", false),
        ]
    )
    func loopbackHosts(_ host: String, _ loopback: Bool) {
        #expect(IPAddress.isLoopback(host: host) == loopback)
    }
}
