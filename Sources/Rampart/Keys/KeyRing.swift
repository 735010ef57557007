import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The master keys: one current key that signs and seals, and older keys still accepted when
/// verifying, so keys can be rotated without logging everyone out.
///
/// Keys are loaded, in this order, from:
/// 1. `RAMPART_KEYS`: base64url keys separated by commas, the first one current;
/// 2. a key file (`.rampart/keys` by default), created with mode 0600 on first run.
///
/// To rotate, put a new key first and keep the old one after it; remove the old one once every
/// cookie it made has expired.
///
/// See [OWASP Key Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Key_Management_Cheat_Sheet.html).
public struct KeyRing: Sendable {
    /// The key that signs and seals new values.
    public let current: SecretKey
    /// Older keys, accepted when verifying only.
    public let previous: [SecretKey]

    /// The environment variable the keys are read from.
    public static let environmentVariable = "RAMPART_KEYS"

    /// Creates a ring from keys in memory.
    /// - Throws: ``KeyError`` when two keys are the same.
    public init(current: SecretKey, previous: [SecretKey] = []) throws(KeyError) {
        let all = [current] + previous
        for (index, key) in all.enumerated() where all[..<index].contains(where: { $0.id == key.id }) {
            throw KeyError(setting: "key \(index + 1)", message: "the same key is listed twice")
        }
        self.current = current
        self.previous = previous
    }

    /// Every key, current first.
    public var all: [SecretKey] { [current] + previous }

    /// The key with this id, if the ring has it.
    public func key(id: some StringProtocol) -> SecretKey? {
        all.first { $0.id.utf8.elementsEqual(id.utf8) }
    }

    /// Parses `RAMPART_KEYS` syntax: base64url keys separated by commas (or newlines), first current.
    /// - Parameters:
    ///   - text: The keys, as in `RAMPART_KEYS`.
    ///   - source: Named in errors, with the 1-based entry number; the key is never printed.
    public init(parsing text: String, source: String = KeyRing.environmentVariable) throws(KeyError) {
        var keys: [SecretKey] = []
        // Split on bytes: "\r\n" is one Character, neither "\n" nor "\r".
        let entries = text.utf8.split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
            .map { HeaderGrammar.trimOWS(Substring($0)) }
            .filter { !$0.isEmpty }
        guard !entries.isEmpty else {
            throw KeyError(setting: source, message: "holds no key")
        }
        for (index, entry) in entries.enumerated() {
            let setting = "\(source) entry \(index + 1)"
            guard
                entry.utf8.allSatisfy({
                    HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                        || $0 == UInt8(ascii: "=")
                }),
                let bytes = Base64.decode(entry)
            else {
                throw KeyError(setting: setting, message: "is not base64url text")
            }
            do {
                keys.append(try SecretKey(bytes: bytes))
            } catch {
                throw KeyError(setting: setting, message: error.message)
            }
        }
        for (index, key) in keys.enumerated() where keys[..<index].contains(where: { $0.id == key.id }) {
            throw KeyError(setting: "\(source) entry \(index + 1)", message: "the same key is listed twice")
        }
        self.current = keys[0]
        self.previous = Array(keys.dropFirst())
    }

    /// Where loaded keys came from.
    public enum Source: Hashable, Sendable {
        case environment
        case existingFile(path: String)
        case createdFile(path: String)
    }

    /// Loads the keys from `RAMPART_KEYS` if it is set, else from `keyFile`, creating that file
    /// with one new key and mode 0600 if it does not exist.
    ///
    /// - Throws: ``KeyError`` for a bad key, a key file readable by group or others, or a file
    ///   that cannot be read or created.
    public static func load(environment: [String: String], keyFile: String) throws(KeyError) -> (ring: KeyRing, source: Source) {
        if let value = environment[environmentVariable], !value.isEmpty {
            return (try KeyRing(parsing: value, source: environmentVariable), .environment)
        }
        if let text = try KeyFile.read(keyFile) {
            return (try KeyRing(parsing: text, source: keyFile), .existingFile(path: keyFile))
        }
        let key = SecretKey.generate()
        try KeyFile.create(keyFile, contents: key.exportBase64URL() + "\n")
        // Read back what is on disk, so a concurrent first run that won the race is honoured.
        guard let text = try KeyFile.read(keyFile) else {
            throw KeyError(setting: keyFile, message: "was created but cannot be read back")
        }
        return (try KeyRing(parsing: text, source: keyFile), .createdFile(path: keyFile))
    }

    /// The process environment, read without Foundation.
    public static var processEnvironment: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                result[String(text[..<equals])] = String(text[text.utf8.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

/// Key-file access with POSIX calls: created exclusively with mode 0600, refused when group or
/// others may read it.
enum KeyFile {
    static func read(_ path: String) throws(KeyError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw KeyError(setting: path, message: "cannot be opened (errno \(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw KeyError(setting: path, message: "cannot be inspected (errno \(errno))")
        }
        if info.st_mode & 0o077 != 0 {
            throw KeyError(setting: path, message: "is readable or writable by group or others; run chmod 600 on it")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc_read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw KeyError(setting: path, message: "cannot be read (errno \(errno))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[..<n])
            if bytes.count > 64 * 1024 { throw KeyError(setting: path, message: "is larger than 64 KiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func create(_ path: String, contents: String) throws(KeyError) {
        try makeParentDirectory(of: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw KeyError(setting: path, message: "cannot be created (errno \(errno))")
        }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc_write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw KeyError(setting: path, message: "cannot be written (errno \(errno))")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            throw KeyError(setting: path, message: "cannot be flushed to disk (errno \(errno))")
        }
    }

    /// Creates the parent folder (one level, mode 0700) if it is missing.
    static func makeParentDirectory(of path: String) throws(KeyError) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return }
        let parent = String(path[..<slash])
        if mkdir(parent, 0o700) != 0 && errno != EEXIST {
            throw KeyError(setting: path, message: "its folder \(parent) cannot be created (errno \(errno))")
        }
    }
}

#if canImport(Glibc) || canImport(Musl)
private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
#else
private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { Darwin.write(fd, buffer, count) }
#endif
