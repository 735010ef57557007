import Rampart
import RampartAudit
import Testing

@testable import RampartApp

/// Settings with an admin named and a persistent data directory, so that each case shows only
/// the rule it is about.
private func appSettings(
    hostname: String = "127.0.0.1",
    port: Int = 5000,
    trustedProxies: [String] = [],
    allowInsecureHTTP: Bool = false,
    dataDirectory: String = "/var/lib/rampart",
    database: String? = nil,
    tlsCertificatePath: String? = nil,
    tlsKeyPath: String? = nil,
    environment: [String: String] = ["RAMPART_ADMIN": "owner"]
) -> AppConfiguration.Settings {
    AppConfiguration.Settings(
        hostname: hostname,
        port: port,
        trustedProxies: trustedProxies,
        allowInsecureHTTP: allowInsecureHTTP,
        dataDirectory: dataDirectory,
        database: database,
        tlsCertificatePath: tlsCertificatePath,
        tlsKeyPath: tlsKeyPath,
        environment: environment
    )
}

/// The reference app's deployment rules (server, TLS, proxies, key file, database, admin), on
/// what its configuration is built from. The header rules are tested in RampartAuditTests.
@Suite("DeploymentCheck: the app's rules")
struct DeploymentCheckAppTests {
    @Test("by default: serve's defaults with the app's own headers have no findings")
    func byDefault() throws {
        #expect(DeploymentCheck.run(appSettings(environment: [:]), keyFileIsOnTemporaryFilesystem: false) == [])
        // The settings build the configuration serve would run with.
        let configuration = try AppConfiguration(appSettings(environment: [:]))
        #expect(configuration.keyFilePath == appSettings().keyFilePath)
        #expect(DeploymentCheck.checkHeaders(configuration.headers) == [])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let settings: AppConfiguration.Settings
        var temporaryFilesystem = false
        let ids: [String]
        var testDescription: String { name }
    }

    @Test(
        "findings by id",
        arguments: [
            // Transport.
            Case(name: "loopback plain HTTP is fine", settings: appSettings(hostname: "localhost"), ids: []),
            Case(name: "::1 plain HTTP is fine", settings: appSettings(hostname: "::1"), ids: []),
            Case(name: "public plain HTTP", settings: appSettings(hostname: "0.0.0.0"), ids: ["transport.plain-http"]),
            Case(name: "public plain HTTP on ::", settings: appSettings(hostname: "::"), ids: ["transport.plain-http"]),
            Case(
                name: "TLS certificate and key",
                settings: appSettings(hostname: "0.0.0.0", tlsCertificatePath: "c.pem", tlsKeyPath: "k.pem"),
                ids: []
            ),
            Case(
                name: "certificate without key",
                settings: appSettings(hostname: "0.0.0.0", tlsCertificatePath: "c.pem"),
                ids: ["tls.incomplete", "transport.plain-http"]
            ),
            Case(name: "key without certificate on loopback", settings: appSettings(tlsKeyPath: "k.pem"), ids: ["tls.incomplete"]),
            Case(
                name: "behind a trusted proxy",
                settings: appSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.1"]),
                ids: ["transport.tls-at-proxy"]
            ),
            Case(
                name: "behind a proxy, not redirecting",
                settings: appSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.0/24"], allowInsecureHTTP: true),
                ids: ["transport.tls-at-proxy", "transport.insecure-http-allowed"]
            ),
            Case(name: "port out of range", settings: appSettings(port: 70000), ids: ["server.invalid-port"]),
            // Proxies.
            Case(
                name: "trust every IPv4 proxy",
                settings: appSettings(hostname: "0.0.0.0", trustedProxies: ["0.0.0.0/0"]),
                ids: ["proxy.trust-all", "transport.plain-http"]
            ),
            Case(name: "trust every IPv6 proxy", settings: appSettings(trustedProxies: ["::/0"]), ids: ["proxy.trust-all"]),
            Case(name: "::/1 holds every IPv4-mapped address", settings: appSettings(trustedProxies: ["::/1"]), ids: ["proxy.trust-all"]),
            Case(name: "a broad IPv4 range", settings: appSettings(trustedProxies: ["64.0.0.0/2"]), ids: ["proxy.broad-range"]),
            Case(name: "a broad IPv6 range", settings: appSettings(trustedProxies: ["2000::/3"]), ids: ["proxy.broad-range"]),
            Case(name: "a bad range", settings: appSettings(trustedProxies: ["10.0.0.1/8"]), ids: ["proxy.invalid"]),
            // Keys.
            Case(name: "key file under /tmp", settings: appSettings(dataDirectory: "/tmp/rampart"), ids: ["keys.temporary-filesystem"]),
            Case(
                name: "key file on tmpfs",
                settings: appSettings(dataDirectory: "/run/rampart"),
                temporaryFilesystem: true,
                ids: ["keys.temporary-filesystem"]
            ),
            Case(
                name: "RAMPART_KEYS makes the key file irrelevant",
                settings: appSettings(dataDirectory: "/tmp/rampart", environment: ["RAMPART_KEYS": "set", "RAMPART_ADMIN": "owner"]),
                ids: []
            ),
            Case(name: "/tmpfoo is not /tmp", settings: appSettings(dataDirectory: "/tmpfoo"), ids: []),
            // Database.
            Case(
                name: "PostgreSQL off loopback without TLS, and no shared keys",
                settings: appSettings(database: "postgres://rampart:pw@db.internal/board?sslmode=disable"),
                ids: ["database.plain-connection", "keys.not-shared"]
            ),
            Case(
                name: "PostgreSQL with TLS and RAMPART_KEYS",
                settings: appSettings(database: "postgresql://rampart:pw@db.internal/board", environment: ["RAMPART_KEYS": "set"]),
                ids: []
            ),
            Case(
                name: "PostgreSQL on loopback without TLS is fine",
                settings: appSettings(database: "postgres://rampart:pw@127.0.0.1/board?sslmode=disable", environment: ["RAMPART_KEYS": "set"]),
                ids: []
            ),
            Case(name: "a SQLite file is not shared", settings: appSettings(database: "/var/lib/rampart/board.sqlite"), ids: []),
            // Admin.
            Case(
                name: "off loopback without RAMPART_ADMIN",
                settings: appSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.1"], environment: [:]),
                ids: ["transport.tls-at-proxy", "admin.unset"]
            ),
            Case(name: "on loopback, the first account is the admin", settings: appSettings(environment: [:]), ids: []),
            // Several at once, in rule order.
            Case(
                name: "everything wrong",
                settings: appSettings(hostname: "0.0.0.0", trustedProxies: ["::/0"], dataDirectory: "/tmp/k", environment: [:]),
                ids: ["proxy.trust-all", "transport.plain-http", "keys.temporary-filesystem", "admin.unset"]
            ),
        ]
    )
    func findings(_ c: Case) {
        #expect(DeploymentCheck.run(c.settings, keyFileIsOnTemporaryFilesystem: c.temporaryFilesystem).map(\.id) == c.ids)
    }

