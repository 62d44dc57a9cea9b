import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import OneCodeDomain
import OneCodeGeoIP
import OneCodeGS1
import OneCodeRulebook
import OneCodeStorage

/// The public routes a phone reaches from a printed code: the scan page and its location post.
struct ScanController: Sendable {
    let signer: CodeSigner
    let writer: ScanWriter
    /// The ports the public routes write through besides the scan writer's: locations, claims, ratings.
    let store: any ScanStore & ClaimTransactions & FeedbackTransactions & ScanTransactions & FakeStore & CatalogStore
    let catalog: CatalogCache
    let page: LandingPage
    let limiter: RateLimiter
    let regions: RegionMap?
    let geoIP: IPRegionDatabase?
    let config: ServiceConfig
    /// Where fakes surface: scans of forged and unknown codes counted by day and region.
    let fakes: FakeTally

    /// Signs and checks the consumer cookie.
    let cookies: ConsumerCookie
    /// Refuses cross-site posts.
    let sameOrigin: SameOriginCheck
    /// Answers a serialised item's path when a link type or the linkset is asked for (not a scan).
    let resolver: ResolverController
    /// Signs the receipts a resolver redirect carries to the verdict page (`ScanReceipt`).
    let receipts: ScanReceipt.Seal
    /// The cookie is `Secure` when configured, and whenever the public base URL is https.
    let secureCookie: Bool
    static let scanCounters: [Verdict: Counter] = Dictionary(uniqueKeysWithValues: Verdict.allCases.map {
        ($0, Counter(label: "onecode_scans_total", dimensions: [("verdict", $0.rawValue)]))
    })
    static let botScans = Counter(label: "onecode_bot_scans_total")
    static let receiptPages = Counter(label: "onecode_receipt_pages_total")
    static let rejected = Counter(label: "onecode_rejected_requests_total")

    func register(on router: Router<AppRequestContext>) {
        router.get("/s/:code") { request, context in
            // The page a resolver redirect leads to: the scan was recorded there.
            if let receipt = request.uri.queryParameters["r"] { return try await receiptPage(request, context, code: context.parameters.require("code"),
                                                                                            receipt: String(receipt)) }
            return try await scan(request, context, code: context.parameters.require("code"))
        }
        router.head("/s/:code") { request, context in try head(request, context, code: context.parameters.require("code")) }
        router.post("/s/:code/location") { request, context in try await location(request, context, code: context.parameters.require("code")) }
        router.post("/s/:code") { request, context in try await claim(request, context, code: context.parameters.require("code")) }
        router.get("/assets/location.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: LandingPage.locationScript)))
        }
        for prefix in ["/01/:gtin/21/:serial", "/01/:gtin/10/:lot/21/:serial"] {
            router.get(RouterPath(prefix)) { request, context in
                if ResolverController.wantsResolution(request) { return try await resolver.resolve(request, context) }
                let link = try digitalLink(context)
                return try await scan(request, context, code: serial(of: link), label: LabelClaim(gtin: link.gtin ?? "", lot: link.lot), resolved: true)
            }
            router.head(RouterPath(prefix)) { request, context in
                if ResolverController.wantsResolution(request) { return try await resolver.resolve(request, context, head: true) }
                return try head(request, context, code: serial(of: digitalLink(context)))
            }
            router.post(RouterPath(prefix)) { request, context in
                try await claim(request, context, code: serial(of: digitalLink(context)))
            }
        }
    }

    /// The GS1 Digital Link `DigitalLinkMiddleware` read from the request's path and query.
    func digitalLink(_ context: AppRequestContext) throws -> DigitalLink {
        guard let link = context.digitalLink else { throw HTTPError(.badRequest, message: "path: not a GS1 Digital Link URI") }
        return link
    }

    /// A serialised item's serial: the code it carries.
    func serial(of link: DigitalLink) throws -> String {
        guard let serial = link.serial else { throw HTTPError(.badRequest, message: "path: a serialised item needs /21/{serial}") }
        return serial
    }

