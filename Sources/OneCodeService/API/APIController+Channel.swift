import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneCodeDomain
import OneCodeRulebook
import OneCodeStorage

extension APIController {
    /// A packing-line call: one parent with its children, or `packings` (a pallet of cases of bottles at once).
    struct AggregationBody: Decodable {
        struct Packing: Decodable { var parent: String; var children: [String] }
        var parent: String?
        var children: [String]?
        var packings: [Packing]?
        var replace: Bool?
    }
    struct DealerBody: Decodable { var name: String; var territory: Territory; var contact: String? }
    struct WarehouseBody: Decodable { var name: String; var region: String? }
    struct ShipmentBody: Decodable { var dealer: Int64?; var store: Int64?; var from: Int64?; var warehouse: Int64?; var codes: [String] }

    /// A bulk call's body limit: 100,000 codes (`ChannelBook.maxCodesPerCall`) as URLs with JSON quotes.
    static let channelBodyLimit = 8 * 1024 * 1024

    /// The channel: `POST /api/aggregations`, dealers, warehouses, shipments (issuer), a code's chain, and
    /// the diversion report by dealer.
    func registerChannel(_ api: RouterGroup<AppRequestContext>) {
        let signer = issuer.signer
        route(api, .post, "aggregations") { request, context in
            let body = try await request.decodeJSON(AggregationBody.self, context: context, limit: Self.channelBodyLimit)
            let packings: [Packing]
            switch (body.parent, body.children, body.packings) {
            case let (parent?, children?, nil):
                packings = [Packing(parent: try ChannelInput.place(parent, at: "parent", signer: signer),
                                    children: try children.enumerated().map { try ChannelInput.place($1, at: "children[\($0)]", signer: signer) })]
            case let (nil, nil, list?):
                packings = try list.enumerated().map { index, packing in
                    Packing(parent: try ChannelInput.place(packing.parent, at: "packings[\(index)].parent", signer: signer),
                            children: try packing.children.enumerated().map {
                                try ChannelInput.place($1, at: "packings[\(index)].children[\($0)]", signer: signer)
                            })
                }
            default:
                throw HTTPError(.badRequest, message: "body: give parent and children, or packings (a list of {parent, children}), not both")
            }
            let replace = body.replace ?? false
            let at = Date()
            let outcome = try await store.withChannelTransaction { tx in
                try ChannelBook.aggregate(packings, replace: replace, at: at, in: tx, naming: signer.code(for:))
            }
            return try Response.api(outcome, status: .created)
        }
        route(api, .post, "dealers") { request, context in
            let body = try await decode(DealerBody.self, request, context)
            return try Response.api(try await store.addDealer(try NewDealer(name: body.name, territory: body.territory, contact: body.contact)),
                                    status: .created)
        }
        route(api, .get, "dealers") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.dealerProfiles().map(DealerView.init), query, key: \.profile.dealer.id.rawValue),
                                    status: .ok)
        }
        route(api, .post, "warehouses") { request, context in
            let body = try await decode(WarehouseBody.self, request, context)
            return try Response.api(try await store.addWarehouse(try NewWarehouse(name: body.name, region: body.region)), status: .created)
        }
        route(api, .get, "warehouses") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.warehouses(), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .post, "shipments") { request, context in
            let body = try await request.decodeJSON(ShipmentBody.self, context: context, limit: Self.channelBodyLimit)
            for (field, value) in [("from", body.from ?? 1), ("warehouse", body.warehouse ?? 1)] where value <= 0 {
                throw HTTPError(.badRequest, message: "\(field): must be a positive id")
            }
            let destination = try ChannelBook.Destination.named(dealer: body.dealer, store: body.store)
            let codes = try body.codes.enumerated().map { try ChannelInput.place($1, at: "codes[\($0)]", signer: signer) }
            let at = Date()
            let shipment = try await store.withChannelTransaction { tx in
                try ChannelBook.ship(codes, to: destination, from: body.from.map(DealerID.init(rawValue:)),
                                     warehouse: body.warehouse.map(WarehouseID.init(rawValue:)), at: at, in: tx)
            }
            return try Response.api(shipment, status: .created)
        }
        route(api, .get, "shipments") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let shipments = try await store.shipments(limit: 10_000).sorted { $0.id < $1.id }
            return try Response.api(try Page(of: shipments, query, key: \.id), status: .ok)
        }
        route(api, .get, "codes/:code/chain") { request, context in
            let key = try code(context)
            let limit = try PageQuery(request, default: 100, maximum: 1000).limit
            var after: CodeKey?
            if let text = request.uri.queryParameters.get("after") {
                guard case let .read(.valid(key, _)) = signer.read(typed: String(text)) else {
                    throw HTTPError(.badRequest, message: "after: must be the last child code of the page before (its next)")
                }
                after = key
            }
            let chain = try await store.chain(of: key, childrenAfter: after, limit: limit)
            return try Response.api(ChainView(chain, code: signer.code(for: key), limit: limit, naming: signer.code(for:)), status: .ok)
        }
        route(api, .post, "receipts") { request, context in
            struct Body: Decodable { var code: String; var store: Int64? }
            let body = try await request.decodeJSON(Body.self, context: context)
            let storeID = try await actingStore(context, named: body.store, doing: "confirm receipts")
            let placed = try ChannelInput.place(body.code, at: "code", signer: signer)
            let rules = channelRules, at = Date()
            let receipt = try await store.withChannelTransaction { tx in try ChannelBook.receive(placed, store: storeID, rules: rules, at: at, in: tx) }
            return try Response.api(receipt, status: .created)
        }
        route(api, .post, "clerk-bindings") { request, context in
            struct Body: Decodable { var code: String }
            let body = try await request.decodeJSON(Body.self, context: context)
            guard let clerk = context.token?.clerkID else {
                throw HTTPError(.badRequest, message: "authorization: a clerk binds with their own token (see `onecode clerk add`)")
            }
            let placed = try ChannelInput.place(body.code, at: "code", signer: signer)
            let at = Date()
            let new = try await store.withChannelTransaction { tx in try ChannelBook.bindClerk(placed, clerk: clerk, at: at, in: tx) }
            struct Reply: Encodable { var code: String; var clerkId: ClerkID; var bound: Bool }
            return try Response.api(Reply(code: placed.code, clerkId: clerk, bound: true), status: new ? .created : .ok)
        }
        route(api, .get, "clerks") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.clerks(store: nil), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .get, "ledger") { request, _ in
            let from: String? = request.uri.queryParameters.get("from").map { String($0) }
            let to: String? = request.uri.queryParameters.get("to").map { String($0) }
            let period = try LedgerPeriod(from, to)
            let format = request.uri.queryParameters.get("format") ?? "json"
            switch format {
            case "json":
                let query = try PageQuery(request, default: 1000, maximum: 10_000)
                let after = try query.after.map { text -> Int64 in
                    guard let id = Int64(text), id >= 0 else { throw HTTPError(.badRequest, message: "after: must be the page before's next") }
                    return id
                } ?? 0
                let rows = try await store.ledger(from: period.from, to: period.to, after: after, limit: query.limit + 1)
                return try Response.api(Page(items: Array(rows.prefix(query.limit)), next: rows.count > query.limit ? String(rows[query.limit - 1].id) : nil),
                                        status: .ok)
            case "csv":
                let (text, _) = try await LedgerEntry.settlement(period, in: store)
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                       .contentDisposition: "attachment; filename=\"ledger-\(period.name).csv\""],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            default: throw HTTPError(.badRequest, message: "format: must be json or csv")
            }
        }
        route(api, .get, "ledger/balances") { request, _ in
            let query = try PageQuery(request, default: 1000, maximum: 10_000)
            return try Response.api(try Page(rows: try await store.balances(), query), status: .ok)
        }
        route(api, .get, "epcis/events") { request, _ in
            let parameters = request.uri.queryParameters
            let query = try EPCISExport.Query(from: parameters.get("from").map { String($0) }, to: parameters.get("to").map { String($0) },
                                              type: parameters.get("type").map { String($0) })
            let limit = try PageQuery(request, default: 100, maximum: 1000).limit
            let cursor = try parameters.get("after").map { try EPCISExport.Cursor(String($0)) } ?? EPCISExport.Cursor()
            let export = EPCISExport(store: store, signer: signer, baseURL: issuer.baseURL)
            let (events, next) = try await export.page(query, after: cursor, limit: limit)
            var headers: HTTPFields = [.contentType: "application/ld+json", HTTPField.Name("GS1-EPCIS-Version")!: "2.0.0"]
            if let next {
                // EPCIS's REST binding pages with a Link header; the cursor rides in `after`.
                var items = URLComponents()
                items.queryItems = [URLQueryItem(name: "after", value: next.text), URLQueryItem(name: "limit", value: String(limit))]
                    + ["from", "to", "type"].compactMap { name in parameters.get(name).map { URLQueryItem(name: name, value: String($0)) } }
                headers[.link] = "</api/epcis/events?\(items.percentEncodedQuery ?? "")>; rel=\"next\""
                headers[HTTPField.Name("X-Next-Cursor")!] = next.text
            }
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: try EPCISExport.json(EPCISExport.document(events)))))
        }
        route(api, .get, "reports/fakes") { request, _ in
            let (from, to) = try DailyCounts.days(from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"), now: Date())
            await fakes?.flush()
            let rows = try await store.fakeCounts(from: from, to: to).map(DailyCounts.FakeRow.init)
            return try report(request, rows, header: ["day", "region", "verdict", "scans", "reports"]) {
                [$0.day, $0.region, $0.verdict, String($0.scans), String($0.reports)]
            }
        }
        route(api, .get, "reports/resolutions") { request, _ in
            let (from, to) = try DailyCounts.days(from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"), now: Date())
            await resolutions?.flush()
            let rows = try await store.resolutionCounts(from: from, to: to)
            return try report(request, rows, header: ["day", "link_type", "resolutions"]) { [$0.day, $0.linkType, String($0.resolutions)] }
        }
        route(api, .get, "reports/dealer-diversion") { request, _ in
            let rows = try await store.dealerDiversion()
            let dates = ISO8601DateFormatter()
            return try report(request, rows, header: ["dealer_id", "dealer", "territory", "region", "units", "first_at", "last_at"]) {
                [String($0.dealerId), $0.dealer, $0.territory, $0.region, String($0.units), dates.string(from: $0.firstAt), dates.string(from: $0.lastAt)]
            }
        }
    }
}

