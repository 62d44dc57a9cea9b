import Crypto
import Foundation
import OneCodeDomain
import OneCodeStorage

/// The channel's supply-chain history as GS1 EPCIS 2.0 JSON-LD: packings and unpackings as
/// AggregationEvents, shipments and receipts as ObjectEvents with CBV bizSteps `shipping` and
/// `receiving`. Items are named by GS1 Digital Link URIs when their product has a GTIN
/// (`{base}/01/{gtin}/21/{code}`), else by their scan URL; dealers, warehouses and stores by URNs.
///
/// Pages: each source (packings, shipments, receipts) is read in id order; a page takes, from their
/// heads, the earliest event next (so every source is read as a prefix, and the cursor, the last id
/// taken from each, loses nothing).
public struct EPCISExport: Sendable {
    public static let context = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
    /// The event types, by the sources they come from.
    public static let types: [String: [ChannelRecordSource]] = ["AggregationEvent": [.aggregation], "ObjectEvent": [.shipment, .receipt]]

    let store: any ChannelStore
    let signer: CodeSigner
    let baseURL: String

    public init(store: any ChannelStore, signer: CodeSigner, baseURL: String) {
        self.store = store
        self.signer = signer
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// Where a page ends: the last id taken from each source.
    public struct Cursor: Sendable, Equatable {
        public var after: [Int64]
        public init(after: [Int64] = Array(repeating: 0, count: ChannelRecordSource.allCases.count)) { self.after = after }
        /// `a.s.r` (packings, shipments, receipts).
        public init(_ text: String) throws {
            let parts = text.split(separator: ".").map { Int64($0) }
            guard parts.count == ChannelRecordSource.allCases.count, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw InputError("after", "must be the page before's next cursor (three numbers joined by dots)")
            }
            after = parts.map { $0! }
        }
        public var text: String { after.map(String.init).joined(separator: ".") }
    }

    /// The time window and the event types asked for.
    public struct Query: Sendable {
        public var from: Date
        public var to: Date
        public var sources: [ChannelRecordSource]

        /// - Parameters: `from`, `to`: ISO 8601 date-times or UTC days (`to` day included); `type`: AggregationEvent or ObjectEvent.
        public init(from: String?, to: String?, type: String?) throws {
            func time(_ text: String, _ field: String, end: Bool) throws -> Date {
                let full = ISO8601DateFormatter()
                if let date = full.date(from: text) { return date }
                guard let day = try? Day(text, field: field) else {
                    throw InputError(field, "must be an ISO 8601 time (2026-12-07T08:00:00Z) or a UTC day (2026-12-07) (got '\(text.prefix(40))')")
                }
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                let start = calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
                return end ? calendar.date(byAdding: .day, value: 1, to: start)! : start
            }
            self.from = try from.map { try time($0, "from", end: false) } ?? Date(timeIntervalSince1970: 0)
            self.to = try to.map { try time($0, "to", end: true) } ?? Date(timeIntervalSince1970: 32_503_680_000)  // year 3000
            guard self.from < self.to else { throw InputError("to", "must be after from") }
            if let type {
                guard let sources = EPCISExport.types[type] else {
                    throw InputError("type", "must be AggregationEvent or ObjectEvent (got '\(type.prefix(40))')")
                }
                self.sources = sources
            } else {
                sources = ChannelRecordSource.allCases
            }
        }
    }

    /// One page of events, and the cursor of the next when there may be more.
    public func page(_ query: Query, after cursor: Cursor, limit: Int) async throws -> (events: [[String: Any]], next: Cursor?) {
        var heads: [ChannelRecordSource: ArraySlice<ChannelRecord>] = [:]
        var full: Set<ChannelRecordSource> = []
        for source in query.sources {
            let records = try await store.channelRecords(source, from: query.from, to: query.to, after: cursor.after[source.rawValue], limit: limit)
            heads[source] = records[...]
            if records.count == limit { full.insert(source) }
        }
        var taken: [ChannelRecord] = []
        var next = cursor
        while taken.count < limit {
            let candidates = heads.compactMap { source, slice in slice.first.map { (source, $0) } }
            guard let (source, record) = candidates.min(by: { ($0.1.at, $0.0.rawValue) < ($1.1.at, $1.0.rawValue) }) else { break }
            taken.append(record)
            heads[source] = heads[source]!.dropFirst()
            next.after[source.rawValue] = record.id
        }
        let more = heads.values.contains { !$0.isEmpty } || !full.isEmpty
        let gtins = try await store.gtins(of: taken.flatMap { $0.codes + ($0.parent.map { [$0] } ?? []) })
        return (taken.map { event($0, gtins: gtins) }, more && !taken.isEmpty ? next : nil)
    }

