import Rampart

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A command failure shown as one line, `Error: <file>: <what went wrong>`, with no usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Small POSIX file helpers for the PKI and key commands, so file modes are exact.
enum CLIFiles {
    /// Reads a whole (small) file.
    static func read(_ path: String, limit: Int = 1 << 20) throws(CLIError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError("\(path): cannot be opened (\(errorText(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { readBytes(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("\(path): cannot be read (\(errorText(errno)))")
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: buffer[..<n])
            if bytes.count > limit { throw CLIError("\(path): is larger than \(limit / 1024) KiB") }
        }
    }

    /// Whether something exists at a path (a dangling symbolic link counts).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates a folder and its missing parents, mode 0700.
    static func makeDirectory(_ path: String) throws(CLIError) {
        var prefix = path.utf8.first == UInt8(ascii: "/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw CLIError("\(prefix): cannot be created (\(errorText(errno)))")
            }
            prefix += "/"
        }
    }

    /// Writes a new file with an exact mode. Refuses to replace an existing file unless
    /// `overwrite` is set; the file is then truncated and its mode set again.
    static func write(_ path: String, contents: String, mode: mode_t, overwrite: Bool) throws(CLIError) {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW
        flags |= overwrite ? O_TRUNC : O_EXCL
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw CLIError("\(path): already exists; pass --force to replace it") }
            throw CLIError("\(path): cannot be created (\(errorText(errno)))")
        }
        defer { close(fd) }
        // The umask may have removed bits, and an overwritten file keeps its old mode: set it.
        guard fchmod(fd, mode) == 0 else { throw CLIError("\(path): cannot set its mode (\(errorText(errno)))") }
        if let failure = POSIXFile.writeAll(fd, Array(contents.utf8)) {
            throw CLIError("\(path): cannot be written (\(errorText(failure)))")
        }
        guard fsync(fd) == 0 else { throw CLIError("\(path): cannot be flushed to disk (\(errorText(errno)))") }
    }

    /// The permission bits of a file, or `nil` if it cannot be inspected.
    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

#if canImport(Glibc) || canImport(Musl)
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
#else
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
#endif
