#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Randomness for security decisions, drawn only from the operating system's CSPRNG.
///
/// On Linux it calls `getrandom(2)` once per request for all the bytes needed; on Apple
/// platforms `arc4random_buf(3)`. Both are cryptographically secure. Rampart never uses a
/// seeded generator.
///
/// See [getrandom(2)](https://man7.org/linux/man-pages/man2/getrandom.2.html) and
/// [MDN: Crypto.getRandomValues()](https://developer.mozilla.org/en-US/docs/Web/API/Crypto/getRandomValues)
/// for the browser-side counterpart.
public enum SecureRandom {
    /// Returns `count` bytes from the system CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills a buffer from the system CSPRNG.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Darwin)
        arc4random_buf(base, buffer.count)
        #else
        // getentropy(3) is one getrandom(2) call for up to 256 bytes.
        var offset = 0
        while offset < buffer.count {
            let chunk = min(256, buffer.count - offset)
            if getentropy(base + offset, chunk) == 0 {
                offset += chunk
            } else {
                // Only possible before the kernel pool is seeded or with a broken libc: use the
                // standard library's CSPRNG (the same kernel source) rather than fail.
                var generator = SystemRandomNumberGenerator()
                while offset < buffer.count {
                    var word = generator.next()
                    let n = min(8, buffer.count - offset)
                    withUnsafeBytes(of: &word) { (base + offset).copyMemory(from: $0.baseAddress!, byteCount: n) }
                    offset += n
                }
            }
        }
        #endif
    }
}