    /// The whole history in the window, as one EPCIS document.
    public func document(_ query: Query, pageSize: Int = 1000) async throws -> [String: Any] {
        var events: [[String: Any]] = []
        var cursor = Cursor()
        while true {
            let (page, next) = try await page(query, after: cursor, limit: pageSize)
            events += page
            guard let next else { break }
            cursor = next
        }
        return Self.document(events)
    }

    public static func document(_ events: [[String: Any]], at now: Date = Date()) -> [String: Any] {
        ["@context": [context], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": iso(now), "epcisBody": ["eventList": events]]
    }

    public static func json(_ document: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    // MARK: - Events

    func event(_ record: ChannelRecord, gtins: [CodeKey: String]) -> [String: Any] {
        var event: [String: Any] = ["eventTime": Self.iso(record.at), "eventTimeZoneOffset": "+00:00", "eventID": eventID(record)]
        /// An ObjectEvent observing the record's codes, with a CBV bizStep and disposition.
        func observed(bizStep: String, disposition: String) {
            event["type"] = "ObjectEvent"
            event["action"] = "OBSERVE"
            event["bizStep"] = bizStep
            event["disposition"] = disposition
            event["epcList"] = record.codes.map { uri($0, gtins) }
        }
        switch record.source {
        case .aggregation:
            let add = record.action != .delete
            event["type"] = "AggregationEvent"
            event["action"] = add ? "ADD" : "DELETE"
            event["bizStep"] = add ? "packing" : "unpacking"
            if add { event["disposition"] = "in_progress" }
            if let parent = record.parent { event["parentID"] = uri(parent, gtins) }
            event["childEPCs"] = record.codes.map { uri($0, gtins) }
        case .shipment:
            observed(bizStep: "shipping", disposition: "in_transit")
            var sources: [[String: String]] = []
            if let from = record.fromDealer { sources.append(["type": "owning_party", "source": "urn:onecode:dealer:\(from)"]) }
            if let warehouse = record.warehouse { sources.append(["type": "location", "source": "urn:onecode:warehouse:\(warehouse)"]) }
            if !sources.isEmpty { event["sourceList"] = sources }
            if let store = record.store {
                // A dealer's delivery to a store: from the dealer, to the store's location (the goods stay the dealer's).
                sources.append(["type": "owning_party", "source": "urn:onecode:dealer:\(record.dealer.map(String.init(describing:)) ?? "")"])
                event["sourceList"] = sources
                event["destinationList"] = [["type": "location", "destination": "urn:onecode:store:\(store)"]]
            } else if let dealer = record.dealer {
                event["destinationList"] = [["type": "owning_party", "destination": "urn:onecode:dealer:\(dealer)"]]
            }
        case .receipt:
            observed(bizStep: "receiving", disposition: "in_progress")
            if let store = record.store { event["bizLocation"] = ["id": "urn:onecode:store:\(store)"] }
        }
        return event
    }

    /// A GS1 Digital Link URI for an item of a product with a GTIN, else the code's scan URL.
    func uri(_ key: CodeKey, _ gtins: [CodeKey: String]) -> String {
        let code = signer.code(for: key)
        if let gtin = gtins[key] { return "\(baseURL)/01/\(gtin)/21/\(code)" }
        return "\(baseURL)/s/\(code)"
    }

    /// A stable id per recorded event: a name-based UUID of its source and id under this deployment's secret.
    func eventID(_ record: ChannelRecord) -> String {
        var bytes = Array(SHA256.hash(data: Array("onecode-epcis/\(signer.fingerprint)/\(record.source)/\(record.id)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return "urn:uuid:" + uuid.uuidString.lowercased()
    }

    static func iso(_ date: Date) -> String {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format.string(from: date)
    }
}
