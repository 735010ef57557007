import HTTPTypes

/// `Origin-Agent-Cluster: ?1`: asks the browser to keep this origin in its own agent cluster
/// (process), and disables `document.domain`.
///
/// See [HTML §7.3.3](https://html.spec.whatwg.org/multipage/browsers.html#origin-keyed-agent-clusters) and
/// [MDN: Origin-Agent-Cluster](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Origin-Agent-Cluster).
public struct OriginAgentCluster: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .originAgentCluster, value: value) }
    /// `?1` (a structured-field boolean true).
    public static let enabled = OriginAgentCluster("?1")
}
