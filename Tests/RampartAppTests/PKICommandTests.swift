import ArgumentParser
import Crypto
import Foundation
import Rampart
import RampartAudit
import SwiftASN1
import Testing
import X509

@testable import rampart

/// A fresh folder under the system's temporary folder, removed by `cleanUp()`.
private struct PKITemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/rampart-pki-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }
}

@Suite("rampart PKI commands")
struct PKICommandTests {
    @Test("the new subcommands are registered on the root command")
    func registered() throws {
        #expect(try RampartCommand.parseAsRoot(["dev-cert", "--out", "x"]) is DevCertCommand)
        #expect(try RampartCommand.parseAsRoot(["pin", "cert.pem"]) is PinCommand)
        #expect(try RampartCommand.parseAsRoot(["keys", "generate"]) is KeysGenerateCommand)
        #expect(try RampartCommand.parseAsRoot(["keys", "rotate", "--data-dir", "d"]) is KeysRotateCommand)
        #expect(try RampartCommand.parseAsRoot(["check", "--host", "0.0.0.0"]) is CheckCommand)
        #expect(try RampartCommand.parseAsRoot([]) is Serve)
    }

    // MARK: dev-cert and pin

    @Test("dev-cert writes a localhost certificate and a 0600 key, and pin matches the key")
    func devCertThenPin() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let out = folder.path + "/certs"
        let command = try DevCertCommand.parse(["--out", out])
        let now = Date()
        let output = try command.write(now: now)
        #expect(output.certificatePath == out + "/localhost-cert.pem")
        #expect(output.keyPath == out + "/localhost-key.pem")
        #expect(try PKITemporaryFolder.mode(output.keyPath) == 0o600)
        #expect(try PKITemporaryFolder.mode(output.certificatePath) == 0o644)

        // The certificate on disk: self-signed by the key on disk, for localhost, ~90 days.
        let certificate = try Certificate(pemEncoded: try PKITemporaryFolder.text(output.certificatePath))
        let privateKey = try P256.Signing.PrivateKey(pemRepresentation: try PKITemporaryFolder.text(output.keyPath))
        #expect(certificate.publicKey == Certificate.PublicKey(privateKey.publicKey))
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(
            Array(names) == [
                .dnsName("localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ]
        )
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
        let lifetime = certificate.notValidAfter.timeIntervalSince(now)
        #expect(abs(lifetime - 90 * 24 * 3600) < 2)
        #expect(certificate.notValidBefore < now)

        // pin: the certificate, the private key and the public key give the same pin, which is
        // the SHA-256 of the key's SubjectPublicKeyInfo.
        let expected = PublicKeyPins.pin(subjectPublicKeyInfoDER: privateKey.publicKey.derRepresentation)
        let fromCertificate = try PinCommand.parse([output.certificatePath]).pins()
        #expect(fromCertificate.map(\.value) == [expected])
        #expect(fromCertificate[0].line == "pin-sha256=\"\(expected)\"  # certificate 1: CN=localhost,O=Rampart development")
        #expect(try PinCommand.parse([output.keyPath]).pins().map(\.value) == [expected])
        let publicKeyPath = folder.path + "/public.pem"
        try privateKey.publicKey.pemRepresentation.write(toFile: publicKeyPath, atomically: true, encoding: .utf8)
        let fromPublicKey = try PinCommand.parse([publicKeyPath]).pins()
        #expect(fromPublicKey.map(\.line) == ["pin-sha256=\"\(expected)\"  # public key 1"])
        #expect(PublicKeyPins.isSHA256Pin(expected))
    }

    @Test("dev-cert refuses to overwrite without --force")
    func devCertOverwrite() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let first = try DevCertCommand.parse(["--out", folder.path]).write()
        let firstKey = try PKITemporaryFolder.text(first.keyPath)
        let error = #expect(throws: CLIError.self) { try DevCertCommand.parse(["--out", folder.path]).write() }
        #expect(error?.description == "\(folder.path)/localhost-cert.pem: already exists; pass --force to replace it")
        #expect(try PKITemporaryFolder.text(first.keyPath) == firstKey)

        // A key file alone also blocks, and --force replaces both, keeping the key at 0600.
        try FileManager.default.removeItem(atPath: first.certificatePath)
        let keyOnly = #expect(throws: CLIError.self) { try DevCertCommand.parse(["--out", folder.path]).write() }
        #expect(keyOnly?.description == "\(folder.path)/localhost-key.pem: already exists; pass --force to replace it")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: first.keyPath)
        let second = try DevCertCommand.parse(["--out", folder.path, "--force"]).write()
        #expect(try PKITemporaryFolder.text(second.keyPath) != firstKey)
        #expect(try PKITemporaryFolder.mode(second.keyPath) == 0o600)
    }

