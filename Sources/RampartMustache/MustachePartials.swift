import Rampart

/// The Mustache side of `CSPInlineCode`: which partials a template includes, so that a page's
/// hashes are its own and those of every partial it includes.
enum MustachePartials {
    /// The names of the partials a template includes (`{{> name}}`).
    static func names(in source: String) -> [String] {
        let bytes = Array(source.utf8)
        var names: [String] = []
        var index = 0
        while let open = find(bytes, "{{>", from: index) {
            guard let close = find(bytes, "}}", from: open + 3) else { break }
            let name = bytes[(open + 3)..<close].filter { $0 != 0x20 && $0 != 0x09 }
            names.append(String(decoding: name, as: UTF8.self))
            index = close + 2
        }
        return names
    }

    static func find(_ bytes: [UInt8], _ text: String, from start: Int) -> Int? {
        let t = Array(text.utf8)
        guard !t.isEmpty, bytes.count >= t.count, start <= bytes.count - t.count else { return nil }
        for index in start...(bytes.count - t.count) where bytes[index] == t[0] && Array(bytes[index..<(index + t.count)]) == t {
            return index
        }
        return nil
    }
}