extension APIController {
    /// The store a store-scoped call acts for: a store's own token as that store; an admin's on behalf of the store it names.
    func actingStore(_ context: AppRequestContext, named: Int64?, doing what: String) async throws -> StoreID {
        if let own = context.token?.storeID, context.token?.scope == .store {
            if let named, named != own.rawValue {
                throw HTTPError(.forbidden, message: "store: this token is store \(own)'s; it cannot \(what) as store \(named)")
            }
            return own
        }
        guard context.token?.scope == .admin else {
            throw HTTPError(.badRequest, message: "authorization: a store's token is needed to \(what) (see `onecode store add`)")
        }
        guard let named else {
            throw HTTPError(.badRequest, message: "store: an admin token acts on behalf of a store; name it (\"store\": ID, see `onecode store list`)")
        }
        guard named > 0, try await store.stores().contains(where: { $0.id.rawValue == named }) else {
            throw HTTPError(.notFound, message: "store: no store \(named)")
        }
        return StoreID(rawValue: named)
    }
}

/// A ledger period: `from` and `to` as `YYYY-MM-DD` (UTC days; `to` included), or `YYYY-MM` for a month.
/// Default: the month so far.
public struct LedgerPeriod: Sendable {
    public var from: Date
    public var to: Date
    public var name: String

