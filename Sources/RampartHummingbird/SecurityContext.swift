import Hummingbird
import NIOCore
import Rampart
import Synchronization

/// A request context that carries Rampart's per-request security state.
///
/// Adopt it in your app's context by storing a ``SecurityContext`` created from the source:
/// ```swift
/// struct AppContext: RampartRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var security: SecurityContext
///     init(source: ApplicationRequestContextSource) {
///         coreContext = .init(source: source)
///         security = SecurityContext(source: source)
///     }
/// }
/// ```
///
/// See [Hummingbird: Request Context](https://docs.hummingbird.codes/2.0/documentation/hummingbird/requestcontexts).
public protocol RampartRequestContext: RequestContext {
    /// Rampart's state for this request.
    var security: SecurityContext { get set }
}

/// Rampart's per-request state: the TCP peer, whether the request is HTTPS, and the CSP nonce.
///
/// ``SecurityHeadersMiddleware`` fills it in before the handler runs.
public struct SecurityContext: Sendable {
    /// The TCP peer's address (the proxy's, behind a proxy), or `nil` for a Unix socket or a
    /// test channel.
    public let peerAddress: IPAddress?
    /// Whether the request arrived over HTTPS, judged with trusted proxies only.
    public internal(set) var isSecure: Bool = false
    /// This request's CSP nonce: 128 fresh random bits. Put it on inline `<script>` and
    /// `<style>` elements as `nonce="…"`. `nil` until ``SecurityHeadersMiddleware`` runs.
    ///
    /// The nonce is drawn on the first read (`LazyCSPNonce`): a response on which nothing
    /// read it (JSON, a stylesheet, a redirect) gets a CSP without `'nonce-…'` and may be
    /// cached; one that read it gets `Cache-Control: no-store`.
    public var cspNonce: CSPNonce? { lazyNonce?.nonce }
    /// The slot behind ``cspNonce``, to hand on without drawing the nonce (a template engine
    /// that reads it only if the template stamps it).
    public internal(set) var lazyNonce: LazyCSPNonce?
    /// Where a route group's override of the header policy is left for the outer middleware.
    var policySlot: PolicySlot?
    /// The session, once ``SessionMiddleware`` has loaded it.
    var sessionHandle: SessionHandle?
    /// CSRF state, once ``CSRFMiddleware`` has run.
    var csrfState: CSRFState?

    /// Creates the state for a new request, recording the TCP peer of the connection.
    public init(source: some RequestContextSource) {
        if let source = source as? ApplicationRequestContextSource, let remote = source.channel.remoteAddress {
            self.peerAddress = IPAddress(remote)
        } else {
            self.peerAddress = nil
        }
    }

    /// Creates the state with a known peer, for contexts built outside a Hummingbird channel.
    public init(peerAddress: IPAddress?) {
        self.peerAddress = peerAddress
    }
}

/// A request context with nothing but Hummingbird's core and Rampart's security state.
public struct BasicRampartRequestContext: RampartRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var security: SecurityContext

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.security = SecurityContext(source: source)
    }
}

/// A per-request box through which an inner route-group middleware replaces the header policy
/// that the outer ``SecurityHeadersMiddleware`` applies. The context travels down by value, so
/// a reference is the only way for the choice to travel back out.
final class PolicySlot: Sendable {
    private let value = Mutex<RenderedSecurityHeaders?>(nil)

    func set(_ headers: RenderedSecurityHeaders) {
        value.withLock { $0 = headers }
    }

    var headers: RenderedSecurityHeaders? {
        value.withLock { $0 }
    }
}

extension IPAddress {
    /// The IP address of a NIO socket address; `nil` for Unix domain sockets.
    public init?(_ address: SocketAddress) {
        // sockaddr_in keeps the address at byte 4 and sockaddr_in6 at byte 8, on Linux and on
        // Apple platforms alike (2 bytes of family, or length and family, then the port).
        switch address {
        case .v4:
            let value = address.withSockAddr { pointer, length -> UInt32? in
                guard length >= 8 else { return nil }
                let raw = UnsafeRawPointer(pointer)
                return (4..<8).reduce(UInt32(0)) { $0 << 8 | UInt32(raw.load(fromByteOffset: $1, as: UInt8.self)) }
            }
            guard let value else { return nil }
            self.init(ipv4: value)
        case .v6:
            let bytes = address.withSockAddr { pointer, length -> [UInt8]? in
                guard length >= 24 else { return nil }
                let raw = UnsafeRawPointer(pointer)
                return (8..<24).map { raw.load(fromByteOffset: $0, as: UInt8.self) }
            }
            guard let bytes else { return nil }
            self.init(ipv6Bytes: bytes)
        case .unixDomainSocket:
            return nil
        }
    }
}
