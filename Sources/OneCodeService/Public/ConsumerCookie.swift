import Crypto
import Foundation
import Hummingbird
import OneCodeDomain

/// The consumer cookie: the consumer id and a tag only the server can make.
///
/// A consumer id is shown to marketing (entries, scans, segment members) and sent in webhooks, so it
/// must not be enough to act as that consumer. The cookie carries `id.tag`, the tag an HMAC-SHA256 of
/// the id under a key derived from the server secret; a cookie whose tag does not verify is ignored
/// (the phone is treated as new). The tag appears nowhere but in the consumer's own cookie.
struct ConsumerCookie: Sendable {
    static let name = "oc_cid"
    /// The name on https: a browser keeps a `__Host-` cookie only when it is `Secure`, for `/`, and set
    /// by this host itself, so a sibling subdomain cannot plant one (a consumer id of its choosing).
    static let hostName = "__Host-oc_cid"

    /// The cookie's name for a service whose cookies are `Secure` or not.
    static func name(secure: Bool) -> String { secure ? hostName : name }

    /// The consumer a request's cookie names. On https the `__Host-` cookie is read first; a phone that
    /// has only the unprefixed one of before is still known (`legacy`: the caller sets the new one).
    func consumer(in cookies: Cookies, secure: Bool) -> (id: ConsumerID, legacy: Bool)? {
        if let value = cookies[Self.name(secure: secure)], let id = consumer(value.value) { return (id, false) }
        if secure, let value = cookies[Self.name], let id = consumer(value.value) { return (id, true) }
        return nil
    }
    private let key: SymmetricKey

    init(signer: CodeSigner) {
        key = signer.derivedKey("consumer-cookie")
    }

    /// The cookie value for a consumer.
    func value(for consumer: ConsumerID) -> String {
        consumer.value + "." + tag(consumer.value)
    }

    /// The consumer a cookie value names, when its tag verifies.
    func consumer(_ value: String) -> ConsumerID? {
        guard let dot = value.firstIndex(of: "."), let id = ConsumerID(String(value[..<dot])) else { return nil }
        return equalInConstantTime(Array(value[value.index(after: dot)...].utf8), Array(tag(id.value).utf8)) ? id : nil
    }

    private func tag(_ id: String) -> String {
        // 128 bits of the HMAC, hex.
        HMAC<SHA256>.authenticationCode(for: Array(id.utf8), using: key).prefix(16).hex
    }
}

