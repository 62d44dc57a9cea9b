import Foundation
import HTTPTypes
import Hummingbird
import OneCodeApplication
import NIOCore
import OneCodeDomain
import OneCodeStorage

extension APIController {
    /// Segments (marketing), leads (sales), reports (both), a consumer's data (admin).
    func registerLinker(_ api: RouterGroup<AppRequestContext>) {
        route(api, .post, "segments") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let object = try JSONInput.object(Data(body.readableBytesView), field: "body", expected: "a JSON object {\"name\": …, \"rules\": {…}}")
            try JSONInput.checkKeys(object, known: ["name", "rules"], path: "")
            guard let name = object["name"] as? String else { throw HTTPError(.badRequest, message: "name: is required, a string") }
            guard let rules = object["rules"] else { throw HTTPError(.badRequest, message: "rules: is required") }
            let rule = try SegmentRule.parse(rules, path: "rules")
            let segment = try await actions(context).createSegment(name: name, rule: rule)
            return try Response.api(segment, status: .created, headers: [.location: "/api/segments/\(segment.id)"])
        }
        route(api, .get, "segments") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.segments(), query, key: \.id.rawValue), status: .ok)
        }
        route(api, .get, "segments/:id") { _, context in
            try Response.api(try await segment(context), status: .ok)
        }
        route(api, .patch, "segments/:id") { request, context in
            let id = try await segment(context).id
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let object = try JSONInput.object(Data(body.readableBytesView), field: "body",
                                              expected: "a JSON object {\"name\": …, \"rules\": {…}} (either or both)")
            try JSONInput.checkKeys(object, known: ["name", "rules"], path: "")
            if object["name"] != nil && !(object["name"] is String) { throw HTTPError(.badRequest, message: "name: must be a string") }
            let rule = try object["rules"].map { try SegmentRule.parse($0, path: "rules") }
            return try Response.api(try await actions(context).editSegment(id.rawValue, name: object["name"] as? String, rule: rule), status: .ok)
        }
        route(api, .delete, "segments/:id") { _, context in
            try await actions(context).deleteSegment(try await segment(context).id.rawValue)
            return Response(status: .noContent)
        }
        route(api, .get, "segments/:id/members") { request, context in
            let segment = try await segment(context)
            let query = try PageQuery(request, default: 1000, maximum: 10_000)
            let profiles = try await store.memberProfiles(of: segment.id, after: query.after ?? "", limit: query.limit + 1)
            return try Response.api(Page(fetched: try await store.named(profiles), limit: query.limit) { $0.consumer }, status: .ok)
        }
        route(api, .post, "segments/refresh") { request, _ in
            let full = request.uri.queryParameters.get("full") == "true"
            // At most one at a time: another asked for meanwhile is a 409 naming the running one.
            return try Response.api(try await linkerGate.run(full: full) { try await store.refreshLinker(now: Date(), full: full) }, status: .ok)
        }
        route(api, .get, "stores") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            return try Response.api(try Page(of: try await store.storeProfiles(), query, key: \.store.id.rawValue), status: .ok)
        }
        route(api, .get, "leads") { request, context in
            let query = try PageQuery(request, default: 500, maximum: 5000)
            let after = try query.afterNumber(), limit = query.limit
            let segment = try request.uri.queryParameters.get("segment").map { text -> SegmentID in
                guard let id = Int64(text) else { throw HTTPError(.badRequest, message: "segment: must be a segment id") }
                return SegmentID(rawValue: id)
            }
            let minScore = try request.uri.queryParameters.get("minScore").map { text -> Double in
                guard let value = Double(text) else { throw HTTPError(.badRequest, message: "minScore: must be from 0 to 100") }
                return value
            }
            let format = request.uri.queryParameters.get("format") ?? "json"
            guard ["json", "csv", "jsonl"].contains(format) else { throw HTTPError(.badRequest, message: "format: must be json, csv or jsonl") }
            // A UTF-8 byte-order mark first, so Excel opens Chinese names correctly; ?bom=false leaves it out.
            guard ["true", "false", nil].contains(request.uri.queryParameters.get("bom")) else {
                throw HTTPError(.badRequest, message: "bom: must be true or false")
            }
            let page = format == "json"
                ? try await actions(context).leads(segment: segment, minScore: minScore, after: after, limit: limit)
                : try await actions(context).exportLeads(segment: segment, minScore: minScore, after: after, limit: limit, format: format)
            // A cursor past the newest this list gave is no cursor of it (not echoed back as if valid).
            guard after <= page.cursor else {
                throw HTTPError(.badRequest, message: "after: \(after) is beyond the newest cursor (\(page.cursor)); pass a `next` this list gave")
            }
            switch format {
            // Leads' `next` is always given: the cursor to poll from for what changes later.
            case "json": return try Response.api(LeadsPage(items: page.leads, next: String(page.cursor), more: page.more), status: .ok)
            case "csv":
                let bom = request.uri.queryParameters.get("bom") == "false" ? "" : "\u{FEFF}"
                return text(bom + Lead.csvHeader + page.leads.map(\.csvRow).joined(), type: "text/csv; charset=utf-8", cursor: page.cursor)
            case "jsonl":
                return text(page.leads.map(\.jsonLine).joined(), type: "application/x-ndjson", cursor: page.cursor)
            default: throw HTTPError(.badRequest, message: "format: must be json, csv or jsonl")
            }
        }
        route(api, .get, "consumers/:id") { _, context in
            let data = try await actions(context).exportConsumer(try context.parameters.require("id"))
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        route(api, .delete, "consumers/:id") { _, context in
            let id = try context.parameters.require("id")
            try await actions(context).eraseConsumer(id)
            return try Response.api(["erased": id], status: .ok)
        }
        route(api, .get, "feedback") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            func number(_ name: String, _ range: ClosedRange<Int64>) throws -> Int64? {
                try request.uri.queryParameters.get(name).map { text in
                    guard let value = Int64(text), range.contains(value) else {
                        throw HTTPError(.badRequest, message: "\(name): must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
                    }
                    return value
                }
            }
            let filter = FeedbackFilter(product: try number("product", 1...Int64.max), batch: try number("batch", 1...Int64.max),
                                        maxRating: try number("maxRating", 1...5).map(Int.init))
            let fetched = try await store.feedbackList(filter, before: try query.afterNumber(), limit: query.limit + 1)
            return try Response.api(Page(fetched: fetched, limit: query.limit) { String($0.id) }, status: .ok)
        }
        route(api, .get, "feedback/reports") { request, _ in
            let query = try PageQuery(request, default: 100, maximum: 1000)
            let fetched = try await store.fakeReports(before: { let after = try query.afterNumber(); return after > 0 ? after : nil }(), limit: query.limit + 1)
            return try Response.api(Page(fetched: fetched, limit: query.limit) { String($0.id) }, status: .ok)
        }
        route(api, .get, "reports/feedback") { request, _ in
            let byBatch = try grouping(request, ["product", "batch"]) == "batch"
            let rows = try await store.named(try await store.feedbackReport(byBatch: byBatch))
            return try report(request, rows, header: ["product", "batch", "name", "ratings", "average", "low_share"]) {
                [String($0.productId), $0.batchId.map(String.init) ?? "", $0.name ?? "", String($0.count), String($0.average), String($0.lowShare)]
            }
        }
        route(api, .get, "reports/scan-rate") { request, _ in
            let by = ScanRateGrouping(rawValue: try grouping(request, ScanRateGrouping.allCases.map(\.rawValue)))!
            let rows = try await store.named(try await store.scanRate(by: by))
            return try report(request, rows, header: [by.rawValue, "name", "issued", "scanned", "scans", "rate"]) {
                [$0.key, $0.name ?? "", $0.issued.map(String.init) ?? "", String($0.scanned), $0.scans.map(String.init) ?? "", $0.rate.map { String($0) } ?? ""]
            }
        }
        route(api, .get, "reports/daily") { request, _ in
            let batch = try request.uri.queryParameters.get("batch").map { text -> BatchID in
                guard let id = Int64(text) else { throw HTTPError(.badRequest, message: "batch: must be a batch id") }
                return BatchID(rawValue: id)
            }
            let rows = try await store.dailyScans(batch: batch)
            return try report(request, rows, header: ["day", "codes", "scans"]) { [$0.key, String($0.scanned), $0.scans.map(String.init) ?? ""] }
        }
        route(api, .get, "reports/diversion") { request, _ in
            let alerts = try await store.diversion()
            let dates = ISO8601DateFormatter()
            return try report(request, alerts, header: ["batch", "intended_region", "region", "scans", "codes", "first_at", "last_at"]) {
                [String($0.batchId), $0.intendedRegion, $0.region, String($0.scans), String($0.codes), dates.string(from: $0.firstAt), dates.string(from: $0.lastAt)]
            }
        }
    }

    func segment(_ context: AppRequestContext) async throws -> Segment {
        let text = try context.parameters.require("id")
        guard let id = Int64(text) else { throw HTTPError(.badRequest, message: "id: must be a segment id") }
        guard let segment = try await store.segment(SegmentID(rawValue: id)) else { throw HTTPError(.notFound, message: "id: no segment with id \(id)") }
        return segment
    }

    func grouping(_ request: Request, _ allowed: [String]) throws -> String {
        let by = request.uri.queryParameters.get("by") ?? allowed[0]
        guard allowed.contains(by) else { throw HTTPError(.badRequest, message: "by: must be \(allowed.joined(separator: ", "))") }
        return by
    }

    func text(_ body: String, type: String, cursor: Int64) -> Response {
        Response(status: .ok, headers: [.contentType: type, HTTPField.Name("OneCode-Cursor")!: String(cursor)],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A report as JSON, or as CSV with `?format=csv`.
    func report<T: Encodable>(_ request: Request, _ rows: [T], header: [String], csv: (T) -> [String]) throws -> Response {
        switch request.uri.queryParameters.get("format") ?? "json" {
        case "json": return try Response.api(try Page(rows: rows, PageQuery(request, default: 1000, maximum: 10_000)), status: .ok)
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: CSV.row(header) + rows.map { CSV.row(csv($0)) }.joined())))
        default: throw HTTPError(.badRequest, message: "format: must be json or csv")
        }
    }
}

/// The leads page: `next` is always the cursor to pass as `after` next time; `more` says whether
/// another page is ready now.
struct LeadsPage: Encodable {
    var items: [Lead]
    var next: String
    var more: Bool
}
