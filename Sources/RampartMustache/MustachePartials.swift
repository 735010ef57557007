import Rampart

/// The Mustache side of `CSPInlineCode`: which partials a template includes, so that a page's
/// hashes are its own and those of every partial it includes.
enum MustachePartials {
    /// The names of the partials a template includes (`{{> name}}`).
    static func names(in source: String) -> [String] {
        let bytes = Array(source.utf8)
        var names: [String] = []
        var index = 0
        while let open = CSPInlineCode.find(bytes, "{{>", from: index) {
            guard let close = CSPInlineCode.find(bytes, "}}", from: open + 3) else { break }
            let name = bytes[(open + 3)..<close].filter { $0 != 0x20 && $0 != 0x09 }
            names.append(String(decoding: name, as: UTF8.self))
            index = close + 2
        }
        return names
    }
}
