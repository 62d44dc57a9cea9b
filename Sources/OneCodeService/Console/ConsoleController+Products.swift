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
import Synchronization

/// Products and batches: add a product, issue a batch, its page, package, activation and void.
extension ConsoleController {
    func registerProducts(on console: RouterGroup<ConsoleContext>) {
        console.get("products") { request, context in try await page(request, context, .products) { try await products($0, $1, $2) } }
        console.post("products") { request, context in
            try await page(request, context, .products, task: .issue) { request, context, chrome in
                try await addProduct(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.post("batches") { request, context in
            try await page(request, context, .products, task: .issue) { request, context, chrome in
                try await issueBatch(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("batches/:id") { request, context in
            try await page(request, context, .products) { request, context, chrome in try await batchPage(request, context, chrome, id: try pathID(context)) }
        }
        console.get("batches/:id/package.zip") { request, context in
            try await page(request, context, .products, task: .issue) { _, context, _ in
                guard let batch = try await store.batch(BatchID(rawValue: try pathID(context))) else { throw HTTPError(.notFound) }
                return try await PackageDownload.response(for: batch, library: packagesDirectory, context: context)
            }
        }
        console.get("issues/:job") { request, context in
            try await page(request, context, .products, task: .issue) { request, context, chrome in
                try await issueProgress(request, context, chrome, job: context.parameters.get("job") ?? "")
            }
        }
        for (action, activate) in [("activate", true), ("void", false)] {
            console.post("batches/:id/\(action)") { request, context in
                try await page(request, context, .products, task: .issue) { request, context, chrome in
                    try await setStatus(request, context, chrome, id: try pathID(context), activate: activate, fields: try await form(request, context))
                }
            }
        }
    }

    /// The `:id` of a console path (a batch, a campaign, a rating); a path with none is no page.
    func pathID(_ context: Context) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw HTTPError(.notFound) }
        return id
    }

    /// Products and batches; for issuers, forms to add a product and issue a batch (every option the CLI has).
    func products(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, issue: [String: Any] = [:], product: [String: String] = [:],
                  errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let products = try await store.products()
        let names = Dictionary(products.map { ($0.id, (language == .zh ? $0.nameZh : $0.nameEn) ?? $0.name) }, uniquingKeysWith: { a, _ in a })
        let batches = try await store.batches(product: nil).prefix(50).map { batch -> [String: Any] in
            ["id": batch.id.rawValue, "product": names[batch.productID] ?? "", "lot": batch.lot ?? "", "count": batch.count,
             "status": views.text("status_\(batch.status.rawValue)", language), "created": views.time.minute(batch.createdAt)]
        }
        let chosen = issue["product"] as? String
        func options<T: RawRepresentable>(_ all: [T], _ chosen: String?, label: (T) -> String) -> [[String: Any]] where T.RawValue == String {
            all.map { ["value": $0.rawValue, "label": label($0), "selected": $0.rawValue == chosen] }
        }
        var values: [String: Any] = [
            "products": products.map { ["id": $0.id.rawValue, "name": $0.name, "nameZh": $0.nameZh ?? "", "nameEn": $0.nameEn ?? "", "gtin": $0.gtin?.digits ?? ""] },
            "hasProducts": !products.isEmpty, "batches": batches, "hasBatches": !batches.isEmpty,
            "productOptions": products.reversed().map { ["id": $0.id.rawValue, "name": names[$0.id] ?? $0.name, "selected": String($0.id.rawValue) == chosen] },
            "artworks": options(ArtworkFormat.allCases, issue["qr"] as? String ?? "pdf") { views.text("artwork_\($0.rawValue)", language) },
            "levels": options(ErrorCorrection.allCases, issue["ec"] as? String ?? "M") { $0.rawValue },
            "kinds": options(BatchKind.allCases, issue["kind"] as? String ?? "unit") { views.text($0 == .innerCase ? "kind_innerCase" : "kind_\($0.rawValue)", language) },
            "issue": issue, "product": product, "errors": errors,
            "mayIssue": chrome.may(.issue),
        ]
        if issue["count"] == nil { values["issue"] = issue.merging(["count": "1000"]) { a, _ in a } }
        return views.page("products", title: views.text("area_products", language), values: values, chrome: chrome, notice: notice, status: status)
    }

    func addProduct(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        func field(_ name: String) -> String? { fields[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
        let kept = fields.filter { ["name", "nameZh", "nameEn", "gtin", "imageUrl"].contains($0.key) }
        do {
            let new = try NewProduct(name: fields["name"] ?? "", nameZh: field("nameZh"), nameEn: field("nameEn"), gtin: field("gtin"), sku: nil,
                                     imageURL: field("imageUrl"))
            _ = try await actions(context).addProduct(new)
            return try await products(request, context, chrome, notice: views.text("productAdded", chrome.language), status: .created)
        } catch let error as InputError {
            return try await products(request, context, chrome, product: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as ConflictError {
            return try await products(request, context, chrome, product: kept, errors: [error.field: views.say(error, chrome.language)], status: .conflict)
        }
    }

    func issueBatch(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        func field(_ name: String) -> String? { fields[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) } }
        var kept: [String: Any] = fields.filter { ["product", "count", "lot", "productionDate", "expiryDate", "region", "qr", "ec", "kind", "pin", "roll"].contains($0.key) }
        kept["gs1"] = fields["urlForm"] == "gs1"
        kept["uppercase"] = fields["uppercase"] == "yes"
        do {
            func number(_ name: String, _ what: String) throws -> Int? {
                guard let text = field(name) else { return nil }
                guard let value = Int(text) else { throw InputError(name, "must be \(what) (got '\(text)')") }
                return value
            }
            let checked = try Actions.IssueRequest(
                product: Int64(try number("product", "a product's id") ?? 0), count: try number("count", "a whole number of codes") ?? 0,
                lot: field("lot"), productionDate: field("productionDate"), expiryDate: field("expiryDate"), region: field("region"),
                urlForm: field("urlForm"), uppercase: fields["uppercase"] == "yes", kind: field("kind"), pin: try number("pin", "a number of digits"),
                qr: field("qr"), ec: field("ec"), roll: field("roll"), labelsPerFile: nil, maxCount: maxBatchCount)
            // Issued in a task of its own, its progress kept in the database: waited for a moment (a small batch's
            // page comes at once), else the page of its progress, which any node serves.
            let job = ConsoleSession.randomToken()
            // Jobs are kept a day: long enough for anyone to come back to the page.
            let now = Date()
            try await store.startIssueJob(id: job, user: context.identity!.id, total: checked.batch.count, at: now,
                                          forgetBefore: now.addingTimeInterval(-86_400))
            let (actions, store, issuer, library, logger) = (actions(context), store, issuer, packagesDirectory, context.logger)
            let reported = Mutex<(done: Int, at: Date)>((0, .distantPast))
            let task = Task { () -> Result<IssueResult, any Error> in
                do {
                    let result = try await actions.issue(checked, issuer: issuer, library: library) { done in
                        // At most one write a second, from a task of its own (the issuer's thread does not wait for it).
                        let due = reported.withLock { last -> Bool in
                            guard Date().timeIntervalSince(last.at) >= 1 else { return false }
                            last = (done, Date())
                            return true
                        }
                        if due { Task { try? await store.progressIssueJob(id: job, done: done, at: Date()) } }
                    }
                    logger.info("console: batch issued", metadata: ["batch": "\(result.batch.id)", "codes": "\(result.batch.count)"])
                    try? await store.finishIssueJob(id: job, batch: result.batch.id, done: result.batch.count, error: nil, at: Date())
                    return .success(result)
                } catch {
                    logger.error("console: issuing failed", metadata: ["job": "\(job)", "error": "\(error)"])
                    try? await store.finishIssueJob(id: job, batch: nil, done: nil, error: "\(error)", at: Date())
                    return .failure(error)
                }
            }
            let finished = await withTaskGroup(of: Result<IssueResult, any Error>?.self) { group in
                group.addTask { await task.value }
                group.addTask {
                    try? await Task.sleep(for: .seconds(issueWaitSeconds))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let finished else { return Response.redirect(to: "/console/issues/\(job)") }
            let result = try finished.get()
            return try await batchPage(request, context, chrome, id: result.batch.id.rawValue, notice: views.text("batchIssued", chrome.language),
                                       status: .created)
        } catch let error as InputError {
            return try await products(request, context, chrome, issue: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as NotFoundError {
            return try await products(request, context, chrome, issue: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        }
    }

    /// How far a batch being issued has got (the page reloads itself every two seconds, no script needed), its
    /// page once issued, or why it was not.
    func issueProgress(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, job id: String) async throws -> Response {
        guard id.utf8.count == 40, let job = try await store.issueJob(id: id),
              job.user == context.identity!.id || context.identity!.role == .admin else {
            return views.message("notFound", status: .notFound, chrome: chrome)
        }
        if let batch = job.batch { return Response.redirect(to: "/console/batches/\(batch.rawValue)") }
        var values: [String: Any] = ["total": job.total, "done": job.done, "started": views.time.minute(job.startedAt),
                                     "percent": job.total == 0 ? 0 : job.done * 100 / job.total]
        if let error = job.error {
            values["error"] = error
        } else if Date().timeIntervalSince(job.updatedAt) > 120 {
            values["stalled"] = true
        } else {
            values["running"] = true
        }
        var response = views.page("issue_progress", title: views.text("issuing", chrome.language), values: values, chrome: chrome,
                                  status: .ok)
        response.headers[.cacheControl] = "no-store"
        if values["running"] != nil { response.headers[HTTPField.Name("Refresh")!] = "2" }
        return response
    }

    /// One batch: its facts, scan rate, scans per day and by verdict and region (from the day counts), its package;
    /// activate, and void with a confirmation.
    func batchPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, errors: [String: String] = [:],
                   notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        await tally?.flush()
        let language = chrome.language
        guard let batch = try await store.batch(BatchID(rawValue: id)) else {
            return views.message("notFound", status: .notFound, chrome: chrome)
        }
        let product = try await store.product(batch.productID)
        let scanned = try await store.scannedCodes(of: [batch.id])[batch.id] ?? 0
        let days = Self.lastDays(30)
        let counts = try await store.scanDayTotals(from: days[0], to: days[29], batch: batch.id)
        var byVerdict: [Verdict: Int] = [:], byRegion: [String: Int] = [:]
        for count in counts { byVerdict[count.verdict, default: 0] += count.scans }
        for count in try await store.scanRegionCounts(from: days[0], to: days[29], batch: batch.id) {
            byRegion[count.region.isEmpty ? "–" : count.region, default: 0] += count.scans
        }
        let regions = byRegion.sorted { $0.value == $1.value ? $0.key < $1.key : $0.value > $1.value }.prefix(20)
        return views.page("batch", title: "\(views.text("batch", language)) #\(batch.id)", values: [
            // Mustache shows a section for any string, "" too: what a batch lacks is left out, not empty.
            "batch": ([
                "id": batch.id.rawValue, "product": (language == .zh ? product?.nameZh : product?.nameEn) ?? product?.name ?? "", "lot": batch.lot ?? "",
                "status": views.text("status_\(batch.status.rawValue)", language), "statusValue": batch.status.rawValue, "count": batch.count,
                "kind": views.text(batch.kind == .innerCase ? "kind_innerCase" : "kind_\(batch.kind.rawValue)", language), "scanned": scanned,
                "rate": batch.count == 0 ? "–" : String(format: "%.1f%%", 100 * Double(scanned) / Double(batch.count)),
                "productionDate": batch.productionDate.description, "urlForm": batch.urlForm.rawValue, "created": views.time.minute(batch.createdAt),
            ] as [String: Any]).merging(Self.present([
                "pin": batch.pinLength > 0 ? "\(batch.pinLength)" : nil, "expiryDate": batch.expiryDate?.description, "region": batch.region,
            ])) { a, _ in a },
            "chart": dailyChart(counts, days: days, language: language),
            "verdicts": Verdict.allCases.filter { byVerdict[$0] != nil }.map {
                ["verdict": $0.rawValue, "label": views.text("verdict_\($0.rawValue)", language), "count": byVerdict[$0]!] as [String: Any]
            },
            "regions": regions.map { ["region": $0.key, "scans": $0.value] as [String: Any] }, "hasRegions": !regions.isEmpty,
            "mayIssue": chrome.may(.issue),
            "canActivate": batch.status == .issued, "canVoid": batch.status != .void, "errors": errors,
        ], chrome: chrome, notice: notice, status: status)
    }

    func setStatus(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, activate: Bool,
                   fields: [String: String]) async throws -> Response {
        do {
            if activate {
                _ = try await actions(context).activateBatch(id)
                return try await batchPage(request, context, chrome, id: id, notice: views.text("batchActivated", chrome.language))
            }
            // Void is final: the form's box says the person means it.
            guard fields["confirm"] == "yes" else { throw InputError("confirm", views.text("confirmNeeded", chrome.language)) }
            _ = try await actions(context).voidBatch(id)
            return try await batchPage(request, context, chrome, id: id, notice: views.text("batchVoided", chrome.language))
        } catch let error as InputError {
            return try await batchPage(request, context, chrome, id: id, errors: [error.field: error.field == "confirm" ? error.message : views.say(error, chrome.language)],
                                       status: .badRequest)
        } catch let error as NotFoundError {
            return try await batchPage(request, context, chrome, id: id, errors: ["confirm": views.say(error, chrome.language)], status: .notFound)
        }
    }
}
