@testable import Rampart
import Testing

@Suite("DeploymentCheck")
struct DeploymentCheckTests {
    @Test("by default: serve's defaults with Rampart's strict headers have no findings")
    func byDefault() {
        #expect(DeploymentCheck.run(DeploymentSettings()) == [])
        #expect(DeploymentSettings.defaultStrictTransportSecurity == "max-age=63072000; includeSubDomains")
        #expect(DeploymentSettings.defaultContentSecurityPolicy == "default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let settings: DeploymentSettings
        let ids: [String]
        var testDescription: String { name }
    }

    @Test("findings by id", arguments: [
        // Transport.
        Case(name: "loopback plain HTTP is fine", settings: DeploymentSettings(hostname: "localhost"), ids: []),
        Case(name: "::1 plain HTTP is fine", settings: DeploymentSettings(hostname: "::1"), ids: []),
        Case(name: "public plain HTTP", settings: DeploymentSettings(hostname: "0.0.0.0"), ids: ["transport.plain-http"]),
        Case(name: "public plain HTTP on ::", settings: DeploymentSettings(hostname: "::"), ids: ["transport.plain-http"]),
        Case(name: "TLS certificate and key", settings: DeploymentSettings(hostname: "0.0.0.0", tlsCertificatePath: "c.pem", tlsKeyPath: "k.pem"), ids: []),
        Case(name: "certificate without key", settings: DeploymentSettings(hostname: "0.0.0.0", tlsCertificatePath: "c.pem"),
             ids: ["tls.incomplete", "transport.plain-http"]),
        Case(name: "key without certificate on loopback", settings: DeploymentSettings(tlsKeyPath: "k.pem"), ids: ["tls.incomplete"]),
        Case(name: "behind a trusted proxy", settings: DeploymentSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.1"]), ids: ["transport.tls-at-proxy"]),
        Case(name: "behind a proxy, not redirecting", settings: DeploymentSettings(hostname: "10.0.0.5", trustedProxies: ["10.0.0.0/24"], allowsInsecureHTTP: true),
             ids: ["transport.tls-at-proxy", "transport.insecure-http-allowed"]),
        Case(name: "port out of range", settings: DeploymentSettings(port: 70000), ids: ["server.invalid-port"]),
        // Proxies.
        Case(name: "trust every IPv4 proxy", settings: DeploymentSettings(hostname: "0.0.0.0", trustedProxies: ["0.0.0.0/0"]),
             ids: ["proxy.trust-all", "transport.plain-http"]),
        Case(name: "trust every IPv6 proxy", settings: DeploymentSettings(trustedProxies: ["::/0"]), ids: ["proxy.trust-all"]),
        Case(name: "::/1 holds every IPv4-mapped address", settings: DeploymentSettings(trustedProxies: ["::/1"]), ids: ["proxy.trust-all"]),
        Case(name: "a broad IPv4 range", settings: DeploymentSettings(trustedProxies: ["64.0.0.0/2"]), ids: ["proxy.broad-range"]),
        Case(name: "a broad IPv6 range", settings: DeploymentSettings(trustedProxies: ["2000::/3"]), ids: ["proxy.broad-range"]),
        Case(name: "a bad range", settings: DeploymentSettings(trustedProxies: ["10.0.0.1/8"]), ids: ["proxy.invalid"]),
        // Keys.
        Case(name: "key file under /tmp", settings: DeploymentSettings(keyFilePath: "/tmp/rampart/keys"), ids: ["keys.temporary-filesystem"]),
        Case(name: "key file on tmpfs", settings: DeploymentSettings(keyFilePath: "/run/rampart/keys", keyFileIsOnTemporaryFilesystem: true),
             ids: ["keys.temporary-filesystem"]),
        Case(name: "RAMPART_KEYS makes the key file irrelevant", settings: DeploymentSettings(keysFromEnvironment: true, keyFilePath: "/tmp/rampart/keys"), ids: []),
        Case(name: "/tmpfoo is not /tmp", settings: DeploymentSettings(keyFilePath: "/tmpfoo/keys"), ids: []),
        // HSTS.
        Case(name: "preload without includeSubDomains", settings: DeploymentSettings(strictTransportSecurity: "max-age=63072000; preload"),
             ids: ["hsts.preload-without-subdomains"]),
        Case(name: "preload with a short max-age", settings: DeploymentSettings(strictTransportSecurity: "max-age=86400; includeSubDomains; preload"),
             ids: ["hsts.preload-max-age", "hsts.short-max-age"]),
        Case(name: "preload, case-insensitive, quoted max-age", settings: DeploymentSettings(strictTransportSecurity: "Max-Age=\"63072000\"; PRELOAD"),
             ids: ["hsts.preload-without-subdomains"]),
        Case(name: "full preload value", settings: DeploymentSettings(strictTransportSecurity: "max-age=63072000; includeSubDomains; preload"), ids: []),
        Case(name: "max-age=0", settings: DeploymentSettings(strictTransportSecurity: "max-age=0"), ids: ["hsts.disabled"]),
        Case(name: "short max-age", settings: DeploymentSettings(strictTransportSecurity: "max-age=300"), ids: ["hsts.short-max-age"]),
        Case(name: "no max-age", settings: DeploymentSettings(strictTransportSecurity: "includeSubDomains"), ids: ["hsts.invalid"]),
        Case(name: "max-age twice", settings: DeploymentSettings(strictTransportSecurity: "max-age=1; max-age=63072000"), ids: ["hsts.invalid"]),
        Case(name: "negative max-age", settings: DeploymentSettings(strictTransportSecurity: "max-age=-1"), ids: ["hsts.invalid"]),
        Case(name: "CRLF in HSTS", settings: DeploymentSettings(strictTransportSecurity: "max-age=63072000\r\nX: y"), ids: ["hsts.invalid"]),
        // CSP.
        Case(name: "unsafe-inline scripts", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'self'; script-src 'self' 'unsafe-inline'"),
             ids: ["csp.unsafe-inline-script"]),
        Case(name: "unsafe-inline through default-src", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'self' 'UNSAFE-INLINE'"),
             ids: ["csp.unsafe-inline-script", "csp.unsafe-inline-style"]),
        Case(name: "unsafe-inline with a nonce is the CSP1 fallback", settings: DeploymentSettings(contentSecurityPolicy: "script-src 'nonce-abc' 'unsafe-inline'; style-src 'sha256-abc' 'unsafe-inline'"),
             ids: []),
        Case(name: "unsafe-inline with strict-dynamic", settings: DeploymentSettings(contentSecurityPolicy: "script-src 'strict-dynamic' 'unsafe-inline' https:"), ids: []),
        Case(name: "unsafe-inline styles", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'none'; style-src 'self' 'unsafe-inline'"),
             ids: ["csp.unsafe-inline-style"]),
        Case(name: "unsafe-inline event handlers", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'none'; script-src 'self'; script-src-attr 'unsafe-inline'"),
             ids: ["csp.unsafe-inline-script"]),
        Case(name: "script-src overrides default-src", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'unsafe-inline'; script-src 'self'; style-src 'self'"),
             ids: []),
        Case(name: "only the first of a repeated directive counts", settings: DeploymentSettings(contentSecurityPolicy: "script-src 'self'; script-src 'unsafe-inline'"),
             ids: []),
        Case(name: "unsafe-eval", settings: DeploymentSettings(contentSecurityPolicy: "script-src 'self' 'unsafe-eval'"), ids: ["csp.unsafe-eval"]),
        Case(name: "empty CSP", settings: DeploymentSettings(contentSecurityPolicy: " ; "), ids: ["csp.empty"]),
        Case(name: "CSP with a newline", settings: DeploymentSettings(contentSecurityPolicy: "default-src 'self'\nscript-src *"), ids: ["csp.invalid"]),
        // Several at once, in rule order.
        Case(name: "everything wrong", settings: DeploymentSettings(
            hostname: "0.0.0.0", trustedProxies: ["::/0"], keyFilePath: "/tmp/k/keys",
            strictTransportSecurity: "max-age=63072000; preload", contentSecurityPolicy: "default-src * 'unsafe-inline' 'unsafe-eval'"),
             ids: ["proxy.trust-all", "transport.plain-http", "keys.temporary-filesystem", "hsts.preload-without-subdomains",
                   "csp.unsafe-inline-script", "csp.unsafe-inline-style", "csp.unsafe-eval"]),
    ])
    func findings(_ c: Case) {
        #expect(DeploymentCheck.run(c.settings).map(\.id) == c.ids)
    }

    @Test("severities")
    func severities() {
        let findings = DeploymentCheck.run(DeploymentSettings(
            hostname: "10.0.0.5", trustedProxies: ["10.0.0.1"], keyFilePath: "/tmp/k/keys", strictTransportSecurity: "max-age=63072000; preload"))
        #expect(findings.map(\.severity) == [.info, .warning, .error])
        #expect(DeploymentCheck.hasErrors(findings))
        #expect(!DeploymentCheck.hasErrors(Array(findings.prefix(2))))
    }

    @Test("exact messages")
    func messages() {
        let findings = DeploymentCheck.run(DeploymentSettings(
            hostname: "0.0.0.0", port: 8080, trustedProxies: ["0.0.0.0/0"], keyFilePath: "/tmp/k/keys",
            strictTransportSecurity: "max-age=63072000; preload", contentSecurityPolicy: "script-src 'unsafe-inline'"))
        #expect(findings.map(\.description) == [
            "error proxy.trust-all: trusted proxy 0.0.0.0/0 covers every IPv4 address, so any client can send X-Forwarded-Proto: https; list only your proxies' addresses",
            "error transport.plain-http: plain HTTP on 0.0.0.0:8080, a non-loopback address, with no TLS certificate (--tls-cert, --tls-key) and no trusted proxy (--trusted-proxy) to terminate TLS; passwords and session cookies would cross the network in clear text",
            "warning keys.temporary-filesystem: RAMPART_KEYS is not set and the key file /tmp/k/keys is on a temporary file system: a reboot loses the keys and logs everyone out; set RAMPART_KEYS or use a persistent --data-dir",
            "error hsts.preload-without-subdomains: Strict-Transport-Security \"max-age=63072000; preload\": preload needs includeSubDomains, or the preload list refuses the domain",
            "error csp.unsafe-inline-script: Content-Security-Policy script-src allows 'unsafe-inline' without a nonce or hash: any injected script runs; use nonces (Rampart's default)",
        ])
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

    @Test("trust-all messages name who gets in", arguments: [
        ("0.0.0.0/0", "every IPv4 address"),
        ("::/0", "every IPv6 address and every IPv4 peer (as IPv4-mapped addresses)"),
        ("::/1", "every IPv4 peer (as IPv4-mapped addresses)"),
    ])
    func trustAllMessage(_ range: String, _ who: String) {
        let findings = DeploymentCheck.run(DeploymentSettings(trustedProxies: [range]))
        #expect(findings.map(\.description) == [
            "error proxy.trust-all: trusted proxy \(range) covers \(who), so any client can send X-Forwarded-Proto: https; list only your proxies' addresses",
        ])
    }

    @Test("a finding's description escapes control characters")
    func escapedDescription() {
        let finding = DeploymentFinding(severity: .error, id: "hsts.invalid", message: "a\r\nb")
        #expect(finding.description == "error hsts.invalid: a\\r\\nb")
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
}