    public init(_ from: String?, _ to: String?, now: Date = Date()) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func start(_ text: String, _ field: String) throws -> (Date, isMonth: Bool) {
            if text.count == 7, let month = try? Day(text + "-01", field: field) {
                return (calendar.date(from: DateComponents(year: month.year, month: month.month, day: 1))!, true)
            }
            guard let day = try? Day(text, field: field) else {
                throw InputError(field, "must be a UTC day as YYYY-MM-DD or a month as YYYY-MM (got '\(text.prefix(40))')")
            }
            return (calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!, false)
        }
        switch (from, to) {
        case (nil, nil):
            let month = calendar.dateComponents([.year, .month], from: now)
            self.from = calendar.date(from: month)!
            self.to = calendar.date(byAdding: .month, value: 1, to: self.from)!
        case let (from?, to):
            let (begin, isMonth) = try start(from, "from")
            self.from = begin
            if let to {
                let (end, endIsMonth) = try start(to, "to")
                self.to = calendar.date(byAdding: endIsMonth ? .month : .day, value: 1, to: end)!
            } else {
                self.to = calendar.date(byAdding: isMonth ? .month : .day, value: 1, to: begin)!
            }
        case (nil, _?):
            throw InputError("from", "is needed with to (YYYY-MM-DD or YYYY-MM)")
        }
        guard self.from < self.to else { throw InputError("to", "must not be before from") }
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withFullDate]
        name = format.string(from: self.from) + "_" + format.string(from: calendar.date(byAdding: .day, value: -1, to: self.to)!)
    }
}

