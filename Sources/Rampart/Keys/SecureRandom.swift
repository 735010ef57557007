/// Randomness for security decisions, drawn only from the operating system's CSPRNG.
///
/// `SystemRandomNumberGenerator` reads `getrandom(2)` on Linux and `arc4random_buf(3)` on
/// Apple platforms; both are cryptographically secure. Rampart never uses a seeded generator.
///
/// See [MDN: Crypto.getRandomValues()](https://developer.mozilla.org/en-US/docs/Web/API/Crypto/getRandomValues)
/// for the browser-side counterpart.
public enum SecureRandom {
    /// Returns `count` bytes from the system CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, using: &generator)
            initialized = count
        }
    }

    /// Fills a buffer from the system CSPRNG, eight bytes per call to the generator.
    static func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>, using generator: inout SystemRandomNumberGenerator) {
        var index = 0
        while index < buffer.count {
            var word = generator.next()
            withUnsafeBytes(of: &word) { raw in
                let n = min(8, buffer.count - index)
                for i in 0..<n { buffer[index + i] = raw[i] }
                index += n
            }
        }
    }
}
