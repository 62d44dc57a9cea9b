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

/// The console staff use every day, under `/console`: server-rendered pages by role, over the application
/// layer (`Actions`, `SignIn`). Sessions are kept in the database (every node knows them); every form
/// carries the session's CSRF token; sign-in is throttled per account and per address on every node.
struct ConsoleController: Sendable {
    typealias Context = ConsoleContext
    let store: any OneCodeStore
    let signer: CodeSigner
    let issuer: Issuer
    let packagesDirectory: String
    let maxBatchCount: Int
    /// Whether scans get a region from GeoIP: a campaign scoped to regions says so when not.
    let geoIPConfigured: Bool
    let views: ConsoleViews
    let idleSeconds: Int
    let sessionSeconds: Int
    let secureCookie: Bool
    let truncateIP: Bool
    /// This node's scan counts, flushed before a page reads them.
    let tally: ScanTally?

    /// The parts with pages so far (the navigation shows these of a role's parts).
    static let built: Set<ConsoleArea> = [.overview, .products, .codes, .campaigns, .stores, .redeem, .leads, .feedback, .admin]

    static func path(of area: ConsoleArea) -> String {
        switch area {
        case .admin: "/console/admin/users"
        default: "/console/\(area.rawValue)"
        }
    }

    static let sessionCookie = "onecode_console"
    static let loginCookie = "onecode_console_login"
    static let languageCookie = "onecode_console_lang"

