import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import OneCodeApplication
import OneCodeDomain
import OneCodeIssuing
import OneCodeRendering
import OneCodeStorage

/// Leads by segment and score, and their export.
extension ConsoleController {
    func registerLeads(on console: RouterGroup<ConsoleContext>) {
        console.get("leads") { request, context in try await page(request, context, .leads) { try await leads($0, $1, $2) } }
        console.get("leads/export") { request, context in try await page(request, context, .leads) { try await exportLeads($0, $1, $2) } }
    }

    /// The filter a leads page and its export share: `segment` (an id) and `minScore`, as typed.
    func leadFilter(_ request: Request) throws -> (segment: SegmentID?, minScore: Double?, text: (segment: String, minScore: String)) {
        let segmentText = request.uri.queryParameters.get("segment") ?? "", scoreText = request.uri.queryParameters.get("minScore") ?? ""
        var segment: SegmentID?, minScore: Double?
        if !segmentText.isEmpty {
            guard let id = Int64(segmentText) else { throw InputError("segment", "must be a segment id") }
            segment = SegmentID(rawValue: id)
        }
        if !scoreText.isEmpty {
            guard let value = Double(scoreText) else { throw InputError("minScore", "must be from 0 to 100 (got '\(scoreText)')") }
            minScore = value
        }
        return (segment, minScore, (segmentText, scoreText))
    }

    /// Leads by segment and score with their reasons, and the export in three forms.
    func leads(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        let language = chrome.language
        var values: [String: Any] = [:], status = HTTPResponse.Status.ok
        var segmentText = "", scoreText = ""
        do {
            let filter = try leadFilter(request)
            (segmentText, scoreText) = filter.text
            let page = try await actions(context).leads(segment: filter.segment, minScore: filter.minScore, after: 0, limit: 100)
            values["leads"] = page.leads.map { lead -> [String: Any] in
                ["name": lead.name ?? "", "phone": lead.phone ?? "", "score": String(format: "%.0f", lead.score), "reasons": lead.reasons.joined(separator: "; "),
                 "updated": views.time.minute(lead.updatedAt)]
            }
            values["hasLeads"] = !page.leads.isEmpty
            values["more"] = page.more
        } catch let error as InputError {
            values["errors"] = [error.field: views.say(error, chrome.language)]
            status = .badRequest
        } catch let error as NotFoundError {
            values["errors"] = ["minScore": views.say(error, chrome.language)]
            status = .notFound
        }
        let segments = try await store.segments()
        values["segments"] = segments.map { ["id": $0.id.rawValue, "name": $0.name, "selected": String($0.id.rawValue) == segmentText] as [String: Any] }
        values["minScore"] = scoreText
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-"))
        values["query"] = (segmentText.isEmpty ? "" : "&segment=" + (segmentText.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""))
            + (scoreText.isEmpty ? "" : "&minScore=" + (scoreText.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""))
        return views.page("leads", title: views.text("area_leads", language), values: values, chrome: chrome, status: status)
    }

    /// The leads the filter selects as one file, up to 100,000 of them: CSV (with a byte-order mark for Excel, or
    /// `bom=false`) or JSON lines, in the API's columns; audited as `leads.export`.
    func exportLeads(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        let filter = try leadFilter(request)
        let format = request.uri.queryParameters.get("format") ?? "csv"
        guard ["csv", "jsonl"].contains(format) else { throw HTTPError(.badRequest, message: "format: must be csv or jsonl") }
        let leads = try await actions(context).exportAllLeads(segment: filter.segment, minScore: filter.minScore, cap: 100_000, format: format)
        let body: String, type: String
        if format == "csv" {
            body = (request.uri.queryParameters.get("bom") == "false" ? "" : "\u{FEFF}") + Lead.csvHeader + leads.map(\.csvRow).joined()
            type = "text/csv; charset=utf-8"
        } else {
            body = leads.map(\.jsonLine).joined()
            type = "application/x-ndjson"
        }
        return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"leads.\(format == "csv" ? "csv" : "jsonl")\""],
                        body: .init(byteBuffer: .init(string: body)))
    }
}
