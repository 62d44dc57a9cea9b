import Hummingbird
import OneCodeGS1

/// Reads every GS1 Digital Link path (`/01/…`) with GS1's syntax engine before routing: one that breaks
/// GS1's URI syntax (check digit, lengths, character sets, key qualifiers out of order, a trailing
/// segment, an attribute in the query that breaks its AI's format) is a 400 naming what is wrong; a
/// well-formed one the routes do not answer is a 404 that says so. The routes take the elements from
/// the context (`AppRequestContext.digitalLink`), decoded once.
struct DigitalLinkMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/01/") else { return try await next(request, context) }
        let link: DigitalLink
        do {
            link = try DigitalLink.parse(path: path, query: request.uri.query)
        } catch {
            throw HTTPError(.badRequest, message: "path: not a valid GS1 Digital Link URI (\(Self.explained(error.message, path: path)))")
        }
        var context = context
        context.digitalLink = link
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // No route: a well-formed identification this service has no link for (yet).
            throw HTTPError(.notFound, message: "path: no link for \(link.elementString) here (OneCode resolves /01/{gtin}, /01/{gtin}/10/{lot} and a serial under either)")
        }
    }

    /// The engine's message with the common AIs named as people know them ("AI (01) GTIN: …"), and
    /// what it leaves implicit about a GTIN's path said.
    static func explained(_ message: String, path: String) -> String {
        var message = message
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.count % 2 == 1, let last = segments.last, !last.isEmpty {
            // The engine reads an odd path as a stem it finds no key in.
            message = "/\(last) follows the last /AI/value pair"
        } else if message.contains("key-qualifier sequence") {
            message += " (after a GTIN: /22/…, /10/…, /21/… in this order, each at most once, or /235/…)"
        }
        for (ai, title) in [("01", "GTIN"), ("10", "lot"), ("21", "serial"), ("22", "consumer product variant"), ("17", "expiry date")] {
            message = message.replacingOccurrences(of: "AI (\(ai))", with: "AI (\(ai)) \(title)")
        }
        return message
    }
}
