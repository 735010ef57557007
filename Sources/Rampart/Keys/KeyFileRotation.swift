#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension KeyRing {
    /// What ``rotateKeyFile(at:environment:)`` did.
    public enum RotationOutcome: Hashable, Sendable {
        /// The file did not exist; it was created with one new key.
        case created(keyCount: Int)
        /// A new key was put first; the older keys follow it.
        case rotated(keyCount: Int)

        /// How many keys the ring has now.
        public var keyCount: Int {
            switch self {
            case .created(let count), .rotated(let count): count
            }
        }
    }

    /// Puts a new key first in the key file and keeps the older keys after it, so that values
    /// signed or sealed with them still verify. A running server picks the new key up when it
    /// restarts.
    ///
    /// The file is replaced atomically: the new contents go to a temporary file with mode 0600
    /// in the same folder, which is flushed and renamed over the old one. A missing file is
    /// created with one new key, as the first run of a server would.
    ///
    /// - Parameters:
    ///   - path: The key file, usually `<data dir>/keys`.
    ///   - environment: Checked for `RAMPART_KEYS`.
    /// - Returns: Whether the file was created or rotated, and how many keys it holds now.
    /// - Throws: ``KeyError`` when `RAMPART_KEYS` is set (the key file is not in use, so the
    ///   environment must be rotated instead), or the file is unreadable, readable by group or
    ///   others, holds a bad key, or cannot be written. The keys themselves are never in the error.
    ///
    /// See [OWASP Key Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Key_Management_Cheat_Sheet.html).
    @discardableResult
    public static func rotateKeyFile(at path: String, environment: [String: String]) throws(KeyError) -> RotationOutcome {
        if let value = environment[environmentVariable], !value.isEmpty {
            throw KeyError(
                setting: environmentVariable,
                message:
                    "is set, so the key file is not used; rotate the environment instead: put a new key (rampart keys generate) first in \(environmentVariable), keep the old ones after it, and restart every instance"
            )
        }
        let newKey = SecretKey.generate()
        guard let text = try KeyFile.read(path) else {
            try KeyFile.create(path, contents: newKey.exportBase64URL() + "\n")
            guard let written = try KeyFile.read(path) else {
                throw KeyError(setting: path, message: "was created but cannot be read back")
            }
            return .created(keyCount: try KeyRing(parsing: written, source: path).all.count)
        }
        let ring = try KeyRing(parsing: text, source: path)
        let rotated = try KeyRing(current: newKey, previous: ring.all)
        try KeyFile.replace(path, contents: rotated.all.map { $0.exportBase64URL() }.joined(separator: "\n") + "\n")
        return .rotated(keyCount: rotated.all.count)
    }
}

extension KeyFile {
    /// Replaces a file atomically with new contents, mode 0600: write a new temporary file next
    /// to it, flush it, rename it over the old one, and flush the folder.
    static func replace(_ path: String, contents: String) throws(KeyError) {
        let temporary = path + ".tmp-" + Base64.encode(SecureRandom.bytes(9), urlSafe: true)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KeyError(setting: path, message: "its temporary file cannot be created (errno \(errno))")
        }
        do throws(KeyError) {
            defer { close(fd) }
            // The umask can only remove bits; make the mode exact anyway.
            guard fchmod(fd, 0o600) == 0 else {
                throw KeyError(setting: path, message: "its temporary file cannot be made private (errno \(errno))")
            }
            if let failure = POSIXFile.writeAll(fd, Array(contents.utf8)) {
                throw KeyError(setting: path, message: "its temporary file cannot be written (errno \(failure))")
            }
            guard fsync(fd) == 0 else {
                throw KeyError(setting: path, message: "its temporary file cannot be flushed to disk (errno \(errno))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw KeyError(setting: path, message: "cannot be replaced (errno \(code))")
        }
        let folder: String
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            folder = slash == path.utf8.startIndex ? "/" : String(path[..<slash])
        } else {
            folder = "."
        }
        let folderFD = open(folder, O_RDONLY | O_CLOEXEC)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }
}
