import Hummingbird
import Logging
import OneCodeDomain

/// Maps errors to HTTP responses in one place: bad input is a 400 and a missing entity a 404, each
/// with the message naming the field, a conflict (taken already: a claim, a rating, a GTIN) a 409, a capability this backend lacks a 501; anything unexpected is a 500 whose details stay in the log.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch let error as InputError {
            throw HTTPError(.badRequest, message: error.description)
        } catch let error as NotFoundError {
            throw HTTPError(.notFound, message: error.description)
        } catch let error as ConflictError {
            throw HTTPError(.conflict, message: error.description)
        } catch let error as UnavailableError {
            throw HTTPError(.notImplemented, message: error.description)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw HTTPError(.internalServerError, message: "internal error; the details are in the server log")
        }
    }
}
