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

/// The overview: scans by verdict and day, scan rate by batch, live campaigns' stock, low ratings waiting.
extension ConsoleController {
    func registerOverview(on console: RouterGroup<ConsoleContext>) {
        console.get("overview") { request, context in try await page(request, context, .overview, overview) }
    }

    func overview(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        await tally?.flush()
        let language = chrome.language, days = Self.lastDays(30)
        let counts = try await store.scanDayTotals(from: days[0], to: days[29], batch: nil)
        func period(_ id: String, _ label: String, days count: Int) -> [String: Any] {
            let first = days[30 - count]
            var byVerdict: [Verdict: Int] = [:]
            for count in counts where count.day >= first { byVerdict[count.verdict, default: 0] += count.scans }
            return ["id": id, "label": views.text(label, language), "total": byVerdict.values.reduce(0, +),
                    "verdicts": Verdict.allCases.filter { byVerdict[$0] != nil }.map { verdict -> [String: Any] in
                        ["verdict": verdict.rawValue, "label": views.text("verdict_\(verdict.rawValue)", language), "count": byVerdict[verdict]!]
                    }]
        }
        let chart = dailyChart(counts, days: days, language: language)
        let products = Dictionary(try await store.products().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let newest = try await store.batches(product: nil).suffix(20).reversed()
        let scanned = try await store.scannedCodes(of: newest.map(\.id))
        let batches = newest.map { batch -> [String: Any] in
            let codes = scanned[batch.id] ?? 0
            let product = products[batch.productID]
            return ["id": batch.id.rawValue, "lot": batch.lot ?? "", "product": (language == .zh ? product?.nameZh : product?.nameEn) ?? product?.name ?? "",
                    "status": views.text("status_\(batch.status.rawValue)", language), "count": batch.count, "scanned": codes,
                    "rate": batch.count == 0 ? "–" : String(format: "%.1f%%", 100 * Double(codes) / Double(batch.count))]
        }
        var campaigns: [[String: Any]] = []
        for campaign in try await store.campaigns() where campaign.status == .live {
            let stock = try await store.stock(of: campaign.id)
            campaigns.append(["name": campaign.definition.name, "tiers": stock.map { tier -> [String: Any] in
                ["campaign": campaign.definition.name, "name": tier.name, "stock": tier.stock, "awarded": tier.awarded, "left": tier.stock - tier.awarded]
            }])
        }
        let feedback = try await store.feedbackList(FeedbackFilter(maxRating: 2), before: Int64.max, limit: 10).map { item -> [String: Any] in
            ["rating": item.rating, "product": item.productName, "at": views.time.minute(item.at)].merging(Self.present(["comment": item.comment])) { a, _ in a }
        }
        var events: [OutboxEvent] = []
        for type in Self.alertTypes { events += try await store.newestEvents(of: type, limit: 10) }
        let alerts = events.sorted { $0.createdAt > $1.createdAt }.prefix(10).compactMap { alert($0, language: language) }
        return views.page("overview", title: views.text("area_overview", language), values: [
            "alerts": alerts, "hasAlerts": !alerts.isEmpty,
            "periods": [period("today", "today", days: 1), period("7", "last7", days: 7), period("30", "last30", days: 30)],
            "chart": chart, "batches": batches, "campaigns": campaigns, "feedback": feedback,
            "hasBatches": !batches.isEmpty, "hasCampaigns": !campaigns.isEmpty, "hasFeedback": !feedback.isEmpty,
        ], chrome: chrome)
    }

    /// What the overview shows as alerts, newest first: suspicious scans, diverted units, codes locked by wrong PINs.
    static let alertTypes: [EventType] = [.scanSuspicious, .diversionDetected, .pinLocked]

    /// One alert as the overview lists it: its kind, time, code (to look up), region and what happened.
    func alert(_ event: OutboxEvent, language: LandingPage.Language) -> [String: Any]? {
        guard let document = try? JSONSerialization.jsonObject(with: Data(event.body.utf8)) as? [String: Any],
              let data = document["data"] as? [String: Any], let code = data["code"] as? String else { return nil }
        var detail: String
        switch event.type {
        case EventType.scanSuspicious.rawValue:
            detail = views.text("reason_\(data["reason"] as? String ?? "")", language)
        case EventType.diversionDetected.rawValue:
            let territory = (data["territory"] as? [String])?.joined(separator: ", ") ?? ""
            detail = "\(data["dealerName"] as? String ?? "#\(data["dealerId"] ?? "")") (\(territory))"
        default:
            detail = "\(data["wrongPins"] ?? "") " + views.text("wrongPinsWord", language)
        }
        if detail.hasPrefix("reason_") { detail = String(detail.dropFirst(7)) }
        let allowed = CharacterSet.alphanumerics
        return ["kind": event.type, "label": views.text("alert_\(event.type)", language), "at": views.time.minute(event.createdAt),
                "code": code, "codeQuery": code.addingPercentEncoding(withAllowedCharacters: allowed) ?? "",
                "region": data["region"] as? String ?? "", "detail": detail]
    }

    /// The last `count` UTC days, oldest first, today last (`YYYY-MM-DD`).
    static func lastDays(_ count: Int, now: Date = Date()) -> [String] {
        (0..<count).reversed().map { Day.today(now.addingTimeInterval(Double(-$0) * 86_400)).description }
    }

    /// Scans per day over `days` as the console's bar chart.
    func dailyChart(_ counts: [ScanDayTotal], days: [String], language: LandingPage.Language) -> String {
        var perDay: [String: Int] = [:]
        for count in counts { perDay[count.day, default: 0] += count.scans }
        return ConsoleChart.bars(days.map { perDay[$0] ?? 0 }, labels: days, empty: views.text("chartEmpty", language),
                                 title: views.text("scansPerDay", language))
    }
}