extension LedgerEntry {
    /// The settlement file of a period: every ledger line, however many, read in pages. Returns it and its line count.
    public static func settlement(_ period: LedgerPeriod, in store: any ChannelStore) async throws -> (csv: String, lines: Int) {
        var text = csvHeader, after: Int64 = 0, lines = 0
        while true {
            let rows = try await store.ledger(from: period.from, to: period.to, after: after, limit: 5_000)
            text += rows.map(\.csvRow).joined()
            lines += rows.count
            guard rows.count == 5_000, let last = rows.last else { return (text, lines) }
            after = last.id
        }
    }

    public static let csvHeader = CSV.row(["id", "at", "store_id", "store", "clerk_id", "clerk", "amount", "cause", "receipt_id", "scan_id", "code"])
    public var csvRow: String {
        CSV.row([String(id), ISO8601DateFormatter().string(from: at), storeId.description, store, clerkId?.description ?? "", clerk ?? "",
                 String(amount), cause.rawValue, receiptId.map(String.init) ?? "", scanId.map(String.init) ?? "", code])
    }
}

/// A dealer as `GET /api/dealers` shows it: its fields and what the channel knows of it, side by side.
struct DealerView: Encodable {
    let profile: DealerProfile
    init(_ profile: DealerProfile) { self.profile = profile }
    enum Keys: String, CodingKey { case shipments, codesShipped, diversions, diversionRegions, deliveries, unitsSold }
    func encode(to encoder: any Encoder) throws {
        try profile.dealer.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(profile.shipments, forKey: .shipments)
        try container.encode(profile.codesShipped, forKey: .codesShipped)
        try container.encode(profile.diversions, forKey: .diversions)
        try container.encode(profile.diversionRegions, forKey: .diversionRegions)
        try container.encode(profile.deliveries, forKey: .deliveries)
        try container.encode(profile.unitsSold, forKey: .unitsSold)
    }
}

/// A code's chain as the API shows it: the packages it is in (innermost first), a page of the codes in
/// it (`next`: the `after` of the next page), and where it was last shipped.
struct ChainView: Encodable {
    struct Link: Encodable { var code: String; var kind: BatchKind; var batchId: BatchID }
    struct Shipped: Encodable {
        var shipmentId: Int64
        var dealerId: DealerID
        var dealer: String
        var territory: [String]
        var via: String
        var at: Date
        /// The store the dealer delivered it to.
        var storeId: StoreID?
        var store: String?
    }
    var code: String
    var packedIn: [Link]
    var children: [Link]
    var childCount: Int
    var next: String?
    var shippedTo: Shipped?

    init(_ chain: CodeChain, code: String, limit: Int, naming: (CodeKey) -> String) {
        func link(_ link: CodeChain.Link) -> Link { Link(code: naming(link.key), kind: link.kind, batchId: link.batch) }
        self.code = code
        packedIn = chain.parents.map(link)
        children = chain.children.map(link)
        childCount = chain.childCount
        next = chain.children.count == limit ? chain.children.last.map { naming($0.key) } : nil
        shippedTo = chain.shipment.map {
            Shipped(shipmentId: $0.shipment, dealerId: $0.dealer, dealer: $0.dealerName, territory: $0.territory.regions, via: naming($0.via), at: $0.at,
                    storeId: $0.store, store: $0.storeName)
        }
    }
}
