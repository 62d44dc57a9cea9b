import Hummingbird
import NIOCore
import OneCodeStorage

/// The request context of OneCode's routes: Hummingbird's core storage plus the peer's address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's remote address.
    public let remoteAddress: SocketAddress?
    /// The token that authenticated an `/api` request.
    public var token: APIToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies are small JSON or form documents.
    public var maxUploadSize: Int { 64 * 1024 }
}
