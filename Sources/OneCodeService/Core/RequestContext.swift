import Hummingbird
import NIOCore
import OneCodeGS1
import OneCodeStorage

/// The request context of OneCode's routes: Hummingbird's core storage plus the peer's address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's remote address.
    public let remoteAddress: SocketAddress?
    /// Who the request comes from: the peer, or the client a trusted proxy names (`TrustedProxies`).
    /// Rate limits, stored addresses and regions by IP use this.
    public var clientAddress: SocketAddress?
    /// The token that authenticated an `/api` request.
    public var token: APIToken?
    /// A GS1 Digital Link path, as GS1's syntax engine read it (`DigitalLinkMiddleware`).
    public var digitalLink: DigitalLink?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        clientAddress = remoteAddress
    }

    /// Request bodies are small JSON or form documents.
    public var maxUploadSize: Int { 64 * 1024 }
}
