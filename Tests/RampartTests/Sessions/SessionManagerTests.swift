import HTTPTypes
import Synchronization
import Testing

@testable import Rampart

/// A clock the test moves by hand.
final class TestClock: Sendable {
    let seconds = Mutex<Int64>(1_700_000_000)
    var clock: WallClock { WallClock { [self] in seconds.withLock { $0 } } }
    func advance(_ delta: Int64) { seconds.withLock { $0 += delta } }
}

extension SessionKey where Value == String {
    static let name = SessionKey("name")
}

extension SessionKey where Value == [Int] {
    static let numbers = SessionKey("numbers")
}

/// Drives a SessionManager like a browser: it keeps the cookie between requests.
struct Browser {
    var cookie: String?

    func fields(_ name: String = "__Host-session") -> HTTPFields {
        cookie.map { [.cookie: "\(name)=\($0)"] } ?? [:]
    }

    mutating func receive(_ setCookie: SetCookie?) {
        guard let setCookie else { return }
        cookie = setCookie.maxAge == 0 ? nil : setCookie.value
    }
}

@Suite("Sessions (in-memory store)")
struct SessionManagerTests {
    static let key = try! SecretKey(bytes: [UInt8](repeating: 3, count: 32))

    static func manager(
        store: any SessionStore = InMemorySessionStore(),
        ring: KeyRing? = nil,
        clock: TestClock,
        backend: SessionConfiguration.Backend? = nil
    ) throws -> SessionManager {
        SessionManager(
            configuration: try SessionConfiguration(
                backend: backend ?? .store(store),
                idleTimeout: .seconds(1800),
                absoluteTimeout: .seconds(8 * 3600)
            ),
            keyRing: try ring ?? KeyRing(current: key),
            clock: clock.clock
        )
    }

