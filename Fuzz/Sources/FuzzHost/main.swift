// The `Host` header and `:authority`: HostAllowList, TransportSecurity.host(of:) and evaluate, and
// WebOrigin.
//
// Input: `key: value` lines: `allow:` an allow-list pattern, `host:` a Host field value,
// `authority:` the HTTP/2 authority, `path:` the request target, `origin:` an Origin value.
//
// Properties:
// 1. HostAllowList accepts a pattern list, and allows an authority, exactly as a reading written
//    here from its documentation (DNS labels of a-z 0-9 - _, one trailing dot dropped, bracketed
//    IPv6 read by inet_pton, port 1–65535, exact / `.domain` / `*.domain` matching, ASCII case
//    ignored).
// 2. `host(of:)` succeeds only when every Host field and the authority are the same bytes, and
//    then returns them.
// 3. `evaluate` gives the same decision for a request whatever requests the same TransportSecurity
//    judged before (its memo of checked hosts changes nothing), and agrees with (1): proceed or
//    redirect only for an allowed host, `malformedHost` only for one that does not parse; a
//    redirect goes to https:// and the normalised host, never to a host-relative `//` target.
// 4. A WebOrigin that parses prints text that parses back to it, with the normalised host.
#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import HTTPTypes
import Rampart

let fixedPatterns = ["example.com", ".example.org", "*.example.net", "127.0.0.1", "[::1]", "example.com:8443", "kelvin.test"]
let fixedList = try! HostAllowList(fixedPatterns)

func lower(_ bytes: some Collection<UInt8>) -> [UInt8] { bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }

/// `host[:port]` read from its documentation, on lowercased bytes.
func referenceSplit(_ authority: [UInt8]) -> (host: [UInt8], port: Int?)? {
    func port(_ digits: ArraySlice<UInt8>) -> Int?? {
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let value = Int(String(decoding: digits, as: UTF8.self))!
        return (1...65535).contains(value) ? .some(value) : nil
    }
    if authority.first == UInt8(ascii: "[") {
        guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return nil }
        let inside = String(decoding: authority[1..<close], as: UTF8.self)
        var v6 = in6_addr()
        guard !inside.utf8.contains(0), inside.utf8.contains(UInt8(ascii: ":")), inet_pton(AF_INET6, inside, &v6) == 1 else { return nil }
        var p: Int? = nil
        if close + 1 < authority.count {
            guard authority[close + 1] == UInt8(ascii: ":"), let q = port(authority[(close + 2)...]) else { return nil }
            p = q
        }
        let text = IPAddress(ipv6Bytes: withUnsafeBytes(of: &v6) { Array($0) })!.description
        return (Array("[\(text)]".utf8), p)
    }
    var host = authority[...]
    var p: Int? = nil
    if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
        guard let q = port(authority[(colon + 1)...]) else { return nil }
        p = q
        host = authority[..<colon]
    }
    if host.last == UInt8(ascii: ".") { host = host.dropLast() }
    guard !host.isEmpty, host.count <= 253 else { return nil }
    for label in host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
        guard !label.isEmpty, label.count <= 63,
              label.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else { return nil }
    }
    return (Array(host), p)
}

enum Match { case exact, subdomainsAndSelf, subdomainsOnly }
struct ReferencePattern { let host: [UInt8]; let port: Int?; let match: Match }

func referencePatterns(_ patterns: [String]) -> [ReferencePattern]? {
    guard !patterns.isEmpty else { return nil }
    var out: [ReferencePattern] = []
    for pattern in patterns {
        var body = lower(pattern.utf8)[...]
        var match = Match.exact
        if body.starts(with: "*.".utf8) { match = .subdomainsOnly; body = body.dropFirst(2) }
        else if body.first == UInt8(ascii: ".") { match = .subdomainsAndSelf; body = body.dropFirst() }
        guard let (host, port) = referenceSplit(Array(body)), !(match != .exact && host.first == UInt8(ascii: "[")) else { return nil }
        out.append(ReferencePattern(host: host, port: port, match: match))
    }
    return out
}

func referenceAllows(_ patterns: [ReferencePattern], _ authority: some Collection<UInt8>) -> Bool? {
    guard let (host, port) = referenceSplit(lower(authority)) else { return nil }
    return patterns.contains { p in
        if let pp = p.port, pp != port { return false }
        let isSub = host.count > p.host.count && host.suffix(p.host.count + 1).elementsEqual([UInt8(ascii: ".")] + p.host)
        switch p.match {
        case .exact: return host == p.host
        case .subdomainsAndSelf: return host == p.host || isSub
        case .subdomainsOnly: return isSub
        }
    }
}

