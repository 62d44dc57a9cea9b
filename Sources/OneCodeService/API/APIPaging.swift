import Foundation
import Hummingbird
import NIOCore
import OneCodeStorage

/// Every `/api` list answers one shape, `{"items": [...], "next": "..."}`: `next` is the opaque cursor to
/// pass as `?after` for the following page, `null` after the last (leads: always the cursor to poll from).
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var next: String?

    enum CodingKeys: String, CodingKey { case items, next }

    /// `next` is written as `null` after the last page (not left out).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next, forKey: .next)
    }
}

/// `?limit` and `?after` of a list request, checked: a limit that is not a whole number in range, or a
/// cursor this list never gave, is a 400 naming the parameter.
struct PageQuery {
    var after: String?
    var limit: Int

    init(_ request: Request, default value: Int, maximum: Int) throws {
        if let text = request.uri.queryParameters.get("limit") {
            guard let number = Int(text), (1...maximum).contains(number) else {
                throw HTTPError(.badRequest, message: "limit: must be a whole number from 1 to \(maximum) (got '\(text)')")
            }
            limit = number
        } else {
            limit = value
        }
        after = request.uri.queryParameters.get("after").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The cursor of a list in id (or sequence) order: 0 when absent.
    func afterNumber() throws -> Int64 {
        guard let after else { return 0 }
        guard let number = Int64(after), number >= 0 else {
            throw HTTPError(.badRequest, message: "after: must be the `next` of an earlier page (got '\(after)')")
        }
        return number
    }
}

extension Page {
    /// The page after `query.after` of a whole list, by each item's position key (ids ascending).
    init(of all: [Item], _ query: PageQuery, key: (Item) -> Int64) throws {
        let after = try query.afterNumber()
        let rest = all.map { (key($0), $0) }.filter { $0.0 > after }.sorted { $0.0 < $1.0 }
        let taken = rest.prefix(query.limit)
        items = taken.map(\.1)
        next = rest.count > query.limit ? taken.last.map { String($0.0) } : nil
    }

    /// A page of rows whose order is the list's own (reports): the cursor counts the rows already given.
    init(rows all: [Item], _ query: PageQuery) throws {
        let after = try query.afterNumber()
        let start = Int(min(after, Int64(all.count)))
        let end = min(all.count, start + query.limit)
        items = Array(all[start..<end])
        next = end < all.count ? String(end) : nil
    }

    /// A page read with `limit + 1` rows: the extra row says there is a next page.
    init(fetched: [Item], limit: Int, cursor: (Item) -> String) {
        items = Array(fetched.prefix(limit))
        next = fetched.count > limit ? items.last.map(cursor) : nil
    }
}

extension Response {
    /// An `/api` JSON response in the one convention (`JSONShape`: camelCase with `Id`, ISO 8601 times).
    static func api<T: Encodable>(_ value: T, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try apiEncoder.encode(value))))
    }

    static let apiEncoder = JSONShape.encoder()
}
