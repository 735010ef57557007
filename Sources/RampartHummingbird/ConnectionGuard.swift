import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Rampart

extension HTTPServerBuilder {
    /// An HTTP/1.1 server with Rampart's connection limits: header-section and request-target
    /// size limits (431, 414), header and body timeouts (408), an idle keep-alive timeout, and a
    /// truncated or reset body answered 400 instead of reaching the application as an error.
    /// Every refusal carries the security headers.
    ///
    /// ```swift
    /// let app = Application(router: router, server: try .rampartHTTP1())
    /// // behind TLS terminated by the app itself:
    /// let app = Application(router: router, server: try .tls(.rampartHTTP1(isSecure: true), tlsConfiguration: tls))
    /// ```
    ///
    /// Where the bytes are counted: the request target and each field's `name: value` + CRLF
    /// are counted on the head NIO's HTTP/1.1 parser produced. The parser itself is set to a
    /// backstop of `HTTPLimits.maxHeaderBytes` + `HTTPLimits.maxTargetBytes` bytes (target,
    /// names and values, separators not counted) and exactly `HTTPLimits.maxHeaderFields`
    /// fields, so it never buffers more than that per connection; a section that trips the
    /// backstop is answered 414 when its request line never ended and 431 otherwise. Bodies are
    /// not limited here: routes limit them (`collectBody(limit:what:)`, `UploadPolicy`,
    /// `JSONLimits`).
    ///
    /// - Parameters:
    ///   - limits: The limits and timeouts; `HTTPLimits.standard` by default.
    ///   - headers: The security headers sent on the refusals this layer writes itself (no
    ///     application code runs for them). `SecurityHeaders.strict` by default; pass the
    ///     same set as ``SecurityHeadersMiddleware``.
    ///   - isSecure: Whether connections arrive over TLS (HSTS is then sent on refusals).
    ///   - refusalPages: How the refusals written here look; pass the same pages as
    ///     ``SecurityHeadersMiddleware``. Only the head is known to them (for a 408 or 431 not
    ///     even that), so `RefusalRequest.path` may be empty.
    /// - Throws: `SecurityConfigurationError` for a limit out of range or a bad header set.
    ///
    /// See [RFC 9112 §2.2 (message parsing)](https://www.rfc-editor.org/rfc/rfc9112#section-2.2).
    public static func rampartHTTP1(
        limits: HTTPLimits = .standard,
        headers: SecurityHeaders = .strict,
        isSecure: Bool = false,
        refusalPages: RefusalPages = .standard
    ) throws -> HTTPServerBuilder {
        let settings = ConnectionGuard.Settings(
            limits: try limits.validated(),
            headers: try headers.rendered(),
            isSecure: isSecure,
            pages: refusalPages
        )
        return HTTPServerBuilder { responder in
            RampartHTTP1Channel(responder: responder, settings: settings)
        }
    }
}

/// Hummingbird's HTTP/1.1 child channel with ``ConnectionGuard`` in its pipeline.
struct RampartHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let settings: ConnectionGuard.Settings

    private func base(_ guardHandler: NIOLoopBound<ConnectionGuard>?) -> HTTP1Channel {
        let backstop = settings.limits.maxHeaderBytes + settings.limits.maxTargetBytes
        var configuration = HTTP1Channel.Configuration(
            // Called once, on the channel's event loop, inside `setup`.
            additionalChannelHandlers: guardHandler.map { [$0.value] } ?? [],
            idleTimeout: nil,
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: backstop,
                maxHeaderListSize: backstop,
                maxHeaderFieldCount: settings.limits.maxHeaderFields
            )
        )
        configuration.idleTimeout = nil
        return HTTP1Channel(responder: responder, configuration: configuration)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let guardHandler = ConnectionGuard(settings: settings, logger: logger)
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard.ByteArrival(guardHandler))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base(NIOLoopBound(guardHandler, eventLoop: channel.eventLoop)).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base(nil).handle(value: value, logger: logger)
    }
}