    func register(on router: Router<AppRequestContext>) {
        router.get("console/static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: .init(bytes: ConsoleViews.css)))
        }
        let console = router.group("console", context: ConsoleContext.self)
            .add(middleware: SessionMiddleware(storage: StoreSessionDriver(store: store), configuration: .init(
                sessionCookieParameters: .init(name: Self.sessionCookie, path: "/console", secure: secureCookie, sameSite: .strict),
                keyPrefix: "console.", defaultSessionExpiration: .seconds(idleSeconds))))
            .add(middleware: ConsoleIdentityMiddleware(users: store, idleSeconds: idleSeconds, sessionSeconds: sessionSeconds))
        console.get("login", use: loginPage)
        console.post("login", use: signIn)
        console.post("logout") { request, context in
            _ = try await form(request, context)  // the token is checked: a page elsewhere cannot sign staff out
            context.sessions.clearSession()
            return Response.redirect(to: "/console/login")
        }
        console.get { request, context in
            guard let user = context.identity else { return Response.redirect(to: "/console/login") }
            return Response.redirect(to: Self.path(of: ConsoleArea.home(of: user.role)) + languageQuery(request))
        }
        console.get("overview") { request, context in try await page(request, context, .overview, overview) }
        console.get("admin/users") { request, context in try await page(request, context, .admin) { try await users($0, $1, $2) } }
        console.post("admin/users") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await addUser(request, context, chrome, fields: try await form(request, context))
            }
        }
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
        for (action, activate) in [("activate", true), ("void", false)] {
            console.post("batches/:id/\(action)") { request, context in
                try await page(request, context, .products, task: .issue) { request, context, chrome in
                    try await setStatus(request, context, chrome, id: try pathID(context), activate: activate, fields: try await form(request, context))
                }
            }
        }
        console.get("campaigns") { request, context in try await page(request, context, .campaigns) { try await campaigns($0, $1, $2) } }
        console.post("campaigns") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await saveCampaign(request, context, chrome, id: nil, fields: try await form(request, context))
            }
        }
        console.get("campaigns/:id") { request, context in
            try await page(request, context, .campaigns) { request, context, chrome in try await campaignPage(request, context, chrome, id: try pathID(context)) }
        }
        console.post("campaigns/:id") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await saveCampaign(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.post("campaigns/:id/status") { request, context in
            try await page(request, context, .campaigns, task: .runCampaigns) { request, context, chrome in
                try await campaignStatus(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.get("leads") { request, context in try await page(request, context, .leads) { try await leads($0, $1, $2) } }
        console.get("leads/export") { request, context in try await page(request, context, .leads) { try await exportLeads($0, $1, $2) } }
        console.get("stores") { request, context in try await page(request, context, .stores) { try await stores($0, $1, $2) } }
        console.post("stores") { request, context in
            try await page(request, context, .stores, task: .addStores) { request, context, chrome in
                try await addStore(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("feedback") { request, context in try await page(request, context, .feedback) { try await feedback($0, $1, $2) } }
        console.post("feedback/:id/handle") { request, context in
            try await page(request, context, .feedback, task: .answerFeedback) { request, context, chrome in
                try await handleFeedback(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.get("codes") { request, context in
            try await page(request, context, .codes) { request, context, chrome in
                try await codes(request, context, chrome, query: request.uri.queryParameters.get("q") ?? "")
            }
        }
        console.post("codes/blacklist") { request, context in
            try await page(request, context, .codes, task: .blacklist) { request, context, chrome in
                try await blacklist(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("redeem") { request, context in try await page(request, context, .redeem) { try await redeemPage($0, $1, $2) } }
        console.post("redeem") { request, context in
            try await page(request, context, .redeem) { request, context, chrome in
                try await redeem(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("admin/audit") { request, context in try await page(request, context, .admin, audit) }
        console.get("**") { request, context in
            guard context.identity != nil else { return Response.redirect(to: loginPath(next: request.uri.path)) }
            return views.message("notFound", status: .notFound, chrome: chrome(request, context, area: nil))
        }
    }

    // MARK: Sign-in

    func loginPage(_ request: Request, _ context: Context) async throws -> Response {
        if context.identity != nil { return Response.redirect(to: "/console") }
        return loginForm(request, context, next: request.uri.queryParameters.get("next") ?? "", name: "", error: nil, status: .ok)
    }

    /// The form, with a fresh token in a cookie beside it: a post must bring both (no session exists yet to hold one).
    func loginForm(_ request: Request, _ context: Context, next: String, name: String, error: String?, status: HTTPResponse.Status,
                   headers extra: HTTPFields = [:]) -> Response {
        let token = ConsoleSession.randomToken()
        let chrome = chrome(request, context, area: nil)
        var headers = extra
        headers[values: .setCookie].append(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/console/login", secure: secureCookie,
                                                  httpOnly: true, sameSite: .strict).description)
        var values: [String: Any] = ["next": next, "name": name]
        values["csrf"] = token
        if let error { values["error"] = error }
        var response = views.page("login", title: views.text("signInTitle", chrome.language), values: values,
                                  chrome: ConsoleViews.Chrome(language: chrome.language, user: nil, csrf: token, area: nil),
                                  status: status, headers: headers)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func signIn(_ request: Request, _ context: Context) async throws -> Response {
        let fields = try await formFields(request, context)
        let next = Self.safeNext(fields["next"])
        let name = String((fields["name"] ?? "").prefix(64))
        let language = chrome(request, context, area: nil).language
        guard let cookie = request.cookies[Self.loginCookie]?.value, let token = fields["csrf"], ConsoleSession.same(String(cookie), token) else {
            return loginForm(request, context, next: next, name: name, error: views.text("loginExpired", language), status: .forbidden)
        }
        let address = IPAddress.stored(context.clientAddress, truncate: truncateIP) ?? "unknown"
        switch try await SignIn(store: store).attempt(name: name, password: fields["password"] ?? "", address: address) {
        case .throttled(let retryAfter):
            context.logger.warning("console sign-in throttled", metadata: ["account": "\(name)", "client": "\(address)"])
            return loginForm(request, context, next: next, name: name, error: views.text("loginThrottled", language), status: .tooManyRequests,
                             headers: [.retryAfter: String(retryAfter)])
        case .refused:
            context.logger.warning("console sign-in refused", metadata: ["account": "\(name)", "client": "\(address)"])
            return loginForm(request, context, next: next, name: name, error: views.text("loginWrong", language), status: .unauthorized)
        case .signedIn(let user):
            // A new session id at every sign-in: an id planted before it signs no one in.
            context.sessions.createSession(ConsoleSession(user: user.id, signedInAt: Date()), expiresIn: .seconds(idleSeconds))
            return Response.redirect(to: next.isEmpty ? Self.path(of: ConsoleArea.home(of: user.role)) : next)
        }
    }

    /// Only a console path is followed after signing in (never another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console"), !next.hasPrefix("/console/login"), !next.contains("//"), !next.contains("\\") else { return "" }
        return String(next.prefix(500))
    }

    func loginPath(next: String) -> String {
        "/console/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? "")
    }

    // MARK: Pages

    /// Runs `body` for a signed-in user whose role sees `area`: otherwise the sign-in page (with the way back) or a 403.
    func page(_ request: Request, _ context: Context, _ area: ConsoleArea, task: ConsoleTask? = nil,
              _ body: (Request, Context, ConsoleViews.Chrome) async throws -> Response) async throws -> Response {
        guard let user = context.identity else {
            if request.method == .get { return Response.redirect(to: loginPath(next: request.uri.path)) }
            return views.message("loginExpired", status: .unauthorized, chrome: chrome(request, context, area: nil))
        }
        let chrome = chrome(request, context, area: area)
        guard area.allows(user.role), task.map({ $0.allows(user.role) }) ?? true else {
            return views.message("forbidden", status: .forbidden, chrome: chrome)
        }
        var response = try await body(request, context, chrome)
        if let language = request.uri.queryParameters.get("lang"), ["en", "zh"].contains(language) {
            response.headers[values: .setCookie].append(Cookie(name: Self.languageCookie, value: language, maxAge: 365 * 86_400, path: "/console",
                                                               secure: secureCookie, httpOnly: true, sameSite: .strict).description)
        }
        return response
    }

    func chrome(_ request: Request, _ context: Context, area: ConsoleArea?) -> ConsoleViews.Chrome {
        let asked = request.uri.queryParameters.get("lang") ?? request.cookies[Self.languageCookie].map { String($0.value) }
        let language: LandingPage.Language = switch asked {
        case "zh": .zh
        case "en": .en
        default: LandingPage.language(request.headers[.acceptLanguage])
        }
        return ConsoleViews.Chrome(language: language, user: context.identity, csrf: context.sessions.session?.csrf, area: area)
    }

    func languageQuery(_ request: Request) -> String {
        request.uri.queryParameters.get("lang").map { "?lang=\($0 == "zh" ? "zh" : "en")" } ?? ""
    }

    /// A form's fields, once its CSRF token is the session's. - Throws: 403 (as a page) without it.
    func form(_ request: Request, _ context: Context) async throws -> [String: String] {
        let fields = try await formFields(request, context)
        guard let session = context.sessions.session, let token = fields["csrf"], ConsoleSession.same(session.csrf, token) else {
            context.logger.warning("console form refused: no valid CSRF token", metadata: ["path": "\(request.uri.path)"])
            throw ConsolePageError(views.message("csrfRefused", status: .forbidden, chrome: chrome(request, context, area: nil)))
        }
        return fields
    }

    func formFields(_ request: Request, _ context: Context) async throws -> [String: String] {
        try Request.formFields(try await request.body.collect(upTo: context.maxUploadSize))
    }

    // MARK: Overview

    func overview(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        await tally?.flush()
        let language = chrome.language, days = Self.lastDays(30)
        let counts = try await store.scanDayCounts(from: days[0], to: days[29], batch: nil)
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
        let scanned = try await store.scannedCodes()
        let products = Dictionary(try await store.products().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let batches = try await store.batches(product: nil).suffix(20).reversed().map { batch -> [String: Any] in
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
        return views.page("overview", title: views.text("area_overview", language), values: [
            "periods": [period("today", "today", days: 1), period("7", "last7", days: 7), period("30", "last30", days: 30)],
            "chart": chart, "batches": batches, "campaigns": campaigns, "feedback": feedback,
            "hasBatches": !batches.isEmpty, "hasCampaigns": !campaigns.isEmpty, "hasFeedback": !feedback.isEmpty,
        ], chrome: chrome)
    }

    /// The last `count` UTC days, oldest first, today last (`YYYY-MM-DD`).
    static func lastDays(_ count: Int, now: Date = Date()) -> [String] {
        (0..<count).reversed().map { Day.today(now.addingTimeInterval(Double(-$0) * 86_400)).description }
    }

    /// Scans per day over `days` as the console's bar chart.
    func dailyChart(_ counts: [ScanDayCount], days: [String], language: LandingPage.Language) -> String {
        var perDay: [String: Int] = [:]
        for count in counts { perDay[count.day, default: 0] += count.scans }
        return ConsoleChart.bars(days.map { perDay[$0] ?? 0 }, labels: days, empty: views.text("chartEmpty", language),
                                 title: views.text("scansPerDay", language))
    }

    // MARK: Products and batches

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
            return try await products(request, context, chrome, product: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as ConflictError {
            return try await products(request, context, chrome, product: kept, errors: [error.field: error.description], status: .conflict)
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
            let result = try await actions(context).issue(checked, issuer: issuer, library: packagesDirectory)
            context.logger.info("console: batch issued", metadata: ["batch": "\(result.batch.id)", "codes": "\(result.batch.count)"])
            return try await batchPage(request, context, chrome, id: result.batch.id.rawValue, notice: views.text("batchIssued", chrome.language),
                                       status: .created)
        } catch let error as InputError {
            return try await products(request, context, chrome, issue: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as NotFoundError {
            return try await products(request, context, chrome, issue: kept, errors: [error.field: error.description], status: .badRequest)
        }
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
        let scanned = try await store.scannedCodes()[batch.id] ?? 0
        let days = Self.lastDays(30)
        let counts = try await store.scanDayCounts(from: days[0], to: days[29], batch: batch.id)
        var byVerdict: [Verdict: Int] = [:], byRegion: [String: Int] = [:]
        for count in counts {
            byVerdict[count.verdict, default: 0] += count.scans
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
            return try await batchPage(request, context, chrome, id: id, errors: [error.field: error.field == "confirm" ? error.message : error.description],
                                       status: .badRequest)
        } catch let error as NotFoundError {
            return try await batchPage(request, context, chrome, id: id, errors: ["confirm": error.description], status: .notFound)
        }
    }

    // MARK: Campaigns

    /// The campaign form's values: `form` (as typed, or from a definition), the tier rows with their kinds and
    /// errors, the scope's products and batches to tick.
    func campaignFormValues(_ form: [String: String], errors: [String: String], chrome: ConsoleViews.Chrome, newCampaign: Bool,
                            action: String, title: String, button: String) async throws -> [String: Any] {
        let language = chrome.language
        var c: [String: Any] = form
        if form["timeZone"] == nil { c["timeZone"] = "Asia/Shanghai" }
        c["live"] = form["status"] == "live"
        c["requirePin"] = form["requirePin"] == "yes"
        c["tiers"] = (0..<CampaignForm.rows).map { row -> [String: Any] in
            var tier: [String: Any] = ["i": row, "n": row + 1]
            for key in ["name", "value", "probability", "stock", "dailyStock"] { tier[key] = form["tier\(row)_\(key)"] ?? "" }
            let kind = form["tier\(row)_kind"] ?? "goods"
            tier["kinds"] = PrizeKind.allCases.map { ["value": $0.rawValue, "label": views.text("pkind_\($0.rawValue)", language), "selected": $0.rawValue == kind] }
            if let error = errors["tier\(row)"] { tier["error"] = error }
            return tier
        }
        let products = try await store.products()
        let batches = try await store.batches(product: nil).prefix(100)
        return [
            "c": c, "errors": errors, "newCampaign": newCampaign, "formAction": action, "formTitle": title, "formButton": button,
            "scopeProducts": products.map { ["id": $0.id.rawValue, "name": $0.name, "checked": form["product_\($0.id.rawValue)"] == "yes"] as [String: Any] },
            "scopeBatches": batches.map { ["id": $0.id.rawValue, "name": $0.lot ?? "", "checked": form["batch_\($0.id.rawValue)"] == "yes"] as [String: Any] },
        ]
    }

    func window(_ definition: CampaignDefinition) -> String {
        let format = CampaignForm.localTime(definition, "yyyy-MM-dd HH:mm")
        return format.string(from: definition.start) + " – " + format.string(from: definition.end)
    }

    /// Every campaign with its stock; for marketing, the form to create one.
    func campaigns(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:],
                   errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        var rows: [[String: Any]] = []
        for campaign in try await store.campaigns().reversed() {
            let stock = try await store.stock(of: campaign.id)
            rows.append(["id": campaign.id.rawValue, "name": campaign.definition.name, "status": views.text("cstatus_\(campaign.status.rawValue)", language),
                         "window": window(campaign.definition), "awarded": stock.map(\.awarded).reduce(0, +), "stock": stock.map(\.stock).reduce(0, +)])
        }
        var values: [String: Any] = ["campaigns": rows, "hasCampaigns": !rows.isEmpty]
        if chrome.may(.runCampaigns) {
            values.merge(try await campaignFormValues(form, errors: errors, chrome: chrome, newCampaign: true, action: "/console/campaigns",
                                                      title: views.text("createCampaign", language), button: views.text("createCampaign", language))) { _, b in b }
        }
        return views.page("campaigns", title: views.text("area_campaigns", language), values: values, chrome: chrome, status: status)
    }

    /// One campaign: stock per tier (awarded, claimed, redeemed, left), pause, resume and end, its entries, and the
    /// form to edit it (what may change once it has started is `CampaignBook.edit`'s to say).
    func campaignPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, form: [String: String]? = nil,
                      errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        guard let campaign = try await store.campaign(CampaignID(rawValue: id)) else { return views.message("notFound", status: .notFound, chrome: chrome) }
        let stock = try await store.stock(of: campaign.id).map { tier -> [String: Any] in
            ["name": tier.name, "stock": tier.stock, "awarded": tier.awarded, "claimed": tier.claimed, "redeemed": tier.redeemed, "left": tier.stock - tier.awarded]
        }
        let entries = try await store.entries(of: campaign.id, after: 0, limit: 100).map { entry -> [String: Any] in
            ["at": views.time.minute(entry.at), "code": entry.code, "result": entry.prize ?? views.text("result_\(entry.result.rawValue)", language),
             "consumer": entry.consumer ?? ""]
        }
        let transitions: [(CampaignStatus, String)] = [(.live, campaign.status == .draft ? "goLive" : "resume"), (.paused, "pause"), (.ended, "endCampaign")]
        var values: [String: Any] = [
            "campaign": ["id": campaign.id.rawValue, "name": campaign.definition.name, "status": views.text("cstatus_\(campaign.status.rawValue)", language),
                         "statusValue": campaign.status.rawValue, "window": window(campaign.definition), "timeZone": campaign.definition.timeZone] as [String: Any],
            "stock": stock, "entries": entries, "hasEntries": !entries.isEmpty,
            "actions": transitions.filter { campaign.status.canChange(to: $0.0) }.map { ["to": $0.0.rawValue, "label": views.text($0.1, language), "confirm": $0.0 == .ended] },
            "mayRun": chrome.may(.runCampaigns), "editable": campaign.status != .ended,
        ]
        if let notice = campaign.definition.regionNotice(geoIPConfigured: geoIPConfigured) { values["notice2"] = notice }
        values.merge(try await campaignFormValues(form ?? CampaignForm.values(campaign.definition), errors: errors, chrome: chrome, newCampaign: false,
                                                  action: "/console/campaigns/\(id)", title: views.text("saveCampaign", language),
                                                  button: views.text("saveCampaign", language))) { a, _ in a }
        values["errors"] = errors
        return views.page("campaign", title: campaign.definition.name, values: values, chrome: chrome, notice: notice, status: status)
    }

    /// Creates (`id` nil) or edits a campaign from the form: read as the CLI's and the API's files are, errors beside their fields.
    func saveCampaign(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64?, fields: [String: String]) async throws -> Response {
        var kept = fields
        kept["csrf"] = nil
        let current = id == nil ? nil : try await store.campaign(CampaignID(rawValue: id!))
        if id != nil, current == nil { return views.message("notFound", status: .notFound, chrome: chrome) }
        do {
            let definition = try CampaignDefinition.parse(CampaignForm.document(fields, newCampaign: id == nil, status: current?.status))
            if let id {
                _ = try await actions(context).editCampaign(id, definition)
                return try await campaignPage(request, context, chrome, id: id, notice: views.text("campaignSaved", chrome.language))
            }
            let campaign = try await actions(context).createCampaign(definition)
            return try await campaignPage(request, context, chrome, id: campaign.id.rawValue, notice: views.text("campaignCreated", chrome.language),
                                          status: .created)
        } catch let error as InputError {
            let errors = [CampaignForm.field(of: error.field): error.description]
            if let id { return try await campaignPage(request, context, chrome, id: id, form: kept, errors: errors, status: .badRequest) }
            return try await campaigns(request, context, chrome, form: kept, errors: errors, status: .badRequest)
        } catch let error as ConflictError {
            let errors = [CampaignForm.field(of: error.field): error.description]
            if let id { return try await campaignPage(request, context, chrome, id: id, form: kept, errors: errors, status: .conflict) }
            return try await campaigns(request, context, chrome, form: kept, errors: errors, status: .conflict)
        }
    }

    func campaignStatus(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        do {
            guard let to = CampaignStatus(rawValue: fields["to"] ?? "") else { throw InputError("to", "must be live, paused or ended") }
            if to == .ended, fields["confirm"] != "yes" { throw InputError("confirm", views.text("endNeedsConfirm", chrome.language)) }
            _ = try await actions(context).setCampaignStatus(to, of: id)
            return try await campaignPage(request, context, chrome, id: id, notice: views.text("statusChanged", chrome.language))
        } catch let error as InputError {
            return try await campaignPage(request, context, chrome, id: id, errors: ["confirm": error.field == "confirm" ? error.message : error.description],
                                          status: .badRequest)
        } catch let error as ConflictError {
            return try await campaignPage(request, context, chrome, id: id, errors: ["confirm": error.description], status: .conflict)
        }
    }

    // MARK: Leads

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
            values["errors"] = [error.field: error.description]
            status = .badRequest
        } catch let error as NotFoundError {
            values["errors"] = ["minScore": error.description]
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

    // MARK: Stores

    /// Stores with their redemptions and consumers reached, and what the channel delivered and sold through them;
    /// for marketing, a form to add one (its API token shown once).
    func stores(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:], errors: [String: String] = [:],
                token: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let profiles = try await store.storeProfiles()
        var values: [String: Any] = [
            "stores": profiles.map { profile -> [String: Any] in
                ["id": profile.store.id.rawValue, "name": profile.store.name, "region": profile.store.region ?? "", "redemptions": profile.redemptions,
                 "consumers": profile.consumers, "last": profile.lastRedemptionAt.map(views.time.minute) ?? "", "receipts": profile.receipts,
                 "sold": profile.unitsSold]
            },
            "hasStores": !profiles.isEmpty, "form": form, "errors": errors,
            "mayAdd": chrome.may(.addStores),
        ]
        if let token { values["token"] = token }
        var response = views.page("stores", title: views.text("area_stores", chrome.language), values: values, chrome: chrome, notice: notice, status: status)
        if token != nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func addStore(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["name", "region"].contains($0.key) }
        do {
            let region = (fields["region"] ?? "").trimmingCharacters(in: .whitespaces)
            let (_, secret) = try await actions(context).addStore(try Actions.NewStore(name: fields["name"] ?? "", region: region.isEmpty ? nil : region))
            return try await stores(request, context, chrome, token: secret, notice: views.text("storeAdded", chrome.language), status: .created)
        } catch let error as InputError {
            return try await stores(request, context, chrome, form: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as ConflictError {
            return try await stores(request, context, chrome, form: kept, errors: [error.field: error.description], status: .conflict)
        }
    }

    // MARK: Feedback

    /// The service team's inbox: low ratings first, then newest; waiting ones unless all are asked; by product. Each is
    /// marked handled with a cause; the causes counted by product are what marketing reads.
    func feedback(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, errors: [String: String] = [:],
                  notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let all = request.uri.queryParameters.get("show") == "all"
        let maxRating = request.uri.queryParameters.get("maxRating").flatMap { Int($0) }.flatMap { (1...5).contains($0) ? $0 : nil }
        let product = request.uri.queryParameters.get("product").flatMap { Int64($0) }
        let cases = try await store.feedbackInbox(all: all, maxRating: maxRating, product: product, limit: 200)
        let mayHandle = chrome.may(.answerFeedback)
        let products = try await store.products(), causes = try await store.feedbackCauses()
        return views.page("feedback", title: views.text("area_feedback", language), values: [
            "showAll": all, "errors": errors, "hasCases": !cases.isEmpty,
            "cases": cases.map { item -> [String: Any] in
                var values: [String: Any] = ["id": item.item.id, "rating": item.item.rating, "product": item.item.productName, "batch": item.item.batchId,
                                             "code": item.item.code, "at": views.time.minute(item.item.at), "handled": item.handledAt != nil,
                                             "mayHandle": mayHandle]
                values.merge(Self.present(["comment": item.item.comment, "cause": item.cause, "handledBy": item.handledBy,
                                           "handledAt": item.handledAt.map(views.time.minute)])) { _, b in b }
                return values
            },
            "ratings": [["value": "", "label": views.text("starsAny", language), "selected": maxRating == nil] as [String: Any]]
                + (1...5).map { ["value": "\($0)", "label": "\($0)★", "selected": maxRating == $0] as [String: Any] },
            "products": products.map { ["id": $0.id.rawValue, "name": (language == .zh ? $0.nameZh : $0.nameEn) ?? $0.name, "selected": $0.id.rawValue == product] as [String: Any] },
            "causes": causes.map { ["product": $0.productName, "cause": $0.cause, "count": $0.count] as [String: Any] }, "hasCauses": !causes.isEmpty,
        ], chrome: chrome, notice: notice, status: status)
    }

    func handleFeedback(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        do {
            try await actions(context).handleFeedback(id, cause: try Actions.FeedbackCause(fields["cause"] ?? ""))
            return try await feedback(request, context, chrome, notice: views.text("feedbackHandled", chrome.language))
        } catch let error as InputError {
            return try await feedback(request, context, chrome, errors: ["form": error.description], status: .badRequest)
        } catch let error as NotFoundError {
            return try await feedback(request, context, chrome, errors: ["form": error.description], status: .notFound)
        }
    }

    // MARK: Code lookup

    /// A code typed or pasted (or a URL ending in one): its state, batch and product, place in the channel,
    /// every scan, its draws with their claims and redemptions; an issuer may blacklist it from here.
    func codes(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, query: String, form: [String: String] = [:],
               errors: [String: String] = [:], notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        var values: [String: Any] = ["q": query, "form": form, "errors": errors]
        let typed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        if !typed.isEmpty {
            let report = try await CodeLookup(store: store, signer: signer).report(String(typed.prefix(500)))
            var shown: [String: Any] = [
                "code": report.code, "verdict": report.verdict, "verdictLabel": views.text("lookup_\(report.verdict)", language),
            ]
            if let reason = report.reason { shown["reason"] = reason }
            if let batch = report.batch {
                shown["batch"] = ["id": batch.id.rawValue, "lot": batch.lot ?? "", "status": views.text("status_\(batch.status.rawValue)", language),
                                  "sequence": report.sequence ?? 0]
            }
            if let product = report.product {
                shown["product"] = ["name": (language == .zh ? product.nameZh : product.nameEn) ?? product.name].merging(Self.present(["gtin": product.gtin?.digits])) { a, _ in a }
            }
            shown["packedIn"] = (report.packedIn ?? []).map { ["kind": $0.kind.words, "code": $0.code] }
            if let holds = report.holds { shown["holds"] = holds }
            if let shipped = report.shippedTo {
                shown["shipped"] = "\(shipped.dealer) (\(shipped.territory.joined(separator: ", "))) · \(views.time.minute(shipped.at))"
                    + (shipped.store.map { " → \($0)" } ?? "")
            }
            if let wrong = report.wrongPins { shown["pins"] = "\(wrong)" + (report.pinLockedAt.map { " · locked \(views.time.minute($0))" } ?? "") }
            if let key = report.key, report.batch != nil {
                let scans = try await store.scans(of: key, limit: 200).reversed().map { scan -> [String: Any] in
                    ["at": views.time.minute(scan.at), "verdict": views.text("verdict_\(scan.verdict.rawValue)", language), "region": scan.region ?? "",
                     "consumer": scan.consumer ?? ""]
                }
                let draws = try await store.draws(of: key).map { draw -> [String: Any] in
                    ["at": views.time.minute(draw.entry.at), "campaign": draw.campaignName,
                     "result": draw.entry.prize ?? draw.entry.result.rawValue, "claimed": draw.claimedAt.map(views.time.minute) ?? "",
                     "redeemed": draw.redeemedAt.map { views.time.minute($0) + (draw.redeemedBy.map { " · \($0)" } ?? "") } ?? ""]
                }
                shown["issued"] = true
                values["scans"] = Array(scans)
                values["hasScans"] = !scans.isEmpty
                values["draws"] = draws
                values["hasDraws"] = !draws.isEmpty
                values["mayBlacklist"] = chrome.may(.blacklist) && report.verdict != "void"
            }
            values["report"] = shown
        }
        return views.page("codes", title: views.text("area_codes", language), values: values, chrome: chrome, notice: notice, status: status)
    }

    func blacklist(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let code = fields["code"] ?? ""
        do {
            let reason = try Actions.BlacklistReason(fields["reason"] ?? "")
            guard case let .read(.valid(key, canonical)) = signer.read(typed: code) else {
                throw InputError("code", "must be one of this service's codes (got '\(code.prefix(40))')")
            }
            try await actions(context).blacklist(key, code: canonical, reason: reason)
            return try await codes(request, context, chrome, query: canonical, notice: views.text("blacklisted", chrome.language))
        } catch let error as InputError {
            return try await codes(request, context, chrome, query: code, form: ["reason": fields["reason"] ?? ""],
                                   errors: [error.field: error.description], status: .badRequest)
        } catch let error as NotFoundError {
            return try await codes(request, context, chrome, query: code, errors: ["reason": error.description], status: .notFound)
        }
    }

    // MARK: Redemption

    /// The clerk's screen, phone-sized: type the winner's code, see the prize, redeem it once. A clerk redeems as
    /// their store; an admin names the store.
    func redeemPage(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:],
                    errors: [String: String] = [:], prize: [String: Any]? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var values: [String: Any] = ["form": form, "errors": errors, "chooseStore": context.identity?.storeId == nil]
        if let prize { values["prize"] = prize }
        return views.page("redeem", title: views.text("redeemTitle", chrome.language), values: values, chrome: chrome, status: status)
    }

    func redeem(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["redemptionCode", "store"].contains($0.key) }
        let user = context.identity!
        do {
            let code = try Actions.RedemptionCode(fields["redemptionCode"] ?? "")
            let storeID: StoreID
            if let own = user.storeId {
                storeID = StoreID(rawValue: own)
            } else {
                guard let named = try Self.storeID(fields["store"] ?? "") else {
                    throw InputError("store", "must be a store's id, a positive number (got '')")
                }
                storeID = named
            }
            let actions = actions(context)
            let facts = try await actions.redemption(code)
            var prize = prizeView(facts, code: code, chrome: chrome)
            if user.storeId == nil { prize["store"] = storeID.rawValue }
            guard fields["step"] == "redeem", facts.redeemedAt == nil else {
                if facts.redeemedAt != nil { prize["already"] = true } else { prize["ready"] = true }
                return try await redeemPage(request, context, chrome, form: kept, prize: prize)
            }
            do {
                let redemption = try await actions.redeem(code, store: storeID)
                prize["done"] = true
                prize["redeemedAt"] = views.time.minute(redemption.at)
                prize["redeemedBy"] = redemption.store.rawValue
                prize["state"] = "redeemed"
                return try await redeemPage(request, context, chrome, prize: prize, status: .created)
            } catch is ConflictError {
                // Redeemed at another till between the check and now: shown as it stands.
                var now = prizeView(try await actions.redemption(code), code: code, chrome: chrome)
                now["already"] = true
                return try await redeemPage(request, context, chrome, form: kept, prize: now, status: .conflict)
            }
        } catch let error as InputError {
            return try await redeemPage(request, context, chrome, form: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as NotFoundError {
            return try await redeemPage(request, context, chrome, form: kept, errors: [error.field: error.description], status: .notFound)
        }
    }

    func prizeView(_ facts: RedemptionFacts, code: Actions.RedemptionCode, chrome: ConsoleViews.Chrome) -> [String: Any] {
        let tiers = facts.definition.tiers
        var prize: [String: Any] = [
            "name": facts.tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil } ?? facts.definition.name, "campaign": facts.definition.name,
            "code": facts.code, "redemptionCode": code.text, "state": facts.redeemedAt == nil ? "ready" : "redeemed",
        ]
        if let at = facts.redeemedAt { prize["redeemedAt"] = views.time.minute(at) }
        if let by = facts.redeemedBy { prize["redeemedBy"] = by.rawValue }
        return prize
    }

    // MARK: Admin

    func users(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:], errors: [String: String] = [:],
               notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let users = try await store.users().map { user -> [String: Any] in
            ["name": user.name, "role": views.text("role_\(user.role.rawValue)", language), "store": user.storeId.map(String.init) ?? "",
             "created": views.time.minute(user.createdAt)]
        }
        let chosen = form["role"] ?? ConsoleRole.marketing.rawValue
        let roles = ConsoleRole.allCases.map { role -> [String: Any] in
            ["value": role.rawValue, "label": views.text("role_\(role.rawValue)", language), "selected": role.rawValue == chosen]
        }
        return views.page("users", title: views.text("users", language), values: [
            "users": users, "roles": roles, "form": form, "errors": errors,
        ], chrome: chrome, notice: notice, status: status)
    }

    func addUser(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["name", "role", "store"].contains($0.key) }
        do {
            guard let role = ConsoleRole(rawValue: fields["role"] ?? "") else {
                throw InputError("role", "must be one of \(ConsoleRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let new = try Actions.NewUser(name: fields["name"] ?? "", role: role, store: try Self.storeID(fields["store"] ?? "")?.rawValue,
                                          password: fields["password"] ?? "")
            let user = try await actions(context).addUser(new)
            context.logger.info("console user added", metadata: ["user": "\(user.name)", "role": "\(user.role.rawValue)"])
            return try await users(request, context, chrome, notice: views.text("userAdded", chrome.language), status: .created)
        } catch let error as InputError {
            return try await users(request, context, chrome, form: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as NotFoundError {
            return try await users(request, context, chrome, form: kept, errors: [error.field: error.description], status: .badRequest)
        } catch let error as ConflictError {
            return try await users(request, context, chrome, form: kept, errors: [error.field: error.description], status: .conflict)
        }
    }

    func audit(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
        let entries = try await store.auditLog(before: before, limit: 101)
        let shown = entries.prefix(100).map { entry -> [String: Any] in
            ["at": views.time.minute(entry.at), "actorKind": entry.actorKind, "actorName": entry.actorName, "action": entry.action,
             "subject": entry.subject, "subjectID": entry.subjectId ?? "", "detail": entry.detail ?? ""]
        }
        var values: [String: Any] = ["entries": Array(shown)]
        if entries.count > 100, let last = entries.prefix(100).last { values["older"] = last.id }
        return views.page("audit", title: views.text("auditLog", chrome.language), values: values, chrome: chrome)
    }

    func actions(_ context: Context) -> Actions {
        Actions(store: store, actor: .user(id: context.identity!.id, name: context.identity!.name))
    }
}

extension ConsoleController {
    /// A store's id as a form gives it; nil when the field is empty. - Throws: `InputError("store", …)` for anything else.
    static func storeID(_ typed: String) throws -> StoreID? {
        let text = typed.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return nil }
        guard let id = Int64(text), id > 0 else { throw InputError("store", "must be a store's id, a positive number (got '\(text)')") }
        return StoreID(rawValue: id)
    }

    /// The values that are there and not empty: a Mustache section shows for any string, "" too.
    static func present(_ values: [String: String?]) -> [String: Any] {
        values.compactMapValues { value -> Any? in value.flatMap { $0.isEmpty ? nil : $0 } }
    }
}


/// A page that answers a request which cannot go on (a form without its token).
struct ConsolePageError: HTTPResponseError {
    let page: Response
    init(_ page: Response) { self.page = page }
    var status: HTTPResponse.Status { page.status }
    func response(from request: Request, context: some RequestContext) throws -> Response { page }
}
