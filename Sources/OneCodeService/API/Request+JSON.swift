import Foundation
import Hummingbird
import NIOCore
import OneCodeDomain

extension Request {
    /// Whether the request asks for JSON rather than a page (a browser's Accept names text/html too).
    var wantsJSON: Bool {
        let accept = headers[.accept] ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }

    /// A form body's fields (Hummingbird's decoder); a body it cannot read is a 400 naming the body.
    static func formFields(_ buffer: ByteBuffer) throws -> [String: String] {
        do {
            return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: buffer))
        } catch {
            throw HTTPError(.badRequest, message: "body: must be a form (name=value&…) of single values")
        }
    }

    /// Decodes a JSON body, answering 413 for a body over the context's limit and 400 naming the field otherwise.
    /// - Parameter limit: a route's own limit (a packing line's bulk calls), else the context's.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext, limit: Int? = nil) async throws -> T {
        let buffer: ByteBuffer
        let limit = limit ?? context.maxUploadSize
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "body: must be at most \(limit) bytes")
        }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, context) {
            throw HTTPError(.badRequest, message: "\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")): is required")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw HTTPError(.badRequest, message: "\(path(context)): has the wrong type (expected \(Self.describe(expected)))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw HTTPError(.badRequest, message: "\(path(context)): must not be null")
        } catch let error as InputError {
            // A value's own check (a territory's region codes) names its field.
            throw error
        } catch {
            throw HTTPError(.badRequest, message: "body: expected a JSON object")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}
