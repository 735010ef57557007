import HTTPTypes

/// The `Permissions-Policy` header: which powerful browser features this page and its frames
/// may use, serialised as a structured-field dictionary (RFC 9651).
///
/// The default denies camera, microphone, geolocation, payment, USB, Topics and the other
/// powerful features: `camera=(), microphone=(), …`. Allow one with ``allowing(_:_:)``:
/// ```swift
/// try PermissionsPolicy.default.allowing(.fullscreen, .self)
/// ```
///
/// See [W3C Permissions Policy](https://www.w3.org/TR/permissions-policy/) and
/// [MDN: Permissions-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Permissions-Policy).
public struct PermissionsPolicy: SecurityHeaderPolicy, Hashable {
    /// A policy-controlled feature, such as `camera`.
    public struct Feature: Hashable, Sendable, CustomStringConvertible {
        /// The feature name as sent.
        public let rawValue: String
        /// A feature by name, for features this list does not have yet. Validated by the policy.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let accelerometer = Feature("accelerometer")
        public static let ambientLightSensor = Feature("ambient-light-sensor")
        public static let autoplay = Feature("autoplay")
        public static let bluetooth = Feature("bluetooth")
        public static let browsingTopics = Feature("browsing-topics")
        public static let camera = Feature("camera")
        public static let clipboardRead = Feature("clipboard-read")
        public static let clipboardWrite = Feature("clipboard-write")
        public static let displayCapture = Feature("display-capture")
        public static let encryptedMedia = Feature("encrypted-media")
        public static let fullscreen = Feature("fullscreen")
        public static let gamepad = Feature("gamepad")
        public static let geolocation = Feature("geolocation")
        public static let gyroscope = Feature("gyroscope")
        public static let hid = Feature("hid")
        public static let identityCredentialsGet = Feature("identity-credentials-get")
        public static let idleDetection = Feature("idle-detection")
        public static let localFonts = Feature("local-fonts")
        public static let magnetometer = Feature("magnetometer")
        public static let microphone = Feature("microphone")
        public static let midi = Feature("midi")
        public static let otpCredentials = Feature("otp-credentials")
        public static let payment = Feature("payment")
        public static let pictureInPicture = Feature("picture-in-picture")
        public static let publicKeyCredentialsCreate = Feature("publickey-credentials-create")
        public static let publicKeyCredentialsGet = Feature("publickey-credentials-get")
        public static let screenWakeLock = Feature("screen-wake-lock")
        public static let serial = Feature("serial")
        public static let storageAccess = Feature("storage-access")
        public static let usb = Feature("usb")
        public static let webShare = Feature("web-share")
        public static let windowManagement = Feature("window-management")
        public static let xrSpatialTracking = Feature("xr-spatial-tracking")
    }

    /// Who may use a feature.
    public struct Allowlist: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case none
            case all
            case list(includeSelf: Bool, origins: [String])
        }
        let base: Base

        /// `()`: nobody, not even this page.
        public static let none = Allowlist(base: .none)
        /// `*`: every origin, frames included.
        public static let all = Allowlist(base: .all)
        /// `(self)`: this page's origin only.
        public static let `self` = Allowlist(base: .list(includeSelf: true, origins: []))
        /// Listed origins such as `https://maps.example`, with or without this page's own.
        public static func origins(_ origins: String..., includingSelf: Bool = true) -> Allowlist {
            Allowlist(base: .list(includeSelf: includingSelf, origins: origins))
        }

        public var description: String {
            switch base {
            case .none: return "()"
            case .all: return "*"
            case .list(let includeSelf, let origins):
                let items = (includeSelf ? ["self"] : []) + origins.map { "\"\($0)\"" }
                return "(" + items.joined(separator: " ") + ")"
            }
        }
    }

    /// The features and their allowlists, in the order they are sent.
    public let entries: [(feature: Feature, allowlist: Allowlist)]
    public let headerField: HTTPField

    /// Creates and validates a policy.
    /// - Throws: ``SecurityConfigurationError`` for a feature name that is not a structured-field
    ///   key, a duplicate feature, or an origin that is not `scheme://host[:port]`.
    public init(_ entries: [(feature: Feature, allowlist: Allowlist)]) throws {
        var seen: Set<Feature> = []
        for (feature, allowlist) in entries {
            guard HeaderGrammar.isStructuredFieldKey(feature.rawValue) else {
                throw SecurityConfigurationError(
                    setting: "Permissions-Policy",
                    value: feature.rawValue,
                    reason: .invalidValue,
                    message: "feature names are lowercase letters, digits, '-', '_', '.' and '*', starting with a letter"
                )
            }
            guard seen.insert(feature).inserted else {
                throw SecurityConfigurationError(
                    setting: "Permissions-Policy",
                    value: feature.rawValue,
                    reason: .duplicate,
                    message: "feature listed twice"
                )
            }
            if case .list(let includeSelf, let origins) = allowlist.base {
                if origins.isEmpty && !includeSelf {
                    throw SecurityConfigurationError(
                        setting: "Permissions-Policy",
                        value: feature.rawValue,
                        reason: .empty,
                        message: "\(feature): empty origin list; use .none to deny"
                    )
                }
                for origin in origins {
                    do {
                        _ = try WebOrigin(validating: origin, setting: "Permissions-Policy")
                    } catch {
                        throw SecurityConfigurationError(
                            setting: "Permissions-Policy",
                            value: origin,
                            reason: error.reason,
                            message: "\(feature): \(error.message)"
                        )
                    }
                }
            }
        }
        self.entries = entries
        self.headerField = HTTPField(
            name: .permissionsPolicy,
            value: entries.map { "\($0.feature.rawValue)=\($0.allowlist)" }.joined(separator: ", ")
        )
    }

    /// Returns a copy where `feature` has `allowlist`, replacing its entry or adding one.
    public func allowing(_ feature: Feature, _ allowlist: Allowlist) throws -> PermissionsPolicy {
        var list = entries
        if let index = list.firstIndex(where: { $0.feature == feature }) {
            list[index].allowlist = allowlist
        } else {
            list.append((feature, allowlist))
        }
        return try PermissionsPolicy(list)
    }

    /// The powerful features denied by ``default``.
    public static let deniedByDefault: [Feature] = [
        .accelerometer, .ambientLightSensor, .autoplay, .bluetooth, .browsingTopics, .camera,
        .displayCapture, .encryptedMedia, .gamepad, .geolocation, .gyroscope, .hid,
        .identityCredentialsGet, .idleDetection, .localFonts, .magnetometer, .microphone, .midi,
        .otpCredentials, .payment, .publicKeyCredentialsCreate, .publicKeyCredentialsGet,
        .screenWakeLock, .serial, .usb, .webShare, .windowManagement, .xrSpatialTracking,
    ]

    /// Every feature in ``deniedByDefault`` set to `()`.
    public static let `default` = try! PermissionsPolicy(deniedByDefault.map { ($0, .none) })

    public static func == (lhs: PermissionsPolicy, rhs: PermissionsPolicy) -> Bool { lhs.headerField == rhs.headerField }
    public func hash(into hasher: inout Hasher) { hasher.combine(headerField) }
}
