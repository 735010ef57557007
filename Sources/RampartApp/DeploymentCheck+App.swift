import HTTPTypes
import Rampart
import RampartAudit
import RampartPostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference app's deployment rules: the server, key-file, database and admin settings of
/// ``AppConfiguration``, checked on what the configuration is built from
/// (``AppConfiguration/Settings``), next to the header rules of `RampartAudit`.
///
/// The app's rules, by id (the header rules are listed on ``DeploymentCheck``):
/// - `server.invalid-port` (error): the port is not 0–65535.
/// - `transport.plain-http` (error): plain HTTP on a non-loopback address, with no TLS
///   certificate and no trusted proxy in front to terminate TLS. Passwords and session cookies
///   would cross the network in clear text.
/// - `transport.tls-at-proxy` (info): plain HTTP on a non-loopback address behind a trusted
///   proxy, which is expected to terminate TLS; the port must be reachable only from it.
/// - `transport.insecure-http-allowed` (warning): the same, with `--allow-insecure-http`, so
///   Rampart will not redirect plain HTTP to HTTPS: the proxy has to.
/// - `tls.incomplete` (error): a TLS certificate without a key, or a key without a certificate.
/// - `proxy.invalid` (error): a trusted-proxy range that does not parse.
/// - `proxy.trust-all` (error): a trusted-proxy range that covers every IPv4 or every IPv6
///   address (`0.0.0.0/0`, `::/0`, `::/1`, …), so any client can claim to be on HTTPS.
/// - `proxy.broad-range` (warning): a range wider than an IPv4 /8 or an IPv6 /32.
/// - `database.plain-connection` (error): a PostgreSQL server off loopback reached without TLS
///   (`sslmode=disable`): passwords, session rows and every page's data cross the network in
///   clear text.
/// - `keys.not-shared` (warning): a shared PostgreSQL database but no `RAMPART_KEYS`: each
///   instance uses its own key file, so a cookie from one is refused by the next and users are
///   logged out whenever the load balancer switches instances.
/// - `keys.temporary-filesystem` (warning): no `RAMPART_KEYS`, and the key file is on a
///   temporary file system or under `/tmp`. It is a warning, not an error: nothing leaks, but
///   the next reboot loses the keys, a new key file is created silently, and every session,
///   signed or sealed cookie and one-time token is invalidated. Throw-away demos do this on
///   purpose; production should set `RAMPART_KEYS` or use a persistent `--data-dir`.
/// - `admin.unset` (warning): off loopback with no `RAMPART_ADMIN`, so no account is the admin
///   until `rampart admin grant USER` (``AppConfiguration/firstUserBecomesAdmin`` is false).
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy)
/// and [RFC 6797](https://www.rfc-editor.org/rfc/rfc6797).
extension DeploymentCheck {
    /// Every rule over the settings `rampart serve` would be built from: server, database and
    /// keys, then the header rules on the values to deploy, then the admin.
    ///
    /// - Parameters:
    ///   - settings: What the configuration is built from; it need not be valid.
    ///   - strictTransportSecurity: The HSTS value to lint; `nil` for the app's own
    ///     (``AppConfiguration/boardHeaders``).
    ///   - contentSecurityPolicy: The CSP value to lint; `nil` for the app's own, as sent over
    ///     HTTPS.
    ///   - keyFileIsOnTemporaryFilesystem: Whether the key file's folder is memory-backed;
    ///     `nil` asks this machine (``isOnTemporaryFilesystem(_:)``).
    ///
    /// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
    public static func run(
        _ settings: AppConfiguration.Settings,
        strictTransportSecurity: String? = nil,
        contentSecurityPolicy: String? = nil,
        keyFileIsOnTemporaryFilesystem: Bool? = nil
    ) -> [DeploymentFinding] {
        // The app's own headers, as sent over HTTPS (a fixed nonce: only its place matters).
        let headers = AppConfiguration.boardHeaders
        let hsts = strictTransportSecurity ?? headers.strictTransportSecurity.headerField.value
        let csp = contentSecurityPolicy ?? headers.contentSecurityPolicy.headerValue(nonce: CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!, isSecure: true)
        var findings: [DeploymentFinding] = []
        findings += checkServer(settings)
        findings += checkDatabase(settings)
        findings += checkKeys(
            settings,
            keyFileIsOnTemporaryFilesystem: keyFileIsOnTemporaryFilesystem ?? isOnTemporaryFilesystem(settings.keyFilePath)
        )
        findings += checkHeaders(strictTransportSecurity: hsts, contentSecurityPolicy: csp)
        findings += checkAdmin(settings)
        return findings
    }

