#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

// MARK: Driver

/// The entry point libFuzzer calls for each input.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzTestOneInput
) -> CInt

/// Hands control to libFuzzer with the process's arguments (`-runs=`, `-max_total_time=`, corpus
/// directories, …) and exits with its status.
public func runFuzzer(_ callback: FuzzTestOneInput) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

// MARK: Properties

/// Checks a property; when it fails, prints what was expected and aborts, so that libFuzzer
/// saves the input as a crash.
@inline(__always)
public func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { propertyFailed(message(), file: file, line: line) }
}

/// Reports a property failure and aborts.
public func propertyFailed(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = "\n==== PROPERTY VIOLATED at \(file):\(line)\n\(message)\n"
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// A value shown with its UTF-8 bytes, for failure messages (`debugDescription` hides
/// combining marks and canonical equivalents that matter here).
public func show(_ text: some StringProtocol) -> String {
    "\(String(text).debugDescription) utf8=[\(text.utf8.map { String($0, radix: 16) }.joined(separator: " "))]"
}

/// Prints a line on stderr when `RAMPART_FUZZ_VERBOSE` is set (to see what a target did with an input).
public func verbose(_ message: @autoclosure () -> String) {
    guard verboseEnabled else { return }
    var bytes = Array((message() + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

let verboseEnabled = getenv("RAMPART_FUZZ_VERBOSE") != nil

// MARK: Input

/// A cursor over the fuzzer's bytes, for targets that derive structured values from them.
/// Reading past the end yields zeros and empty values, never a trap.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { max(0, bytes.count - offset) }

    /// The whole input as text (invalid UTF-8 becomes U+FFFD, as any String from the wire).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A number in `range`, from one or two bytes.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = range.upperBound - range.lowerBound + 1
        let raw = span <= 256 ? Int(byte()) : Int(byte()) << 8 | Int(byte())
        return range.lowerBound + raw % span
    }

    /// Up to `maximum` bytes, the length taken from the input first.
    public mutating func bytes(upTo maximum: Int) -> [UInt8] {
        let count = min(int(in: 0...maximum), remaining)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        guard offset < bytes.count else { return [] }
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// A string of up to `maximum` characters from `alphabet`.
    public mutating func string(from alphabet: [UInt8], upTo maximum: Int, minimum: Int = 0) -> String {
        let count = int(in: minimum...max(minimum, maximum))
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(alphabet[Int(byte()) % alphabet.count]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Reads `key: value` lines, the readable format of the targets that take several header fields.
/// Keys are lowercased ASCII; lines without `:` are skipped.
public func headerLines(_ text: String) -> [(key: String, value: String)] {
    var out: [(key: String, value: String)] = []
    for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
        let key = String(decoding: line[..<colon].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        var value = line[line.index(after: colon)...]
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        out.append((key.trimmingASCIISpaces, String(decoding: value, as: UTF8.self)))
    }
    return out
}

extension String {
    /// Trims ASCII spaces and tabs, byte-wise.
    public var trimmingASCIISpaces: String {
        var bytes = Array(utf8)[...]
        while let b = bytes.first, b == 0x20 || b == 0x09 { bytes = bytes.dropFirst() }
        while let b = bytes.last, b == 0x20 || b == 0x09 { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Byte-wise equality: `==` on `String` is canonical equivalence, which is what the targets look for.
public func sameBytes(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
    a.utf8.elementsEqual(b.utf8)
}

// MARK: Async

/// A task executor that runs jobs on the calling thread, so an async API that never really
/// suspends (an in-memory body, an in-memory store) runs inside one fuzz iteration without
/// thread hops.
final class InlineTaskExecutor: TaskExecutor, Sendable {
    private let queue = Mutex<[UnownedJob]>([])

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.append(unowned) }
    }

    /// Runs queued jobs until none is left; returns whether any ran.
    @discardableResult
    func drain() -> Bool {
        var ran = false
        while let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            job.runSynchronously(on: asUnownedTaskExecutor())
            ran = true
        }
        return ran
    }
}

final class Box<Value>: @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var value: Value?
    func set(_ v: Value) { lock.withLock { _ in value = v } }
    func get() -> Value? { lock.withLock { _ in value } }
}

let inlineExecutor = InlineTaskExecutor()

/// Runs `body` to completion on the calling thread and returns its result.
public func runSync<T>(_ body: sending @escaping () async -> T) -> T {
    let box = Box<T>()
    let task = Task(executorPreference: inlineExecutor) {
        box.set(await body())
    }
    while true {
        inlineExecutor.drain()
        if let value = box.get() {
            _ = task
            return value
        }
        // A job resumed elsewhere (not expected here): give it a moment.
        sched_yield()
    }
}

// MARK: Dump

/// Appends one JSON line per accepted input to the file named by `RAMPART_FUZZ_DUMP`, for
/// `check_corpus.py` to check against reference implementations (html5lib, a WHATWG URL parser).
/// Off unless the variable is set, so fuzzing itself never writes.
public enum Dump {
    nonisolated(unsafe) static let file: UnsafeMutablePointer<FILE>? = {
        guard let path = getenv("RAMPART_FUZZ_DUMP") else { return nil }
        return fopen(path, "a")
    }()

    public static var isEnabled: Bool { file != nil }

    /// The directory named by `RAMPART_FUZZ_WRITE_SEEDS`, for targets that make their own seeds.
    public static var seedDirectory: String? { getenv("RAMPART_FUZZ_WRITE_SEEDS").map { String(cString: $0) } }

    /// Writes each value to `dir/name` and exits.
    public static func writeSeeds(to dir: String, _ seeds: KeyValuePairs<String, String>) -> Never {
        for (name, text) in seeds {
            guard let file = fopen(dir + "/" + name, "w") else { propertyFailed("cannot write \(dir)/\(name)") }
            fputs(text, file)
            fclose(file)
        }
        exit(0)
    }

    /// Writes `{"kind": kind, key: value, …}` as one line.
    public static func record(_ kind: String, _ fields: KeyValuePairs<String, String>) {
        guard let file else { return }
        var line = "{\"kind\":\(json(kind))"
        for (key, value) in fields { line += ",\(json(key)):\(json(value))" }
        line += "}\n"
        fputs(line, file)
        fflush(file)
    }

    /// A JSON string literal (RFC 8259 §7).
    public static func json(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.utf8.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Replaces every occurrence of `target` by `replacement`, comparing UTF-8 bytes (Foundation's
/// `replacingOccurrences` compares composed characters, which is not what byte-level checks want).
public func replacingBytes(_ text: String, _ target: String, with replacement: String) -> String {
    let bytes = Array(text.utf8), needle = Array(target.utf8), with = Array(replacement.utf8)
    guard !needle.isEmpty else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
        if bytes.count - i >= needle.count, bytes[i..<(i + needle.count)].elementsEqual(needle) {
            out += with
            i += needle.count
        } else {
            out.append(bytes[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

// MARK: Known issues

/// A bug a target found that is not fixed yet. A bug left alone stops its target at once and hides
/// everything else, so a property that fails only in a known issue's way may pass (reported once
/// on stderr) while the bug waits for its fix; `RAMPART_FUZZ_KNOWN_ISSUES=fail` makes them fail
/// again. Each needs a failing test (Tests/RampartTests/FuzzRegressionTests.swift) and a line in
/// Fuzz/README.md; delete it once the test passes. None is open today; declare one as
/// `static let name = KnownIssue(id: "name")` and call `known(.name, when: …)` in the property.
public struct KnownIssue: Hashable, Sendable {
    public let id: String
    public init(id: String) { self.id = id }

    static let failing = getenv("RAMPART_FUZZ_KNOWN_ISSUES").map { String(cString: $0) == "fail" } ?? false
    nonisolated(unsafe) static var reported = Set<String>()
}

/// Whether a property failure is the known issue `issue` (when `applies` says the input is in its
/// scope) and may pass.
public func known(_ issue: KnownIssue, when applies: Bool) -> Bool {
    guard applies, !KnownIssue.failing else { return false }
    if KnownIssue.reported.insert(issue.id).inserted {
        var line = Array("INFO: known issue \(issue.id) hit (see Fuzz/README.md); not counted as a crash\n".utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
    return true
}
