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
    struct ShipmentBody: Decodable { var dealer: Int64; var from: Int64?; var warehouse: Int64?; var codes: [String] }

    /// A bulk call's body limit: 100,000 codes (`ChannelBook.maxCodesPerCall`) as URLs with JSON quotes.
    static let channelBodyLimit = 8 * 1024 * 1024

    /// The channel: `POST /api/aggregations`, dealers, warehouses, shipments (issuer), a code's chain, and
    /// the diversion report by dealer.
    func registerChannel(_ api: RouterGroup<AppRequestContext>) {
        let signer = issuer.signer
        route(api, .post, "aggregations", [.issuer]) { request, context in
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
        route(api, .post, "dealers", [.issuer]) { request, context in
            let body = try await decode(DealerBody.self, request, context)
            return try Response.api(try await store.addDealer(try NewDealer(name: body.name, territory: body.territory, contact: body.contact)),
                                    status: .created)
        }
        route(api, .get, "dealers", [.issuer, .marketing, .sales]) { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.dealers(), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .post, "warehouses", [.issuer]) { request, context in
            let body = try await decode(WarehouseBody.self, request, context)
            return try Response.api(try await store.addWarehouse(try NewWarehouse(name: body.name, region: body.region)), status: .created)
        }
        route(api, .get, "warehouses", [.issuer, .marketing, .sales]) { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.warehouses(), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .post, "shipments", [.issuer]) { request, context in
            let body = try await request.decodeJSON(ShipmentBody.self, context: context, limit: Self.channelBodyLimit)
            for (field, value) in [("dealer", body.dealer), ("from", body.from ?? 1), ("warehouse", body.warehouse ?? 1)] where value <= 0 {
                throw HTTPError(.badRequest, message: "\(field): must be a positive id")
            }
            let codes = try body.codes.enumerated().map { try ChannelInput.place($1, at: "codes[\($0)]", signer: signer) }
            let at = Date()
            let shipment = try await store.withChannelTransaction { tx in
                try ChannelBook.ship(codes, to: DealerID(rawValue: body.dealer), from: body.from.map(DealerID.init(rawValue:)),
                                     warehouse: body.warehouse.map(WarehouseID.init(rawValue:)), at: at, in: tx)
            }
            return try Response.api(shipment, status: .created)
        }
        route(api, .get, "shipments", [.issuer, .marketing, .sales]) { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let shipments = try await store.shipments(limit: 10_000).sorted { $0.id < $1.id }
            return try Response.api(try Page(of: shipments, query, key: \.id), status: .ok)
        }
        route(api, .get, "codes/:code/chain", [.issuer, .marketing, .sales]) { request, context in
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
        route(api, .get, "reports/dealer-diversion", [.marketing, .sales]) { request, _ in
            let rows = try await store.dealerDiversion()
            let dates = ISO8601DateFormatter()
            return try report(request, rows, header: ["dealer_id", "dealer", "territory", "region", "units", "first_at", "last_at"]) {
                [String($0.dealerId), $0.dealer, $0.territory, $0.region, String($0.units), dates.string(from: $0.firstAt), dates.string(from: $0.lastAt)]
            }
        }
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
            Shipped(shipmentId: $0.shipment, dealerId: $0.dealer, dealer: $0.dealerName, territory: $0.territory.regions, via: naming($0.via), at: $0.at)
        }
    }
}