    @Test("the header rules run on the values given, between the keys and the admin")
    func headerValues() {
        let findings = DeploymentCheck.run(
            appSettings(hostname: "0.0.0.0", dataDirectory: "/tmp/k", environment: [:]),
            strictTransportSecurity: "max-age=63072000; preload",
            contentSecurityPolicy: "default-src * 'unsafe-inline' 'unsafe-eval'",
            keyFileIsOnTemporaryFilesystem: false
        )
        #expect(
            findings.map(\.id) == [
                "transport.plain-http", "keys.temporary-filesystem", "hsts.preload-without-subdomains",
                "csp.unsafe-inline-script", "csp.unsafe-inline-style", "csp.unsafe-eval", "admin.unset",
            ]
        )
    }

    @Test("severities")
    func severities() {
        let findings = DeploymentCheck.run(
            appSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.1"], dataDirectory: "/tmp/k"),
            strictTransportSecurity: "max-age=63072000; preload",
            keyFileIsOnTemporaryFilesystem: false
        )
        #expect(findings.map(\.severity) == [.info, .warning, .error])
        #expect(DeploymentCheck.hasErrors(findings))
        #expect(!DeploymentCheck.hasErrors(Array(findings.prefix(2))))
    }

    @Test("exact messages")
    func messages() {
        let findings = DeploymentCheck.run(
            appSettings(hostname: "0.0.0.0", port: 8080, trustedProxies: ["0.0.0.0/0"], dataDirectory: "/tmp/k", environment: [:]),
            strictTransportSecurity: "max-age=63072000; preload",
            contentSecurityPolicy: "script-src 'unsafe-inline'",
            keyFileIsOnTemporaryFilesystem: false
        )
        #expect(
            findings.map(\.description) == [
                "error proxy.trust-all: trusted proxy 0.0.0.0/0 covers every IPv4 address, so any client can send X-Forwarded-Proto: https; list only your proxies' addresses",
                "error transport.plain-http: plain HTTP on 0.0.0.0:8080, a non-loopback address, with no TLS certificate (--tls-cert, --tls-key) and no trusted proxy (--trusted-proxy) to terminate TLS; passwords and session cookies would cross the network in clear text",
                "warning keys.temporary-filesystem: RAMPART_KEYS is not set and the key file /tmp/k/keys is on a temporary file system: a reboot loses the keys and logs everyone out; set RAMPART_KEYS or use a persistent --data-dir",
                "error hsts.preload-without-subdomains: Strict-Transport-Security \"max-age=63072000; preload\": preload needs includeSubDomains, or the preload list refuses the domain",
                "error csp.unsafe-inline-script: Content-Security-Policy script-src allows 'unsafe-inline' without a nonce or hash: any injected script runs; use nonces (Rampart's default)",
                "warning admin.unset: no admin is set: set RAMPART_ADMIN=username or run `rampart admin grant USER` (off loopback the first account does not become admin)",
            ]
        )
        #expect(
            DeploymentCheck.run(appSettings(database: "postgres://u:pw@db.internal/x?sslmode=disable", environment: ["RAMPART_KEYS": "set"])).map(
                \.description
            ) == [
                "error database.plain-connection: PostgreSQL at db.internal is reached without TLS (sslmode=disable): credentials and session data cross the network in clear text; remove sslmode=disable"
            ]
        )
    }

    @Test(
        "trust-all messages name who gets in",
        arguments: [
            ("0.0.0.0/0", "every IPv4 address"),
            ("::/0", "every IPv6 address and every IPv4 peer (as IPv4-mapped addresses)"),
            ("::/1", "every IPv4 peer (as IPv4-mapped addresses)"),
        ]
    )
    func trustAllMessage(_ range: String, _ who: String) {
        #expect(
            DeploymentCheck.checkServer(appSettings(trustedProxies: [range])).map(\.description) == [
                "error proxy.trust-all: trusted proxy \(range) covers \(who), so any client can send X-Forwarded-Proto: https; list only your proxies' addresses"
            ]
        )
    }

    @Test("the mount table decides by the longest mount point containing the path")
    func mountTable() {
        let mounts = """
            /dev/vda / ext4 rw,relatime 0 0
            tmpfs /run tmpfs rw,nosuid 0 0
            /dev/vdb /run/data ext4 rw 0 0
            tmpfs /srv/my\\040app tmpfs rw 0 0
            none /mnt/ram ramfs rw 0 0
            """
        #expect(DeploymentCheck.isMemoryBacked(resolvedPath: "/run/rampart/keys", mounts: mounts))
        #expect(DeploymentCheck.isMemoryBacked(resolvedPath: "/run", mounts: mounts))
        #expect(!DeploymentCheck.isMemoryBacked(resolvedPath: "/run/data/keys", mounts: mounts))
        #expect(!DeploymentCheck.isMemoryBacked(resolvedPath: "/running/keys", mounts: mounts))
        #expect(DeploymentCheck.isMemoryBacked(resolvedPath: "/srv/my app/keys", mounts: mounts))
        #expect(DeploymentCheck.isMemoryBacked(resolvedPath: "/mnt/ram/keys", mounts: mounts))
        #expect(!DeploymentCheck.isMemoryBacked(resolvedPath: "/var/lib/rampart/keys", mounts: mounts))
        // A later mount over the same point wins.
        #expect(!DeploymentCheck.isMemoryBacked(resolvedPath: "/run/x", mounts: mounts + "\n/dev/vdc /run xfs rw 0 0"))
    }

    @Test("temporary file systems: /tmp by name, /dev/shm by statfs, the working folder by neither")
    func temporaryFilesystem() {
        #expect(DeploymentCheck.isOnTemporaryFilesystem("/tmp/does-not-exist/keys"))
        #expect(DeploymentCheck.isOnTemporaryFilesystem("/var/tmp/x/keys"))
        #expect(!DeploymentCheck.isOnTemporaryFilesystem("/etc/rampart/keys"))
        #if os(Linux)
        // /dev/shm is tmpfs; a missing file is judged by its nearest existing folder.
        #expect(DeploymentCheck.isMemoryBacked("/dev/shm/no/such/folder/keys"))
        #expect(!DeploymentCheck.isMemoryBacked("/etc/rampart/keys"))
        #endif
    }

    @Test(
        "settings build the configuration; a TLS file without its pair is refused, naming the missing one",
        arguments: [
            (nil, "k.pem", "tlsCert: a TLS private key needs its certificate chain (value: \"k.pem\", reason: empty)"),
            ("c.pem", nil, "tlsKey: a TLS certificate chain needs its private key (value: \"c.pem\", reason: empty)"),
        ] as [(String?, String?, String)]
    )
    func incompleteTLS(_ certificate: String?, _ key: String?, _ message: String) throws {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try AppConfiguration(appSettings(tlsCertificatePath: certificate, tlsKeyPath: key))
        }
        #expect(error?.description == message)
        let both = try AppConfiguration(appSettings(tlsCertificatePath: "c.pem", tlsKeyPath: "k.pem"))
        #expect(both.tls == .init(certificatePath: "c.pem", keyPath: "k.pem"))
    }
}
