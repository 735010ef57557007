import Rampart

/// Splits comment text into plain text and `http(s)` links. Links are shown as links only
/// through the template's URL attribute, which filters them with `SafeURL`.
enum LinkText {
    struct Segment: Equatable {
        var text: String
        var href: String?
    }

    static func segments(_ text: String) -> [Segment] {
        var segments: [Segment] = []
        var plain = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("https://") || rest.hasPrefix("http://") {
                var end = rest.firstIndex(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" }) ?? text.endIndex
                // Trailing punctuation belongs to the sentence, not the link.
                while end > index, let last = text[index..<end].last, ".,;:!?)]}'".contains(last) { end = text.index(before: end) }
                let link = String(text[index..<end])
                if link.count > "https://".count {
                    if !plain.isEmpty {
                        segments.append(Segment(text: plain))
                        plain = ""
                    }
                    segments.append(Segment(text: link, href: link))
                    index = end
                    continue
                }
            }
            plain.append(text[index])
            index = text.index(after: index)
        }
        if !plain.isEmpty { segments.append(Segment(text: plain)) }
        return segments
    }
}
