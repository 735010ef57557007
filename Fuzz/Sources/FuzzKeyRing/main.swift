// The key file and `RAMPART_KEYS` (KeyRing(parsing:)): text read from a file or the environment.
//
// Input: the text of a key file.
//
// Properties:
// 1. A ring that parses holds one key per entry of the text, in order, where entries are what lies
//    between the documented separators (`,`, LF, CR), trimmed of spaces and tabs; each entry is
//    base64url (padding allowed) of a key of at least 32 bytes, and no key is listed twice.
// 2. Keys exported with `exportBase64URL` and written one per line with any line ending (LF, CRLF,
//    CR), or comma-separated with spaces, with or without a final line ending, parse back to the
//    same keys in the same order.
import FuzzSupport
import Rampart

/// Entries between `,` LF and CR, split on bytes, trimmed, empty ones dropped.
func referenceEntries(_ text: String) -> [String] {
    text.utf8.split(whereSeparator: { $0 == UInt8(ascii: ",") || $0 == 0x0A || $0 == 0x0D }).map {
        String(decoding: $0, as: UTF8.self).trimmingASCIISpaces
    }.filter { !$0.isEmpty }
}

func fuzz(_ input: FuzzInput) {
    let text = input.text

    // 1. Fuzzed text.
    if let ring = try? KeyRing(parsing: text) {
        let entries = referenceEntries(text)
        require(ring.all.count == entries.count, "\(ring.all.count) keys from \(entries.count) entries in \(show(text))")
        for (key, entry) in zip(ring.all, entries) {
            let padded = entry.utf8.last == UInt8(ascii: "=") ? String(entry.utf8.prefix { $0 != UInt8(ascii: "=") }.map { Character(Unicode.Scalar($0)) }) : entry
            let bytes = Reference.strictBase64URLDecode(padded)
            require(bytes != nil && bytes!.count >= SecretKey.minimumByteCount, "accepted the entry \(show(entry)), which is not base64url of 32+ bytes")
            require(sameBytes(key.exportBase64URL(), padded), "entry \(show(entry)) became the key \(key.exportBase64URL())")
        }
        require(Set(ring.all.map(\.id)).count == ring.all.count, "a key is listed twice")
    }

    // 2. Generated files.
    var generator = input
    var keys: [SecretKey] = []
    for _ in 0..<generator.int(in: 1...4) {
        var bytes = generator.bytes(upTo: 48)
        bytes += [UInt8](repeating: UInt8(keys.count), count: max(0, 32 - bytes.count))
        // Keys that differ only in trailing zero bytes are one HMAC key, with one id: skip those.
        guard let key = try? SecretKey(bytes: bytes), !keys.contains(where: { $0.id == key.id }) else { continue }
        keys.append(key)
    }
    guard !keys.isEmpty else { return }
    let styles = ["\n", "\r\n", "\r", ",", ", ", " ,\t", "\n\n", "\r\n\r\n"]
    let separator = styles[generator.int(in: 0...(styles.count - 1))]
    let ending = ["", "\n", "\r\n", " \n", "\r"][generator.int(in: 0...4)]
    let file = keys.map { $0.exportBase64URL() }.joined(separator: separator) + ending
    do {
        let ring = try KeyRing(parsing: file)
        require(ring.all.count == keys.count && zip(ring.all, keys).allSatisfy { $0 == $1 }, "a key file with separator \(show(separator)) and ending \(show(ending)) read back as \(ring.all.count) other keys")
    } catch {
        propertyFailed("a key file of \(keys.count) exported keys, separator \(show(separator)), ending \(show(ending)), is refused: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
