import Foundation
import Logging
import NIOCore
import PostgresNIO
import Rampart
import Synchronization
import _ConnectionPoolModule

/// How the database is reached: each operation has a deadline, and errors that mean "the server
/// cannot be reached" become ``StoreUnavailable`` (a 503 with `Retry-After`), while errors that
/// mean a bug (a constraint, a decoding failure) stay as they are (a 500).
///
/// PostgresNIO's pool keeps a request queued while it cannot connect, for up to a minute before
/// its circuit breaker trips; the deadline turns that wait into a prompt 503. The pool keeps
/// reconnecting with backoff, so service resumes by itself when the server returns.
///
/// See [PostgreSQL error codes](https://www.postgresql.org/docs/current/errcodes-appendix.html).
public struct PostgresTimeouts: Sendable, Hashable {
    /// The longest an operation may take while the database is healthy: 5 seconds.
    public var operation: Duration
    /// The longest an operation may take while the last one found the database unreachable:
    /// 1 second, so an outage answers 503 quickly while still noticing recovery.
    public var degraded: Duration
    /// The `Retry-After` seconds of the resulting 503: 5.
    public var retryAfterSeconds: Int

    /// Creates the timeouts.
    public init(operation: Duration = .seconds(5), degraded: Duration = .seconds(1), retryAfterSeconds: Int = 5) {
        self.operation = operation
        self.degraded = degraded
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// How many times, and how patiently, startup tries to reach PostgreSQL before giving up.
///
/// The delay doubles from `initialDelay` up to `maximumDelay`: with the defaults (10 attempts,
/// 0.25 s → 5 s) startup gives up after about 25 seconds of waiting, and the process exits non-zero.
public struct StartupRetry: Sendable, Hashable {
    /// Attempts in all, at least 1.
    public var attempts: Int
    /// The first delay.
    public var initialDelay: Duration
    /// The longest delay.
    public var maximumDelay: Duration

    /// Creates the policy.
    /// - Throws: ``SecurityConfigurationError`` naming `databaseConnectAttempts` when `attempts`
    ///   is not 1 to 1000.
    public init(attempts: Int = 10, initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(5)) throws {
        guard (1...1000).contains(attempts) else {
            throw SecurityConfigurationError(
                setting: "databaseConnectAttempts",
                value: String(attempts),
                reason: .invalidValue,
                message: "must be 1 to 1000"
            )
        }
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The delay after failed attempt `attempt` (1-based).
    public func delay(after attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) where delay < maximumDelay { delay = delay * 2 }
        return min(delay, maximumDelay)
    }
}

/// Startup gave up: PostgreSQL could not be reached in the attempts allowed.
public struct DatabaseUnreachableError: Error, Sendable, CustomStringConvertible {
    /// The URL with its password removed.
    public let redactedURL: String
    /// Attempts made.
    public let attempts: Int
    /// The last cause.
    public let cause: String

    public var description: String {
        "PostgreSQL at \(redactedURL) could not be reached after \(attempts) attempt\(attempts == 1 ? "" : "s") (last: \(cause)); "
            + "check that the server is running and the URL, or raise --database-connect-attempts"
    }
}

extension RampartPostgresDatabase {
    /// Runs one database operation under the deadline, mapping unreachability to
    /// ``StoreUnavailable``. The operation runs in its own task: when the deadline passes the
    /// caller gets its 503 at once and the operation is cancelled (its write, if it still
    /// lands, was never acknowledged).
    public func perform<T: Sendable>(_ operation: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let timeout = health.withLock { $0 } ? timeouts.operation : timeouts.degraded
        do {
            let value = try await Self.withDeadline(timeout) { [client] in try await operation(client) }
            health.withLock { $0 = true }
            return value
        } catch let error as DeadlineExceeded {
            health.withLock { $0 = false }
            throw StoreUnavailable(store: "PostgreSQL", cause: "no answer within \(error.timeout)", retryAfter: timeouts.retryAfterSeconds)
        } catch {
            if let cause = Self.unavailabilityCause(error) {
                health.withLock { $0 = false }
                throw StoreUnavailable(store: "PostgreSQL", cause: cause, retryAfter: timeouts.retryAfterSeconds)
            }
            throw error
        }
    }

    /// Whether the last operation reached the server.
    public var isHealthy: Bool { health.withLock { $0 } }

    /// Why an error means the server cannot be reached, or `nil` when it is some other failure.
    static func unavailabilityCause(_ error: any Error) -> String? {
        switch error {
        case let error as PSQLError:
            if error.code == .server {
                // Class 08 (connection exception), 57P01–57P05 (shutdown, cannot connect now),
                // 53300 (too many connections).
                let state = error.serverInfo?[.sqlState] ?? ""
                guard state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" else { return nil }
                return "server error \(state)"
            }
            if [.messageDecodingFailure, .unexpectedBackendMessage, .invalidCommandTag, .tooManyParameters, .queryCancelled].contains(error.code) {
                return nil
            }
            return String(describing: error.code) + (error.underlying.map { ": \(Self.shortCause($0))" } ?? "")
        case let error as PostgresTransactionError:
            // `withTransaction` wraps what failed: the BEGIN, the body or the COMMIT.
            for inner in [error.beginError, error.closureError, error.commitError] {
                if let inner, let cause = unavailabilityCause(inner) { return cause }
            }
            return nil
        case let error as ConnectionPoolError:
            return error == .connectionCreationCircuitBreakerTripped
                ? "connection attempts keep failing" : (error == .poolShutdown ? "pool shut down" : nil)
        case is ChannelError, is IOError, is NIOConnectionError:
            return shortCause(error)
        default:
            return nil
        }
    }

    /// A transport error's own short text (no URL or password is in these).
    static func shortCause(_ error: any Error) -> String {
        switch error {
        case let error as IOError: return error.description
        case let error as ChannelError: return String(describing: error)
        case let error as NIOConnectionError: return error.connectionErrors.first.map { String(describing: $0.error) } ?? "connection failed"
        default: return String(describing: type(of: error))
        }
    }

    struct DeadlineExceeded: Error {
        let timeout: Duration
    }

    /// Runs `operation` in a task of its own and returns its result, or throws
    /// ``DeadlineExceeded`` after `timeout` without waiting for it (it is cancelled).
    static func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.continuation.withLock { $0 = continuation }
                let work = Task {
                    let result: Result<T, any Error>
                    do { result = .success(try await operation()) } catch { result = .failure(error) }
                    if race.finish(result) { race.tasks.withLock { $0.timer }?.cancel() }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    if race.finish(.failure(DeadlineExceeded(timeout: timeout))) { race.tasks.withLock { $0.work }?.cancel() }
                }
                race.tasks.withLock { $0 = (work, timer) }
            }
        } onCancel: {
            let (work, timer) = race.tasks.withLock { $0 }
            work?.cancel()
            timer?.cancel()
        }
    }

    /// Waits until the server accepts a connection and answers `SELECT 1`, retrying with backoff
    /// and logging each failure with the redacted URL and its cause; throws
    /// ``DatabaseUnreachableError`` after the last attempt.
    ///
    /// Each attempt opens one direct connection (with a 3-second connect timeout), so a refused
    /// or failing connection is reported at once, with its reason.
    public func waitUntilReachable(retry: StartupRetry, logger: Logger) async throws {
        for attempt in 1...retry.attempts {
            let cause: String
            do {
                try await Self.withDeadline(timeouts.operation + .seconds(3)) { [probe, logger = self.logger] in
                    let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: logger)
                    do {
                        for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try await connection.close()
                }
                if attempt > 1 { logger.notice("Rampart reached PostgreSQL at \(redactedURL) on attempt \(attempt)") }
                return
            } catch let error as DeadlineExceeded {
                cause = "no answer within \(error.timeout)"
            } catch let error as PSQLError where error.code == .server {
                // Reached, but refused: a wrong password or database is not worth retrying for
                // long, yet a server still starting up (57P03) is; say which.
                cause = "the server refused: SQLSTATE \(error.serverInfo?[.sqlState] ?? "?") \(error.serverInfo?[.message] ?? "")"
            } catch {
                cause = Self.unavailabilityCause(error) ?? String(describing: type(of: error))
            }
            guard attempt < retry.attempts else {
                throw DatabaseUnreachableError(redactedURL: redactedURL, attempts: attempt, cause: cause)
            }
            let delay = retry.delay(after: attempt)
            logger.warning(
                "Rampart cannot reach PostgreSQL at \(redactedURL) (attempt \(attempt) of \(retry.attempts): \(cause)); retrying in \(delay)"
            )
            try await Task.sleep(for: delay)
        }
    }

    /// Runs `delete` only if no other instance is purging `table` right now
    /// (`pg_try_advisory_xact_lock` on the table's OID, so each schema has its own lock), so
    /// instances sharing the database take turns instead of contending for the same rows; the
    /// lock ends with the transaction.
    /// - Parameters:
    ///   - table: The table purged (resolved through `search_path`).
    ///   - delete: A `DELETE … RETURNING` statement; its rows are counted.
    /// - Returns: The rows deleted, or 0 when another instance held the lock.
    public func purge(table: String, _ delete: PostgresQuery) async throws -> Int {
        let logger = self.logger
        return try await perform { client in
            try await client.withTransaction(logger: logger) { connection in
                var acquired = false
                let lock = try await connection.query(
                    "SELECT pg_try_advisory_xact_lock(\(Self.tableLockClass), \(table)::regclass::oid::int4)",
                    logger: logger
                )
                for try await value in lock.decode(Bool.self) { acquired = value }
                guard acquired else { return 0 }
                return try await count(connection.query(delete, logger: logger))
            }
        }
    }

    /// The first key of Rampart's per-table advisory locks ("ramp" in ASCII); the second is the table's OID.
    public static let tableLockClass: Int32 = 0x72_61_6D_70

    /// Takes the transaction-scoped advisory lock of `table`, waiting for it: for statements that
    /// must not interleave across instances (such as choosing the first user as admin).
    public static func lockTable(_ table: String, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("SELECT pg_advisory_xact_lock(\(tableLockClass), \(table)::regclass::oid::int4)", logger: logger)
    }
}

/// The shared state of one ``RampartPostgresDatabase/withDeadline(_:_:)`` race: whichever of the
/// operation and the timer finishes first resumes the caller, once.
final class DeadlineRace<T: Sendable>: Sendable {
    let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
    let tasks = Mutex<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))

    /// Resumes the caller with `result` unless it was already resumed; returns whether it was this call.
    func finish(_ result: Result<T, any Error>) -> Bool {
        guard
            let continuation = continuation.withLock({ value -> CheckedContinuation<T, any Error>? in
                defer { value = nil }
                return value
            })
        else { return false }
        continuation.resume(with: result)
        return true
    }
}
