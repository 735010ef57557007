import NIOSSL
import Rampart

/// Loads the certificate chain and key for TLS (HummingbirdTLS or Vapor), naming the file
/// that fails; TLS 1.2 at least.
///
/// See [RFC 8446](https://www.rfc-editor.org/rfc/rfc8446).
public func tlsConfiguration(_ files: AppConfiguration.TLSFiles) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    do {
        chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
    } catch {
        throw SecurityConfigurationError(
            setting: "tlsCert",
            value: files.certificatePath,
            reason: .invalidValue,
            message: "cannot read a PEM certificate chain from this file"
        )
    }
    guard !chain.isEmpty else {
        throw SecurityConfigurationError(setting: "tlsCert", value: files.certificatePath, reason: .empty, message: "holds no certificate")
    }
    let key: NIOSSLPrivateKey
    do {
        key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
    } catch {
        throw SecurityConfigurationError(
            setting: "tlsKey",
            value: files.keyPath,
            reason: .invalidValue,
            message: "cannot read a PEM private key from this file"
        )
    }
    var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    return configuration
}
