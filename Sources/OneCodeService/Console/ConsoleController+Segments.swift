import Foundation
import HTTPTypes
import Hummingbird
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

/// Segments: the list, a rule builder (with its JSON), a segment's members with their profiles and its size
/// over time; create, edit and delete through `Actions` (marketing, as the API's scope).
extension ConsoleController {
    func registerSegments(on console: RouterGroup<ConsoleContext>) {
        console.get("segments") { request, context in try await page(request, context, .segments) { try await segments($0, $1, $2) } }
        console.post("segments") { request, context in
            try await page(request, context, .segments) { request, context, chrome in
                try await saveSegment(request, context, chrome, id: nil, fields: try await form(request, context))
            }
        }
        console.get("segments/:id") { request, context in
            try await page(request, context, .segments) { request, context, chrome in try await segmentPage(request, context, chrome, id: try pathID(context)) }
        }
        console.post("segments/:id") { request, context in
            try await page(request, context, .segments) { request, context, chrome in
                try await saveSegment(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.post("segments/:id/delete") { request, context in
            try await page(request, context, .segments) { request, context, chrome in
                try await deleteSegment(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
    }

    /// Members shown per page of a segment.
    static let membersPerPage = 50

    /// The builder's values for the template: the form as typed (or from a rule), its errors, products to tick.
    func segmentFormValues(_ form: [String: String], errors: [String: String], chrome: ConsoleViews.Chrome, action: String,
                           title: String) async throws -> [String: Any] {
        let language = chrome.language
        var s: [String: Any] = form
        s["json"] = form["mode"] == "json"
        s["anyOf"] = form["combine"] == "any"
        func choices(_ field: String, _ options: [(String, String)]) -> [[String: Any]] {
            options.map { ["value": $0.0, "label": $0.1, "selected": (form[field] ?? "") == $0.0] }
        }
        let flags = [("", views.text("either", language)), ("yes", views.text("yes", language)), ("no", views.text("no", language))]
        s["wonPrizeOptions"] = choices("wonPrize", flags)
        s["consentOptions"] = choices("consent", flags)
        s["ratingOptions"] = choices("ratingAtMost", [("", views.text("starsAny", language))] + (1...5).map { ("\($0)", "≤ \($0)★") })
        let products = try await store.products()
        s["products"] = products.map { product -> [String: Any] in
            ["id": product.id.rawValue, "name": (language == .zh ? product.nameZh : product.nameEn) ?? product.name,
             "checked": form["product_\(product.id.rawValue)"] == "yes"]
        }
        return ["s": s, "errors": errors, "formAction": action, "formTitle": title]
    }

    /// Every segment with its size and last refresh, and the form to make one.
    func segments(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:],
                  errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let rows = try await store.segments().reversed().map { segment -> [String: Any] in
            ["id": segment.id.rawValue, "name": segment.name, "members": segment.members,
             "refreshed": segment.refreshedAt.map(views.time.minute) ?? views.text("notRefreshed", language)]
        }
        var values: [String: Any] = ["segments": rows, "hasSegments": !rows.isEmpty]
        values.merge(try await segmentFormValues(form.isEmpty ? ["mode": "builder", "combine": "all"] : form, errors: errors, chrome: chrome,
                                                 action: "/console/segments", title: views.text("createSegment", language))) { _, b in b }
        return views.page("segments", title: views.text("area_segments", language), values: values, chrome: chrome, notice: notice, status: status)
    }

    /// One segment: its rule (as JSON and in the builder), its size over the last 90 days, its members with
    /// their profiles (a page at a time), its leads, and forms to edit and delete it.
    func segmentPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, form: [String: String]? = nil,
                     errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        guard let segment = try await store.segment(SegmentID(rawValue: id)) else { return views.message("notFound", status: .notFound, chrome: chrome) }
        let rule = try? SegmentRule.parse(Data(segment.rules.utf8))
        let days = Self.lastDays(90)
        let history = try await store.segmentDays(of: segment.id, from: days[0])
        let after = String((request.uri.queryParameters.get("after") ?? "").prefix(200))
        let profiles = try await store.memberProfiles(of: segment.id, after: after, limit: Self.membersPerPage + 1)
        let productNames = Dictionary(try await store.products().map { ($0.id.rawValue, (language == .zh ? $0.nameZh : $0.nameEn) ?? $0.name) },
                                      uniquingKeysWith: { a, _ in a })
        let members = profiles.prefix(Self.membersPerPage).map { profile -> [String: Any] in
            [
                "consumer": profile.consumer, "scans": profile.scans, "first": views.time.minute(profile.firstScanAt),
                "last": views.time.minute(profile.lastScanAt), "regions": profile.regions.prefix(3).joined(separator: ", "),
                "products": profile.products.prefix(3).map { productNames[$0] ?? "#\($0)" }.joined(separator: ", "),
                "prizes": profile.prizesWon, "points": profile.points,
                "rating": profile.ratings == 0 ? "–" : String(format: "%.1f★", Double(profile.ratingSum) / Double(profile.ratings)),
                "consent": profile.consentAt == nil ? views.text("no", language) : views.text("yes", language),
            ]
        }
        let changes = history.reversed().filter { $0.added > 0 || $0.removed > 0 }.prefix(10).map { day -> [String: Any] in
            ["day": day.day, "added": day.added, "removed": day.removed, "members": day.members]
        }
        var values: [String: Any] = [
            "segment": ["id": segment.id.rawValue, "name": segment.name, "members": segment.members, "created": views.time.minute(segment.createdAt),
                        "json": rule.map(SegmentForm.pretty) ?? segment.rules] as [String: Any],
            "chart": ConsoleChart.line(history.isEmpty ? [] : Self.sizes(history, days: days), labels: days, empty: views.text("notRefreshed", language),
                                       title: views.text("membersOverTime", language)),
            "changes": Array(changes), "hasChanges": !changes.isEmpty,
            "members": members, "hasMembers": !members.isEmpty, "firstPage": after.isEmpty,
            "mayLeads": chrome.user.map { ConsoleArea.leads.allows($0.role) } ?? false,
        ]
        if rule == nil { values["broken"] = true }
        if let refreshed = segment.refreshedAt { values["refreshed"] = views.time.minute(refreshed) }
        if profiles.count > Self.membersPerPage, let last = members.last?["consumer"] as? String {
            values["next"] = "/console/segments/\(id)?after=" + (last.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        var shown = form ?? rule.map(SegmentForm.values) ?? ["mode": "json", "rules": segment.rules]
        if form == nil { shown["name"] = segment.name }
        values.merge(try await segmentFormValues(shown, errors: errors, chrome: chrome, action: "/console/segments/\(id)",
                                                 title: views.text("editSegment", language))) { _, b in b }
        return views.page("segment", title: segment.name, values: values, chrome: chrome, notice: notice, status: status)
    }

    /// Each of `days`'s size: the last count kept on or before it (a segment keeps its size between refreshes), 0 before the first.
    static func sizes(_ history: [SegmentDay], days: [String]) -> [Int] {
        var index = 0, size = 0
        return days.map { day in
            while index < history.count, history[index].day <= day {
                size = history[index].members
                index += 1
            }
            return size
        }
    }

    /// Creates (`id` nil) or edits a segment from the form, its rule read as the API's is; errors beside their fields.
    func saveSegment(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64?, fields: [String: String]) async throws -> Response {
        var kept = fields
        kept["csrf"] = nil
        do {
            let rule = try SegmentForm.rule(fields)
            let name = fields["name"] ?? ""
            if let id {
                let current = try await store.segment(SegmentID(rawValue: id))
                guard let current else { return views.message("notFound", status: .notFound, chrome: chrome) }
                // What did not change is not sent: an unchanged rule is not evaluated whole again at the next refresh.
                let unchanged = (try? SegmentRule.parse(Data(current.rules.utf8))) == rule
                if name == current.name && unchanged {
                    return try await segmentPage(request, context, chrome, id: id, notice: views.text("segmentSaved", chrome.language))
                }
                _ = try await actions(context).editSegment(id, name: name == current.name ? nil : name, rule: unchanged ? nil : rule)
                return try await segmentPage(request, context, chrome, id: id, notice: views.text("segmentSaved", chrome.language))
            }
            let segment = try await actions(context).createSegment(name: name, rule: rule)
            return try await segmentPage(request, context, chrome, id: segment.id.rawValue, notice: views.text("segmentCreated", chrome.language),
                                         status: .created)
        } catch let error as InputError {
            let field = SegmentForm.parts.contains(error.field) || ["name", "rules", "combine"].contains(error.field) ? error.field : "rules"
            let errors = [field: field == "rules" || field == "name" ? views.say(error, chrome.language) : error.message]
            if let id { return try await segmentPage(request, context, chrome, id: id, form: kept, errors: errors, status: .badRequest) }
            return try await segments(request, context, chrome, form: kept, errors: errors, status: .badRequest)
        } catch let error as ConflictError {
            if let id { return try await segmentPage(request, context, chrome, id: id, form: kept, errors: ["name": views.say(error, chrome.language)], status: .conflict) }
            return try await segments(request, context, chrome, form: kept, errors: ["name": views.say(error, chrome.language)], status: .conflict)
        } catch let error as NotFoundError {
            return views.page("message", title: views.text("notFound", chrome.language), values: ["message": views.say(error, chrome.language)],
                              chrome: chrome, status: .notFound)
        }
    }

    func deleteSegment(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        guard fields["confirm"] == "yes" else {
            return try await segmentPage(request, context, chrome, id: id, errors: ["confirm": views.text("confirmNeeded", chrome.language)],
                                         status: .badRequest)
        }
        do {
            try await actions(context).deleteSegment(id)
        } catch is NotFoundError {
            return views.message("notFound", status: .notFound, chrome: chrome)
        }
        return try await segments(request, context, chrome, notice: views.text("segmentDeleted", chrome.language))
    }
}
