import HTTPTypes
import Hummingbird
import NIOCore
import OneCodeDomain

/// The proxies (load balancers) whose `Forwarded` / `X-Forwarded-For` headers say who the client is
/// (`http.trustedProxies`, CIDRs). From any other peer the headers are ignored: a client cannot choose
/// the address it is rate-limited, stored and located by. Only the header the deployment's proxy sets
/// is read (`http.forwardedHeader`): a proxy that sets `X-Forwarded-For` passes a client's own
/// `Forwarded` through untouched, and reading it would let the client name any address.
///
/// The client is the rightmost address in the header chain that is not itself a trusted proxy (each
/// proxy appends the peer it saw, so addresses left of an untrusted one may be forged).
public struct TrustedProxies: Sendable {
    struct Network: Sendable {
        var bytes: [UInt8]
        var prefix: Int
        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var bits = prefix
            for index in bytes.indices where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if address[index] & mask != bytes[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    /// The header the trusted proxies set (`http.forwardedHeader`).
    public enum Header: String, Sendable {
        case xForwardedFor = "x-forwarded-for"
        case forwarded
    }

    let networks: [Network]
    let header: Header

    public static let none = TrustedProxies(networks: [])

    /// No proxy is trusted: every request's client is its peer.
    public var isEmpty: Bool { networks.isEmpty }

    init(networks: [Network], header: Header = .xForwardedFor) {
        self.networks = networks
        self.header = header
    }

    /// - Throws: `InputError("http.trustedProxies", …)` naming the entry that is not an address or CIDR.
    public init(_ entries: [String], header: Header = .xForwardedFor) throws {
        self.header = header
        networks = try entries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else {
                throw InputError("http.trustedProxies", "\(entry) is not an IP address or CIDR (like 10.0.0.0/8 or fd00::/8)")
            }
            let width = bytes.count * 8
            let prefix = parts.count == 2 ? Int(parts[1]) : width
            guard let prefix, (0...width).contains(prefix) else {
                throw InputError("http.trustedProxies", "\(entry): the prefix length must be from 0 to \(width)")
            }
            return Network(bytes: bytes, prefix: prefix)
        }
    }

    static func bytes(_ text: String) -> [UInt8]? {
        (try? SocketAddress(ipAddress: text, port: 0)).flatMap(IPAddress.bytes)
    }

    func trusts(_ address: SocketAddress) -> Bool {
        guard !networks.isEmpty, let bytes = IPAddress.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client a request comes from: the peer, unless the peer is a trusted proxy and the headers
    /// name one.
    public func client(peer: SocketAddress?, headers: HTTPFields) -> SocketAddress? {
        guard let peer, trusts(peer) else { return peer }
        let chain = header == .forwarded ? Self.forwardedFor(headers) ?? [] : Self.xForwardedFor(headers)
        guard !chain.isEmpty else { return peer }
        var client = peer
        for text in chain.reversed() {
            guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return client }  // unreadable: stop at what is known
            client = address
            if !trusts(address) { return address }
        }
        return client
    }

    /// `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"` (RFC 7239), addresses in order.
    static func forwardedFor(_ headers: HTTPFields) -> [String]? {
        let values = headers[values: .forwarded]
        guard !values.isEmpty else { return nil }
        var chain: [String] = []
        for element in values.joined(separator: ",").split(separator: ",") {
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "for" else { continue }
                var value = parts[1].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                if value.hasPrefix("["), let end = value.firstIndex(of: "]") {
                    value = String(value[value.index(after: value.startIndex)..<end])  // [v6]:port
                } else if value.filter({ $0 == ":" }).count == 1, let colon = value.firstIndex(of: ":") {
                    value = String(value[..<colon])  // v4:port
                }
                chain.append(value)
            }
        }
        return chain
    }

    static func xForwardedFor(_ headers: HTTPFields) -> [String] {
        headers[values: .xForwardedFor].joined(separator: ",").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

extension HTTPField.Name {
    static let forwarded = HTTPField.Name("Forwarded")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// Sets each request's client address from the peer and the trusted proxies' headers.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = proxies.client(peer: context.remoteAddress, headers: request.headers)
        return try await next(request, context)
    }
}
