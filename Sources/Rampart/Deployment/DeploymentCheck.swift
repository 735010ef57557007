import HTTPTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a deployment is about to run with, as far as ``DeploymentCheck`` needs to know.
///
/// Everything here is plain data: the caller (the `rampart check` command, or a server at
/// startup) gathers the facts, such as whether `RAMPART_KEYS` is set or where the key file lives,
/// and the check itself stays a pure function that is tested without a machine to deploy on.
/// The settings never hold a key.
public struct DeploymentSettings: Sendable, Hashable {
    /// The address the server listens on, such as `127.0.0.1`, `0.0.0.0` or `::`.
    public var hostname: String
    /// The port the server listens on.
    public var port: Int
    /// The trusted reverse proxies, as configured (CIDR ranges or bare addresses).
    public var trustedProxies: [String]
    /// Whether plain HTTP is served without a redirect to HTTPS (`--allow-insecure-http`).
    public var allowsInsecureHTTP: Bool
    /// The TLS certificate chain file, when the server terminates TLS itself.
    public var tlsCertificatePath: String?
    /// The TLS private key file, when the server terminates TLS itself.
    public var tlsKeyPath: String?
    /// Whether the master keys come from `RAMPART_KEYS` (so the key file is not used).
    public var keysFromEnvironment: Bool
    /// The key file used when `RAMPART_KEYS` is not set.
    public var keyFilePath: String
    /// Whether the key file's folder is on a temporary, memory-backed file system, as found by
    /// ``DeploymentCheck/isOnTemporaryFilesystem(_:)``. A key file under `/tmp` counts even when
    /// this is `false`.
    public var keyFileIsOnTemporaryFilesystem: Bool
    /// The shared database server (PostgreSQL), or `nil` for embedded SQLite.
    public var sharedDatabase: SharedDatabase?
    /// The `Strict-Transport-Security` value to deploy, as raw header text.
    public var strictTransportSecurity: String

    /// A database server that several instances share.
    public struct SharedDatabase: Sendable, Hashable {
        /// Its host name or address.
        public var host: String
        /// Whether the host is a loopback address.
        public var isLoopback: Bool
        /// Whether connections use TLS.
        public var usesTLS: Bool

        /// Describes the server.
        public init(host: String, isLoopback: Bool, usesTLS: Bool) {
            self.host = host
            self.isLoopback = isLoopback
            self.usesTLS = usesTLS
        }
    }
    /// The `Content-Security-Policy` value to deploy, as raw header text.
    public var contentSecurityPolicy: String

    /// Creates settings; the defaults are those of `rampart serve` with Rampart's strict headers.
    public init(
        hostname: String = "127.0.0.1",
        port: Int = 5000,
        trustedProxies: [String] = [],
        allowsInsecureHTTP: Bool = false,
        tlsCertificatePath: String? = nil,
        tlsKeyPath: String? = nil,
        keysFromEnvironment: Bool = false,
        keyFilePath: String = ".rampart/keys",
        keyFileIsOnTemporaryFilesystem: Bool = false,
        sharedDatabase: SharedDatabase? = nil,
        strictTransportSecurity: String = DeploymentSettings.defaultStrictTransportSecurity,
        contentSecurityPolicy: String = DeploymentSettings.defaultContentSecurityPolicy
    ) {
        self.hostname = hostname
        self.port = port
        self.trustedProxies = trustedProxies
        self.allowsInsecureHTTP = allowsInsecureHTTP
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.keysFromEnvironment = keysFromEnvironment
        self.keyFilePath = keyFilePath
        self.keyFileIsOnTemporaryFilesystem = keyFileIsOnTemporaryFilesystem
        self.sharedDatabase = sharedDatabase
        self.strictTransportSecurity = strictTransportSecurity
        self.contentSecurityPolicy = contentSecurityPolicy
    }

