// JSON request bodies under JSONLimits: the depth scan (`exceedsDepth`) and `Request.decodeJSON`
// (RampartHummingbird; the limits exist only there).
//
// Input: a JSON body. The first byte also picks the depth limit (1–12).
//
// Properties:
// 1. On every body Foundation's JSONSerialization parses, `exceedsDepth` is true exactly when the
//    text nests arrays and objects deeper than the limit (counted on the text by a plain bracket
//    counter written here), and the parsed value nests no deeper than the text. (The parsed value
//    can be shallower: of duplicate keys JSONSerialization keeps the last, and a deeper branch
//    under an earlier one is dropped; the limit protects the parser, so it counts the text.)
// 2. On any bytes, the scan is monotonic in the limit: too deep for d means too deep for d − 1.
// 3. `decodeJSON` refuses with `tooDeep` exactly when the scan says so, with `tooLarge` exactly when
//    the body is over `maximumBytes`, and with `unsupportedMediaType` unless the type is
//    application/json or application/*+json; a value it decodes nests no deeper than the limit.
//    (Whether JSONDecoder accepts what JSONSerialization refuses, or keeps the first of duplicate
//    keys where JSONSerialization keeps the last, is Foundation's business, not compared here.)
import Foundation
import FuzzSupport
import HTTPTypes
import Hummingbird
import NIOCore
import Rampart
import RampartHummingbird

/// Any JSON value, decoded through Codable.
indirect enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
            self = .array(values)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var values: [String: JSONValue] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(values)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let n = try? single.decode(Double.self) { self = .number(n) }
        else { self = .string(try single.decode(String.self)) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Nesting depth of a JSONSerialization value: scalars 0, each array or object adds one.
func depth(_ value: Any) -> Int {
    if let array = value as? [Any] { return 1 + (array.map(depth).max() ?? 0) }
    if let object = value as? [String: Any] { return 1 + (object.values.map(depth).max() ?? 0) }
    return 0
}

/// Nesting depth of JSON text: the most `[`/`{` open at once outside strings. Only for text
/// JSONSerialization accepted (valid JSON: brackets balanced, strings closed).
func textDepth(_ bytes: [UInt8]) -> Int {
    var open = 0
    var deepest = 0
    var inString = false
    var escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            open += 1
            deepest = max(deepest, open)
        case UInt8(ascii: "]"), UInt8(ascii: "}"): open -= 1
        default: break
        }
    }
    return deepest
}

/// Nesting depth of a decoded value.
func depth(_ value: JSONValue) -> Int {
    switch value {
    case .array(let a): 1 + (a.map(depth).max() ?? 0)
    case .object(let o): 1 + (o.values.map(depth).max() ?? 0)
    default: 0
    }
}

func fuzz(_ input: FuzzInput) {
    guard let first = input.bytes.first else { return }
    let body = Array(input.bytes.dropFirst())
    let maximumDepth = Int(first % 12) + 1
    let limits = try! JSONLimits(maximumBytes: 1024, maximumDepth: maximumDepth)
    let tooDeep = limits.exceedsDepth(body)

    // 2. Monotonic in the limit.
    if tooDeep, maximumDepth > 1 {
        require(try! JSONLimits(maximumBytes: 1024, maximumDepth: maximumDepth - 1).exceedsDepth(body), "too deep for \(maximumDepth) but not for \(maximumDepth - 1)")
    }

    // 1. Against JSONSerialization.
    let parsed = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    if let parsed {
        let text = textDepth(body)
        require(tooDeep == (text > maximumDepth), "exceedsDepth is \(tooDeep) with limit \(maximumDepth), but the text nests \(text) deep: \(show(String(decoding: body, as: UTF8.self)))")
        require(depth(parsed) <= text, "the parsed value nests \(depth(parsed)) deep, the text only \(text): \(show(String(decoding: body, as: UTF8.self)))")
    }

    // 3. Through a request.
    let types = ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json", "text/plain", "application/jsonx"]
    let contentType = types[Int(first / 12) % types.count]
    let request = Request(
        head: HTTPRequest(method: .post, scheme: "https", authority: "example.com", path: "/api", headerFields: [.contentType: contentType]),
        body: RequestBody(buffer: ByteBuffer(bytes: body))
    )
    let outcome: Result<JSONValue, RequestRefusal> = runSync {
        do {
            return .success(try await request.decodeJSON(as: JSONValue.self, limits: limits))
        } catch let refusal as RequestRefusal {
            return .failure(refusal)
        } catch {
            propertyFailed("decodeJSON threw \(error)")
        }
    }
    let acceptsType = ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json"].contains(contentType)
    switch outcome {
    case .failure(let refusal) where refusal.reason == "unsupportedMediaType":
        require(!acceptsType, "refused Content-Type \(contentType)")
    case .failure(let refusal):
        require(acceptsType, "Content-Type \(contentType) was not refused")
        switch refusal.reason {
        case "tooLarge": require(body.count > limits.maximumBytes, "tooLarge for \(body.count) bytes")
        case "tooDeep": require(body.count <= limits.maximumBytes && tooDeep, "tooDeep but the scan says otherwise")
        case "malformedJSON": require(body.count <= limits.maximumBytes && !tooDeep, "malformedJSON for a body over a limit")
        default: propertyFailed("unexpected refusal \(refusal)")
        }
    case .success(let value):
        require(acceptsType && body.count <= limits.maximumBytes && !tooDeep, "decoded past a limit")
        require(depth(value) <= maximumDepth, "decoded a value \(depth(value)) deep with the limit \(maximumDepth)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
