import Foundation
import HTTPTypes
import NIOCore
import Rampart
import RampartBoard
import Testing

/// The board's journeys over HTTP, the same cases on both frameworks: this file is compiled into
/// the Hummingbird tests (`RampartAppTests`) and, through a symbolic link, into the Vapor
/// package's `RampartVaporBoardTests`; each supplies `withBoard` (its driver).
@Suite("Reference app: the whole user journey (Hummingbird and Vapor)")
struct BoardJourneyTests {
    @Test("register, log in (the session rotates), post hostile comments and see them inert")
    func commentsAreInert() async throws {
        try await withBoard(try testConfiguration()) { client in
            var alice = Visitor(client)
            try await alice.get("/")
            let anonymousCookie = try #require(alice.cookie)
            let registered = try await alice.register("alice")
            #expect(registered.status == .seeOther)
            #expect(registered.headers[.location] == "/")
            let loggedInCookie = try #require(alice.cookie)
            #expect(loggedInCookie != anonymousCookie, "the session id rotates on login")

            let hostile = [
                "<script>alert(1)</script>",
                "\"\u{301} onmouseover=alert(1) x=\"",
                "<img src=x onerror=alert(1)>",
                "see https://example.com/a?b=1&c=\"><script>alert(2)</script> and javascript:alert(3)",
            ]
            try await alice.get("/")
            for body in hostile {
                let posted = try await alice.post("/comments", [("body", body)])
                #expect(posted.status == .seeOther)
                try await alice.get("/")
            }
            let page = alice.lastPage
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(page.contains("&quot;\u{301} onmouseover=alert(1) x=&quot;"))
            #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(
                page.contains(
                    #"<a href="https://example.com/a?b=1&amp;c=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" rel="nofollow noopener noreferrer ugc">"#
                ) == false
            )
            #expect(
                page.contains(
                    #"<a href="https://example.com/a?b=1&amp;c=" rel="nofollow noopener noreferrer ugc">https://example.com/a?b=1&amp;c=</a>&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt; and javascript:alert(3)"#
                )
            )
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("onerror=alert(1)>"))
            // The only scripts on the page are the board's own: the footer's nonce'd one and the
            // home page's static one (allowed by its hash).
            #expect(page.ranges(of: "<script").count == 2)
            #expect(page.ranges(of: "<script nonce=\"").count == 1)
            #expect(page.ranges(of: "<script>window.rampartHashScriptRan = true;</script>").count == 1)

            // The search box echoes q into the text and the value attribute, escaped.
            let q = "\"><script>alert(9)</script>"
            let search = try await alice.get("/?q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            // A GET form sends spaces as '+', and a plus as %2B.
            let spaced = try await alice.get("/?q=a+b%2Bc")
            #expect(String(buffer: spaced.body).contains(#"value="a b+c""#))
            let results = String(buffer: search.body)
            #expect(
                results.contains(#"<input id="q" name="q" type="search" value="&quot;&gt;&lt;script&gt;alert(9)&lt;/script&gt;" maxlength="200">"#)
            )
            #expect(results.contains("Results for “&quot;&gt;&lt;script&gt;alert(9)&lt;/script&gt;”: 0"))

            // A comment of 2001 characters, or only spaces, is refused.
            try await alice.get("/")
            let long = try await alice.post("/comments", [("body", String(repeating: "a", count: 2001))])
            #expect(long.status == .badRequest)
            try await alice.get("/")
            let response1 = try await alice.post("/comments", [("body", "   ")])
            #expect(response1.status == .badRequest)

            // Logging out deletes the session: the old cookie no longer logs anyone in.
            try await alice.get("/")
            let oldCookie = try #require(alice.cookie)
            let response2 = try await alice.post("/logout", [])
            #expect(response2.status == .seeOther)
            // The browser drops the site's cache and storage; cookies other than the session's stay.
            #expect(response2.headers[values: HTTPField.Name("Clear-Site-Data")!] == [#""cache", "storage""#])
            let replayed = try await client.execute(uri: "/profile", method: .get, headers: [.cookie: oldCookie])
            #expect(replayed.status == .seeOther)
            #expect(replayed.headers[.location] == "/login")
        }
    }

    @Test("the default bcrypt cost is 12, and a stored hash says so")
    func bcryptCost() async throws {
        #expect(try AppConfiguration().passwordHashCost == 12)
        try await withBoard(try testConfiguration(passwordHashCost: 12)) { client in
            var ada = Visitor(client)
            let response3 = try await ada.register("ada")
            #expect(response3.status == .seeOther)
            var again = Visitor(client)
            let response4 = try await again.logIn("ada")
            #expect(response4.status == .seeOther)
            var wrong = Visitor(client)
            let response5 = try await wrong.logIn("ada", password: "wrong password")
            #expect(response5.status == .unauthorized)
        }
    }

    @Test("uploads: a PNG is accepted and served with SafeDownload headers; SVG, HTML and oversized files are refused")
    func uploads() async throws {
        try await withBoard(try testConfiguration()) { client in
            var bob = Visitor(client)
            try await bob.register("bob")
            try await bob.get("/profile")
            let token = try #require(bob.csrfToken)
            var headers = bob.headers
            headers[.contentType] = "multipart/form-data; boundary=rampartBoundary"
            let accepted = try await client.execute(
                uri: "/profile/avatar",
                method: .post,
                headers: headers,
                body: multipartUpload(token: token, filename: "../../etc/passwd.html", contentType: "text/html", bytes: onePixelPNG)
            )
            #expect(accepted.status == .seeOther)
            try await bob.get("/profile")
            let id = try #require(Visitor.value(in: bob.lastPage, after: "<img class=\"avatar\" src=\"/uploads/"))
            #expect(id.utf8.count == 22)

            let download = try await client.execute(uri: "/uploads/\(id)", method: .get)
            #expect(download.status == .ok)
            #expect(Array(download.body.readableBytesView) == onePixelPNG)
            #expect(download.headers[.contentType] == "image/png")
            #expect(download.headers[.xContentTypeOptions] == "nosniff")
            #expect(download.headers[.contentSecurityPolicy] == "sandbox; default-src 'none'")
            #expect(download.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] == "same-origin")
            #expect(download.headers[HTTPField.Name("Content-Disposition")!] == "inline; filename=\"passwd.png\"")

            let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
            headers[.accept] = "text/html"
            let refusedSVG = try await client.execute(
                uri: "/profile/avatar",
                method: .post,
                headers: headers,
                body: multipartUpload(token: token, filename: "a.png", contentType: "image/png", bytes: svg)
            )
            #expect(refusedSVG.status == .unsupportedMediaType)
            #expect(String(buffer: refusedSVG.body).contains("the file is not one of the accepted types"))
            #expect(refusedSVG.headers[frameOptionsField] == "DENY")

            let html = Array("<!doctype html><script>alert(document.cookie)</script>".utf8)
            let refusedHTML = try await client.execute(
                uri: "/profile/avatar",
                method: .post,
                headers: headers,
                body: multipartUpload(token: token, filename: "cat.png", contentType: "image/png", bytes: html)
            )
            #expect(refusedHTML.status == .unsupportedMediaType)

            let big = onePixelPNG + [UInt8](repeating: 0, count: 2 * 1024 * 1024)
            let refusedBig = try await client.execute(
                uri: "/profile/avatar",
                method: .post,
                headers: headers,
                body: multipartUpload(token: token, filename: "big.png", contentType: "image/png", bytes: big)
            )
            #expect(refusedBig.status == .contentTooLarge)
            // Refused by the upload policy (2 MiB), not by the CSRF check's form limit (64 KiB).
            #expect(!String(buffer: refusedBig.body).contains("65536"), "\(String(buffer: refusedBig.body))")

            // A photo-sized upload, far over the CSRF check's 64 KiB form limit, with its token in
            // the form's `_csrf` field as a browser sends it (no header): the check reads only as
            // far as the field, and the handler reads the whole body.
            let photo = onePixelPNG + [UInt8](repeating: 0x2A, count: 900 * 1024)
            let acceptedPhoto = try await client.execute(
                uri: "/profile/avatar",
                method: .post,
                headers: headers,
                body: multipartUpload(token: token, filename: "photo.png", contentType: "image/png", bytes: photo)
            )
            #expect(acceptedPhoto.status == .seeOther, "\(String(buffer: acceptedPhoto.body))")
            try await bob.get("/profile")
            let photoID = try #require(Visitor.value(in: bob.lastPage, after: "<img class=\"avatar\" src=\"/uploads/"))
            #expect(photoID != id)
            let photoDownload = try await client.execute(uri: "/uploads/\(photoID)", method: .get)
            #expect(Array(photoDownload.body.readableBytesView) == photo)

            #expect(try await client.execute(uri: "/uploads/AAAAAAAAAAAAAAAAAAAAAA", method: .get).status == .notFound)
        }
    }

    @Test("the board's error page covers every refusal: a CSRF 403, a 404, a 405 and the host check's 400, with the security headers")
    func errorPagesForEveryRefusal() async throws {
        try await withBoard(try testConfiguration()) { client in
            var dora = Visitor(client)
            try await dora.register("dora")
            let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]
            let forged = try await dora.post("/comments", [("body", "x")], token: "forged", extraHeaders: browser)
            let notFound = try await client.execute(uri: "/no-such-page", method: .get, headers: browser)
            let wrongMethod = try await client.execute(uri: "/login", method: .delete, headers: browser)
            var foreignHost = browser
            foreignHost[HTTPField.Name("Host")!] = "evil.example"
            let host = try await client.execute(uri: "/", method: .get, headers: foreignHost)
            let responses = [forged] + [notFound, wrongMethod, host].map { VisitResponse(status: $0.status, headers: $0.headers, body: $0.body) }
            for (response, (status, message)) in zip(
                responses,
                [
                    (HTTPResponse.Status.forbidden, "the form&#39;s CSRF token is not valid; reload the page and try again"),
                    (.notFound, "There is nothing here."),
                    (.methodNotAllowed, "DELETE is not allowed here; use GET, POST, HEAD."),
                    // Hummingbird's router test client sends its own authority too, so the Host
                    // field conflicts with it; a live client sends only this Host.
                    (
                        .badRequest,
                        client.sendsOwnAuthority ? "the request names two different hosts" : "this server does not answer for that host"
                    ),
                ]
            ) {
                let page = String(buffer: response.body)
                #expect(response.status == status)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(page.contains("<title>\(status.code) \(status.reasonPhrase) · Rampart board</title>"), "\(page.prefix(300))")
                #expect(page.contains("<p class=\"error-message\">\(message)</p>"), "\(page)")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[frameOptionsField] == "DENY")
                #expect(response.headers[.contentSecurityPolicy]?.contains("'nonce-") == true)
            }
            #expect(wrongMethod.headers[.allow] == "GET, POST, HEAD")
        }
    }

    @Test("a form opened before signing in is refused in plain words, with the way back and without the text typed")
    func staleFormAfterLogin() async throws {
        try await withBoard(try testConfiguration()) { client in
            var erin = Visitor(client)
            try await erin.register("erin")
            try await erin.post("/logout", [])
            try await erin.get("/")
            let staleToken = try #require(erin.csrfToken)  // the anonymous session's
            try await erin.logIn("erin")  // signing in rotates the session and its CSRF secret
            let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]
            let typed = "my long comment, typed before signing in"
            for (uri, pairs, page) in [
                ("/comments", [("body", typed)], "/"),
                ("/profile/export", [("note", typed)], "/profile"),
                ("/sessions/revoke-all", [("note", typed)], "/profile"),
            ] {
                let refused = try await erin.post(uri, pairs, token: staleToken, extraHeaders: browser)
                let html = String(buffer: refused.body)
                #expect(refused.status == .forbidden, "\(uri)")
                #expect(html.contains("<a id=\"reload-form\" href=\"\(page)\">Reload the form</a> and send it again."), "\(uri): \(html)")
                #expect(html.contains("Nothing you typed was kept."))
                #expect(!html.contains("my long comment"), "the refusal never echoes what was submitted")
            }
            // Other refusals offer no reload link.
            let notFound = try await client.execute(uri: "/no-such-page", method: .get, headers: browser)
            #expect(!String(buffer: notFound.body).contains("reload-form"))
        }
    }

    @Test("deleting the profile needs a one-time token; a replay is refused")
    func deleteProfile() async throws {
        try await withBoard(try testConfiguration()) { client in
            var carol = Visitor(client)
            try await carol.register("carol")
            try await carol.post("/comments", [("body", "soon gone")], token: nil)
            try await carol.get("/profile")
            let oneTime = try #require(carol.field(after: "action=\"/profile/delete\""))
            let masked = try #require(carol.csrfToken)
            // The masked session token does not do for this action.
            var jsonHeaders: HTTPFields = [.accept: "application/json"]
            jsonHeaders[.contentType] = nil
            let withMasked = try await carol.post("/profile/delete", [], token: masked, extraHeaders: jsonHeaders)
            #expect(withMasked.status == .forbidden)
            #expect(
                String(buffer: withMasked.body)
                    == #"{"error":"forbidden","reason":"badToken","message":"the form's CSRF token is not valid; reload the page and try again"}"#
            )

            let cookieBefore = try #require(carol.cookie)
            let deleted = try await carol.post("/profile/delete", [], token: oneTime)
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers[values: HTTPField.Name("Clear-Site-Data")!] == [#""cache", "cookies", "storage""#])
            // Replay the same one-time token with the old session cookie: the token is still bound
            // to that cookie's id (its secret is derived from the id), so the replay is caught as
            // what it is, a reused token, and the deleted session is not revived.
            var replay = Visitor(client)
            replay.cookie = cookieBefore
            let replayed = try await replay.post("/profile/delete", [], token: oneTime, extraHeaders: [.accept: "application/json"])
            #expect(replayed.status == .forbidden)
            #expect(
                String(buffer: replayed.body)
                    == #"{"error":"forbidden","reason":"tokenReused","message":"the form's one-time token was used already; reload the page and try again"}"#
            )

            var someone = Visitor(client)
            let response6 = try await someone.logIn("carol")
            #expect(response6.status == .unauthorized)
            try await someone.get("/")
            #expect(!someone.lastPage.contains("soon gone"))
        }
    }

    @Test("the JSON API: a top-level array out, JSON in with X-CSRF-Token, JSON errors with a reason")
    func api() async throws {
        try await withBoard(try testConfiguration()) { client in
            var dan = Visitor(client)
            try await dan.register("dan")
            try await dan.get("/")
            let token = try #require(dan.csrfToken)
            var headers = dan.headers
            headers[.contentType] = "application/json"
            headers[.accept] = "application/json"
            headers[HTTPField.Name("X-CSRF-Token")!] = token
            let created = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"body":"</script><b>hi</b>"}"#)
            )
            #expect(created.status == .created)
            #expect(created.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: created.body).contains(#""author":"dan","body":"\u003c/script\u003e\u003cb\u003ehi\u003c/b\u003e""#))

            let list = try await client.execute(uri: "/api/comments", method: .get)
            #expect(list.status == .ok)
            #expect(list.headers[.contentType] == "application/json; charset=utf-8")
            let array = try #require(try JSONSerialization.jsonObject(with: Data(list.body.readableBytesView)) as? [[String: Any]])
            #expect(array.count == 1)
            #expect(array.first?["body"] as? String == "</script><b>hi</b>")

            var noToken = headers
            noToken[HTTPField.Name("X-CSRF-Token")!] = nil
            let refused = try await client.execute(uri: "/api/comments", method: .post, headers: noToken, body: ByteBuffer(string: #"{"body":"x"}"#))
            #expect(refused.status == .forbidden)
            #expect(
                String(buffer: refused.body)
                    == #"{"error":"forbidden","reason":"missingToken","message":"the form has no CSRF token; reload the page and try again"}"#
            )

            var textPlain = headers
            textPlain[.contentType] = "text/plain"
            let wrongType = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: textPlain,
                body: ByteBuffer(string: #"{"body":"x"}"#)
            )
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(
                String(buffer: wrongType.body)
                    == #"{"error":"unsupportedMediaType","reason":"unsupportedMediaType","message":"send Content-Type: application/json"}"#
            )

            let deep = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: String(repeating: "[", count: 100))
            )
            #expect(deep.status == .badRequest)
            #expect(String(buffer: deep.body) == #"{"error":"badRequest","reason":"tooDeep","message":"the JSON nests deeper than 64 levels"}"#)

            let empty = try await client.execute(uri: "/api/comments", method: .post, headers: headers, body: ByteBuffer(string: #"{"body":""}"#))
            #expect(empty.status == .badRequest)
            #expect(String(buffer: empty.body) == #"{"error":"badRequest","reason":"invalidComment","message":"a comment is 1 to 2000 characters"}"#)

            var anonymous = Visitor(client)
            try await anonymous.get("/")
            var anonymousHeaders = anonymous.headers
            anonymousHeaders[.contentType] = "application/json"
            anonymousHeaders[HTTPField.Name("X-CSRF-Token")!] = try #require(anonymous.csrfToken)
            let unauthorized = try await client.execute(
                uri: "/api/comments",
                method: .post,
                headers: anonymousHeaders,
                body: ByteBuffer(string: #"{"body":"x"}"#)
            )
            #expect(unauthorized.status == .unauthorized)
            #expect(String(buffer: unauthorized.body) == #"{"error":"unauthorized","reason":"unauthorized","message":"Log in first."}"#)
        }
    }

    @Test("CSP reports in both formats are stored, grouped on the admin dashboard, refused to non-admins")
    func cspReports() async throws {
        try await withBoard(try testConfiguration()) { client in
            var admin = Visitor(client)
            try await admin.register("admin")
            var eve = Visitor(client)
            try await eve.register("eve")

            let legacy =
                #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","violated-directive":"script-src-elem","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":12,"disposition":"enforce"}}"#
            let modern =
                #"[{"type":"csp-violation","age":1,"url":"http://127.0.0.1:5000/","body":{"documentURL":"http://127.0.0.1:5000/","effectiveDirective":"img-src","blockedURL":"https://evil.example/<x>.png","disposition":"enforce"}}]"#
            for _ in 0..<3 {
                let response = try await client.execute(
                    uri: "/csp-reports",
                    method: .post,
                    headers: [.contentType: "application/csp-report"],
                    body: ByteBuffer(string: legacy)
                )
                #expect(response.status == .noContent)
            }
            #expect(
                try await client.execute(
                    uri: "/csp-reports",
                    method: .post,
                    headers: [.contentType: "application/reports+json"],
                    body: ByteBuffer(string: modern)
                ).status == .noContent
            )
            #expect(
                try await client.execute(uri: "/csp-reports", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: legacy))
                    .status == .unsupportedMediaType
            )
            #expect(
                try await client.execute(
                    uri: "/csp-reports",
                    method: .post,
                    headers: [.contentType: "application/csp-report"],
                    body: ByteBuffer(string: "{}")
                ).status == .badRequest
            )
            let huge = try await client.execute(
                uri: "/csp-reports",
                method: .post,
                headers: [.contentType: "application/csp-report"],
                body: ByteBuffer(string: String(repeating: " ", count: 64 * 1024 + 1))
            )
            #expect(huge.status == .contentTooLarge)

            // A report-only Trusted Types violation, and an extension's noise in both policies.
            for body in [
                #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","violated-directive":"require-trusted-types-for","blocked-uri":"trusted-types-sink","disposition":"report"}}"#,
                #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","violated-directive":"script-src-elem","blocked-uri":"chrome-extension://abc/x.js","disposition":"enforce"}}"#,
                #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","violated-directive":"img-src","blocked-uri":"about","disposition":"report"}}"#,
            ] {
                let response = try await client.execute(
                    uri: "/csp-reports",
                    method: .post,
                    headers: [.contentType: "application/csp-report"],
                    body: ByteBuffer(string: body)
                )
                #expect(response.status == .noContent)
            }

            let dashboard = try await admin.get("/admin/csp-reports")
            #expect(dashboard.status == .ok)
            let page = admin.lastPage
            let enforced = try #require(page.range(of: "<section class=\"report-section\" id=\"enforced\">"))
            let reportOnly = try #require(page.range(of: "<section class=\"report-section\" id=\"report-only\">"))
            let enforcedPart = page[enforced.upperBound..<reportOnly.lowerBound]
            let reportOnlyPart = page[reportOnly.upperBound...]
            #expect(
                enforcedPart.contains(
                    "<td>script-src-elem</td><td>inline</td><td class=\"n\">3</td>"
                )
            )
            #expect(enforcedPart.contains("<td>img-src</td><td>https://evil.example/&lt;x&gt;.png</td><td class=\"n\">1</td>"))
            #expect(enforcedPart.contains("<li><code>img-src</code>: add https://evil.example</li>"))
            #expect(
                enforcedPart.contains(
                    "<li><code>script-src-elem</code>: inline code: move it to a file, or give it the page&#39;s nonce (or its hash)</li>"
                )
            )
            #expect(!enforcedPart.contains("trusted-types-sink"))
            #expect(reportOnlyPart.contains("<td>require-trusted-types-for</td><td>trusted-types-sink</td><td class=\"n\">1</td>"))
            #expect(
                reportOnlyPart.contains(
                    "<li><code>require-trusted-types-for</code>: a string reached a DOM sink: use textContent, or pass it through a Trusted Types policy</li>"
                )
            )
            #expect(!page.contains("chrome-extension://abc"), "extension reports are filtered")
            #expect(page.contains("2 reports from browser extensions and about: or data: noise are hidden."))

            let forbidden = try await eve.get("/admin/csp-reports")
            #expect(forbidden.status == .forbidden)
            #expect(eve.lastPage.contains("Only the admin can see CSP reports."))
            var anonymous = Visitor(client)
            let redirected = try await anonymous.get("/admin/csp-reports")
            #expect(redirected.status == .seeOther)
            #expect(redirected.headers[.location] == "/login")
        }
    }

    @Test("the CSP report cap drops reports past the per-minute limit")
    func cspReportCap() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-app-\(UUID().uuidString)").path
        let configuration = try AppConfiguration(dataDirectory: folder, passwordHashCost: 10, cspReportsPerMinute: 5, environment: [:])
        try await withBoard(configuration) { client in
            // The budget is per client per clock minute (a fixed window), so 20 reports store
            // exactly 5 in one minute, and between 5 and 10 when they straddle a minute's end.
            let firstMinute = Int64(Date().timeIntervalSince1970) / 60
            for index in 0..<20 {
                let report =
                    #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","effective-directive":"img-src","blocked-uri":"https://x.example/\#(index)"}}"#
                #expect(
                    try await client.execute(
                        uri: "/csp-reports",
                        method: .post,
                        headers: [.contentType: "application/csp-report"],
                        body: ByteBuffer(string: report)
                    ).status == .noContent
                )
            }
            let minutes = Int(Int64(Date().timeIntervalSince1970) / 60 - firstMinute) + 1
            var admin = Visitor(client)
            try await admin.register("admin")
            try await admin.get("/admin/csp-reports")
            let stored = admin.lastPage.ranges(of: "<td>img-src</td>").count
            if minutes == 1 {
                #expect(stored == 5)
            } else {
                #expect(minutes == 2, "20 reports took more than a minute")
                #expect((5...10).contains(stored))
            }
            #expect(admin.lastPage.contains("\(20 - stored) reports were dropped by the per-client cap."))
        }
    }

    @Test("logins are throttled per account and per client address: 429 with Retry-After after 10 failures")
    func throttling() async throws {
        try await withBoard(try testConfiguration()) { client in
            var frank = Visitor(client)
            try await frank.register("frank")
            var attacker = Visitor(client)
            for _ in 0..<10 {
                let response7 = try await attacker.logIn("frank", password: "guess guess")
                #expect(response7.status == .unauthorized)
            }
            try await attacker.get("/login")
            let throttled = try await attacker.post("/login", [("username", "frank"), ("password", "correct horse battery")])
            #expect(throttled.status == .tooManyRequests)
            let retryAfter = try #require(throttled.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...900).contains(retryAfter))
            #expect(throttled.headers[.contentSecurityPolicy] != nil)
            // Another account from the same client (the router test has no peer address, so all
            // requests share the "unknown" client) is throttled too.
            var other = Visitor(client)
            let response8 = try await other.logIn("someone-else")
            #expect(response8.status == .tooManyRequests)
        }
    }

    @Test("100 concurrent wrong guesses against one account run bcrypt at most 10 times; the rest get 429 at once")
    func throttleRace() async throws {
        try await withBoard(try testConfiguration()) { client in
            var victim = Visitor(client)
            try await victim.register("victim")
            // One prepared login form: its session cookie and masked token serve every request
            // (the throttle counts per account and address, not per session).
            var attacker = Visitor(client)
            try await attacker.get("/login")
            let attackers = Array(repeating: attacker, count: 100)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (index, attacker) in attackers.enumerated() {
                    group.addTask {
                        var attacker = attacker
                        let password = index == 99 ? "correct horse battery" : "wrong guess \(index)"
                        return try await attacker.post("/login", [("username", "victim"), ("password", password)]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            let checked = statuses.filter { $0 != .tooManyRequests }
            #expect(checked.count == 10, "bcrypt ran for \(checked.count) attempts")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 90)
            #expect(statuses.allSatisfy { [.unauthorized, .seeOther, .tooManyRequests].contains($0) })
        }
    }

    @Test("an attacker who spends the account's budget does not lock out the owner, who holds a device cookie")
    func deviceCookies() async throws {
        try await withBoard(try testConfiguration()) { client in
            var owner = Visitor(client)
            try await owner.register("olivia")
            #expect(owner.deviceCookie?.hasPrefix("__Host-device=") == true, "registration issues a device cookie")
            try await owner.post("/logout", [])
            // A device cookie is Secure, HttpOnly, SameSite=Strict, host-only.
            var fresh = Visitor(client)
            let login = try await fresh.logIn("olivia")
            #expect(login.status == .seeOther)
            let setCookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("__Host-device=") })
            #expect(
                setCookie.contains("; Path=/") && setCookie.contains("; Secure") && setCookie.contains("; HttpOnly")
                    && setCookie.contains("; SameSite=Strict")
            )
            #expect(!setCookie.contains("Domain="))

            var attacker = Visitor(client)
            for _ in 0..<10 {
                #expect(try await attacker.logIn("olivia", password: "wrong guess").status == .unauthorized)
            }
            #expect(try await attacker.logIn("olivia", password: "correct horse battery").status == .tooManyRequests)
            // An untrusted browser shares the account's budget.
            var stranger = Visitor(client)
            #expect(try await stranger.logIn("olivia").status == .tooManyRequests)
            // The owner's browser, with its device cookie, is not locked out.
            #expect(try await owner.logIn("olivia").status == .seeOther)
            #expect(try await owner.get("/profile").status == .ok)
            // The attacker still is.
            #expect(try await attacker.logIn("olivia", password: "correct horse battery").status == .tooManyRequests)
            // A device cookie for another user, or a forged one, counts as no device cookie.
            var forger = Visitor(client)
            forger.deviceCookie = "__Host-device=v1.forged.value"
            #expect(try await forger.logIn("olivia").status == .tooManyRequests)
            var other = Visitor(client)
            try await other.register("oscar")
            try await other.post("/logout", [])
            #expect(try await other.logIn("olivia").status == .tooManyRequests)
        }
    }

    @Test("RAMPART_ADMIN names the admin: the first registrant is not, that account is, and it is granted at startup if it exists")
    func bootstrapAdmin() async throws {
        var configuration = try testConfiguration(environment: ["RAMPART_ADMIN": "Boss"])
        #expect(configuration.bootstrapAdmin == "boss")
        #expect(!configuration.firstUserBecomesAdmin)
        try await withBoard(configuration) { client in
            var first = Visitor(client)
            try await first.register("early")
            #expect(try await first.get("/admin/csp-reports").status == .forbidden)
            var boss = Visitor(client)
            try await boss.register("boss")
            #expect(try await boss.get("/admin/csp-reports").status == .ok)
        }
        // A restart with RAMPART_ADMIN naming an existing account grants it.
        configuration.bootstrapAdmin = "early"
        try await withBoard(configuration) { client in
            var early = Visitor(client)
            let login = try await early.logIn("early")
            #expect(login.status == .seeOther)
            let dashboard = try await early.get("/admin/csp-reports")
            #expect(dashboard.status == .ok)
        }
        #expect(throws: SecurityConfigurationError.self) { _ = try testConfiguration(environment: ["RAMPART_ADMIN": "no spaces allowed"]) }
        let public_ = try AppConfiguration(
            hostname: "0.0.0.0",
            allowedHosts: ["board.example"],
            dataDirectory: "/tmp/rampart-admin-\(UUID().uuidString)",
            environment: [:]
        )
        #expect(!public_.firstUserBecomesAdmin, "off loopback the first account is not the admin")
        #expect(try testConfiguration().firstUserBecomesAdmin, "the loopback demo keeps the old rule")
    }

    @Test("log out everywhere ends the user's other sessions")
    func revokeAll() async throws {
        try await withBoard(try testConfiguration()) { client in
            var laptop = Visitor(client)
            try await laptop.register("gina")
            var phone = Visitor(client)
            try await phone.logIn("gina")
            let response9 = try await phone.get("/profile")
            #expect(response9.status == .ok)
            try await laptop.get("/profile")
            let response10 = try await laptop.post("/sessions/revoke-all", [])
            #expect(response10.status == .seeOther)
            #expect(response10.headers[values: HTTPField.Name("Clear-Site-Data")!] == [#""cache", "storage""#])
            let after = try await phone.get("/profile")
            #expect(after.status == .seeOther)
            #expect(after.headers[.location] == "/login")
        }
    }

    @Test(
        "unknown routes 404, wrong methods 405 with Allow, oversized bodies 413, each with security headers",
        arguments: [
            ("GET", "/nope", 404, ""),
            ("DELETE", "/", 405, "GET, HEAD"),
            ("PUT", "/comments", 405, "POST"),
            ("GET", "/comments", 405, "POST"),
            ("POST", "/uploads/abc", 405, "GET, HEAD"),
        ]
    )
    func badRoutes(_ method: String, _ path: String, _ status: Int, _ allow: String) async throws {
        try await withBoard(try testConfiguration()) { client in
            let response = try await client.execute(uri: path, method: HTTPRequest.Method(method)!, headers: [.accept: "text/html"])
            #expect(response.status.code == status)
            #expect(response.headers[.allow] == (allow.isEmpty ? nil : allow))
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
            #expect(response.headers[.setCookie] == nil, "no session for an unroutable request")
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test("resource isolation: another site's <script src>, <img src>, fetch() and <iframe> are refused; its links still work")
    func resourceIsolation() async throws {
        try await withBoard(try testConfiguration()) { client in
            var visitor = Visitor(client)
            try await visitor.register("isla")
            try await visitor.get("/")
            let cookie = try #require(visitor.cookie)
            func fetch(_ site: String, _ mode: String, _ dest: String) -> HTTPFields {
                [
                    .cookie: cookie, HTTPField.Name("Sec-Fetch-Site")!: site, HTTPField.Name("Sec-Fetch-Mode")!: mode,
                    HTTPField.Name("Sec-Fetch-Dest")!: dest,
                ]
            }
            let vary = "Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest"
            for (uri, site, mode, dest) in [
                ("/api/comments", "cross-site", "no-cors", "script"),
                ("/uploads/none.png", "cross-site", "no-cors", "image"),
                ("/api/comments", "cross-site", "cors", "empty"),
                ("/", "cross-site", "navigate", "iframe"),
                ("/static/board.css", "cross-site", "no-cors", "style"),
            ] {
                let response = try await client.execute(uri: uri, method: .get, headers: fetch(site, mode, dest))
                #expect(response.status == .forbidden, "\(uri) as \(dest)")
                #expect(String(buffer: response.body).contains("this resource cannot be loaded by another site"), "\(uri) as \(dest)")
                #expect(response.headers[frameOptionsField] == "DENY")
                #expect(response.headers[values: .vary].contains(vary))
                #expect(response.headers[.setCookie] == nil, "refused before the session is touched")
            }
            let link = try await client.execute(uri: "/", method: .get, headers: fetch("cross-site", "navigate", "document"))
            #expect(link.status == .ok)
            #expect(link.headers[values: .vary].contains(vary))
            let own = try await client.execute(uri: "/api/comments", method: .get, headers: fetch("same-origin", "cors", "empty"))
            #expect(own.status == .ok)
            #expect(own.headers[values: .vary].contains(vary))
            // The CSP report receiver is exempt: browsers post reports from their own pipeline.
            let report = try await client.execute(
                uri: "/csp-reports",
                method: .post,
                headers: [
                    .contentType: "application/csp-report", HTTPField.Name("Sec-Fetch-Site")!: "cross-site",
                    HTTPField.Name("Sec-Fetch-Mode")!: "no-cors", HTTPField.Name("Sec-Fetch-Dest")!: "report",
                ],
                body: ByteBuffer(
                    string:
                        #"{"csp-report":{"document-uri":"http://127.0.0.1:5000/","violated-directive":"img-src","blocked-uri":"https://x.example/a.png"}}"#
                )
            )
            #expect(report.status == .noContent)
            #expect(!report.headers[values: .vary].contains(vary))
        }
    }

    @Test("an oversized form is a 413 with security headers, never a 500")
    func oversizedForm() async throws {
        try await withBoard(try testConfiguration()) { client in
            var visitor = Visitor(client)
            try await visitor.register("hank")
            try await visitor.get("/")
            let response = try await visitor.post("/comments", [("body", String(repeating: "x", count: 70_000))])
            #expect(response.status == .contentTooLarge)
            #expect(response.headers[frameOptionsField] == "DENY")
        }
    }

    @Test(
        "odd input never reaches a 500",
        arguments: [
            ("GET", "/?q=%ZZ%", "", ""),
            ("GET", "/?q=" + String(repeating: "%F0%9F", count: 300), "", ""),
            ("GET", "/uploads/..%2F..%2Fetc%2Fpasswd", "", ""),
            ("GET", "/uploads/%00", "", ""),
            ("POST", "/login", "application/x-www-form-urlencoded", "username=%&password=%%%"),
            ("POST", "/login", "application/x-www-form-urlencoded", "username=a%00b&password=12345678"),
            ("POST", "/register", "application/x-www-form-urlencoded", "username=%E2%80%AEadmin&password=12345678"),
            ("POST", "/register", "text/plain", "username=x&password=y"),
            ("POST", "/comments", "application/x-www-form-urlencoded", "body=%FF%FE"),
            ("POST", "/profile/avatar", "multipart/form-data", "--x\r\n"),
            ("POST", "/csp-reports", "application/reports+json", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]"),
            ("POST", "/csp-reports", "application/csp-report", "\u{FF}\u{FE}"),
            ("POST", "/api/comments", "application/json", "{\"body\": \"\\ud800\"}"),
        ]
    )
    func oddInput(_ method: String, _ path: String, _ contentType: String, _ body: String) async throws {
        try await withBoard(try testConfiguration()) { client in
            var visitor = Visitor(client)
            try await visitor.get("/")
            var headers = visitor.headers
            if !contentType.isEmpty { headers[.contentType] = contentType }
            if let token = visitor.csrfToken { headers[HTTPField.Name("X-CSRF-Token")!] = token }
            headers.append(HTTPField(name: .cookie, value: "junk=\u{7F}; __Host-session=v1.garbage.x.y"))
            let response = try await client.execute(uri: path, method: HTTPRequest.Method(method)!, headers: headers, body: ByteBuffer(string: body))
            #expect(response.status.code < 500, "\(method) \(path): \(response.status)")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}
