import HTTPTypes

/// A cookie jar literal turned into request fields.
struct HTTPFieldsLike: ExpressibleByDictionaryLiteral, Sendable {
    let pairs: [(String, String)]
    init(dictionaryLiteral elements: (String, String)...) { pairs = elements }
    var httpFields: HTTPFields { [.cookie: pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")] }
}