    @Test("pin prints one pin per certificate of a chain")
    func chain() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let a = try DevCertCommand.parse(["--out", folder.path + "/a"]).write()
        let b = try DevCertCommand.parse(["--out", folder.path + "/b"]).write()
        let chainPath = folder.path + "/chain.pem"
        try (PKITemporaryFolder.text(a.certificatePath) + PKITemporaryFolder.text(b.certificatePath)).write(
            toFile: chainPath,
            atomically: true,
            encoding: .utf8
        )
        let pins = try PinCommand.parse([chainPath]).pins()
        #expect(pins.map(\.value) == [try PinCommand.pin(of: a.certificate.publicKey), try PinCommand.pin(of: b.certificate.publicKey)])
        #expect(pins.map(\.source) == ["certificate 1: CN=localhost,O=Rampart development", "certificate 2: CN=localhost,O=Rampart development"])
        #expect(Set(pins.map(\.value)).count == 2)
    }

    @Test("the pin of a certificate is over its SPKI bytes, and equals openssl's for ISRG Root X2")
    func knownCertificate() throws {
        // ISRG Root X2 (Let's Encrypt's ECDSA root); openssl gives pin-sha256 diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=.
        let pem = """
            -----BEGIN CERTIFICATE-----
            MIICGzCCAaGgAwIBAgIQQdKd0XLq7qeAwSxs6S+HUjAKBggqhkjOPQQDAzBPMQsw
            CQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJuZXQgU2VjdXJpdHkgUmVzZWFyY2gg
            R3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBYMjAeFw0yMDA5MDQwMDAwMDBaFw00
            MDA5MTcxNjAwMDBaME8xCzAJBgNVBAYTAlVTMSkwJwYDVQQKEyBJbnRlcm5ldCBT
            ZWN1cml0eSBSZXNlYXJjaCBHcm91cDEVMBMGA1UEAxMMSVNSRyBSb290IFgyMHYw
            EAYHKoZIzj0CAQYFK4EEACIDYgAEzZvVn4CDCuwJSvMWSj5cz3es3mcFDR0HttwW
            +1qLFNvicWDEukWVEYmO6gbf9yoWHKS5xcUy4APgHoIYOIvXRdgKam7mAHf7AlF9
            ItgKbppbd9/w+kHsOdx1ymgHDB/qo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0T
            AQH/BAUwAwEB/zAdBgNVHQ4EFgQUfEKWrt5LSDv6kviejM9ti6lyN5UwCgYIKoZI
            zj0EAwMDaAAwZQIwe3lORlCEwkSHRhtFcP9Ymd70/aTSVaYgLXTWNLxBo1BfASdW
            tL4ndQavEi51mI38AjEAi/V3bNTIZargCyzuFJ0nN6T5U6VR5CmD1/iQMVtCnwr1
            /q4AaOeMSQ+2b1tbFfLn
            -----END CERTIFICATE-----
            """
        let pins = try PinCommand.pins(inPEM: pem, file: "isrg-root-x2.pem")
        #expect(
            pins.map(\.line) == [
                "pin-sha256=\"diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=\"  # certificate 1: CN=ISRG Root X2,O=Internet Security Research Group,C=US"
            ]
        )
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        let name: String
        let contents: String
        let message: String
        var testDescription: String { name }
    }

    @Test(
        "bad files give a one-line error naming the file",
        arguments: [
            BadFile(
                name: "not PEM",
                contents: "hello\n",
                message: "bad.pem: holds no PEM block (-----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY-----)"
            ),
            BadFile(
                name: "a CSR",
                contents: "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n",
                message: "bad.pem: PEM block 1 is a CERTIFICATE REQUEST, not a CERTIFICATE, PUBLIC KEY or PRIVATE KEY"
            ),
            BadFile(
                name: "a certificate that is not DER",
                contents: "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
                message: "bad.pem: PEM block 1 (CERTIFICATE) cannot be parsed"
            ),
            BadFile(
                name: "a public key that is not DER",
                contents: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                message: "bad.pem: PEM block 1 (PUBLIC KEY) cannot be parsed"
            ),
            BadFile(
                name: "broken base64",
                contents: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                message: "bad.pem: is not valid PEM"
            ),
        ]
    )
    func badFile(_ bad: BadFile) throws {
        let error = #expect(throws: CLIError.self) { try PinCommand.pins(inPEM: bad.contents, file: "bad.pem") }
        let description = try #require(error?.description)
        #expect(description.hasPrefix(bad.message))
        #expect(!description.contains("\n"))
    }

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.path + "/nope.pem"
        let error = #expect(throws: CLIError.self) { try PinCommand.parse([path]).pins() }
        #expect(error?.description == "\(path): cannot be opened (No such file or directory)")
    }

    // MARK: keys

    @Test("keys rotate twice: three keys, the newest first, the file still 0600")
    func rotateTwice() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let keyFile = folder.path + "/keys"
        // The first run of `rampart serve` creates the key file with one key.
        let (original, source) = try KeyRing.load(environment: [:], keyFile: keyFile)
        #expect(source == .createdFile(path: keyFile))

        let rotate = try KeysRotateCommand.parse(["--data-dir", folder.path])
        let first = try rotate.rotate(environment: [:])
        #expect(
            first
                == "Rotated \(keyFile): a new current key first, the older keys kept for verifying (mode 0600); the ring has 2 keys. Restart the server to sign with the new key, and remove the oldest keys once the sessions and cookies they signed have expired."
        )
        let afterFirst = try KeyRing.load(environment: [:], keyFile: keyFile).ring
        let second = try rotate.rotate(environment: ["OTHER": "x"])
        #expect(second.contains("the ring has 3 keys."))

        let (ring, loadedFrom) = try KeyRing.load(environment: [:], keyFile: keyFile)
        #expect(loadedFrom == .existingFile(path: keyFile))
        #expect(ring.all.count == 3)
        #expect(ring.previous == [afterFirst.current, original.current])
        #expect(ring.current != afterFirst.current && ring.current != original.current)
        #expect(try PKITemporaryFolder.mode(keyFile) == 0o600)
        // Only the key file is left: no temporary file behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["keys"])
        // The messages never hold a key.
        for key in ring.all {
            #expect(!first.contains(key.exportBase64URL()) && !second.contains(key.exportBase64URL()))
        }
    }

    @Test("keys rotate creates a missing key file with one key")
    func rotateCreates() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let message = try KeysRotateCommand.parse(["--data-dir", folder.path + "/data"]).rotate(environment: [:])
        #expect(message == "Created \(folder.path)/data/keys with a new key (mode 0600); the ring has 1 key.")
        #expect(try PKITemporaryFolder.mode(folder.path + "/data/keys") == 0o600)
    }

    @Test("keys rotate refuses when RAMPART_KEYS is set")
    func rotateRefusesEnvironment() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let key = SecretKey.generate().exportBase64URL()
        let error = #expect(throws: CLIError.self) {
            try KeysRotateCommand.parse(["--data-dir", folder.path]).rotate(environment: ["RAMPART_KEYS": key])
        }
        #expect(
            error?.description
                == "RAMPART_KEYS: is set, so the key file is not used; rotate the environment instead: put a new key (rampart keys generate) first in RAMPART_KEYS, keep the old ones after it, and restart every instance"
        )
        #expect(error?.description.contains(key) == false)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/keys"))
    }

    @Test("keys rotate refuses a key file readable by others, without changing it")
    func rotateRefusesOpenFile() throws {
        let folder = try PKITemporaryFolder()
        defer { folder.cleanUp() }
        let keyFile = folder.path + "/keys"
        _ = try KeyRing.load(environment: [:], keyFile: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        let before = try PKITemporaryFolder.text(keyFile)
        let error = #expect(throws: CLIError.self) { try KeysRotateCommand.parse(["--data-dir", folder.path]).rotate(environment: [:]) }
        #expect(error?.description == "\(keyFile): is readable or writable by group or others; run chmod 600 on it")
        #expect(try PKITemporaryFolder.text(keyFile) == before)
    }

    @Test("a generated key is accepted by RAMPART_KEYS parsing")
    func generatedKey() throws {
        let key = SecretKey.generate().exportBase64URL()
        #expect(key.utf8.count == 43)
        #expect(try KeyRing(parsing: key).all.count == 1)
    }

    // MARK: check

    struct CheckCase: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        var environment: [String: String] = [:]
        let ids: [String]
        var testDescription: String { name }
    }

    @Test(
        "check: finding ids for good and bad configurations",
        arguments: [
            CheckCase(name: "defaults", arguments: ["--data-dir", "/var/lib/rampart"], ids: []),
            CheckCase(
                name: "public with TLS and RAMPART_KEYS",
                arguments: [
                    "--host", "0.0.0.0", "-p", "443", "--allowed-host", "example.com", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--data-dir",
                    "/tmp/r",
                ],
                environment: ["RAMPART_KEYS": "set", "RAMPART_ADMIN": "owner"],
                ids: []
            ),
            CheckCase(
                name: "public without an admin",
                arguments: [
                    "--host", "0.0.0.0", "-p", "443", "--allowed-host", "example.com", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--data-dir",
                    "/tmp/r",
                ],
                environment: ["RAMPART_KEYS": "set"],
                ids: ["admin.unset"]
            ),
            CheckCase(
                name: "behind a proxy",
                arguments: [
                    "--hostname", "10.0.0.5", "--allowed-host", "example.com", "--trusted-proxy", "10.0.0.1", "--data-dir", "/var/lib/rampart",
                ],
                environment: ["RAMPART_ADMIN": "owner"],
                ids: ["transport.tls-at-proxy"]
            ),
            CheckCase(
                name: "public plain HTTP",
                arguments: ["--host", "0.0.0.0", "--allowed-host", "example.com", "--data-dir", "/var/lib/rampart"],
                environment: ["RAMPART_ADMIN": "owner"],
                ids: ["transport.plain-http"]
            ),
            CheckCase(
                name: "serve would refuse: no allowed host",
                arguments: ["--host", "0.0.0.0", "--data-dir", "/var/lib/rampart"],
                ids: ["config.invalid", "transport.plain-http", "admin.unset"]
            ),
            CheckCase(
                name: "trust-all proxy",
                arguments: ["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::/0", "--data-dir", "/var/lib/rampart"],
                ids: ["proxy.trust-all"]
            ),
            CheckCase(
                name: "a bad proxy range",
                arguments: ["--trusted-proxy", "10.0.0.1/8", "--data-dir", "/var/lib/rampart"],
                ids: ["config.invalid", "proxy.invalid"]
            ),
            CheckCase(
                name: "RAMPART_* variables, as serve reads them",
                arguments: [],
                environment: [
                    "RAMPART_HOST": "0.0.0.0", "RAMPART_ALLOWED_HOSTS": "example.com", "RAMPART_TRUSTED_PROXIES": "0.0.0.0/0",
                    "RAMPART_DATA_DIR": "/var/lib/rampart",
                ],
                ids: ["proxy.trust-all", "transport.plain-http", "admin.unset"]
            ),
            CheckCase(name: "key file under /tmp", arguments: ["--data-dir", "/tmp/rampart-check"], ids: ["keys.temporary-filesystem"]),
            CheckCase(name: "key file on /dev/shm", arguments: ["--data-dir", "/dev/shm/rampart-check"], ids: ["keys.temporary-filesystem"]),
            CheckCase(
                name: "HSTS preload without includeSubDomains",
                arguments: ["--hsts", "max-age=63072000; preload", "--data-dir", "/var/lib/rampart"],
                ids: ["hsts.preload-without-subdomains"]
            ),
            CheckCase(
                name: "CSP unsafe-inline",
                arguments: ["--csp", "default-src 'self'; script-src 'self' 'unsafe-inline'", "--data-dir", "/var/lib/rampart"],
                ids: ["csp.unsafe-inline-script"]
            ),
            CheckCase(
                name: "PostgreSQL off loopback without TLS, and no shared keys",
                arguments: ["--database", "postgres://rampart:pw@db.internal/board?sslmode=disable", "--data-dir", "/var/lib/rampart"],
                ids: ["database.plain-connection", "keys.not-shared"]
            ),
            CheckCase(
                name: "PostgreSQL with TLS and RAMPART_KEYS",
                arguments: ["--database", "postgres://rampart:pw@db.internal/board", "--data-dir", "/var/lib/rampart"],
                environment: ["RAMPART_KEYS": "set"],
                ids: []
            ),
            CheckCase(
                name: "PostgreSQL on loopback without TLS is fine",
                arguments: ["--database", "postgres://rampart:pw@127.0.0.1/board", "--data-dir", "/var/lib/rampart"],
                environment: ["RAMPART_KEYS": "set"],
                ids: []
            ),
            CheckCase(
                name: "a TLS key without its certificate",
                arguments: ["--tls-key", "k.pem", "--data-dir", "/var/lib/rampart"],
                ids: ["config.invalid", "tls.incomplete"]
            ),
            CheckCase(
                name: "all at once",
                arguments: [
                    "--host", "0.0.0.0", "--trusted-proxy", "0.0.0.0/0", "--data-dir", "/tmp/x", "--tls-key", "k.pem",
                    "--hsts", "max-age=63072000; preload", "--csp", "default-src 'self' 'unsafe-inline'",
                ],
                ids: [
                    "config.invalid", "proxy.trust-all", "tls.incomplete", "transport.plain-http", "keys.temporary-filesystem",
                    "hsts.preload-without-subdomains",
                    "csp.unsafe-inline-script", "csp.unsafe-inline-style", "admin.unset",
                ]
            ),
        ]
    )
    func check(_ c: CheckCase) throws {
        let command = try CheckCommand.parse(c.arguments)
        #expect(command.findings(environment: c.environment).map(\.id) == c.ids)
    }

    @Test("check: the report, one line per finding with its severity, then a summary")
    func report() throws {
        let good = try CheckCommand.parse([
            "--host", "0.0.0.0", "--allowed-host", "example.com", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--data-dir", "/var/lib/rampart",
        ])
        #expect(CheckCommand.report(good.findings(environment: ["RAMPART_ADMIN": "owner"])) == ["rampart check: no issues found."])

        let bad = try CheckCommand.parse([
            "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/tmp/rampart-check", "--hsts", "max-age=63072000; preload",
        ])
        #expect(
            CheckCommand.report(bad.findings(environment: [:])) == [
                "error config.invalid: rampart serve would refuse to start: allowedHosts: listening on a non-loopback address needs at least one allowed host (--allowed-host example.com) (value: \"0.0.0.0\", reason: empty)",
                "error transport.plain-http: plain HTTP on 0.0.0.0:8080, a non-loopback address, with no TLS certificate (--tls-cert, --tls-key) and no trusted proxy (--trusted-proxy) to terminate TLS; passwords and session cookies would cross the network in clear text",
                "warning keys.temporary-filesystem: RAMPART_KEYS is not set and the key file /tmp/rampart-check/keys is on a temporary file system: a reboot loses the keys and logs everyone out; set RAMPART_KEYS or use a persistent --data-dir",
                "error hsts.preload-without-subdomains: Strict-Transport-Security \"max-age=63072000; preload\": preload needs includeSubDomains, or the preload list refuses the domain",
                "warning admin.unset: no admin is set: set RAMPART_ADMIN=username or run `rampart admin grant USER` (off loopback the first account does not become admin)",
                "rampart check: 3 errors, 2 warnings, 0 info.",
            ]
        )
    }

    @Test("check exits non-zero on errors only")
    func exitCode() throws {
        // run() reads the process environment; a RAMPART_* variable set where the tests run could
        // only add findings to the first, and flags win over variables for the second.
        let failing = try CheckCommand.parse(["--host", "0.0.0.0", "--data-dir", "/var/lib/rampart"])
        let error = #expect(throws: ExitCode.self) { try failing.run() }
        #expect(error == .failure)
        let passing = try CheckCommand.parse([
            "--hostname", "10.0.0.5", "--allowed-host", "example.com", "--trusted-proxy", "10.0.0.1", "--data-dir", "/var/lib/rampart",
        ])
        #expect(throws: Never.self) { try passing.run() }
    }
}
