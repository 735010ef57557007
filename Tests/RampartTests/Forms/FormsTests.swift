import HTTPTypes
import Rampart
import Testing

/// The framework-free form and media-type readers every adapter shares.
@Suite("Forms: URL-encoded fields, media types, Content-Disposition, the own origin")
struct FormsTests {
    @Test(
        "URL-encoded values by the URL Standard",
        arguments: [
            ("a=1&b=2&a=3", "a", ["1", "3"]),
            ("a=x+y%20z&b", "a", ["x y z"]),
            ("b&a", "b", [""]),
            ("a=%zz%4", "a", ["%zz%4"]),
            ("%61=1", "a", ["1"]),
            ("%E2%84%AA=kelvin&K=k", "K", ["k"]),
            ("a=%FF", "a", ["\u{FFFD}"]),
            ("&&a=1&&", "a", ["1"]),
            ("a==1", "a", ["=1"]),
        ]
    )
    func urlEncoded(_ body: String, _ name: String, _ values: [String]) {
        #expect(URLEncodedForm.values(named: name, in: body.utf8) == values)
    }

    @Test("pairs keep order and decode both sides")
    func pairs() {
        let pairs = URLEncodedForm.pairs(in: "x=1&y%21=%3D&z".utf8)
        #expect(pairs.map(\.name) == ["x", "y!", "z"])
        #expect(pairs.map(\.value) == ["1", "=", ""])
    }

    @Test(
        "media type essence and parameters, byte by byte",
        arguments: [
            ("Application/JSON; charset=utf-8", "application/json", "charset", "utf-8"),
            ("multipart/form-data; boundary=\"a b\"", "multipart/form-data", "boundary", "a b"),
            ("multipart/form-data;BOUNDARY=xyz", "multipart/form-data", "boundary", "xyz"),
            ("multipart/form-data; boundary=; boundary=second", "multipart/form-data", "boundary", "second"),
            ("multipart/form-data; boundary=\"\"", "multipart/form-data", "boundary", nil),
            ("text/plain", "text/plain", "charset", nil),
            ("multipart/form-data; boundary=\(String(repeating: "b", count: 71))", "multipart/form-data", "boundary", nil),
            ("  text/html ;\u{301}boundary=x", "text/html", "boundary", nil),
        ] as [(String, String, String, String?)]
    )
    func mediaTypes(_ value: String, _ essence: String, _ name: String, _ parameter: String?) {
        #expect(MediaType.essence(of: value) == essence)
        #expect(MediaType.parameter(name, in: value) == parameter)
    }

    @Test(
        "JSON media types",
        arguments: [
            ("application/json", true), ("application/problem+json; charset=utf-8", true), ("text/json", false), ("application/jsonx", false),
        ]
    )
    func json(_ value: String, _ isJSON: Bool) {
        #expect(MediaType.isJSON(value) == isJSON)
    }

    @Test(
        "Content-Disposition parameters, quoted and extended",
        arguments: [
            ("form-data; name=\"title\"", "form-data", "name", "title"),
            ("Form-Data; NAME=title; name=second", "form-data", "name", "title"),
            ("form-data; name=\"a\\\"b;c\"; filename=x.png", "form-data", "name", "a\"b;c"),
            ("attachment; filename*=UTF-8''na%C3%AFve%20file.txt", "attachment", "filename*", "UTF-8''na%C3%AFve%20file.txt"),
        ]
    )
    func disposition(_ value: String, _ type: String, _ name: String, _ parameter: String) {
        let parsed = ContentDisposition(parsing: value)
        #expect(parsed.type == type)
        #expect(parsed.parameters[name] == parameter)
    }

    @Test("RFC 8187 extended values: UTF-8 only, '+' kept")
    func extended() {
        #expect(ContentDisposition.decodeExtended("UTF-8''na%C3%AFve%20a+b.txt") == "naïve a+b.txt")
        #expect(ContentDisposition.decodeExtended("utf-8'en'x") == "x")
        #expect(ContentDisposition.decodeExtended("ISO-8859-1''%E9") == nil)
        #expect(ContentDisposition.decodeExtended("no quotes") == nil)
    }

    @Test(
        "the own origin comes from the authority, lowercased, default port dropped",
        arguments: [
            ("Example.COM", false, "http://example.com"),
            ("example.com:443", true, "https://example.com"),
            ("example.com:8443", true, "https://example.com:8443"),
            ("[::1]:5000", false, "http://[::1]:5000"),
        ]
    )
    func ownOrigin(_ authority: String, _ isSecure: Bool, _ origin: String) throws {
        let request = HTTPRequest(method: .post, scheme: nil, authority: authority, path: "/")
        #expect(try #require(WebOrigin(ownOriginOf: request, isSecure: isSecure)).description == origin)
    }

    @Test("no readable authority, no own origin")
    func noOwnOrigin() {
        #expect(WebOrigin(ownOriginOf: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/"), isSecure: true) == nil)
        #expect(WebOrigin(ownOriginOf: HTTPRequest(method: .post, scheme: nil, authority: "a b", path: "/"), isSecure: true) == nil)
    }
}
