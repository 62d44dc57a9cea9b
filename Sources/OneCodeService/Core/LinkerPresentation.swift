import Foundation
import OneCodeDomain
import OneCodeStorage

// How the linker's rows are presented to people and to other programs: the leads' CSV and JSON
// lines, reports with names beside their ids, segment members with their summaries. The API and
// the command line both present them so; storage knows none of it.

extension Lead {
    public static let csvHeader = CSV.row(["cursor", "kind", "id", "name", "phone", "score", "reasons", "source_batch", "source_region",
                                           "source_store", "created_at", "updated_at", "consented_at", "consent_version", "consent_text_id",
                                           "campaign_id", "product_id", "last_rating", "last_comment"])
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public var csvRow: String {
        let dates = ISO8601DateFormatter()
        let before = [String(cursor), kind.rawValue, id, name ?? ""].map(CSV.field)
        let source: [String] = [self.source.batch.map(String.init) ?? "", self.source.region ?? "", self.source.store.map(String.init) ?? ""]
        let times: [String] = [dates.string(from: createdAt), dates.string(from: updatedAt), crm.consentedAt.map(dates.string(from:)) ?? ""]
        let filed: [String] = [crm.consentVersion ?? "", crm.consentTextId ?? "", crm.campaignId.map(String.init) ?? "",
                               crm.productId.map(String.init) ?? "", crm.lastRating.map(String.init) ?? "", crm.lastComment ?? ""]
        let after: [String] = ([String(score), reasons.joined(separator: "; ")] + source + times + filed).map(CSV.field)
        // The phone as a CRM imports it (`+8613812345678`, not `'+86…`): validated digits hold no formula.
        return CSV.written(before + [CSV.phone(phone ?? "")] + after)
    }

    public var jsonLine: String { String(decoding: (try? Lead.encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n" }
}

extension CatalogStore {
    /// Reports name what their ids are (`batch 3` is "Green tea 500 ml, lot A1"), read from the catalogue once.
    public func named(_ rows: [ReportRow]) async throws -> [ReportRow] {
        let (products, batches) = try await catalogueNames()
        return rows.map { row in
            var row = row
            let parts = row.key.split(separator: " ")
            if parts.count == 2, let id = Int64(parts[1]) {
                row.name = parts[0] == "batch" ? batches[id] : parts[0] == "product" ? products[id] : nil
            }
            return row
        }
    }

    public func named(_ rows: [FeedbackAggregate]) async throws -> [FeedbackAggregate] {
        let (products, batches) = try await catalogueNames()
        return rows.map { row in
            var row = row
            row.name = row.batchId.flatMap { batches[$0] } ?? products[row.productId]
            return row
        }
    }

    /// Segment members with their profile summaries, products named.
    public func named(_ profiles: [ConsumerProfile]) async throws -> [MemberSummary] {
        let products = try await productNames()
        return profiles.map { MemberSummary($0, names: products) }
    }

    func productNames() async throws -> [Int64: String] {
        Dictionary(try await self.products().map { ($0.id.rawValue, $0.name) }) { $1 }
    }

    func catalogueNames() async throws -> (products: [Int64: String], batches: [Int64: String]) {
        let products = try await productNames()
        let batches = Dictionary(try await self.batches(product: nil).map { batch in
            (batch.id.rawValue, (products[batch.productID.rawValue] ?? "product \(batch.productID)") + (batch.lot.map { ", lot \($0)" } ?? ""))
        }) { $1 }
        return (products, batches)
    }
}

/// A segment member as marketing reads it: who (a random id), how much and where they scanned, which
/// products (with names), what they won and rated, and whether they gave consent.
public struct MemberSummary: Encodable, Sendable, Equatable {
    public struct ProductName: Encodable, Sendable, Equatable {
        public var id: Int64
        public var name: String?
    }
    public var consumer: String
    public var scans: Int
    public var firstScanAt: Date
    public var lastScanAt: Date
    public var products: [ProductName]
    public var regions: [String]
    public var lastRegion: String?
    public var draws: Int
    public var prizesWon: Int
    public var points: Int
    public var ratings: Int
    public var averageRating: Double?
    public var consent: Bool

    /// - Parameter names: product names by id.
    public init(_ profile: ConsumerProfile, names: [Int64: String]) {
        consumer = profile.consumer
        scans = profile.scans
        firstScanAt = profile.firstScanAt
        lastScanAt = profile.lastScanAt
        products = profile.products.map { ProductName(id: $0, name: names[$0]) }
        regions = profile.regions
        lastRegion = profile.lastRegion
        draws = profile.draws
        prizesWon = profile.prizesWon
        points = profile.points
        ratings = profile.ratings
        averageRating = profile.averageRating.map { ($0 * 10).rounded() / 10 }
        consent = profile.consentAt != nil
    }
}
