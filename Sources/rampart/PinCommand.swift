import ArgumentParser
import Crypto
import Rampart
import RampartAudit
import SwiftASN1
import X509

/// `rampart pin FILE.pem`: prints the HPKP `pin-sha256` of each key in a PEM file.
///
/// The file may hold one certificate, a chain of them, a public key (`PUBLIC KEY`), or a private
/// key (whose public half is pinned; nothing private is printed). Each pin is the Base64 of the
/// SHA-256 of the key's DER SubjectPublicKeyInfo (``PublicKeyPins/pin(subjectPublicKeyInfoDER:)``).
///
/// See [RFC 7469 §2.4](https://www.rfc-editor.org/rfc/rfc7469#section-2.4).
struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Print the pin-sha256 of each certificate or key in a PEM file."
    )

    @Argument(help: "A PEM file: a certificate, a chain, a public key or a private key.")
    var file: String

    /// The line printed after the pins.
    static let caveat =
        "Note: browsers no longer enforce HPKP (removed in Chrome 72 and Firefox 72). Prefer Certificate Transparency monitoring, CAA records (RFC 8659) and HSTS."

    /// One pin, with what it was computed from.
    struct Pin: Hashable {
        let value: String
        let source: String

        /// `pin-sha256="…"  # certificate 1: CN=localhost`.
        var line: String { "pin-sha256=\"\(value)\"  # \(source)" }
    }

    /// The pins of every PEM block in the file, in order.
    func pins() throws(CLIError) -> [Pin] {
        let bytes = try CLIFiles.read(file)
        return try Self.pins(inPEM: String(decoding: bytes, as: UTF8.self), file: file)
    }

    /// The pins of every PEM block in a text; errors are one line and name `file`.
    static func pins(inPEM text: String, file: String) throws(CLIError) -> [Pin] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw CLIError("\(file): is not valid PEM (\(oneLine(error)))")
        }
        guard !documents.isEmpty else {
            throw CLIError("\(file): holds no PEM block (-----BEGIN CERTIFICATE----- or -----BEGIN PUBLIC KEY-----)")
        }
        var pins: [Pin] = []
        for (index, document) in documents.enumerated() {
            let number = index + 1
            do {
                switch document.discriminator {
                case "CERTIFICATE":
                    // Parsed in full to validate it; the pin is over the SPKI bytes as they are
                    // in the certificate, which is what a TLS client hashes.
                    let certificate = try Certificate(derEncoded: document.derBytes)
                    let spki = try subjectPublicKeyInfo(certificateDER: document.derBytes)
                    pins.append(Pin(value: PublicKeyPins.pin(subjectPublicKeyInfoDER: spki), source: "certificate \(number): \(certificate.subject)"))
                case "PUBLIC KEY":
                    _ = try Certificate.PublicKey(derEncoded: document.derBytes)
                    pins.append(Pin(value: PublicKeyPins.pin(subjectPublicKeyInfoDER: document.derBytes), source: "public key \(number)"))
                case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
                    let key = try Certificate.PrivateKey(pemDocument: document)
                    pins.append(Pin(value: try pin(of: key.publicKey), source: "public half of private key \(number)"))
                default:
                    throw CLIError("\(file): PEM block \(number) is a \(document.discriminator), not a CERTIFICATE, PUBLIC KEY or PRIVATE KEY")
                }
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("\(file): PEM block \(number) (\(document.discriminator)) cannot be parsed (\(oneLine(error)))")
            }
        }
        return pins
    }

    /// The pin of a public key: the SHA-256 of its DER SubjectPublicKeyInfo, in Base64.
    static func pin(of key: Certificate.PublicKey) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(key)
        return PublicKeyPins.pin(subjectPublicKeyInfoDER: serializer.serializedBytes)
    }

    /// The DER bytes of a certificate's SubjectPublicKeyInfo, exactly as encoded in it.
    ///
    /// ```
    /// Certificate  ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
    /// TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber,
    ///     signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
    /// ```
    /// (RFC 5280 §4.1.)
    static func subjectPublicKeyInfo(certificateDER: [UInt8]) throws -> [UInt8] {
        let root = try DER.parse(certificateDER)
        guard case .constructed(let certificateNodes) = root.content,
            let tbs = certificateNodes.first(where: { _ in true }),
            case .constructed(let tbsNodes) = tbs.content
        else { throw MalformedCertificate(description: "not a certificate") }
        var fields = Array(tbsNodes)
        if fields.first?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
        guard fields.count > 5, fields[5].identifier == .sequence else { throw MalformedCertificate(description: "no SubjectPublicKeyInfo") }
        return Array(fields[5].encodedBytes)
    }

    struct MalformedCertificate: Error, CustomStringConvertible {
        let description: String
    }

    /// An error's text on one line, so a hostile file cannot forge extra output lines.
    static func oneLine(_ error: any Error) -> String {
        String(describing: error).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : String($0) }.joined()
    }

    func run() throws {
        for pin in try pins() {
            print(pin.line)
        }
        print(Self.caveat)
    }
}
