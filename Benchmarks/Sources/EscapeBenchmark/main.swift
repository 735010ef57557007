// Escape throughput on 64 MiB of text, as GB/s and as a ratio to a memchr scan of the same
// buffer (the physical limit of reading it), measured in the same run.
//   swift run -c release EscapeBenchmark
// Compare with MarkupSafe's C speedups: python3 load/markupsafe_bench.py
// LeafKit 1.14.3's `String.htmlEscaped()` (what Leaf's `#(x)` runs: correct, per Unicode scalar,
// built with `+=`) is measured in the same run, on a 1/16 slice scaled up (it is slow).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LeafKit
import Rampart

let size = 64 * 1024 * 1024

/// Mostly clean English-like ASCII text, the same recipe as load/markupsafe_bench.py.
func cleanText() -> [UInt8] {
    let paragraph = Array("The quick brown fox jumps over the lazy dog, then reads the manual: section 4.2, page 17. Users post comments; most of them are plain text with numbers 0123456789 and punctuation (like this) - nothing more!\n".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size)
    while bytes.count < size { bytes += paragraph }
    return Array(bytes.prefix(size))
}

/// The clean text with 10% of its bytes replaced by the five special characters.
func dirtyText() -> [UInt8] {
    var bytes = cleanText()
    var generator = SplitMix64(seed: 42)
    let specials = Array("&<>\"'".utf8)
    for _ in 0..<(size / 10) {
        let position = Int(generator.next() % UInt64(size))
        bytes[position] = specials[Int(generator.next() % 5)]
    }
    return bytes
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// The byte memchr looks for, read at run time so the scan cannot be hoisted or skipped.
nonisolated(unsafe) var needle: Int32 = CommandLine.arguments.count > 99 ? 1 : 0
nonisolated(unsafe) var sink: UnsafeMutableRawPointer? = nil

@inline(never)
func memchrScan(_ buffer: UnsafeRawBufferPointer) {
    sink = memchr(buffer.baseAddress!, needle, buffer.count)
    needle = sink == nil ? needle : needle
}

/// Median seconds of 7 runs.
func seconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    body()
    var samples: [Double] = []
    for _ in 0..<7 {
        let start = clock.now
        body()
        let elapsed = clock.now - start
        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    return samples.sorted()[3]
}

/// What swift-mustache 2.1.1 does: walk `Character`s and look each up. Unsafe (a quote with a
/// combining mark passes through) and shown only for speed.
func characterEscape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

func gbps(_ s: Double) -> String {
    let value = Double(size) / s / 1e9
    return String((value * 100).rounded() / 100).leftPadded(7) + " GB/s"
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

print("Escape throughput, 64 MiB, median of 7 (ratio to the memchr scan of the same buffer)")
for (label, bytes) in [("mostly clean text", cleanText()), ("10% special characters", dirtyText())] {
    let text = String(decoding: bytes, as: UTF8.self)
    let scan = bytes.withUnsafeBytes { buffer in seconds { memchrScan(buffer) } }
    let copy = bytes.withUnsafeBytes { buffer in
        let target = UnsafeMutableRawPointer.allocate(byteCount: buffer.count, alignment: 16)
        defer { target.deallocate() }
        return seconds { blackHole(memcpy(target, buffer.baseAddress!, buffer.count)) }
    }
    let outputSize = HTML.escape(text).utf8.count
    // The floor for producing any String of the output's size: allocate, fault in, fill, validate.
    let produce = seconds {
        blackHole(String(unsafeUninitializedCapacity: outputSize) { out in
            memset(out.baseAddress!, 0x61, outputSize)
            return outputSize
        })
    }
    let rampart = seconds { blackHole(HTML.escape(text)) }
    let rampartBytes = seconds { blackHole(HTML.escape(utf8: bytes)) }
    // LeafKit on a sixteenth of the text, scaled to the whole: the same bytes per second.
    let slice = String(decoding: bytes.prefix(size / 16), as: UTF8.self)
    precondition(slice.htmlEscaped() == HTML.escape(slice), "LeafKit and Rampart disagree")
    let leafKit = seconds { blackHole(slice.htmlEscaped()) } * 16
    // Opt-in: at about 0.01 GB/s it takes minutes.
    let characters = CommandLine.arguments.contains("--character-walk") ? seconds { blackHole(characterEscape(text)) } : .infinity
    let output = HTML.escape(text).utf8.count
    print("")
    print("\(label) (output \(output) bytes):")
    for (name, s) in [
        ("baseline: memchr scan (physical limit)", scan),
        ("memcpy of the buffer", copy),
        ("new String of the output size (alloc+fill)", produce),
        ("Rampart HTML.escape(String)", rampart),
        ("Rampart HTML.escape(utf8:) (validates UTF-8)", rampartBytes),
        ("LeafKit 1.14.3 String.htmlEscaped()", leafKit),
    ] + (characters.isFinite ? [("Character walk, as swift-mustache (unsafe)", characters)] : []) {
        let ratio = String((scan / s * 1000).rounded() / 1000)
        print("  \(name.padded(48)) \(gbps(s))   \(ratio.leftPadded(6))× memchr speed")
    }
    print("  Rampart HTML.escape / LeafKit htmlEscaped: \(String((leafKit / rampart * 10).rounded() / 10))× faster")
}