    @Test("no cookie and no change: no session is stored and no cookie is sent")
    func lazy() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        let (session, outcome) = try await manager.load(from: [:])
        #expect(outcome == .noCookie)
        #expect(try await manager.commit(session) == nil)
        #expect(store.count == 0)
    }

    @Test("a value set creates the session and the __Host-session cookie; it reads back")
    func createAndReload() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: browser.fields())
        session[.name] = "Ada"
        let cookie = try #require(try await manager.commit(session))
        #expect(cookie.name == "__Host-session")
        #expect(cookie.description.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax"))
        #expect(cookie.description.hasPrefix("__Host-session=v1."))
        browser.receive(cookie)
        let (again, outcome) = try await manager.load(from: browser.fields())
        #expect(outcome == .loaded)
        #expect(again[.name] == "Ada")
        // Nothing changed: no cookie is written again.
        #expect(try await manager.commit(again) == nil)
        #expect(store.count == 1)
    }

    @Test("an anonymous visitor shown a token gets an id and a cookie, and no row; the secret stays the same")
    func anonymousCSRFSecret() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        let secret = session.csrfSecret
        #expect(secret.count == 32)
        let cookie = try #require(try await manager.commit(session))
        #expect(cookie.description.hasPrefix("__Host-session=v1."))
        #expect(store.count == 0)
        browser.receive(cookie)
        var (again, outcome) = try await manager.load(from: browser.fields())
        #expect(outcome == .anonymous)
        #expect(again.csrfSecret == secret)
        #expect(again.userID == nil)
        // Nothing changed: no cookie again, still no row.
        #expect(try await manager.commit(again) == nil)
        #expect(store.count == 0)
        // The secret is HMAC(csrf key, id), never stored anywhere.
        #expect(secret == CSRFSecrets(keyRing: try KeyRing(current: Self.key)).secret(for: try #require(again.id)))
    }

    @Test("a crawler fetching a form page 1,000 times leaves the store empty")
    func crawlerLeavesNoRows() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        for _ in 0..<1000 {
            var (session, _) = try await manager.load(from: [:])
            _ = session.csrfSecret
            #expect(try await manager.commit(session) != nil)
        }
        #expect(store.count == 0)
    }

    @Test("an anonymous session's first value creates its row under the same id, and the cookie now names it")
    func anonymousFirstValue() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        let secret = session.csrfSecret
        browser.receive(try await manager.commit(session))
        var (anonymous, _) = try await manager.load(from: browser.fields())
        anonymous[.name] = "Ada"
        browser.receive(try #require(try await manager.commit(anonymous)))
        #expect(store.count == 1)
        var (stored, outcome) = try await manager.load(from: browser.fields())
        #expect(outcome == .loaded)
        #expect(stored[.name] == "Ada")
        // Same id, so tokens already rendered in other tabs keep working.
        #expect(stored.csrfSecret == secret)
    }

    @Test("two requests of one anonymous session storing their first values at once keep both")
    func anonymousConcurrentFirstValues() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        _ = session.csrfSecret
        browser.receive(try await manager.commit(session))
        var (first, _) = try await manager.load(from: browser.fields())
        var (second, _) = try await manager.load(from: browser.fields())
        first[.name] = "Ada"
        second[.numbers] = [1, 2]
        _ = try await manager.commit(first)
        browser.receive(try await manager.commit(second))
        let (loaded, _) = try await manager.load(from: browser.fields())
        #expect(loaded[.name] == "Ada")
        #expect(loaded[.numbers] == [1, 2])
        #expect(store.count == 1)
    }

    @Test("identify verifies the cookie without touching the store")
    func identifyWithoutStore() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        session.logIn(userID: "ada")
        browser.receive(try await manager.commit(session))
        _ = try await store.deleteAll(forUser: "ada")
        // The cookie still verifies (one MAC) and names a stored session; only loading finds it gone.
        let identification = manager.identify(browser.fields())
        #expect(identification.namesStoredSession)
        #expect(identification.id != nil)
        let (gone, outcome) = try await manager.load(identification)
        #expect(outcome == .unknown)
        #expect(gone.userID == nil)
        // The dead cookie is cleared rather than looked up again on every request.
        #expect(try await manager.commit(gone)?.maxAge == 0)
    }

    @Test("log out deletes the row and clears the cookie")
    func logOut() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        session.logIn(userID: "u1")
        browser.receive(try await manager.commit(session))
        var (loaded, _) = try await manager.load(from: browser.fields())
        loaded.logOut()
        let cookie = try #require(try await manager.commit(loaded))
        #expect(cookie.description == "__Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
        #expect(store.count == 0)
    }

    @Test("idle and absolute timeouts end the session")
    func timeouts() async throws {
        let clock = TestClock()
        let manager = try Self.manager(clock: clock)
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        session[.name] = "Ada"
        browser.receive(try await manager.commit(session))

        // Active every 20 minutes: survives the 30-minute idle timeout...
        for _ in 0..<23 {
            clock.advance(20 * 60)
            let (s, outcome) = try await manager.load(from: browser.fields())
            #expect(outcome == .loaded)
            browser.receive(try await manager.commit(s))
        }
        // ...until the 8-hour absolute timeout (23 × 20 min = 7 h 40 min; one more step passes 8 h).
        clock.advance(20 * 60)
        let (_, absolute) = try await manager.load(from: browser.fields())
        #expect(absolute == .timedOut)

        var fresh = Browser()
        var (s2, _) = try await manager.load(from: [:])
        s2[.name] = "Bob"
        fresh.receive(try await manager.commit(s2))
        clock.advance(30 * 60)
        let (idle, idleOutcome) = try await manager.load(from: fresh.fields())
        #expect(idleOutcome == .timedOut)
        #expect(idle[.name] == nil)
    }

    @Test(
        "tampered, foreign and garbage cookies start a fresh session",
        arguments: [
            ("v1.AAAAAAAA.AAAA.AAAA", CookieRefusal.unknownKey),
            ("garbage", .malformed),
            ("", .malformed),
        ]
    )
    func refusedCookies(_ value: String, _ reason: CookieRefusal) async throws {
        let manager = try Self.manager(clock: TestClock())
        let (session, outcome) = try await manager.load(from: [.cookie: "__Host-session=\(value)"])
        #expect(outcome == .refused(reason))
        #expect(session.id == nil)
    }

    @Test("a session id signed under a cookie of another name is refused")
    func wrongName() async throws {
        let manager = try Self.manager(clock: TestClock())
        let signer = SignedCookieCodec(keyRing: try KeyRing(current: Self.key))
        let moved = signer.sign(SessionID().text, name: "__Host-other")
        let (_, outcome) = try await manager.load(from: [.cookie: "__Host-session=\(moved)"])
        #expect(outcome == .refused(.wrongName))
    }

    @Test("key rotation: sessions made before it keep working and move to the new key")
    func keyRotation() async throws {
        let store = InMemorySessionStore()
        let clock = TestClock()
        let newKey = try SecretKey(bytes: [UInt8](repeating: 9, count: 32))
        let before = try Self.manager(store: store, clock: clock)
        var browser = Browser()
        var (session, _) = try await before.load(from: [:])
        session[.name] = "Ada"
        browser.receive(try await before.commit(session))

        let after = try Self.manager(store: store, ring: try KeyRing(current: newKey, previous: [Self.key]), clock: clock)
        let (loaded, outcome) = try await after.load(from: browser.fields())
        #expect(outcome == .loaded)
        #expect(loaded[.name] == "Ada")
        #expect(try await after.commit(loaded) == nil)
        // The row now lives under the new key's store key only.
        let id = try #require(loaded.id)
        #expect(try await store.load(SessionStoreKey(id: id, key: newKey)) != nil)
        #expect(try await store.load(SessionStoreKey(id: id, key: Self.key)) == nil)
    }

    @Test("log out everywhere deletes every session of the user")
    func deleteAllForUser() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browsers: [Browser] = []
        for user in ["u1", "u1", "u2"] {
            var browser = Browser()
            var (s, _) = try await manager.load(from: [:])
            s.logIn(userID: user)
            browser.receive(try await manager.commit(s))
            browsers.append(browser)
        }
        #expect(try await store.deleteAll(forUser: "u1") == 2)
        #expect(try await manager.load(from: browsers[0].fields()).1 == .unknown)
        #expect(try await manager.load(from: browsers[2].fields()).0.userID == "u2")
    }

    @Test("an update to a session deleted meanwhile is dropped and clears the cookie")
    func noResurrection() async throws {
        let store = InMemorySessionStore()
        let manager = try Self.manager(store: store, clock: TestClock())
        var browser = Browser()
        var (s, _) = try await manager.load(from: [:])
        s.logIn(userID: "u1")
        browser.receive(try await manager.commit(s))
        var (inFlight, _) = try await manager.load(from: browser.fields())
        _ = try await store.deleteAll(forUser: "u1")
        inFlight[.name] = "late write"
        let cookie = try await manager.commit(inFlight)
        #expect(cookie?.maxAge == 0)
        #expect(store.count == 0)
    }

    @Test("stateless sealed-cookie sessions round-trip, rotate, and refuse to grow past the limit")
    func sealedCookieSessions() async throws {
        let clock = TestClock()
        let manager = try Self.manager(clock: clock, backend: .sealedCookie(maximumBytes: 1024))
        var browser = Browser()
        var (session, _) = try await manager.load(from: [:])
        session[.numbers] = [1, 2, 3]
        let cookie = try #require(try await manager.commit(session))
        #expect(cookie.value.hasPrefix("v1."))
        #expect(!cookie.value.contains("[1,2,3]"))
        browser.receive(cookie)
        var (loaded, outcome) = try await manager.load(from: browser.fields())
        #expect(outcome == .loaded)
        #expect(loaded[.numbers] == [1, 2, 3])
        let secret = loaded.csrfSecret
        loaded.logIn(userID: "u")
        browser.receive(try await manager.commit(loaded))
        var (rotated, _) = try await manager.load(from: browser.fields())
        #expect(rotated.userID == "u")
        #expect(rotated.csrfSecret != secret)

        rotated[.numbers] = Array(0..<500)
        await #expect(throws: SessionError.self) { try await manager.commit(rotated) }
    }

    @Test(
        "bad configurations are refused, naming the setting",
        arguments: [
            (Duration.zero, Duration.seconds(10), "__Host-session", "idleTimeout"),
            (.milliseconds(999), .seconds(10), "__Host-session", "idleTimeout"),
            (.seconds(100), .seconds(10), "__Host-session", "absoluteTimeout"),
            (.seconds(100), .seconds(1000), "__Host-bad name", "cookieName"),
        ]
    )
    func badConfiguration(_ idle: Duration, _ absolute: Duration, _ name: String, _ setting: String) {
        let error = #expect(throws: SecurityConfigurationError.self) {
            try SessionConfiguration(backend: .store(InMemorySessionStore()), cookieName: name, idleTimeout: idle, absoluteTimeout: absolute)
        }
        #expect(error?.setting == setting)
    }
}

