#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in whole seconds since the Unix epoch, for expiry checks.
///
/// Expiry is compared in seconds, as `Max-Age` and `Expires` are. A clock is injected wherever
/// time matters, so tests can move it.
public struct WallClock: Sendable {
    let read: @Sendable () -> Int64

    /// A clock with a custom source, for tests.
    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// The system's real-time clock.
    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    /// The current time in seconds since 1970-01-01T00:00:00Z.
    public func now() -> Int64 { read() }
}

/// Formats HTTP dates (RFC 9110 §5.6.7 IMF-fixdate), such as `Sun, 06 Nov 1994 08:49:37 GMT`.
package enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    package static func format(_ seconds: Int64) -> String {
        let dayCount = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - dayCount * 86_400
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = dayCount + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = Int(((dayCount % 7) + 7) % 7)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let h = secondOfDay / 3600
        let m = secondOfDay / 60 % 60
        let s = secondOfDay % 60
        return "\(days[weekday]), \(two(day)) \(months[Int(month) - 1]) \(year) \(two(h)):\(two(m)):\(two(s)) GMT"
    }
}