    /// Rampart's default HSTS value: `max-age=63072000; includeSubDomains`.
    public static let defaultStrictTransportSecurity = StrictTransportSecurity.default.headerField.value

    /// The CSP of ``SecurityHeaders/strict`` as sent over HTTPS, with a sample nonce in the nonce slot.
    public static let defaultContentSecurityPolicy = SecurityHeaders.strictContentSecurityPolicy.headerValue(
        nonce: CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!, isSecure: true)
}

/// One thing ``DeploymentCheck`` found: a severity, a stable id and a message.
public struct DeploymentFinding: Sendable, Hashable, CustomStringConvertible {
    /// How bad a finding is.
    public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
        /// Informational: worth knowing, nothing to fix.
        case info
        /// Probably a mistake, or a weakness to fix when possible.
        case warning
        /// Unsafe to deploy: `rampart check` exits non-zero.
        case error

        private var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .error: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// How bad it is.
    public let severity: Severity
    /// A stable, dotted identifier, such as `transport.plain-http`, for silencing or scripting.
    public let id: String
    /// What is wrong and what to do about it, on one line.
    public let message: String

    /// Creates a finding.
    public init(severity: Severity, id: String, message: String) {
        self.severity = severity
        self.id = id
        self.message = message
    }

    /// `error transport.plain-http: …` on one line: control characters in the message (which
    /// may quote a configured value) are shown escaped, so they cannot forge another line.
    public var description: String {
        var text = "\(severity.rawValue) \(id): "
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\r": text += "\\r"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}

/// A deployment linter, in the style of Django's `check --deploy`: a pure function from
/// ``DeploymentSettings`` to findings, each with a severity, a stable id and a message.
///
/// The rules, by id:
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
/// - `keys.temporary-filesystem` (warning): no `RAMPART_KEYS`, and the key file is on a
///   temporary file system or under `/tmp`. It is a warning, not an error: nothing leaks, but
///   the next reboot loses the keys, a new key file is created silently, and every session,
///   signed or sealed cookie and one-time token is invalidated. Throw-away demos do this on
///   purpose; production should set `RAMPART_KEYS` or use a persistent `--data-dir`.
/// - `database.plain-connection` (error): a PostgreSQL server off loopback reached without TLS
///   (`sslmode=disable`): passwords, session rows and every page's data cross the network in
///   clear text.
/// - `keys.not-shared` (warning): a shared PostgreSQL database but no `RAMPART_KEYS`: each
///   instance uses its own key file, so a cookie from one is refused by the next and users are
///   logged out whenever the load balancer switches instances.
/// - `hsts.invalid` (error): the HSTS value has no valid `max-age`, a directive twice, or a
///   control character, so browsers ignore it (RFC 6797 §6.1).
/// - `hsts.preload-without-subdomains` (error): `preload` without `includeSubDomains`, which
///   the preload list refuses. The typed ``StrictTransportSecurity`` cannot even be built this
///   way, so the raw header text is linted.
/// - `hsts.preload-max-age` (error): `preload` with `max-age` under one year.
/// - `hsts.disabled` (warning): `max-age=0`, which tells browsers to forget HSTS.
/// - `hsts.short-max-age` (warning): `max-age` under 180 days.
/// - `csp.empty` (error): no CSP at all.
/// - `csp.invalid` (error): control characters in the CSP.
/// - `csp.unsafe-inline-script` (error): a directive that governs scripts allows
///   `'unsafe-inline'` with no nonce or hash, so any injected `<script>` or `onclick` runs. With
///   a nonce or hash present, CSP Level 2 browsers ignore `'unsafe-inline'`; that is the usual
///   fallback for old browsers and is not reported.
/// - `csp.unsafe-inline-style` (warning): the same for styles; injected CSS can still leak data
///   through selectors and URLs, but cannot run script.
/// - `csp.unsafe-eval` (warning): `'unsafe-eval'` in a directive that governs scripts.
///
/// Findings come in rule order, which is stable.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy),
/// [RFC 6797](https://www.rfc-editor.org/rfc/rfc6797) and
/// [CSP Level 3 §6.7.3](https://www.w3.org/TR/CSP3/#allow-all-inline).
public enum DeploymentCheck {
    /// Runs every rule over the settings.
    public static func run(_ settings: DeploymentSettings) -> [DeploymentFinding] {
        var findings: [DeploymentFinding] = []
        findings += checkServer(settings)
        findings += checkDatabase(settings)
        findings += checkKeys(settings)
        findings += checkStrictTransportSecurity(settings.strictTransportSecurity)
        findings += checkContentSecurityPolicy(settings.contentSecurityPolicy)
        return findings
    }

    /// Whether any finding is an error.
    public static func hasErrors(_ findings: [DeploymentFinding]) -> Bool {
        findings.contains { $0.severity == .error }
    }

    // MARK: Server, TLS and proxies

    static func checkServer(_ settings: DeploymentSettings) -> [DeploymentFinding] {
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
                findings.append(.init(severity: .error, id: "proxy.trust-all",
                                      message: "trusted proxy \(text) covers \(everyone(network)), so any client can send X-Forwarded-Proto: https; list only your proxies' addresses"))
                continue
            }
            if network.prefixLength < (network.address.isIPv4 ? 8 : 32) {
                findings.append(.init(severity: .warning, id: "proxy.broad-range",
                                      message: "trusted proxy \(text) is a very wide range (/\(network.prefixLength)); every host in it can claim a client used HTTPS"))
            }
            usableProxies.append(network)
        }

        let hasCertificate = settings.tlsCertificatePath.map { !$0.isEmpty } ?? false
        let hasKey = settings.tlsKeyPath.map { !$0.isEmpty } ?? false
        if hasCertificate != hasKey {
            findings.append(.init(severity: .error, id: "tls.incomplete",
                                  message: hasCertificate ? "a TLS certificate is given without its private key (--tls-key)" : "a TLS private key is given without its certificate (--tls-cert)"))
        }

        if !IPAddress.isLoopback(host: settings.hostname), !(hasCertificate && hasKey) {
            let listen = "\(settings.hostname):\(settings.port)"
            if usableProxies.isEmpty {
                findings.append(.init(severity: .error, id: "transport.plain-http",
                                      message: "plain HTTP on \(listen), a non-loopback address, with no TLS certificate (--tls-cert, --tls-key) and no trusted proxy (--trusted-proxy) to terminate TLS; passwords and session cookies would cross the network in clear text"))
            } else {
                let proxies = usableProxies.map(\.description).joined(separator: ", ")
                findings.append(.init(severity: .info, id: "transport.tls-at-proxy",
                                      message: "plain HTTP on \(listen) behind trusted proxy \(proxies), which is expected to terminate TLS; keep this port reachable from the proxy only"))
                if settings.allowsInsecureHTTP {
                    findings.append(.init(severity: .warning, id: "transport.insecure-http-allowed",
                                          message: "--allow-insecure-http: plain-HTTP requests are served, not redirected to HTTPS; make sure the proxy redirects them"))
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

    /// `localhost`, `127.0.0.0/8` or `::1`: traffic that never leaves the machine.

    // MARK: Database

    static func checkDatabase(_ settings: DeploymentSettings) -> [DeploymentFinding] {
        guard let database = settings.sharedDatabase, !database.isLoopback, !database.usesTLS else { return [] }
        return [.init(severity: .error, id: "database.plain-connection",
                      message: "PostgreSQL at \(database.host) is reached without TLS (sslmode=disable): credentials and session data cross the network in clear text; remove sslmode=disable")]
    }

    // MARK: Keys

    static func checkKeys(_ settings: DeploymentSettings) -> [DeploymentFinding] {
        guard !settings.keysFromEnvironment else { return [] }
        var findings: [DeploymentFinding] = []
        if settings.sharedDatabase != nil {
            findings.append(.init(severity: .warning, id: "keys.not-shared",
                                  message: "the database is shared (PostgreSQL) but RAMPART_KEYS is not set: each instance would use its own key file and refuse the others' cookies; give every instance the same RAMPART_KEYS"))
        }
        if settings.keyFileIsOnTemporaryFilesystem || isUnderTemporaryFolder(settings.keyFilePath) {
            findings.append(.init(severity: .warning, id: "keys.temporary-filesystem",
                                  message: "RAMPART_KEYS is not set and the key file \(settings.keyFilePath) is on a temporary file system: a reboot loses the keys and logs everyone out; set RAMPART_KEYS or use a persistent --data-dir"))
        }
        return findings
    }

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
            let contains = mountPoint == "/"
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

    // MARK: HSTS

    /// The preload list's minimum `max-age`: one year.
    static let preloadMaxAge = StrictTransportSecurity.minimumPreloadMaxAge
    /// Below this (180 days), HSTS protects too briefly between visits.
    static let shortHSTSMaxAge = 15_552_000

    /// Lints a raw `Strict-Transport-Security` value.
    ///
    /// ```
    /// Strict-Transport-Security = [ directive ] *( ";" [ directive ] )
    /// directive                 = directive-name [ "=" directive-value ]
    /// directive-value           = token / quoted-string
    /// ```
    /// (RFC 6797 §6.1; names are case-insensitive, and a repeated directive voids the header.)
    public static func checkStrictTransportSecurity(_ value: String) -> [DeploymentFinding] {
        func invalid(_ why: String) -> [DeploymentFinding] {
            [.init(severity: .error, id: "hsts.invalid", message: "Strict-Transport-Security \"\(value)\": \(why); browsers ignore the header")]
        }
        if let control = HeaderGrammar.firstControlCharacter(in: value) {
            return invalid("it holds \(control)")
        }
        var seen: Set<String> = []
        var maxAge: Int?
        var includeSubDomains = false
        var preload = false
        for part in HeaderGrammar.split(Substring(value), on: UInt8(ascii: ";")) where !part.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = HeaderGrammar.asciiLowercased(HeaderGrammar.trimOWS(pieces[0]))
            guard seen.insert(name).inserted else { return invalid("\(name) appears twice") }
            var directiveValue = pieces.count == 2 ? HeaderGrammar.trimOWS(pieces[1]) : nil
            if let v = directiveValue, v.utf8.count >= 2, v.utf8.first == UInt8(ascii: "\""), v.utf8.last == UInt8(ascii: "\"") {
                directiveValue = v.dropFirst().dropLast()
            }
            switch name {
            case "max-age":
                guard let v = directiveValue, !v.isEmpty, v.utf8.count <= 12, v.utf8.allSatisfy(HeaderGrammar.isDigit), let seconds = Int(v) else {
                    return invalid("max-age must be a number of seconds")
                }
                maxAge = seconds
            case "includesubdomains":
                includeSubDomains = true
            case "preload":
                preload = true
            default:
                continue // Unknown directives are ignored by browsers (RFC 6797 §6.1).
            }
        }
        guard let maxAge else { return invalid("max-age is missing") }

        var findings: [DeploymentFinding] = []
        if preload && !includeSubDomains {
            findings.append(.init(severity: .error, id: "hsts.preload-without-subdomains",
                                  message: "Strict-Transport-Security \"\(value)\": preload needs includeSubDomains, or the preload list refuses the domain"))
        }
        if preload && maxAge < preloadMaxAge {
            findings.append(.init(severity: .error, id: "hsts.preload-max-age",
                                  message: "Strict-Transport-Security \"\(value)\": preload needs max-age of at least \(preloadMaxAge) seconds (one year)"))
        }
        if maxAge == 0 {
            findings.append(.init(severity: .warning, id: "hsts.disabled",
                                  message: "Strict-Transport-Security \"\(value)\": max-age=0 tells browsers to forget HSTS"))
        } else if maxAge < shortHSTSMaxAge {
            findings.append(.init(severity: .warning, id: "hsts.short-max-age",
                                  message: "Strict-Transport-Security \"\(value)\": max-age under \(shortHSTSMaxAge) seconds (180 days) leaves visitors unprotected between visits"))
        }
        return findings
    }

    // MARK: CSP

    /// Lints a raw `Content-Security-Policy` value for inline script and style, and `eval`.
    ///
    /// Directives are split on `;`, names compared case-insensitively, and only the first of a
    /// repeated directive counts, as browsers do (CSP Level 3 §2.2.1).
    public static func checkContentSecurityPolicy(_ value: String) -> [DeploymentFinding] {
        if let control = HeaderGrammar.firstControlCharacter(in: value) {
            return [.init(severity: .error, id: "csp.invalid", message: "Content-Security-Policy holds \(control)")]
        }
        var directives: [(name: String, sources: [String])] = []
        for part in HeaderGrammar.split(Substring(value), on: UInt8(ascii: ";")) where !part.isEmpty {
            let tokens = part.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { HeaderGrammar.asciiLowercased($0) }
            guard let name = tokens.first, !directives.contains(where: { $0.name == name }) else { continue }
            directives.append((name, Array(tokens.dropFirst())))
        }
        guard !directives.isEmpty else {
            return [.init(severity: .error, id: "csp.empty", message: "no Content-Security-Policy: any injected script runs")]
        }
        func sources(_ name: String) -> [String]? { directives.first { $0.name == name }?.sources }

        // The directives that govern each kind, with default-src as the fallback of the main one.
        func governing(_ main: String) -> [String] {
            var names = [main, main + "-elem", main + "-attr"].filter { sources($0) != nil }
            if sources(main) == nil, sources("default-src") != nil { names.insert("default-src", at: 0) }
            return names
        }

        var findings: [DeploymentFinding] = []
        for name in governing("script-src") {
            let list = sources(name)!
            if allowsAllInline(list) {
                findings.append(.init(severity: .error, id: "csp.unsafe-inline-script",
                                      message: "Content-Security-Policy \(name) allows 'unsafe-inline' without a nonce or hash: any injected script runs; use nonces (Rampart's default)"))
            }
        }
        for name in governing("style-src") {
            let list = sources(name)!
            if allowsAllInline(list) {
                findings.append(.init(severity: .warning, id: "csp.unsafe-inline-style",
                                      message: "Content-Security-Policy \(name) allows 'unsafe-inline' without a nonce or hash: injected CSS can restyle the page and leak data; use nonces"))
            }
        }
        for name in governing("script-src") where sources(name)!.contains(where: { $0.utf8.elementsEqual("'unsafe-eval'".utf8) }) {
            findings.append(.init(severity: .warning, id: "csp.unsafe-eval",
                                  message: "Content-Security-Policy \(name) allows 'unsafe-eval': strings reaching eval() or new Function() run as code"))
        }
        return findings
    }

    /// CSP Level 3 §6.7.3 "Does a source list allow all inline behavior?": `'unsafe-inline'`
    /// and no nonce or hash source (and, for scripts, no `'strict-dynamic'`).
    static func allowsAllInline(_ sources: [String]) -> Bool {
        // Byte comparisons: a combining mark must not make a keyword look different.
        func starts(_ source: String, _ prefix: String) -> Bool { source.utf8.starts(with: prefix.utf8) }
        guard sources.contains(where: { $0.utf8.elementsEqual("'unsafe-inline'".utf8) }) else { return false }
        return !sources.contains { source in
            starts(source, "'nonce-") || starts(source, "'sha256-") || starts(source, "'sha384-")
                || starts(source, "'sha512-") || source.utf8.elementsEqual("'strict-dynamic'".utf8)
        }
    }
}