    // MARK: Server, TLS and proxies

    /// The server rules: port, trusted proxies, TLS files and plain HTTP off loopback.
    ///
    /// See [RFC 7239](https://www.rfc-editor.org/rfc/rfc7239) and
    /// [MDN: X-Forwarded-Proto](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-Proto).
    public static func checkServer(_ settings: AppConfiguration.Settings) -> [DeploymentFinding] {
        var findings: [DeploymentFinding] = []
        if !(0...65535).contains(settings.port) {
            findings.append(.init(severity: .error, id: "server.invalid-port", message: "port \(settings.port) is not 0 to 65535"))
        }

        // Proxies first: a trust-all range is not a proxy that terminates TLS.
        var usableProxies: [IPNetwork] = []
        for text in settings.trustedProxies {
            let network: IPNetwork
            do {
                network = try IPNetwork(text, setting: "trustedProxies")
            } catch {
                findings.append(.init(severity: .error, id: "proxy.invalid", message: error.description))
                continue
            }
            if coversEveryAddress(network) {
                findings.append(
                    .init(
                        severity: .error,
                        id: "proxy.trust-all",
                        message:
                            "trusted proxy \(text) covers \(everyone(network)), so any client can send X-Forwarded-Proto: https; list only your proxies' addresses"
                    )
                )
                continue
            }
            if network.prefixLength < (network.address.isIPv4 ? 8 : 32) {
                findings.append(
                    .init(
                        severity: .warning,
                        id: "proxy.broad-range",
                        message:
                            "trusted proxy \(text) is a very wide range (/\(network.prefixLength)); every host in it can claim a client used HTTPS"
                    )
                )
            }
            usableProxies.append(network)
        }

        let hasCertificate = settings.tlsCertificatePath.map { !$0.isEmpty } ?? false
        let hasKey = settings.tlsKeyPath.map { !$0.isEmpty } ?? false
        if hasCertificate != hasKey {
            findings.append(
                .init(
                    severity: .error,
                    id: "tls.incomplete",
                    message: hasCertificate
                        ? "a TLS certificate is given without its private key (--tls-key)"
                        : "a TLS private key is given without its certificate (--tls-cert)"
                )
            )
        }

        if !IPAddress.isLoopback(host: settings.hostname), !(hasCertificate && hasKey) {
            let listen = "\(settings.hostname):\(settings.port)"
            if usableProxies.isEmpty {
                findings.append(
                    .init(
                        severity: .error,
                        id: "transport.plain-http",
                        message:
                            "plain HTTP on \(listen), a non-loopback address, with no TLS certificate (--tls-cert, --tls-key) and no trusted proxy (--trusted-proxy) to terminate TLS; passwords and session cookies would cross the network in clear text"
                    )
                )
            } else {
                let proxies = usableProxies.map(\.description).joined(separator: ", ")
                findings.append(
                    .init(
                        severity: .info,
                        id: "transport.tls-at-proxy",
                        message:
                            "plain HTTP on \(listen) behind trusted proxy \(proxies), which is expected to terminate TLS; keep this port reachable from the proxy only"
                    )
                )
                if settings.allowInsecureHTTP {
                    findings.append(
                        .init(
                            severity: .warning,
                            id: "transport.insecure-http-allowed",
                            message:
                                "--allow-insecure-http: plain-HTTP requests are served, not redirected to HTTPS; make sure the proxy redirects them"
                        )
                    )
                }
            }
        }
        return findings
    }

