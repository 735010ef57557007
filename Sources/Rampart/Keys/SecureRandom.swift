import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Randomness for security decisions, drawn only from the operating system's CSPRNG.
///
/// Per-request values (CSP nonces, CSRF token masks, session ids, one-time token ids) come from
/// a **per-thread buffer** that is refilled with ``bufferSize`` bytes from `getrandom(2)` (through `getentropy(3)`, 256 bytes
/// a call; `arc4random_buf(3)` on Apple platforms) whenever it runs dry. Every byte is the kernel's own
/// output, handed out once and then wiped from the buffer; there is no user-space generator and
/// no seed to predict. Batching turns one system call per value into one per 256 bytes, which is
/// what makes a fresh nonce and a fresh mask on every response cheap.
///
/// - Each thread has its own buffer, so no lock is taken on the hot path and no two threads can
///   hand out the same bytes.
/// - After `fork(2)` the child discards every buffer it inherited (a `pthread_atfork` handler
///   advances a generation number that each buffer checks), so parent and child never share
///   bytes.
/// - Keys (``systemBytes(_:)``) bypass the buffer and come straight from the kernel.
///
/// Decision record 0011 explains the construction.
///
/// See [getrandom(2)](https://man7.org/linux/man-pages/man2/getrandom.2.html) and
/// [MDN: Crypto.getRandomValues()](https://developer.mozilla.org/en-US/docs/Web/API/Crypto/getRandomValues)
/// for the browser-side counterpart.
public enum SecureRandom {
    /// How many bytes one refill draws from the kernel.
    public static let bufferSize = 4096

    /// Returns `count` bytes from the CSPRNG (through the per-thread buffer).
    public static func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills a buffer from the CSPRNG, through the per-thread buffer for requests of up to 256
    /// bytes and straight from the kernel for larger ones.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        guard buffer.count <= 256 else { return systemFill(buffer) }
        ThreadRandomBuffer.current.take(into: buffer)
    }

    /// Returns `count` bytes straight from the kernel, for long-lived secrets such as keys.
    public static func systemBytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            systemFill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills a buffer straight from the kernel's CSPRNG.
    public static func systemFill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Darwin)
        arc4random_buf(base, buffer.count)
        #else
        // getentropy(3) is one getrandom(2) call for up to 256 bytes; it never returns short
        // and never blocks once the kernel pool is initialised.
        var offset = 0
        while offset < buffer.count {
            let chunk = min(256, buffer.count - offset)
            if getentropy(base + offset, chunk) == 0 {
                offset += chunk
            } else {
                // Only possible with a kernel older than 3.17 or a seccomp filter: use the
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

/// The per-thread buffer behind ``SecureRandom/fill(_:)``.
final class ThreadRandomBuffer {
    let storage: UnsafeMutableRawBufferPointer
    /// The next unused byte; bytes before it have been handed out and wiped.
    var offset: Int
    /// The fork generation the contents were drawn in.
    var generation: UInt64

    init() {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: SecureRandom.bufferSize, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        offset = SecureRandom.bufferSize
        generation = 0
    }

    deinit {
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        storage.deallocate()
    }

    func take(into buffer: UnsafeMutableRawBufferPointer) {
        let current = forkGeneration.load(ordering: .relaxed)
        if generation != current || offset + buffer.count > storage.count {
            SecureRandom.systemFill(storage)
            offset = 0
            generation = current
        }
        let source = storage.baseAddress! + offset
        buffer.baseAddress!.copyMemory(from: source, byteCount: buffer.count)
        // Wipe what was handed out: a later memory disclosure reveals no past value.
        source.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
        offset += buffer.count
    }

    /// This thread's buffer, created on first use and freed when the thread exits.
    static var current: ThreadRandomBuffer {
        let key = threadKey
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<ThreadRandomBuffer>.fromOpaque(pointer).takeUnretainedValue()
        }
        let buffer = ThreadRandomBuffer()
        pthread_setspecific(key, Unmanaged.passRetained(buffer).toOpaque())
        return buffer
    }
}

/// Advanced in the child after `fork(2)`, so inherited buffers are refilled before use.
private let forkGeneration = Atomic<UInt64>(0)

private let threadKey: pthread_key_t = {
    var key = pthread_key_t()
    #if canImport(Darwin)
    let status = pthread_key_create(&key) { pointer in
        Unmanaged<ThreadRandomBuffer>.fromOpaque(pointer).release()
    }
    #else
    let status = pthread_key_create(&key) { pointer in
        guard let pointer else { return }
        Unmanaged<ThreadRandomBuffer>.fromOpaque(pointer).release()
    }
    #endif
    precondition(status == 0, "pthread_key_create failed (\(status)): no thread-local random buffers")
    pthread_atfork(nil, nil) {
        forkGeneration.add(1, ordering: .relaxed)
    }
    return key
}()