/// What `SessionManager.commitWithoutStore` decides with no store I/O, and what it leaves to
/// `commit`, on the kinds of request an adapter finishes on its event loop.
@Suite("Sessions: committing without the store")
struct CommitWithoutStoreTests {
    enum Step: String, CaseIterable, Sendable {
        case untouched, anonymousToken, anonymousAgain, storedReadOnly, storedChanged, logIn, logOut, sealedValue
    }

    @Test("each kind of request: decided without the store (and the same cookie as commit) or left to commit", arguments: Step.allCases)
    func decisions(step: Step) async throws {
        let store = InMemorySessionStore()
        let clock = TestClock()
        let backend: SessionConfiguration.Backend? = step == .sealedValue ? .sealedCookie() : nil
        let manager = try SessionManagerTests.manager(store: store, clock: clock, backend: backend)
        var browser = Browser()
        // A signed-in visitor for the steps that need one.
        if [.storedReadOnly, .storedChanged, .logOut].contains(step) {
            var (session, _) = try await manager.load(from: [:])
            session.logIn(userID: "ada")
            browser.receive(try await manager.commit(session))
        }
        if step == .anonymousAgain {
            var (session, _) = try await manager.load(from: [:])
            _ = session.csrfSecret
            browser.receive(try await manager.commit(session))
        }
        var (session, _) = try await manager.load(from: browser.fields())
        let rowsBefore = store.count
        switch step {
        case .untouched, .storedReadOnly, .anonymousAgain: _ = session.userID
        case .anonymousToken: _ = session.csrfSecret
        case .storedChanged: session[.name] = "Ada"
        case .logIn: session.logIn(userID: "ada")
        case .logOut: session.logOut()
        case .sealedValue: session[.name] = "Ada"
        }
        let decided = try manager.commitWithoutStore(session)
        switch step {
        case .untouched, .storedReadOnly, .anonymousAgain:
            #expect(decided == .some(nil), "no cookie, no I/O")
        case .anonymousToken:
            let cookie = try #require(decided ?? nil)
            #expect(cookie.description.hasPrefix("__Host-session=v1."))
        case .sealedValue:
            let cookie = try #require(decided ?? nil)
            #expect(cookie.description.hasPrefix("__Host-session="))
            #expect(store.count == 0)
        case .storedChanged, .logIn, .logOut:
            #expect(decided == nil, "the store is needed")
            _ = try await manager.commit(session)
        }
        if step != .storedChanged, step != .logIn, step != .logOut {
            #expect(store.count == rowsBefore, "nothing written")
        }
    }
}
