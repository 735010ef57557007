import ArgumentParser
import Rampart

/// `rampart keys`: makes and rotates the master keys.
///
/// See [OWASP Key Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Key_Management_Cheat_Sheet.html).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate and rotate the master keys (RAMPART_KEYS or the key file).",
        subcommands: [KeysGenerateCommand.self, KeysRotateCommand.self]
    )
}

/// `rampart keys generate`: prints a new key for `RAMPART_KEYS`.
struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print a new 32-byte base64url key for RAMPART_KEYS. Treat the output as a secret."
    )

    func run() {
        // The one place a key is printed: the user asked for it, on their terminal.
        print(SecretKey.generate().exportBase64URL())
    }
}

/// `rampart keys rotate`: puts a new key first in the key file and keeps the old ones.
struct KeysRotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Put a new key first in the key file, keeping the old ones for verifying."
    )

    @Option(name: .customLong("data-dir"), help: "The data directory that holds the key file.")
    var dataDirectory: String = ".rampart"

    /// The key file, as `rampart serve` finds it.
    var keyFilePath: String { DevCertCommand.join(dataDirectory, "keys") }

    /// Rotates the key file and says what happened, without printing any key.
    /// - Throws: ``CLIError`` when `RAMPART_KEYS` is set in `environment`, or the key file is
    ///   unusable.
    func rotate(environment: [String: String]) throws(CLIError) -> String {
        let outcome: KeyRing.RotationOutcome
        do {
            outcome = try KeyRing.rotateKeyFile(at: keyFilePath, environment: environment)
        } catch {
            throw CLIError(error.description)
        }
        let count = outcome.keyCount
        let keys = count == 1 ? "1 key" : "\(count) keys"
        switch outcome {
        case .created:
            return "Created \(keyFilePath) with a new key (mode 0600); the ring has \(keys)."
        case .rotated:
            return "Rotated \(keyFilePath): a new current key first, the older keys kept for verifying (mode 0600); the ring has \(keys). "
                + "Restart the server to sign with the new key, and remove the oldest keys once the sessions and cookies they signed have expired."
        }
    }

    func run() throws {
        print(try rotate(environment: KeyRing.processEnvironment))
    }
}