/// Enforces ``HTTPLimits`` on one HTTP/1.1 connection, between NIO's parser and Hummingbird.
///
/// - Heads over the size limits are not passed on; the refusal (431/414) is written here, after
///   any response still owed to an earlier pipelined request, and the connection is closed.
/// - A parse error between requests is answered here (400, or 431/414 for the parser's
///   backstop) and the connection closed; Hummingbird's own bare 400 is never reached.
/// - A parse error, reset or end of input in the middle of a body is passed on as a
///   ``RequestRefusal`` (400 `incompleteBody`), so a handler reading the body throws an
///   `HTTPResponseError`, never a 500; logged at `info`.
/// - Timers: header section (from its first byte), body stall and minimum rate (only while the
///   application is asking for data), idle keep-alive. One scheduled task per connection,
///   re-armed lazily when it fires.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Settings: Sendable {
        let limits: HTTPLimits
        let headers: RenderedSecurityHeaders
        let isSecure: Bool
        let pages: RefusalPages
        let header: TimeAmount
        let bodyIdle: TimeAmount
        let grace: TimeAmount
        let idle: TimeAmount
        /// Nanoseconds of allowance one body byte buys at the minimum rate.
        let nanosPerByte: Int64

        init(limits: HTTPLimits, headers: RenderedSecurityHeaders, isSecure: Bool, pages: RefusalPages = .standard) {
            self.limits = limits
            self.headers = headers
            self.isSecure = isSecure
            self.pages = pages
            header = .init(limits.headerTimeout)
            bodyIdle = .init(limits.bodyIdleTimeout)
            grace = .init(limits.bodyRateGracePeriod)
            idle = .init(limits.idleTimeout)
            nanosPerByte = max(1, 1_000_000_000 / Int64(limits.minimumBodyRate))
        }
    }

    /// Where the connection is in reading requests.
    enum Inbound {
        /// Between requests; `firstByte` is when bytes of the next head began to arrive.
        case awaitingHead(firstByte: NIODeadline?)
        /// A head was passed on and its `.end` not yet.
        case request(Body?)
        /// Refused or failed: nothing more is passed on.
        case dropping(closeAt: NIODeadline?)
    }

    struct Body {
        var lastProgress: NIODeadline
        var rateStart: NIODeadline
        var bytes: Int64
    }

    let settings: Settings
    let logger: Logger
    private var inbound: Inbound = .awaitingHead(firstByte: nil)
    private var responsesPending = 0
    private var lastActivity = NIODeadline.now()
    private var closeAfterResponse = false
    private var queuedRefusal: (RequestRefusal, HTTPRequest?)?
    /// Whether a `\n` arrived since the current head began (tells 414 from 431 on a parser
    /// overflow).
    private var sawLineEnd = false
    /// Data arrived and the application has not asked for more yet (backpressure).
    private var pausedSince: NIODeadline?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?

    init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastActivity = .now()
        arm(lastActivity + settings.idle)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    // MARK: bytes from the socket (via ByteArrival, before the parser)

    fileprivate func bytesArrived(_ buffer: ByteBuffer) {
        switch inbound {
        case .awaitingHead(nil):
            let now = NIODeadline.now()
            inbound = .awaitingHead(firstByte: now)
            arm(now + settings.header)
            // A read that begins with a method and a space begins the head: look for the end of
            // its request line. Otherwise the head began in an earlier read, behind a pipelined
            // request, where it could not be told apart: a parser overflow is then answered 431.
            sawLineEnd = Self.beginsRequestLine(buffer) ? buffer.readableBytesView.contains(UInt8(ascii: "\n")) : true
        case .awaitingHead(.some) where !sawLineEnd:
            sawLineEnd = buffer.readableBytesView.contains(UInt8(ascii: "\n"))
        default:
            break
        }
    }

    /// Whether a buffer starts like a request line: an upper-case method token and a space.
    static func beginsRequestLine(_ buffer: ByteBuffer) -> Bool {
        let view = buffer.readableBytesView.prefix(24)
        guard let space = view.firstIndex(of: UInt8(ascii: " ")), space > view.startIndex else { return false }
        return view[..<space].allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    // MARK: inbound parts

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (part, inbound) {
        case (_, .dropping):
            return
        case (.head(let head), _):
            if let refusal = check(head) {
                refuse(refusal, head: head, context: context)
                return
            }
            responsesPending += 1
            if Self.hasBody(head) {
                let now = NIODeadline.now()
                inbound = .request(Body(lastProgress: now, rateStart: now, bytes: 0))
                arm(bodyDeadline(Body(lastProgress: now, rateStart: now, bytes: 0)))
            } else {
                inbound = .request(nil)
            }
        case (.body(let buffer), .request(var body?)):
            body.lastProgress = .now()
            body.bytes += Int64(buffer.readableBytes)
            inbound = .request(body)
        case (.end, .request):
            inbound = .awaitingHead(firstByte: nil)
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if let pausedSince {
            self.pausedSince = nil
            if case .request(var body?) = inbound {
                // Time the application was not reading is not the client's.
                let now = NIODeadline.now()
                body.rateStart = body.rateStart + (now - pausedSince)
                body.lastProgress = max(body.lastProgress, now)
                inbound = .request(body)
                rearmNow()
            }
        }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .request(.some) = inbound { pausedSince = .now() }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch inbound {
        case .awaitingHead:
            guard let parserError = error as? HTTPParserError else {
                context.fireErrorCaught(error)
                return
            }
            if case .headerOverflow = parserError {
                refuse(
                    sawLineEnd
                        ? RequestRefusal(
                            status: .requestHeaderFieldsTooLarge,
                            reason: "headerTooLarge",
                            message: "the header section is over \(settings.limits.maxHeaderBytes) bytes or \(settings.limits.maxHeaderFields) fields"
                        )
                        : .targetTooLong(limit: settings.limits.maxTargetBytes),
                    context: context
                )
            } else {
                refuse(.malformed, context: context)
            }
        case .request:
            // A body cut short: the parser's EOF or framing error, or a reset.
            logger.info(
                "Rampart refused request",
                metadata: ["rampart.reason": "incompleteBody", "error.type": .string(String(describing: type(of: error)))]
            )
            inbound = .dropping(closeAt: .now() + settings.bodyIdle)
            closeAfterResponse = true
            rearmNow()
            context.fireErrorCaught(RequestRefusal.incompleteBody)
        case .dropping:
            break
        }
    }

    // MARK: outbound parts

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            if responsesPending == 1, case .request(.some) = inbound {
                // Answered before its body arrived (a 413 on the declared length, a 403):
                // don't read the rest; close once the response is out.
                closeAfterResponse = true
            }
            guard closeAfterResponse || queuedRefusal != nil else {
                context.write(data, promise: promise)
                return
            }
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end:
            responsesPending = max(0, responsesPending - 1)
            guard responsesPending == 0 else {
                context.write(data, promise: promise)
                return
            }
            if let (refusal, head) = queuedRefusal {
                context.write(data, promise: promise)
                queuedRefusal = nil
                writeRefusal(refusal, head: head, context: context)
            } else if closeAfterResponse {
                context.writeAndFlush(data, promise: promise)
                finishAndLinger(context: context)
            } else {
                lastActivity = .now()
                if case .awaitingHead(nil) = inbound { arm(lastActivity + settings.idle) }
                context.write(data, promise: promise)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    // MARK: refusals

    private func check(_ head: HTTPRequest) -> RequestRefusal? {
        settings.limits.refusal(for: head)
    }

    private static func hasBody(_ head: HTTPRequest) -> Bool {
        if head.headerFields[.transferEncoding] != nil { return true }
        guard let length = head.headerFields[.contentLength] else { return false }
        return length != "0"
    }

    /// Stops passing requests on and answers `refusal` once every earlier response is written.
    private func refuse(_ refusal: RequestRefusal, head: HTTPRequest? = nil, context: ChannelHandlerContext) {
        logger.info(
            "Rampart refused request",
            metadata: ["rampart.reason": .string(refusal.reason), "http.status": .stringConvertible(refusal.status.code)]
        )
        inbound = .dropping(closeAt: .now() + settings.bodyIdle)
        rearmNow()
        if responsesPending == 0 {
            writeRefusal(refusal, head: head, context: context)
        } else {
            queuedRefusal = (refusal, head)
        }
    }

    /// Writes a refusal through the ``RefusalPages``, with the security headers.
    private func writeRefusal(_ refusal: RequestRefusal, head: HTTPRequest?, context: ChannelHandlerContext) {
        let status = refusal.status
        let nonce = CSPNonce()
        let page = settings.pages.page(for: refusal, request: RefusalRequest(head: head, cspNonce: nonce))
        let body = ByteBuffer(string: page.body)
        var fields = refusal.headerFields
        fields[.contentType] = page.contentType
        fields[.contentLength] = String(body.readableBytes)
        fields[.cacheControl] = "no-store"
        fields[.connection] = "close"
        settings.headers.apply(to: &fields, nonce: nonce, isSecure: settings.isSecure, status: status)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        finishAndLinger(context: context)
    }

    /// How long a closing connection keeps reading (and discarding) what the client still
    /// sends, so the response is not lost to a reset (nginx's lingering close).
    static let linger = TimeAmount.seconds(2)

    /// Closes the sending side once the response is out, and the whole connection when the
    /// client closes its side or after ``linger``.
    private func finishAndLinger(context: ChannelHandlerContext) {
        inbound = .dropping(closeAt: .now() + Self.linger)
        rearmNow()
        let closed = context.eventLoop.makePromise(of: Void.self)
        closed.futureResult.whenFailure { _ in context.close(promise: nil) }
        context.close(mode: .output, promise: closed)
    }

    // MARK: the timer

    private func bodyDeadline(_ body: Body) -> NIODeadline {
        let allowance = max(settings.grace.nanoseconds, body.bytes &* settings.nanosPerByte)
        return min(body.lastProgress + settings.bodyIdle, body.rateStart + .nanoseconds(allowance))
    }

    /// When the current state next needs a look, if ever.
    private func deadline() -> NIODeadline? {
        switch inbound {
        case .awaitingHead(let firstByte?):
            return firstByte + settings.header
        case .awaitingHead(nil):
            return responsesPending == 0 ? lastActivity + settings.idle : nil
        case .request(let body?):
            return pausedSince == nil ? bodyDeadline(body) : nil
        case .request(nil):
            return nil
        case .dropping(let closeAt):
            return closeAt
        }
    }

    /// Makes sure the timer fires no later than `deadline`. A timer already due sooner stays;
    /// it re-evaluates when it fires.
    private func arm(_ deadline: NIODeadline) {
        guard let context else { return }
        if timer != nil, let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            self.timer = nil
            self.timerDeadline = nil
            self.fire()
        }
    }

    private func rearmNow() {
        if let deadline = deadline() { arm(deadline) }
    }

    private func fire() {
        guard let context, let deadline = deadline() else { return }
        let now = NIODeadline.now()
        if deadline > now {
            arm(deadline)
            return
        }
        switch inbound {
        case .awaitingHead(.some):
            refuse(.headerTimeout, context: context)
        case .awaitingHead(nil):
            logger.debug("Closing an idle keep-alive connection")
            context.close(promise: nil)
        case .request:
            logger.info("Rampart refused request", metadata: ["rampart.reason": "bodyTimeout", "http.status": "408"])
            inbound = .dropping(closeAt: now + settings.bodyIdle)
            closeAfterResponse = true
            rearmNow()
            context.fireErrorCaught(RequestRefusal.bodyTimeout)
        case .dropping:
            context.close(promise: nil)
        }
    }

    /// Sits before the HTTP parser and tells the guard when bytes arrive.
    final class ByteArrival: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let guardHandler: ConnectionGuard

        init(_ guardHandler: ConnectionGuard) { self.guardHandler = guardHandler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardHandler.bytesArrived(unwrapInboundIn(data))
            context.fireChannelRead(data)
        }
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