func request(hosts: [String], authority: String?, path: String) -> HTTPRequest {
    var fields = HTTPFields()
    for host in hosts { fields.append(HTTPField(name: HTTPField.Name("Host")!, lenientValue: Array(host.utf8))) }
    return HTTPRequest(method: .get, scheme: authority == nil ? nil : "https", authority: authority, path: path, headerFields: fields)
}

func fuzz(_ input: FuzzInput) {
    var patterns: [String] = []
    var hosts: [String] = []
    var authority: String?
    var path = "/"
    var origins: [String] = []
    for (key, value) in headerLines(input.text) {
        switch key {
        case "allow": patterns.append(value)
        case "host": hosts.append(value)
        case "authority": authority = value
        case "path": path = value
        case "origin": origins.append(value)
        default: break
        }
    }

    // 1. Allow-lists.
    let list = try? HostAllowList(patterns)
    let reference = referencePatterns(patterns)
    require((list == nil) == (reference == nil), "HostAllowList(\(patterns.map { show($0) })) is \(list == nil ? "refused" : "accepted"), the reference \(reference == nil ? "refuses" : "accepts")")
    let fixedReference = referencePatterns(fixedPatterns)!
    for host in (hosts + [authority].compactMap({ $0 })).prefix(6) {
        for (allowList, patterns) in [(fixedList, fixedReference)] + (list.map { [($0, reference!)] } ?? []) {
            let expected = referenceAllows(patterns, host.utf8) ?? false
            require(allowList.allows(host) == expected, "allows(\(show(host))) is \(allowList.allows(host)), the reference says \(expected)")
            let upper = String(decoding: host.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
            require(allowList.allows(upper) == expected, "allows(\(show(upper))) differs from allows(\(show(host)))")
        }
    }

    // 2. host(of:) with every Host field at once.
    let all = request(hosts: hosts, authority: authority, path: path)
    switch TransportSecurity.host(of: all) {
    case .success(let host):
        // The values as stored (HTTPField turns CR, LF and NUL into spaces).
        let stored = all.headerFields[values: HTTPField.Name("Host")!] + [all.authority].compactMap { $0 }
        require(stored.allSatisfy { sameBytes($0, host) },
                "host(of:) returned \(show(host)) for Host \(stored.map { show($0) }) and authority \(all.authority.map { show($0) } ?? "none")")
    case .failure(let rejection):
        if rejection == .missingHost { require(hosts.isEmpty && authority == nil, "missingHost with a host present") }
    }

    // 3. evaluate, one request per Host value, on one TransportSecurity and on fresh ones.
    let shared = TransportSecurity(allowedHosts: fixedList)
    for host in (hosts + [authority].compactMap { $0 }).prefix(6) {
        let single = request(hosts: [host], authority: nil, path: path)
        let decision = shared.evaluate(single, peer: nil)
        let fresh = TransportSecurity(allowedHosts: fixedList).evaluate(single, peer: nil)
        require(decision == fresh, "evaluate(Host: \(show(host))) is \(decision) after earlier requests \(hosts.map { show($0) }), but \(fresh) on a fresh TransportSecurity")
        let parsed = referenceSplit(lower(host.utf8))
        let allowed = referenceAllows(fixedReference, host.utf8)
        switch decision {
        case .proceed:
            propertyFailed("plain HTTP proceeded with the default HTTPS policy for \(show(host))")
        case .redirect(let location, _):
            require(allowed == true, "redirected for a host that is not allowed: \(show(host))")
            let prefix = "https://" + String(decoding: parsed!.host, as: UTF8.self)
            require(location.utf8.starts(with: prefix.utf8), "redirect to \(show(location)) for Host \(show(host))")
            let target = location.utf8.dropFirst(prefix.utf8.count).drop { $0 != UInt8(ascii: "/") }
            require(target.first == UInt8(ascii: "/") && !target.starts(with: "//".utf8), "redirect target is not a path: \(show(location))")
        case .reject(let rejection):
            switch rejection {
            case .malformedHost: require(parsed == nil, "malformedHost for \(show(host)), which the reference reads")
            case .hostNotAllowed: require(parsed != nil && allowed == false, "hostNotAllowed for \(show(host)), which the reference \(parsed == nil ? "cannot read" : "allows")")
            default: propertyFailed("evaluate(Host: \(show(host))) rejected with \(rejection)")
            }
        }
    }

    // 4. Origins.
    for text in origins.prefix(8) {
        guard let origin = WebOrigin(parsing: text) else { continue }
        require(WebOrigin(parsing: origin.description) == origin, "WebOrigin \(show(text)) prints \(show(origin.description)), which parses differently")
        let rest = lower(text.utf8).drop { $0 != UInt8(ascii: "/") }.dropFirst(2)
        let expected = referenceSplit(Array(rest))
        require(expected.map { sameBytes(String(decoding: $0.host, as: UTF8.self), origin.host) } == true, "WebOrigin \(show(text)) has host \(show(origin.host))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
