import NIOCore

/// IP addresses as stored: truncated by default (IPv4 to /24, IPv6 to /48), for privacy.
enum IPAddress {
    /// The address to store for a peer, or `nil` for a Unix socket or an unknown peer.
    static func stored(_ address: SocketAddress?, truncate: Bool) -> String? {
        guard let address, var bytes = bytes(address) else { return nil }
        if bytes.count == 4 {
            if truncate { bytes[3] = 0 }
            return bytes.map(String.init).joined(separator: ".") + (truncate ? "/24" : "")
        }
        if truncate { for index in 6..<16 { bytes[index] = 0 } }
        let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return truncate ? groups[0..<3].joined(separator: ":") + "::/48" : groups.joined(separator: ":")
    }

    /// The address's bytes in network order: 4 for IPv4 (an IPv4-mapped IPv6 address too), 16 for IPv6;
    /// `nil` for a Unix socket.
    static func bytes(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case let .v4(v4): return withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
        case let .v6(v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        default: return nil
        }
    }

    /// The key the rate limiter buckets a peer under: an IPv4 address itself; an IPv6 address's /64 (one
    /// subscriber's network: a host may take any of its 2^64 addresses, and counting per /128 let one
    /// client spread its requests over as many buckets as it liked).
    static func bucketKey(_ address: SocketAddress?) -> String {
        // A plain IPv4 peer (the common case, on every scan) as NIO formats it, with no copies of its bytes.
        if case .v4 = address { return address?.ipAddress ?? "unknown" }
        guard let address, let bytes = bytes(address) else { return address?.ipAddress ?? "unknown" }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":") + "::/64"
    }
}