    // MARK: - Scan

    /// Records a scan and answers it: the verdict page, or (`resolved`: a GS1 Digital Link a phone opened)
    /// a 307 to the verdict page on this origin carrying the scan's signed receipt, as GS1's resolver
    /// standard has a resolver redirect to the item's default link. Errors (forged, unknown, inactive,
    /// void) are answered at once with their status, never a redirect to a 200.
    func scan(_ request: Request, _ context: AppRequestContext, code: String, label: LabelClaim? = nil, resolved: Bool = false) async throws -> Response {
        try limit(context)
        guard code.utf8.count <= 64 else { throw HTTPError(.badRequest, message: "code: must be at most 64 characters") }
        let language = LandingPage.language(request.headers[.acceptLanguage])
        let json = request.wantsJSON
        let key: CodeKey, canonical: String
        switch signer.check(code) {
        case let .forged(reason):
            // No database work at all: counted (by day and region, flushed later), not stored.
            Self.scanCounters[.forged]!.increment()
            if !Self.isBot(request) {
                fakes.count(.forged, region: region(of: context), at: Date())
            }
            return respond(json: json, status: .notFound, content: .init(
                language: language, verdict: .forged, reason: VerdictReason(reason), code: String(code.prefix(20)).uppercased()), cookie: nil)
        case let .valid(validKey, validCanonical):
            key = validKey
            canonical = validCanonical
        }
        let known = cookies.consumer(in: request.cookies, secure: secureCookie)
        let existing = known?.id
        let consumer = existing ?? ConsumerID.random()
        let bot = Self.isBot(request)
        let scan = ScanRequest(
            key: key, code: canonical, at: Date(), consumer: bot ? nil : consumer,
            ip: IPAddress.stored(context.clientAddress, truncate: config.truncateIP),
            userAgent: request.headers[.userAgent].map { String($0.prefix(512)) },
            referer: request.headers[.referer].map { String($0.prefix(512)) }, bot: bot,
            region: region(of: context), label: label)
        let result: ScanResult
        do {
            result = try await writer.record(scan)
        } catch is WriterOverloaded {
            Self.rejected.increment()
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: "busy: please retry in a second")
        } catch is WriterStopped {
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "5"], message: "shutting down: please retry")
        }
        if bot { Self.botScans.increment() } else { Self.scanCounters[result.verdict]!.increment() }
        if !bot, result.verdict == .unknown { fakes.count(.unknown, region: scan.region, at: scan.at) }
        if !bot, result.reason == .clonedLabel { fakes.count(.suspicious, region: scan.region, at: scan.at) }
        let cookie = bot || (existing != nil && known?.legacy != true) ? nil : consumer
        if resolved, !json, Self.status(result.verdict) == .ok {
            var headers: HTTPFields = [.cacheControl: "no-store", .location: "/s/\(canonical)?r=\(try receipts.seal(ScanReceipt(result, code: canonical, at: Date())))"]
            headers[.link] = ResolverController.linksetLink(resolver.baseURL + request.uri.path)
            var response = Response(status: .temporaryRedirect, headers: headers)
            setCookie(&response, cookie)
            return response
        }
        return try await render(result, canonical: canonical, language: language, json: json, bot: bot, cookie: cookie)
    }

    /// Whether the request comes from a bot, a link previewer or a prefetch (`BotDetector`, with the purpose
    /// headers browsers send).
    static func isBot(_ request: Request) -> Bool {
        BotDetector.isBot(userAgent: request.headers[.userAgent],
                          purpose: request.headers[.purpose] ?? request.headers[.secPurpose] ?? request.headers[.xPurpose])
    }

    /// The region of the client's address (GeoIP), when configured and found.
    func region(of context: AppRequestContext) -> String? {
        geoIP.flatMap { database in context.clientAddress?.ipAddress.flatMap { database.region(ip: $0) } }
    }

    /// The verdict page of a scan a resolver redirect recorded, from its receipt: nothing recorded again.
    /// A receipt that does not verify or has expired is a 410 asking for a new scan (never a scan of its own).
    func receiptPage(_ request: Request, _ context: AppRequestContext, code: String, receipt value: String) async throws -> Response {
        try limit(context)
        guard let receipt = receipts.open(value, code: code, at: Date()) else {
            throw HTTPError(.gone, message: "r: this verification page has expired or is not this code's; scan the code on the pack again")
        }
        Self.receiptPages.increment()
        let bot = Self.isBot(request)
        return try await render(receipt.result, canonical: receipt.code, language: LandingPage.language(request.headers[.acceptLanguage]),
                                json: request.wantsJSON, bot: bot, cookie: nil)
    }

    /// The verdict page (or JSON) of a recorded scan.
    func render(_ result: ScanResult, canonical: String, language: LandingPage.Language, json: Bool, bot: Bool, cookie: ConsumerID?) async throws -> Response {
        var content = LandingPage.Content(language: language, verdict: result.verdict, reason: result.reason, code: canonical)
        if let batchID = result.batchID, let entry = try await catalog.entry(batchID) {
            let batch = entry.batch, product = entry.product
            content.batch = batchID
            content.imagePolicy = entry.imagePolicy
            content.productName = product.name(in: language.rawValue)
            content.productImage = product.imageURL
            content.gtin = product.gtin?.digits
            content.lot = batch.lot
            content.productionDate = batch.productionDate.description
            content.expiryDate = batch.expiryDate?.description
            content.firstScanAt = result.firstScanAt
            content.scanCount = result.scanCount
        }
        content.draws = result.draws
        content.points = result.points
        content.consents = config.claimConsents(content.language)
        if !bot, [.genuine, .repeat, .suspicious].contains(result.verdict) {
            content.locationPath = "/s/\(canonical)/location"
        }
        return respond(json: json, status: Self.status(result.verdict), content: content, cookie: cookie)
    }

    /// HEAD: the status a GET would most likely get, computed without counting or storing anything.
    func head(_ request: Request, _ context: AppRequestContext, code: String) throws -> Response {
        try limit(context)
        let valid = code.utf8.count <= 64 && signer.check(code).isValid
        return Response(status: valid ? .ok : .notFound, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"])
    }

    static func status(_ verdict: Verdict) -> HTTPResponse.Status {
        switch verdict {
        case .genuine, .repeat, .suspicious: .ok
        case .unknown, .forged: .notFound
        case .inactive: .forbidden
        case .void: .gone
        }
    }

    struct ScanJSON: Encodable {
        struct ProductJSON: Encodable { var name: String; var gtin: String?; var imageUrl: String? }
        struct BatchJSON: Encodable { var lot: String?; var productionDate: String?; var expiryDate: String? }
        var verdict: Verdict
        var reason: VerdictReason
        var message: String
        var code: String
        var product: ProductJSON?
        var batch: BatchJSON?
        var firstScanAt: Date?
        var scanCount: Int?
        var location: String?
        var campaign: [DrawJSON]
        var points: Int?
    }

    struct DrawJSON: Encodable {
        var campaign: CampaignID
        var name: String
        var result: DrawOutcome.Result
        var new: Bool
        /// What a consumer may see of a prize: never its odds or stock.
        var prize: PrizeJSON?
        var message: String
        /// For the winner's own later scans: the claim's redemption code and whether it was redeemed.
        var redemptionCode: String?
        var redeemedAt: Date?
        var redeemedAtStore: String?

        init(_ draw: DrawOutcome, _ language: LandingPage.Language) {
            campaign = draw.campaign
            name = draw.campaignName
            result = draw.result
            new = draw.new
            prize = draw.prize.map(PrizeJSON.init)
            message = LandingPage.message(draw, language)
            redemptionCode = draw.claim?.redemptionCode
            redeemedAt = draw.claim?.redeemedAt
            redeemedAtStore = draw.claim?.redeemedAtStore
        }
    }

    struct PrizeJSON: Encodable {
        var name: String
        var kind: PrizeKind
        var value: Int
        init(_ tier: PrizeTier) { name = tier.name; kind = tier.kind; value = tier.value }
    }

    static let pageHeaders: HTTPFields = {
        var headers: HTTPFields = [.cacheControl: "no-store", .vary: "Accept, Accept-Language, Cookie"]
        headers.append(contentsOf: SecurityHeadersMiddleware.common)
        return headers
    }()

    func respond(json: Bool, status: HTTPResponse.Status, content: LandingPage.Content, cookie: ConsumerID?) -> Response {
        // Built from the security headers here, on the hot path; the middleware sees them and adds nothing.
        var headers = Self.pageHeaders
        let body: ByteBuffer
        if json {
            headers[.contentType] = "application/json; charset=utf-8"
            let strings = LandingPage.strings[content.language]!
            let document = ScanJSON(
                verdict: content.verdict, reason: content.reason, message: strings["reason.\(content.reason.rawValue)"]!, code: content.code,
                product: content.productName.map { .init(name: $0, gtin: content.gtin, imageUrl: content.productImage) },
                batch: content.productionDate.map { _ in .init(lot: content.lot, productionDate: content.productionDate, expiryDate: content.expiryDate) },
                firstScanAt: content.firstScanAt, scanCount: content.scanCount, location: content.locationPath,
                campaign: content.draws.map { DrawJSON($0, content.language) }, points: content.points)
            body = ByteBuffer(bytes: (try? Response.jsonEncoder.encode(document)) ?? Data("{}".utf8))
        } else {
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.contentSecurityPolicy] = content.imagePolicy ?? SecurityHeadersMiddleware.contentSecurityPolicy
            headers[.contentLanguage] = content.language == .zh ? "zh-CN" : "en"
            body = ByteBuffer(string: page.render(content))
        }
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: body))
        setCookie(&response, cookie)
        return response
    }

    func setCookie(_ response: inout Response, _ cookie: ConsumerID?) {
        guard let cookie else { return }
        response.setCookie(Cookie(name: ConsumerCookie.name(secure: secureCookie), value: cookies.value(for: cookie), maxAge: 2 * 365 * 24 * 3600,
                                  path: "/", secure: secureCookie, httpOnly: true, sameSite: .lax))
    }

    func limit(_ context: AppRequestContext) throws {
        if let wait = limiter.take(IPAddress.bucketKey(context.clientAddress)) {
            Self.rejected.increment()
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: String(max(1, Int(wait.rounded(.up))))],
                            message: "too many requests: please slow down")
        }
    }

    // MARK: - Location

    struct LocationBody: Decodable {
        var latitude: Double
        var longitude: Double
    }

    struct LocationReply: Encodable {
        var scan: Int64
        var region: String?
        /// The draws of the campaigns the shared region brought the scan into (new ones have `new: true`).
        var draws: [DrawOutcome]
    }

    /// What a post about an earlier scan needs: a valid code and the consumer's cookie (rate-limited like scans).
    func scanned(_ request: Request, _ context: AppRequestContext, code: String, why: String) throws -> (CodeKey, String, ConsumerID) {
        try limit(context)
        guard case let .valid(key, canonical) = signer.check(code) else { throw HTTPError(.notFound, message: "code: not a code of this service") }
        guard let consumer = cookies.consumer(in: request.cookies, secure: secureCookie)?.id else {
            throw HTTPError(.badRequest, message: "cookie: scan the code first on this phone; \(why)")
        }
        return (key, canonical, consumer)
    }

    func location(_ request: Request, _ context: AppRequestContext, code: String) async throws -> Response {
        try sameOrigin.check(request)
        guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
            throw HTTPError(.unsupportedMediaType, message: "body: must be JSON (Content-Type: application/json)")
        }
        let (key, canonical, consumer) = try scanned(request, context, code: code, why: "the location is attached to your scan")
        let body = try await request.decodeJSON(LocationBody.self, context: context)
        guard body.latitude.isFinite, (-90...90).contains(body.latitude) else {
            throw HTTPError(.badRequest, message: "latitude: must be a number from -90 to 90")
        }
        guard body.longitude.isFinite, (-180...180).contains(body.longitude) else {
            throw HTTPError(.badRequest, message: "longitude: must be a number from -180 to 180")
        }
        let region = regions?.region(latitude: body.latitude, longitude: body.longitude)
        guard let scan = try await store.attachLocation(key: key, consumer: consumer, latitude: body.latitude,
                                                        longitude: body.longitude, region: region) else {
            throw HTTPError(.notFound, message: "scan: you have not scanned this code")
        }
        // Where the item surfaced, judged when it arrives: outside its dealer's territory is a diversion; and a
        // campaign whose scope needs a region draws now if the region is in it.
        var draws: [DrawOutcome] = []
        if let region { draws = try await store.sharedRegion(scan: scan, key: key, code: canonical, consumer: consumer, region: region, at: Date()) }
        return try Response.json(LocationReply(scan: scan, region: region, draws: draws), status: .ok)
    }
}

