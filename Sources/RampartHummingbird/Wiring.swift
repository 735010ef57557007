import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Rampart
import Synchronization

/// Checks at startup, before the app serves anything, that Rampart's middleware on a router is
/// present and in the one right order: ``SecurityHeadersMiddleware``, then
/// ``SessionMiddleware``, then ``CSRFMiddleware``.
///
/// ``RampartSetup``'s single ``RampartMiddleware`` cannot be misordered; call this when you add
/// the pieces one by one:
///
/// ```swift
/// router.add(middleware: try SecurityHeadersMiddleware(transport: transport))
/// router.add(middleware: SessionMiddleware(manager: sessions))
/// router.add(middleware: CSRFMiddleware(configuration: csrf))
/// try await RampartWiring.check(router)   // throws RampartWiringError, naming the right order
/// ```
///
/// It sends one probe request through the router's middleware. Rampart's middleware recognise
/// the probe, note their position and pass it on without doing anything else (no session is
/// read, no nonce drawn, nothing logged). Its method (`RAMPART-WIRING-PROBE`) matches no route,
/// so no handler runs. Only middleware added to the router itself are seen, not those of route
/// groups, and an app middleware that answers before Rampart's (a 404 of its own) hides those
/// after it.
///
/// See [OWASP Secure Product Design](https://cheatsheetseries.owasp.org/cheatsheets/Secure_Product_Design_Cheat_Sheet.html).
public enum RampartWiring {
    /// Throws ``RampartWiringError`` when security headers are missing, or the pieces are in the
    /// wrong order.
    public static func check<Context: RampartRequestContext>(
        _ router: Router<Context>,
        logger: Logger = Logger(label: "rampart")
    )
        async throws where Context.Source == ApplicationRequestContextSource
    {
        let probe = WiringProbe()
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        let context = Context(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        // A method no route is registered for, so no handler runs whatever the path.
        let request = Request(
            head: HTTPRequest(
                method: HTTPRequest.Method("RAMPART-WIRING-PROBE")!,
                scheme: "http",
                authority: "rampart-wiring.invalid",
                path: "/"
            ),
            body: RequestBody(buffer: ByteBuffer())
        )
        let responder = router.buildResponder()
        await WiringProbe.$current.withValue(probe) {
            _ = try? await responder.respond(to: request, context: context)
        }
        if let misuse = probe.verdict() { throw RampartWiringError(misuse: misuse) }
    }
}

/// Rampart's middleware is missing or in the wrong order; thrown at startup by
/// ``RampartWiring/check(_:logger:)``. Its description says what is wrong and the right order.
///
/// See [OWASP Secure Product Design](https://cheatsheetseries.owasp.org/cheatsheets/Secure_Product_Design_Cheat_Sheet.html).
public struct RampartWiringError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let misuse: RampartMisuse

    public var description: String { "Rampart is wired wrongly: " + misuse.message }
}

/// The positions Rampart's middleware took on one probe request.
final class WiringProbe: Sendable {
    enum Piece: Sendable { case headers, sessions, csrf }

    @TaskLocal static var current: WiringProbe?

    private let pieces = Mutex<[Piece]>([])

    func record(_ piece: Piece) {
        pieces.withLock { $0.append(piece) }
    }

    func verdict() -> RampartMisuse? {
        let order = pieces.withLock { $0 }
        guard let headers = order.firstIndex(of: .headers) else { return .noSecurityHeaders }
        let sessions = order.firstIndex(of: .sessions)
        if let sessions, sessions < headers { return .headersInsideSessions }
        if let csrf = order.firstIndex(of: .csrf), sessions.map({ $0 > csrf }) ?? true { return .csrfBeforeSessions }
        return nil
    }
}
