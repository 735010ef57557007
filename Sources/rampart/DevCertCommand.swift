import ArgumentParser
import Crypto
import SwiftASN1
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `rampart dev-cert`: writes a self-signed certificate and private key for local HTTPS.
///
/// The certificate is for `localhost`, `127.0.0.1` and `::1` (subject alternative names of DNS
/// and IP type), with a P-256 key from swift-crypto, valid for 90 days. It is an end-entity
/// certificate (not a CA), for server authentication only, so a browser that is told to trust
/// it cannot be tricked into trusting anything else it might sign.
///
/// See [RFC 5280 §4.2.1.6](https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6) (subject
/// alternative names) and [MDN: Secure contexts](https://developer.mozilla.org/en-US/docs/Web/Security/Secure_Contexts).
struct DevCertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-cert",
        abstract: "Write a self-signed certificate and key for https://localhost (development only)."
    )

    @Option(name: .long, help: "The folder to write localhost-cert.pem and localhost-key.pem to.")
    var out: String = ".rampart"

    @Flag(name: .long, help: "Replace existing certificate and key files.")
    var force = false

    /// The certificate file name inside `--out`.
    static let certificateFileName = "localhost-cert.pem"
    /// The private key file name inside `--out`.
    static let keyFileName = "localhost-key.pem"
    /// How long the certificate is valid: 90 days.
    static let validity: Duration = .seconds(90 * 24 * 60 * 60)

    /// What ``write(now:)`` produced.
    struct Output {
        let certificatePath: String
        let keyPath: String
        let certificate: Certificate
    }

    var certificatePath: String { Self.join(out, Self.certificateFileName) }
    var keyPath: String { Self.join(out, Self.keyFileName) }

    /// Makes the key and certificate and writes them: the key with mode 0600, the certificate
    /// with 0644. Existing files are refused unless `--force`.
    func write(now: Date = Date()) throws -> Output {
        if !force {
            for path in [certificatePath, keyPath] where CLIFiles.exists(path) {
                throw CLIError("\(path): already exists; pass --force to replace it")
            }
        }
        let privateKey = P256.Signing.PrivateKey()
        let certificate = try Self.makeCertificate(privateKey: privateKey, now: now)
        let certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        try CLIFiles.makeDirectory(out)
        // The key first: a certificate without its key is useless, the reverse is harmless.
        try CLIFiles.write(keyPath, contents: privateKey.pemRepresentation + "\n", mode: 0o600, overwrite: force)
        try CLIFiles.write(certificatePath, contents: certificatePEM, mode: 0o644, overwrite: force)
        return Output(certificatePath: certificatePath, keyPath: keyPath, certificate: certificate)
    }

    /// A self-signed end-entity certificate for localhost, 127.0.0.1 and ::1.
    static func makeCertificate(privateKey: P256.Signing.PrivateKey, now: Date) throws -> Certificate {
        let key = Certificate.PrivateKey(privateKey)
        let name = try DistinguishedName {
            OrganizationName("Rampart development")
            CommonName("localhost")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectKeyIdentifier(hash: key.publicKey)
            SubjectAlternativeNames([
                .dnsName("localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ])
        }
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            // An hour of slack for clocks that run a little behind.
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(Double(validity.components.seconds)),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: key
        )
    }

    func run() throws {
        let output = try write()
        let pin = try PinCommand.pin(of: output.certificate.publicKey)
        print(
            """
            Wrote a self-signed certificate for localhost, 127.0.0.1 and ::1, valid for 90 days:
              certificate: \(output.certificatePath)
              private key: \(output.keyPath) (mode 0600; keep it out of version control)
              pin-sha256="\(pin)"
            Use them for local HTTPS only, for example:
              rampart serve --tls-cert \(output.certificatePath) --tls-key \(output.keyPath)
              curl --cacert \(output.certificatePath) https://localhost:5000/
            Browsers will warn until you trust the certificate; never trust it on another machine.
            """
        )
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.utf8.last == UInt8(ascii: "/") ? folder + name : folder + "/" + name
    }
}
