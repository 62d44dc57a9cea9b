import Foundation
import HTTPTypes
import Hummingbird
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

/// Regions: where scans come from against where each batch was meant to be sold (its `region`), by batch and
/// by province, on a map of China's provinces and in tables; read from the day counts, never the scans.
extension ConsoleController {
    func registerRegions(on console: RouterGroup<ConsoleContext>) {
        console.get("regions") { request, context in try await page(request, context, .regions) { try await regions($0, $1, $2) } }
    }

    /// The windows the page offers, in days.
    static let regionWindows = [7, 30, 90]

    func regions(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        await tally?.flush()
        let language = chrome.language, chinese = language == .zh
        var status = HTTPResponse.Status.ok, errors: [String: String] = [:]
        var window = 30
        if let typed = request.uri.queryParameters.get("days"), !typed.isEmpty {
            if let days = Int(typed), Self.regionWindows.contains(days) { window = days } else {
                errors["days"] = "days: must be one of \(Self.regionWindows.map(String.init).joined(separator: ", ")) (got '\(typed.prefix(20))')"
                status = .badRequest
            }
        }
        let all = request.uri.queryParameters.get("view") == "all"
        let days = Self.lastDays(window)
        let counts = try await store.scanRegionCounts(from: days[0], to: days[days.count - 1], batch: nil)
        let batches = Dictionary(try await store.batches(product: nil).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let products = Dictionary(try await store.products().map { ($0.id, (chinese ? $0.nameZh : $0.nameEn) ?? $0.name) }, uniquingKeysWith: { a, _ in a })
        func place(_ region: String) -> String {
            if region.isEmpty { return views.text("regionUnknown", language) }
            return views.map.name(of: Self.province(region), chinese: chinese).map { "\($0) (\(region))" } ?? region
        }
        /// Scans from a known region outside the batch's intended one (none when it has no intended region).
        func outside(_ count: ScanRegionCount) -> Bool {
            guard let area = batches[count.batch]?.region, !count.region.isEmpty else { return false }
            return !RegionCode.covers(area, count.region)
        }
        var byProvince: [String: (scans: Int, outside: Int)] = [:]
        var byBatch: [BatchID: (located: Int, outside: Int, unknown: Int, places: [String: Int])] = [:]
        for count in counts {
            let away = outside(count)
            let key = count.region.isEmpty ? "" : Self.province(count.region)
            byProvince[key, default: (0, 0)].scans += count.scans
            if away { byProvince[key, default: (0, 0)].outside += count.scans }
            var batch = byBatch[count.batch] ?? (0, 0, 0, [:])
            if count.region.isEmpty { batch.unknown += count.scans } else { batch.located += count.scans }
            if away {
                batch.outside += count.scans
                batch.places[key, default: 0] += count.scans
            }
            byBatch[count.batch] = batch
        }
        let mapCounts = byProvince.filter { !$0.key.isEmpty }.mapValues { all ? $0.scans : $0.outside }
        let batchRows = byBatch.compactMap { id, tally -> (Int, [String: Any])? in
            guard let batch = batches[id], let area = batch.region else { return nil }
            let top = tally.places.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(3)
            return (tally.outside, [
                "id": id.rawValue, "product": products[batch.productID] ?? "", "lot": batch.lot ?? "", "intended": place(area),
                "located": tally.located, "outside": tally.outside, "unknown": tally.unknown,
                "share": tally.located == 0 ? "–" : String(format: "%.1f%%", 100 * Double(tally.outside) / Double(tally.located)),
                "where": top.map { "\(place($0.key)) \($0.value)" }.joined(separator: ", "),
            ])
        }.sorted { $0.0 == $1.0 ? ($0.1["id"] as! Int64) < ($1.1["id"] as! Int64) : $0.0 > $1.0 }.map(\.1)
        let provinceRows = byProvince.sorted { $0.value.scans == $1.value.scans ? $0.key < $1.key : $0.value.scans > $1.value.scans }
            .map { ["region": place($0.key), "code": $0.key, "scans": $0.value.scans, "outside": $0.value.outside] as [String: Any] }
        let unplanned = byBatch.keys.filter { batches[$0]?.region == nil }.count
        let values: [String: Any] = [
            "map": views.map.svg(mapCounts, chinese: chinese, title: views.text(all ? "mapAllScans" : "mapOutside", language),
                                 none: views.text("none", language), warm: !all),
            "windows": Self.regionWindows.map { ["days": $0, "selected": $0 == window] as [String: Any] },
            "all": all, "days": window, "errors": errors,
            "batches": batchRows, "hasBatches": !batchRows.isEmpty, "provinces": provinceRows, "hasProvinces": !provinceRows.isEmpty,
            "unplanned": unplanned, "hasUnplanned": unplanned > 0,
            "outsideTotal": byBatch.values.map(\.outside).reduce(0, +),
        ]
        return views.page("regions", title: views.text("area_regions", language), values: values, chrome: chrome, status: status)
    }

    /// The province of a region code: `CN-31` of `CN-31` and of a finer `CN-31-…`; other codes as they are.
    static func province(_ region: String) -> String {
        let parts = region.split(separator: "-", maxSplits: 2)
        return parts.count >= 2 ? "\(parts[0])-\(parts[1])" : region
    }
}