    /// Who a trust-all range lets in, for the message.
    static func everyone(_ network: IPNetwork) -> String {
        if network.address.isIPv4 { return "every IPv4 address" }
        if network.prefixLength == 0 { return "every IPv6 address and every IPv4 peer (as IPv4-mapped addresses)" }
        return "every IPv4 peer (as IPv4-mapped addresses)"
    }

    /// Whether a range holds every IPv4 address, or every IPv6 address.
    static func coversEveryAddress(_ network: IPNetwork) -> Bool {
        if network.prefixLength == 0 { return true }
        // An IPv6 range such as ::/1 holds every IPv4-mapped address, so it trusts all of IPv4.
        return network.contains(IPAddress(ipv4: 0)) && network.contains(IPAddress(ipv4: 0xFFFF_FFFF))
    }

    // MARK: Database

    /// The database rule: PostgreSQL off loopback without TLS.
    ///
    /// See [PostgreSQL: SSL support](https://www.postgresql.org/docs/current/libpq-ssl.html).
    public static func checkDatabase(_ settings: AppConfiguration.Settings) -> [DeploymentFinding] {
        guard let database = sharedDatabase(settings), !database.isLoopback, !database.usesTLS else { return [] }
        return [
            .init(
                severity: .error,
                id: "database.plain-connection",
                message:
                    "PostgreSQL at \(database.host) is reached without TLS (sslmode=disable): credentials and session data cross the network in clear text; remove sslmode=disable"
            )
        ]
    }

    /// The PostgreSQL server the settings name, if they name one that parses.
    static func sharedDatabase(_ settings: AppConfiguration.Settings) -> PostgresURL? {
        guard let text = settings.database, text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else { return nil }
        return try? PostgresURL(text)
    }

    // MARK: Keys

    /// The key rules: a key file on a temporary file system, and per-instance keys with a
    /// shared database.
    ///
    /// See [tmpfs(5)](https://man7.org/linux/man-pages/man5/tmpfs.5.html).
    public static func checkKeys(_ settings: AppConfiguration.Settings, keyFileIsOnTemporaryFilesystem: Bool) -> [DeploymentFinding] {
        guard !settings.keysFromEnvironment else { return [] }
        var findings: [DeploymentFinding] = []
        if sharedDatabase(settings) != nil {
            findings.append(
                .init(
                    severity: .warning,
                    id: "keys.not-shared",
                    message:
                        "the database is shared (PostgreSQL) but RAMPART_KEYS is not set: each instance would use its own key file and refuse the others' cookies; give every instance the same RAMPART_KEYS"
                )
            )
        }
        if keyFileIsOnTemporaryFilesystem || isUnderTemporaryFolder(settings.keyFilePath) {
            findings.append(
                .init(
                    severity: .warning,
                    id: "keys.temporary-filesystem",
                    message:
                        "RAMPART_KEYS is not set and the key file \(settings.keyFilePath) is on a temporary file system: a reboot loses the keys and logs everyone out; set RAMPART_KEYS or use a persistent --data-dir"
                )
            )
        }
        return findings
    }

    // MARK: Admin

    /// The admin rule: off loopback, the first account is no longer the admin, so one must be named.
    ///
    /// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
    public static func checkAdmin(_ settings: AppConfiguration.Settings) -> [DeploymentFinding] {
        guard !IPAddress.isLoopback(host: settings.hostname), (settings.environment["RAMPART_ADMIN"] ?? "").isEmpty else { return [] }
        return [
            .init(
                severity: .warning,
                id: "admin.unset",
                message:
                    "no admin is set: set RAMPART_ADMIN=username or run `rampart admin grant USER` (off loopback the first account does not become admin)"
            )
        ]
    }

    // MARK: Temporary file systems

