import Hummingbird
import Logging
import NIOCore
import Rampart
import RampartHummingbird

/// The reference application's request context.
public typealias AppRequestContext = BasicRampartRequestContext

/// Builds the reference application's router: every route behind Rampart's middleware.
public func buildRouter(_ configuration: AppConfiguration) throws -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: try SecurityHeadersMiddleware(headers: configuration.headers, transport: configuration.transport))
    router.get("/") { _, context in
        HTMLResponse(html: DemoPage.render(nonce: context.security.cspNonce, isSecure: context.security.isSecure))
    }
    router.get(.init(stringLiteral: AppConfiguration.healthPath)) { _, _ in
        "ok\n"
    }
    return router
}

/// Builds the reference application, ready to run with `runService()`.
public func buildApplication(
    _ configuration: AppConfiguration,
    logger: Logger = Logger(label: "rampart"),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(configuration)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.hostname, port: configuration.port)),
        onServerRunning: onServerRunning,
        logger: logger
    )
}
