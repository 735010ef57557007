import HTTPTypes

/// The `Clear-Site-Data` response header: asks the browser to delete what it keeps for this
/// origin, such as the HTTP cache, cookies and storage, when a user signs out or deletes an
/// account.
///
/// ```swift
/// response.clearSiteData(.logout)            // "cache", "storage"
/// response.clearSiteData(.accountDeletion)   // "cache", "cookies", "storage"
/// ```
///
/// `.logout` keeps cookies: the session cookie is cleared by its own expired `Set-Cookie`, and
/// other cookies of the origin (such as a device cookie that keeps an owner from being locked out
/// by the login throttle) survive. Browsers honour the header only on secure origins (HTTPS, or
/// `localhost` and loopback addresses).
///
/// See [MDN: Clear-Site-Data](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Clear-Site-Data)
/// and the [W3C Clear Site Data specification](https://www.w3.org/TR/clear-site-data/).
public struct ClearSiteData: SecurityHeaderPolicy, Hashable {
    /// One kind of data to clear.
    public struct DataType: Sendable, Hashable, CustomStringConvertible {
        let token: String
        private init(_ token: String) { self.token = token }

        /// `"cache"`: the HTTP cache, and (in some browsers) prerendered and back/forward-cached pages.
        public static let cache = DataType("cache")
        /// `"cookies"`: every cookie of the registrable domain, subdomains included.
        public static let cookies = DataType("cookies")
        /// `"storage"`: localStorage, sessionStorage, IndexedDB, service workers, Cache API.
        public static let storage = DataType("storage")
        /// `"executionContexts"`: reloads the origin's open documents (supported by few browsers).
        public static let executionContexts = DataType("executionContexts")

        public var description: String { token }
    }

    /// The kinds cleared, in order.
    public let types: [DataType]
    /// `Clear-Site-Data` with the quoted kinds, comma-separated.
    public let headerField: HTTPField

    /// Clears the given kinds.
    /// - Throws: ``SecurityConfigurationError`` (`clearSiteData`) when `types` is empty or
    ///   lists one kind twice.
    public init(_ types: [DataType]) throws(SecurityConfigurationError) {
        guard !types.isEmpty else {
            throw SecurityConfigurationError(setting: "clearSiteData", value: "", reason: .empty, message: "name at least one kind of data to clear")
        }
        var seen: Set<DataType> = []
        for type in types where !seen.insert(type).inserted {
            throw SecurityConfigurationError(
                setting: "clearSiteData",
                value: type.token,
                reason: .duplicate,
                message: "a kind of data is listed twice"
            )
        }
        self.init(validated: types)
    }

    private init(validated types: [DataType]) {
        self.types = types
        self.headerField = HTTPField(name: .clearSiteData, value: types.map { "\"\($0.token)\"" }.joined(separator: ", "))
    }

    /// `"cache", "storage"`: for signing out (and "log out everywhere"). Cookies are left for
    /// the session cookie's own expiry to clear, so other cookies of the site survive.
    public static let logout = ClearSiteData(validated: [.cache, .storage])
    /// `"cache", "cookies", "storage"`: for deleting an account; nothing of the user is left.
    public static let accountDeletion = ClearSiteData(validated: [.cache, .cookies, .storage])

    /// Sets the header on a response's fields, replacing any value there.
    public func apply(to fields: inout HTTPFields) {
        fields[.clearSiteData] = headerField.value
    }
}