    /// Whether a path is lexically inside `/tmp`, `/var/tmp` or `/dev/shm`.
    static func isUnderTemporaryFolder(_ path: String) -> Bool {
        ["/tmp", "/var/tmp", "/dev/shm", "/private/tmp"].contains { folder in
            path.utf8.elementsEqual(folder.utf8) || path.utf8.starts(with: (folder + "/").utf8)
        }
    }

    /// Whether a path, or its nearest existing ancestor, is on a memory-backed file system
    /// (`tmpfs` or `ramfs`) or under a temporary folder such as `/tmp`.
    ///
    /// This is the one function here that touches the file system. A relative path is taken
    /// from the current directory.
    ///
    /// See [tmpfs(5)](https://man7.org/linux/man-pages/man5/tmpfs.5.html).
    public static func isOnTemporaryFilesystem(_ path: String) -> Bool {
        var absolute = path
        if !path.utf8.starts(with: "/".utf8) {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard getcwd(&buffer, buffer.count) != nil else { return false }
            absolute = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
        }
        return isUnderTemporaryFolder(absolute) || isMemoryBacked(absolute)
    }

    /// Whether an absolute path, or its nearest existing ancestor, is on `tmpfs` or `ramfs`.
    ///
    /// This is the test `statfs(2)` would give with `f_type == TMPFS_MAGIC` (0x01021994) or
    /// `RAMFS_MAGIC`, done through `/proc/self/mounts` because Swift's Glibc module does not
    /// import `<sys/vfs.h>`: the path is resolved with `realpath`, and the longest mount point
    /// that contains it decides (the last one mounted, when several are stacked).
    static func isMemoryBacked(_ absolute: String) -> Bool {
        #if os(Linux)
        guard let resolved = resolveExistingAncestor(absolute), let mounts = readProcFile("/proc/self/mounts") else { return false }
        return isMemoryBacked(resolvedPath: resolved, mounts: mounts)
        #else
        return false
        #endif
    }

    /// The `/proc/self/mounts` lookup, separated from the I/O for testing.
    /// Each line is `device mount-point type options dump pass`, with spaces in the mount
    /// point written as `\040`.
    static func isMemoryBacked(resolvedPath: String, mounts: String) -> Bool {
        var best: (length: Int, type: Substring)? = nil
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3 else { continue }
            let mountPoint = unescapeMountField(fields[1])
            let contains =
                mountPoint == "/"
                || resolvedPath.utf8.elementsEqual(mountPoint.utf8)
                || resolvedPath.utf8.starts(with: (mountPoint + "/").utf8)
            guard contains else { continue }
            let length = mountPoint.utf8.count
            if best == nil || length >= best!.length { best = (length, fields[2]) }
        }
        guard let type = best?.type else { return false }
        return type == "tmpfs" || type == "ramfs"
    }

    /// Undoes the octal escapes (`\040` for a space) of `/proc/self/mounts`.
    static func unescapeMountField(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
                bytes[(i + 1)...(i + 3)].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") })
            {
                let value = bytes[(i + 1)...(i + 3)].reduce(0) { $0 * 8 + Int($1 - UInt8(ascii: "0")) }
                if value <= 0xFF {
                    out.append(UInt8(value))
                    i += 4
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    #if os(Linux)
    /// `realpath` of the path, or of its nearest ancestor that exists.
    static func resolveExistingAncestor(_ absolute: String) -> String? {
        var candidate = absolute
        while true {
            if let resolved = realpath(candidate, nil) {
                defer { free(resolved) }
                return String(cString: resolved)
            }
            guard errno == ENOENT || errno == ENOTDIR, let slash = candidate.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
            if slash == candidate.utf8.startIndex {
                if candidate == "/" { return nil }
                candidate = "/"
            } else {
                candidate = String(candidate[..<slash])
            }
        }
    }

    /// Reads a small file from /proc (whose size `stat` reports as 0, so read to the end).
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count < 4 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    #endif
}