// MARK: - Claims

extension ScanController {
    struct ClaimReply: Encodable {
        var claimed: Bool
        var campaign: CampaignID
        var code: String
        var prize: String?
        var redemptionCode: String?
    }

    /// A post to the scan URL: a prize claim, or feedback when it carries a `rating`. Forms
    /// (`application/x-www-form-urlencoded`) and JSON both work.
    func claim(_ request: Request, _ context: AppRequestContext, code: String) async throws -> Response {
        try sameOrigin.check(request)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw HTTPError(.unsupportedMediaType, message: "body: must be a form (application/x-www-form-urlencoded) or JSON (application/json)")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: context.maxUploadSize) } catch {
            throw HTTPError(.contentTooLarge, message: "body: must be at most \(context.maxUploadSize) bytes")
        }
        var fields: [String: String]
        if request.headers[.contentType]?.hasPrefix("application/json") == true {
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
                throw HTTPError(.badRequest, message: "body: must be a JSON object")
            }
            fields = [:]
            for (name, value) in object {
                if let flag = JSONBool.value(value) { fields[name] = flag ? "yes" : "" }
                else if let number = value as? NSNumber { fields[name] = number.stringValue }
                else if let text = value as? String { fields[name] = text }
            }
        } else {
            fields = try Request.formFields(buffer)
        }
        let answer = FormAnswer(language: LandingPage.language(request.headers[.acceptLanguage]), path: request.uri.path, brand: page.brand)
        // A form gets its answer as a page in its language (the form again, the problem beside the field);
        // JSON requests keep the JSON errors.
        if fields["pin"] != nil {
            do { return try await pin(request, context, code: code, fields: fields, answer: answer) } catch where !request.wantsJSON {
                let (_, message, status) = answer.problem(error)
                return answer.page(status: status, heading: answer.strings["fix"]!, body: "<p class=\"error\" id=\"error\" role=\"alert\">"
                                   + LandingPage.escape(message) + "</p>", id: "form")
            }
        }
        if fields["report"] != nil {
            do { return try await report(request, context, code: code, fields: fields, answer: answer) } catch where !request.wantsJSON {
                return answer.again(.report, fields: fields, error: error)
            }
        }
        if fields["rating"] != nil {
            do { return try await feedback(request, context, code: code, fields: fields, answer: answer) } catch where !request.wantsJSON {
                return answer.again(.feedback, fields: fields, error: error)
            }
        }
        do { return try await claim(request, context, code: code, fields: fields, answer: answer) } catch where !request.wantsJSON {
            return answer.again(.claim(campaign: fields["campaign"] ?? "", consents: config.claimConsents(answer.language)), fields: fields, error: error)
        }
    }

    /// A ticked checkbox (`yes`, `on` or `true`, as forms and JSON send it).
    static func ticked(_ value: String?) -> Bool { ["yes", "on", "true"].contains(value ?? "") }

    func claim(_ request: Request, _ context: AppRequestContext, code: String, fields: [String: String], answer: FormAnswer) async throws -> Response {
        let (key, canonical, consumer) = try scanned(request, context, code: code, why: "the prize belongs to the phone that drew it")
        guard let campaign = fields["campaign"].flatMap(CampaignID.init) else { throw HTTPError(.badRequest, message: "campaign: must be a campaign id") }
        guard Self.ticked(fields["consent"]) else {
            throw HTTPError(.badRequest, message: "consent: must be accepted to claim the prize")
        }
        if let marketing = fields["marketing"], !Self.ticked(marketing), !["", "no", "off", "false"].contains(marketing) {
            throw HTTPError(.badRequest, message: "marketing: must be yes or no (the optional consent to be contacted about products)")
        }
        let contact = try ContactDetails(name: fields["name"] ?? "", phone: fields["phone"] ?? "")
        let consents = config.claimConsents(answer.language)
        let marketing = Self.ticked(fields["marketing"]) ? Consent(version: config.marketingConsentVersion, text: consents.marketing) : nil
        let claim = try await store.claim(campaign: campaign, key: key, consumer: consumer, contact: contact,
                                          consentVersion: config.consentVersion, consentText: consents.prize, marketing: marketing, at: Date())
        let prize = claim.prize
        if request.wantsJSON {
            return try Response.json(ClaimReply(claimed: true, campaign: campaign, code: canonical, prize: prize,
                                                redemptionCode: claim.redemptionCode), status: .created)
        }
        let strings = LandingPage.strings[answer.language]!
        var body = "<p>\(LandingPage.escape(prize ?? ""))</p>"
        if let code = claim.redemptionCode {
            body += "<p>\(LandingPage.escape(strings["redemption"]!))</p><p class=\"code\" id=\"redemption\">\(LandingPage.escape(code))</p>"
        }
        return answer.page(status: .created, heading: strings["claimed"]!, body: body, id: "claimed")
    }

    /// The hidden PIN typed on the page: right, it draws in the campaigns that asked for it and the answer
    /// shows the draws (a win with its claim form); wrong, the form again with the tries left; locked after too many.
    func pin(_ request: Request, _ context: AppRequestContext, code: String, fields: [String: String], answer: FormAnswer) async throws -> Response {
        let (key, canonical, consumer) = try scanned(request, context, code: code, why: "the PIN is checked against your scan")
        let typed = String((fields["pin"] ?? "").prefix(32))
        guard typed.contains(where: \.isNumber) else { throw HTTPError(.badRequest, message: "pin: type the digits printed inside the pack") }
        let signer = self.signer
        let outcome = try await store.enterPin(key: key, code: canonical, consumer: consumer, at: Date()) { length in
            signer.checkPIN(typed, for: key, length: length)
        }
        let strings = LandingPage.strings[answer.language]!
        switch outcome {
        case let .drawn(draws):
            // The draws as the scan's JSON shows them (`campaign`).
            if request.wantsJSON { return try Response.json(["campaign": draws.map { DrawJSON($0, answer.language) }], status: .ok) }
            // The draws as the scan page shows them (a new win with its claim form, posted to this same address).
            let heading = draws.isEmpty ? strings["pinNoCampaign"]! : strings["pinAccepted"]!
            return answer.page(status: .ok, heading: heading,
                               body: page.drawSection(draws, answer.language, consents: config.claimConsents(answer.language)), id: "campaign")
        case let .wrong(remaining):
            if request.wantsJSON { throw HTTPError(.unprocessableContent, message: "pin: wrong PIN; \(remaining) tries left before the code is locked") }
            var values = LandingPage.pinFields(answer.language)
            values["action"] = request.uri.path
            values["error"] = String(format: strings["pinWrong"]!, remaining)
            return answer.page(status: .unprocessableContent, heading: answer.strings["fix"]!, body: LandingPage.pinForm.render(values), id: "form")
        case .locked:
            if request.wantsJSON { throw HTTPError(.conflict, message: "pin: too many wrong PINs; this code is locked for draws") }
            return answer.page(status: .conflict, heading: strings["pinLocked"]!, body: "", id: "locked")
        }
    }

    /// A consumer's report of a product whose code is not the brand's (`CounterfeitReport`): stored with where
    /// it came from, counted in the fakes report, listed in the feedback inbox.
    func report(_ request: Request, _ context: AppRequestContext, code: String, fields: [String: String], answer: FormAnswer) async throws -> Response {
        try limit(context)
        guard code.utf8.count <= 64 else { throw HTTPError(.badRequest, message: "code: must be at most 64 characters") }
        let verdict: Verdict
        switch signer.check(code) {
        case .forged: verdict = .forged
        case let .valid(key, _):
            guard try await store.code(key) == nil else {
                throw HTTPError(.badRequest, message: "report: this code was issued by the brand; its page says what is known of it")
            }
            verdict = .unknown
        }
        let report = try CounterfeitReport(whereBought: fields["where"], comment: fields["comment"], phone: fields["phone"],
                                           contactOk: Self.ticked(fields["contactOk"]))
        // The report is the phone's, as a scan is: a phone without the cookie gets one, so erasing the consumer
        // erases the report's words and number too.
        let known = cookies.consumer(in: request.cookies, secure: secureCookie)
        let consumer = known?.id ?? ConsumerID.random()
        let id = try await store.addFakeReport(NewFakeReport(
            report: report, code: code.uppercased(), verdict: verdict, region: region(of: context), consumer: consumer.value,
            ip: IPAddress.stored(context.clientAddress, truncate: config.truncateIP), at: Date()))
        var response = request.wantsJSON ? try Response.json(["reported": id], status: .created)
            : answer.page(status: .created, heading: LandingPage.strings[answer.language]!["reportThanks"]!, body: "", id: "reported")
        if known == nil || known?.legacy == true { setCookie(&response, consumer) }
        return response
    }

    /// A 1-5 rating and an optional comment (at most 500 characters) from the page's feedback form.
    func feedback(_ request: Request, _ context: AppRequestContext, code: String, fields: [String: String], answer: FormAnswer) async throws -> Response {
        let (key, canonical, consumer) = try scanned(request, context, code: code, why: "feedback is kept with your scan")
        guard let rating = fields["rating"].flatMap({ Int($0) }), (1...5).contains(rating) else {
            throw HTTPError(.badRequest, message: "rating: must be a whole number from 1 to 5")
        }
        let comment = fields["comment"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (comment?.count ?? 0) <= 500 else { throw HTTPError(.badRequest, message: "comment: must be at most 500 characters") }
        try await store.addFeedback(key: key, code: canonical, consumer: consumer, rating: rating,
                                    comment: comment?.isEmpty == false ? comment : nil, at: Date(), rules: config.rules)
        if request.wantsJSON {
            return try Response.json(["rated": rating], status: .created)
        }
        return answer.page(status: .created, heading: LandingPage.strings[answer.language]!["feedbackThanks"]!, body: "", id: "thanks")
    }
}

extension HTTPField.Name {
    static let purpose = Self("Purpose")!
    static let secPurpose = Self("Sec-Purpose")!
    static let xPurpose = Self("X-Purpose")!
}

extension Response {
    /// The one JSON encoder of every response: sorted keys, ISO 8601 dates, slashes as they are.
    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON response, encoded by `jsonEncoder`.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try jsonEncoder.encode(value))))
    }
}
