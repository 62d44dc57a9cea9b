import Foundation
import Mustache
import OneCodeDomain
import Synchronization

/// The page a phone sees after scanning: small, mobile-first, no external assets, usable without
/// JavaScript, in Chinese or English after `Accept-Language`.
///
/// Pages are rendered by swift-mustache once per language, verdict, batch and location button, with
/// marked slots for what differs between codes (the code, the first-scan time, the scan count), and
/// kept; a scan then only fills the slots. Everything from the catalogue is escaped by the template.
final class LandingPage: Sendable {
    enum Language: String, Sendable { case en, zh }

    let template: MustacheTemplate
    private let cache = Mutex<[Key: [Piece]]>([:])
    static let maxCached = 10_000

    struct Key: Hashable {
        var language: Language
        var verdict: Verdict
        var reason: VerdictReason
        var batch: BatchID?
        var location: Bool
        /// A product's names and image can change: a page made with the old ones is not reused.
        var productName: String?
        var productImage: String?
    }

    /// A run of finished HTML, or a slot to fill.
    enum Piece: Sendable {
        case text(String)
        case code, firstScan, scanCount, campaign
    }

    let drawTemplate: MustacheTemplate
    private let drawCache = Mutex<[DrawKey: String]>([:])

    struct DrawKey: Hashable {
        var language: Language
        var campaign: CampaignID
        var result: DrawOutcome.Result
        var tier: Int?
        var new: Bool
        var claimable: Bool
    }

    /// Where the page's times are shown (`display.timeZone`).
    let timeZone: TimeZone

    /// The brand on every page.
    let brand: Brand

    init(timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai")!, brand: Brand = .none) {
        self.timeZone = timeZone
        self.brand = brand
        template = try! MustacheTemplate(string: Self.html)  // constants: tested on every page render
        drawTemplate = try! MustacheTemplate(string: Self.drawHTML)
    }

    /// The campaign section for a scan's draws, rendered once per campaign, outcome and language.
    func drawSection(_ draws: [DrawOutcome], _ language: Language, consents: ClaimConsents) -> String {
        draws.map { draw in
            let key = DrawKey(language: language, campaign: draw.campaign, result: draw.result, tier: draw.tier, new: draw.new,
                              claimable: draw.claimable)
            if let hit = drawCache.withLock({ $0[key] }) { return hit }
            let strings = Self.strings[language]!
            var object: [String: Any] = [
                "result": draw.result.rawValue, "campaign": draw.campaignName, "message": Self.message(draw, language),
            ]
            if draw.result == .pinRequired {
                object["claimForm"] = Self.pinForm.render(Self.pinFields(language))
            }
            if draw.claimable {
                var fields = Self.claimFields(language, campaign: draw.campaign.description, consents: consents)
                fields["title"] = strings["claim"]!
                object["claimForm"] = Self.claimForm.render(fields)
            }
            let made = drawTemplate.render(["draw": object])
            drawCache.withLock { cache in
                if cache.count >= Self.maxCached { cache.removeAll() }
                cache[key] = made
            }
            return made
        }.enumerated().map { index, html in html + claimState(draws[index], language) }.joined()
    }

    /// For the winner's own later scans: the redemption code again, and whether (where, when) it was redeemed.
    func claimState(_ draw: DrawOutcome, _ language: Language) -> String {
        guard let claim = draw.claim else { return "" }
        let strings = Self.strings[language]!
        var html = "<div class=\"claimed\" id=\"claim-\(draw.campaign)\">"
        if let code = claim.redemptionCode {
            html += "<p>\(Self.escape(strings["yourCode"]!))</p><p class=\"code\" id=\"redemption\">\(Self.escape(code))</p>"
        }
        if let at = claim.redeemedAt {
            html += "<p id=\"redeemed\">" + Self.escape(strings["redeemedAt"]!.replacingOccurrences(of: "{store}", with: claim.redeemedAtStore ?? "?")
                .replacingOccurrences(of: "{time}", with: format(at, language))) + "</p>"
        } else if claim.redemptionCode != nil {
            html += "<p id=\"redeemed\">\(Self.escape(strings["notRedeemed"]!))</p>"
        } else {
            html += "<p id=\"redeemed\">\(Self.escape(strings["claimedNoCode"]!))</p>"
        }
        return html + "</div>"
    }

    /// What a draw says, in the consumer's language.
    static func message(_ draw: DrawOutcome, _ language: Language) -> String {
        let prize = draw.prize.map { tier in
            switch tier.kind {
            case .cash: tier.name + String(format: " (¥%.2f)", Double(tier.value) / 100)
            // A name that says the number already ("100积分") is not followed by it again.
            case .points: tier.name.contains(String(tier.value)) ? tier.name
                : tier.name + (language == .zh ? "（\(tier.value) 积分）" : " (\(tier.value) points)")
            case .coupon, .goods: tier.name
            }
        } ?? ""
        switch (draw.result, draw.new, language) {
        case (.won, true, .en): return "Congratulations, you won: \(prize)"
        case (.won, false, .en): return "This code has already won: \(prize)"
        case (.lost, true, .en): return "No prize this time. Thank you for taking part."
        case (.lost, false, .en): return "This code has already been drawn: no prize."
        case (.dailyLimit, _, .en): return "You have had today's draws. Scan again tomorrow."
        case (.pinRequired, _, .en): return "Open the pack and type the PIN printed inside to take part."
        case (.pinLocked, _, .en): return "Too many wrong PINs: this code can no longer take part."
        case (.pinRequired, _, .zh): return "请打开包装，输入内部印的 PIN 码参与抽奖。"
        case (.pinLocked, _, .zh): return "PIN 码错误次数过多：此码已无法参与抽奖。"
        case (.won, true, .zh): return "恭喜您中奖：\(prize)"
        case (.won, false, .zh): return "此码已中奖：\(prize)"
        case (.lost, true, .zh): return "很遗憾，未中奖。感谢参与。"
        case (.lost, false, .zh): return "此码已参与过抽奖：未中奖。"
        case (.dailyLimit, _, .zh): return "您今天的抽奖次数已用完，请明天再来。"
        }
    }

    /// Picks the best supported language from an `Accept-Language` header (q-values honoured); English by default.
    static func language(_ header: String?) -> Language {
        // The most wanted of the two the page speaks (`Accept-Language` read once, as the resolver reads it).
        for tag in Resolver.languages(header) {
            if tag.hasPrefix("zh") { return .zh }
            if tag.hasPrefix("en") { return .en }
        }
        return .en
    }

    /// The page's data, as strings already translated; the template escapes them.
    struct Content {
        var language: Language
        /// The batch the catalogue fields come from; they never change for a batch.
        var batch: BatchID? = nil
        var verdict: Verdict
        var reason: VerdictReason
        var code: String
        /// The product's name in the page's language.
        var productName: String?
        /// An https address of the product's picture, and the page's policy that allows it.
        var productImage: String?
        var imagePolicy: String?
        var gtin: String?
        var lot: String?
        var productionDate: String?
        var expiryDate: String?
        var firstScanAt: Date?
        var scanCount: Int?
        var locationPath: String?
        /// The scan's draws in live campaigns.
        var draws: [DrawOutcome] = []
        var consents = ClaimConsents(prize: "", marketing: "")
        /// The consumer's points balance.
        var points: Int?
    }

    static let slotMark: Character = "\u{1}"

    func render(_ content: Content) -> String {
        let key = Key(language: content.language, verdict: content.verdict, reason: content.reason, batch: content.batch,
                      location: content.locationPath != nil, productName: content.productName, productImage: content.productImage)
        let pieces = cache.withLock { $0[key] } ?? {
            let made = Self.pieces(renderTemplate(content))
            cache.withLock { cache in
                if cache.count >= Self.maxCached { cache.removeAll() }
                cache[key] = made
            }
            return made
        }()
        var html = ""
        html.reserveCapacity(3000)
        for piece in pieces {
            switch piece {
            case let .text(text): html += text
            case .code: html += Self.escape(content.code)
            case .firstScan: html += content.firstScanAt.map { format($0, content.language) } ?? ""
            case .scanCount: html += content.scanCount.map(String.init) ?? ""
            case .campaign:
                if !content.draws.isEmpty { html += drawSection(content.draws, content.language, consents: content.consents) }
                if let points = content.points {
                    html += "<p class=\"points\" id=\"points\">" + Self.strings[content.language]!["points"]! + " " + String(points) + "</p>"
                }
            }
        }
        return html
    }

    /// Splits a page rendered with slot marks into text and slots.
    static func pieces(_ html: String) -> [Piece] {
        let parts = html.split(separator: slotMark, omittingEmptySubsequences: false)
        return parts.enumerated().map { index, part in
            guard index % 2 == 1 else { return .text(String(part)) }
            switch part {
            case "code": return .code
            case "first": return .firstScan
            case "campaign": return .campaign
            default: return .scanCount
            }
        }
    }

    /// The first-scan time, to the minute, in `display.timeZone`, labelled (Beijing time by default).
    func format(_ date: Date, _ language: Language) -> String { Self.format(date, language, zone: timeZone) }

    static func format(_ date: Date, _ language: Language, zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let label: String
        if zone.identifier == "Asia/Shanghai" {
            label = language == .zh ? "(北京时间)" : "(Beijing time)"
        } else if offset == 0 && (zone.identifier == "UTC" || zone.identifier == "GMT") {
            label = "UTC"
        } else {
            let minutes = abs(offset) / 60
            label = "(UTC\(offset < 0 ? "-" : "+")\(minutes / 600)\(minutes / 60 % 10):\(minutes % 60 / 10)\(minutes % 10))"
        }
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let minutes = (seconds - days * 86_400) / 60
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(year)-\(two(month))-\(two(day)) \(two(minutes / 60)):\(two(minutes % 60)) " + label
    }

    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) else { return text }
        return text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// Renders the Mustache template with slot marks where per-code values go.
    private func renderTemplate(_ content: Content) -> String {
        let mark = String(Self.slotMark)
        var content = content
        content.code = mark + "code" + mark
        if content.locationPath != nil { content.locationPath = "/s/" + content.code + "/location" }
        let strings = Self.strings[content.language]!
        var details: [[String: String]] = []
        func detail(_ label: String, _ value: String?) {
            if let value, !value.isEmpty { details.append(["label": strings[label]!, "value": value]) }
        }
        detail("product", content.productName)
        detail("gtin", content.gtin)
        detail("lot", content.lot)
        detail("produced", content.productionDate)
        detail("expires", content.expiryDate)
        if content.verdict == .repeat || content.verdict == .suspicious {
            detail("firstScan", mark + "first" + mark)
            detail("scanCount", mark + "count" + mark)
        }
        detail("code", content.code)
        var object: [String: Any] = [
            "lang": content.language == .zh ? "zh-CN" : "en",
            "css": Self.css + brand.css,
            "brandHeader": brand.header,
            "contact": brand.contact(content.language),
            "title": strings["title"]!,
            "verdictClass": content.verdict.rawValue,
            "headline": strings["headline.\(content.reason.rawValue)"] ?? strings["headline.\(content.verdict.rawValue)"]!,
            "explanation": strings["reason.\(content.reason.rawValue)"]!,
            "details": details,
            "campaignTitle": strings["campaign"]!,
            "campaign": mark + "campaign" + mark,
            "feedbackTitle": strings["feedback"]!,
            "footer": brand.footer(content.language),
        ]
        // Sections are present only when they work for this verdict: a nil boxed in `Any` would still open
        // a mustache section (and its empty labels would fall back to the page's own keys).
        if let image = content.productImage { object["image"] = ["src": image, "alt": content.productName ?? ""] }
        if let path = content.locationPath {
            object["location"] = ["path": path, "button": strings["locate"]!, "why": strings["locateWhy"]!, "thanks": strings["locateThanks"]!,
                                  "denied": strings["locateDenied"]!]
        }
        // Only an item that checks out is worth rating; one whose code is not the brand's (forged, or never
        // issued; not a probable typo) can be reported.
        if content.verdict == .genuine || content.verdict == .repeat {
            var fields = Self.feedbackFields(content.language)
            fields["title"] = strings["feedback"]!
            object["feedbackForm"] = Self.feedbackForm.render(fields)
        } else if Self.reportable(content.verdict, content.reason) {
            var fields = Self.reportFields(content.language)
            fields["title"] = strings["report"]!
            object["feedbackForm"] = Self.reportForm.render(fields)
            object["feedbackTitle"] = strings["report"]!
        }
        return template.render(object)
    }

    static let strings: [Language: [String: String]] = [
        .en: [
            "title": "Product check", "product": "Product", "gtin": "GTIN", "lot": "Lot", "produced": "Produced",
            "expires": "Best before", "firstScan": "First scanned", "scanCount": "Times scanned", "code": "Code",
            "headline.genuine": "Genuine product", "headline.repeat": "Genuine code, scanned before",
            "headline.rescanned-by-you": "Genuine product, checked before on this phone",
            "headline.suspicious": "Caution: this code looks copied", "headline.unknown": "Unknown code",
            "headline.forged": "Not a genuine code", "headline.inactive": "Not yet on sale", "headline.void": "Code withdrawn",
            "reason.first-scan": "This is the first time this code has been scanned. Thank you for checking.",
            "reason.scanned-before": "This code has been scanned before. If you just opened this item, compare the first scan time below.",
            "reason.rescanned-by-you": "You have checked this item on this phone before; the first scan is below. Checking again changes nothing.",
            "reason.too-many-scans": "This code has been scanned far more often than one item would be. Every scan is recorded, and the brand can review codes like this one.",
            "reason.too-many-consumers": "This code has been scanned by many different people. Every scan is recorded, and the brand can review codes like this one.",
            "reason.cloned-label": "Another phone scanned this code in another region shortly before: the label may have been copied. Every scan is recorded, and the brand can review codes like this one.",
            "reason.not-issued": "This code was never issued by the brand.",
            "reason.malformed": "This is not a code issued by the brand.",
            "reason.check-character": "This code does not check out. If you typed it, please check it for typos.",
            "reason.signature": "This code was not issued by the brand.",
            "reason.batch-not-active": "This item's batch has not been released for sale yet.",
            "reason.batch-void": "This item's batch has been withdrawn by the brand.",
            "reason.blacklisted": "This code has been withdrawn by the brand.",
            "reason.gtin-mismatch": "This code was not issued for the product this label names. The label may not be genuine.",
            "reason.lot-mismatch": "This code was not issued for the lot this label names. The label may not be genuine.",
            "points": "Your points:", "pinLabel": "PIN (inside the pack)", "pinSubmit": "Draw",
            "pinWrong": "Wrong PIN: %d tries left.", "pinAccepted": "PIN accepted", "pinNoCampaign": "The PIN is right, but no promotion that asks for it is running now.", "pinLocked": "Too many wrong PINs: this code can no longer take part.",
            "claim": "Claim your prize", "claimName": "Name", "claimPhone": "Mobile phone", "claimSubmit": "Claim",
            "claimed": "Your prize is claimed.", "redemption": "Show this code at a participating store:",
            "locate": "Share my location", "locateThanks": "Thank you, your location was recorded.",
            "locateWhy": "Optional: where this product was found helps the brand spot fakes and stock sold outside its region. It is kept with this scan only.",
            "locateDenied": "Location was not shared.", "campaign": "Promotion", "feedback": "Your feedback",
            "rating": "How do you rate this product? (1 = poor, 5 = excellent)", "comment": "Comment (optional)",
            "feedbackSubmit": "Send", "feedbackThanks": "Thank you for your feedback.",
            "report": "Report this product",
            "reportIntro": "Bought something with this code? Tell the brand where, so it can act on fakes. A phone number is optional.",
            "reportWhere": "Where did you buy it? (shop, city or website)", "reportComment": "What is wrong with it? (optional)",
            "reportPhone": "Phone (optional: only if the brand may call you about this report)",
            "reportContact": "The brand may contact me about this report.", "reportSubmit": "Send report",
            "reportThanks": "Thank you: the brand has your report.",
            "yourCode": "Your redemption code:", "notRedeemed": "Not redeemed yet: show this code at a participating store.",
            "redeemedAt": "Redeemed at {store}, {time}.", "claimedNoCode": "Claimed: the brand will contact you to deliver it.",
        ],
        .zh: [
            "title": "产品验证", "product": "产品", "gtin": "商品条码", "lot": "批号", "produced": "生产日期",
            "expires": "保质期至", "firstScan": "首次扫码", "scanCount": "扫码次数", "code": "防伪码",
            "headline.genuine": "正品", "headline.repeat": "正品码，已被扫过", "headline.rescanned-by-you": "正品，您之前已验证过", "headline.suspicious": "注意：此码疑似被复制",
            "headline.unknown": "未知的码", "headline.forged": "非正品码", "headline.inactive": "尚未上市", "headline.void": "此码已作废",
            "reason.first-scan": "这是此码第一次被扫描。感谢您的验证。",
            "reason.scanned-before": "此码之前已被扫描过。如果您刚刚打开此商品，请核对下方的首次扫码时间。",
            "reason.rescanned-by-you": "您之前已在这部手机上验证过此商品，首次扫码时间见下方。再次验证不会改变它的记录。",
            "reason.too-many-scans": "此码的扫描次数远超单件商品的正常次数。每次扫描都有记录，品牌方可以核查此类码。",
            "reason.too-many-consumers": "此码已被许多不同的人扫描。每次扫描都有记录，品牌方可以核查此类码。",
            "reason.cloned-label": "不久前另一部手机在其他地区扫描过此码，此标签可能被复制。每次扫描都有记录，品牌方可以核查此类码。",
            "reason.not-issued": "品牌方从未发放过此码。",
            "reason.malformed": "这不是品牌方发放的码。",
            "reason.check-character": "此码校验失败。如果是手动输入，请检查是否输错。",
            "reason.signature": "此码不是品牌方发放的。",
            "reason.batch-not-active": "此商品所在批次尚未放行销售。",
            "reason.batch-void": "此商品所在批次已被品牌方召回。",
            "reason.blacklisted": "此码已被品牌方作废。",
            "reason.gtin-mismatch": "此码并非为该标签所示的商品发放，标签可能不是正品。",
            "reason.lot-mismatch": "此码并非为该标签所示的批次发放，标签可能不是正品。",
            "points": "您的积分：", "pinLabel": "PIN 码（包装内）", "pinSubmit": "抽奖",
            "pinWrong": "PIN 码错误：还可尝试 %d 次。", "pinAccepted": "PIN 码正确", "pinNoCampaign": "PIN 码正确，但目前没有需要 PIN 码的活动。", "pinLocked": "PIN 码错误次数过多：此码已无法参与抽奖。",
            "claim": "领取奖品", "claimName": "姓名", "claimPhone": "手机号", "claimSubmit": "领取",
            "claimed": "奖品已领取。", "redemption": "请在参与门店出示此兑换码：",
            "locate": "分享我的位置", "locateThanks": "谢谢，已记录您的位置。", "locateDenied": "未分享位置。",
            "locateWhy": "可选：商品所在位置可帮助品牌方发现假货和跨区销售，仅随本次扫码保存。",
            "campaign": "活动", "feedback": "您的反馈",
            "report": "举报此商品", "reportIntro": "买到了带这个码的商品？告诉品牌方在哪里买的，便于打击假货。手机号可不填。",
            "reportWhere": "在哪里买的？（店名、城市或网址）", "reportComment": "有什么问题？（可不填）",
            "reportPhone": "手机号（可不填，仅在品牌方可就此举报联系您时填写）", "reportContact": "品牌方可就此举报与我联系。",
            "reportSubmit": "提交举报", "reportThanks": "感谢您的举报，品牌方已收到。",
            "rating": "您给这件产品打几分？（1 = 差，5 = 很好）", "comment": "留言（可选）", "feedbackSubmit": "提交",
            "feedbackThanks": "感谢您的反馈。",
            "yourCode": "您的兑奖码：", "notRedeemed": "尚未兑换：请在参与门店出示此码。",
            "redeemedAt": "已于 {time} 在 {store} 兑换。", "claimedNoCode": "已领取：品牌方将联系您发放奖品。",
        ],
    ]

    /// The location button's script, served from `/assets/location.js` so the pages' Content-Security-Policy
    /// can allow scripts from this service only (`script-src 'self'`); its texts come from the section's data.
    static let locationScript = """
        (function(){var s=document.getElementById('location');if(!s||!navigator.geolocation){return}s.hidden=false;
        var st=document.getElementById('location-status');
        document.getElementById('locate').addEventListener('click',function(){
        navigator.geolocation.getCurrentPosition(function(p){
        fetch(s.dataset.path,{method:'POST',headers:{'Content-Type':'application/json'},credentials:'same-origin',
        body:JSON.stringify({latitude:p.coords.latitude,longitude:p.coords.longitude})})
        .then(function(r){st.textContent=r.ok?s.dataset.thanks:s.dataset.denied;st.dataset.state=r.ok?'ok':'error';
        return r.ok?r.json():null}).then(function(j){if(j&&j.draws&&j.draws.some(function(d){return d.new})){location.reload()}});
        },function(){st.textContent=s.dataset.denied;st.dataset.state='denied'})});})();
        """

    static let drawHTML = """
        {{#draw}}<div class="draw {{result}}" data-result="{{result}}"><strong>{{campaign}}</strong><p>{{message}}</p>\
        {{{claimForm}}}</div>{{/draw}}
        """

    /// The claim form: empty on the scan page; on a form answer (`FormAnswer`) posted to `action`, with the
    /// values typed and the problem beside its field (`nameError`, `phoneError`, `consentError`).
    static let claimForm = try! MustacheTemplate(string: """
        <form method="post"{{#action}} action="{{.}}"{{/action}} class="claim"><input type="hidden" name="campaign" value="{{campaignID}}">\
        {{#title}}<p><b>{{.}}</b></p>{{/title}}\
        <label>{{name}}<br><input name="name" required maxlength="100" autocomplete="name"{{#nameValue}} value="{{.}}"{{/nameValue}}\
        {{#nameError}} aria-invalid="true" aria-describedby="error-name"{{/nameError}}></label>\
        {{#nameError}}<p class="error" id="error-name" role="alert">{{.}}</p>{{/nameError}}<br>\
        <label>{{phone}}<br><input name="phone" type="tel" required maxlength="20" autocomplete="tel"{{#phoneValue}} value="{{.}}"{{/phoneValue}}\
        {{#phoneError}} aria-invalid="true" aria-describedby="error-phone"{{/phoneError}}></label>\
        {{#phoneError}}<p class="error" id="error-phone" role="alert">{{.}}</p>{{/phoneError}}<br>\
        <label><input type="checkbox" name="consent" value="yes" required{{#consentChecked}} checked{{/consentChecked}}> {{consent}}</label>\
        {{#consentError}}<p class="error" id="error-consent" role="alert">{{.}}</p>{{/consentError}}<br>\
        <label><input type="checkbox" name="marketing" value="yes"{{#marketingChecked}} checked{{/marketingChecked}}> {{marketing}}</label><br>\
        <button type="submit">{{submit}}</button></form>
        """)

    /// The hidden PIN's form: posted to the scan page's own address (or `action` on a form answer).
    static let pinForm = try! MustacheTemplate(string: """
        <form method="post"{{#action}} action="{{.}}"{{/action}} class="pin">\
        <label>{{label}}<br><input name="pin" required inputmode="numeric" pattern="[0-9 ]*" maxlength="12" autocomplete="one-time-code"\
        {{#error}} aria-invalid="true" aria-describedby="error-pin"{{/error}}></label>\
        {{#error}}<p class="error" id="error-pin" role="alert">{{.}}</p>{{/error}}<br>\
        <button type="submit">{{submit}}</button></form>
        """)

    static func pinFields(_ language: Language) -> [String: Any] {
        let strings = strings[language]!
        return ["label": strings["pinLabel"]!, "submit": strings["pinSubmit"]!]
    }

    /// The rating form, on the scan page and again on a form answer (as the claim form: `action`, the
    /// star chosen, the comment typed, `ratingError`, `commentError`).
    static let feedbackForm = try! MustacheTemplate(string: """
        <form method="post"{{#action}} action="{{.}}"{{/action}} class="feedback">{{#title}}<p><b>{{.}}</b></p>{{/title}}\
        <fieldset class="stars"><legend>{{ratingLabel}}</legend>\
        {{#stars}}<label><input type="radio" name="rating" value="{{value}}" required{{#chosen}} checked{{/chosen}}> {{value}}</label> {{/stars}}</fieldset>\
        {{#ratingError}}<p class="error" id="error-rating" role="alert">{{.}}</p>{{/ratingError}}\
        <label>{{commentLabel}}<br><textarea name="comment" maxlength="500" rows="3">{{commentValue}}</textarea></label>\
        {{#commentError}}<p class="error" id="error-comment" role="alert">{{.}}</p>{{/commentError}}<br>\
        <button type="submit">{{submit}}</button></form>
        """)

    /// Whether a page of this verdict offers the counterfeit report: a code that is not the brand's, not a
    /// probable typo (that page asks to check the typing instead).
    static func reportable(_ verdict: Verdict, _ reason: VerdictReason) -> Bool {
        verdict == .unknown && reason == .notIssued || verdict == .forged && reason != .checkCharacter
    }

    /// The counterfeit report form (`CounterfeitReport`), on a forged or unknown code's page and again on a
    /// form answer: where bought, what is wrong, a phone only with the box ticked.
    static let reportForm = try! MustacheTemplate(string: """
        <form method="post"{{#action}} action="{{.}}"{{/action}} class="report">{{#title}}<p><b>{{.}}</b></p>{{/title}}<p>{{intro}}</p>\
        <input type="hidden" name="report" value="yes">\
        <label>{{whereLabel}}<br><input name="where" maxlength="200" value="{{whereValue}}"></label>\
        {{#whereError}}<p class="error" id="error-where" role="alert">{{.}}</p>{{/whereError}}\
        <label>{{commentLabel}}<br><textarea name="comment" maxlength="500" rows="3">{{commentValue}}</textarea></label>\
        {{#commentError}}<p class="error" id="error-comment" role="alert">{{.}}</p>{{/commentError}}\
        <label>{{phoneLabel}}<br><input type="tel" name="phone" autocomplete="tel" value="{{phoneValue}}"></label>\
        {{#phoneError}}<p class="error" id="error-phone" role="alert">{{.}}</p>{{/phoneError}}\
        <label><input type="checkbox" name="contactOk" value="yes"{{#contactChecked}} checked{{/contactChecked}}> {{contactLabel}}</label>\
        {{#contactOkError}}<p class="error" id="error-contactOk" role="alert">{{.}}</p>{{/contactOkError}}<br>\
        <button type="submit">{{submit}}</button></form>
        """)

    /// The report form's labels in `language`.
    static func reportFields(_ language: Language) -> [String: Any] {
        let strings = strings[language]!
        return ["intro": strings["reportIntro"]!, "whereLabel": strings["reportWhere"]!, "commentLabel": strings["reportComment"]!,
                "phoneLabel": strings["reportPhone"]!, "contactLabel": strings["reportContact"]!, "submit": strings["reportSubmit"]!]
    }

    /// The rating form's values: its labels in `language`, the star `chosen` checked.
    static func feedbackFields(_ language: Language, chosen: String? = nil) -> [String: Any] {
        let strings = strings[language]!
        return ["ratingLabel": strings["rating"]!, "commentLabel": strings["comment"]!, "submit": strings["feedbackSubmit"]!,
                "stars": (1...5).map { ["value": String($0), "chosen": String($0) == chosen] }]
    }

    /// The claim form's values: its labels in `language`, for `campaign`, with its two consents' texts.
    static func claimFields(_ language: Language, campaign: String, consents: ClaimConsents) -> [String: Any] {
        let strings = strings[language]!
        return ["campaignID": campaign, "name": strings["claimName"]!, "phone": strings["claimPhone"]!, "consent": consents.prize,
                "marketing": consents.marketing,
                "submit": strings["claimSubmit"]!]
    }

    /// One style for every page a phone sees: the scan page, the claim and thanks pages, the form answers.
    static let css = #"body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f4f2;color:#222}main{max-width:30rem;margin:0 auto;padding:1rem}.verdict{border-radius:.75rem;padding:1.25rem;color:#fff;background:#666}.genuine{background:#1b7f3b}.repeat{background:#2f6f9f}.suspicious{background:#b35c00}.unknown,.forged,.void{background:#a8201a}.inactive{background:#6b6b6b}h1{font-size:1.5rem;margin:0 0 .5rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;background:#fff;border-radius:.75rem;padding:1rem;margin:1rem 0}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}section{background:#fff;border-radius:.75rem;padding:1rem;margin:1rem 0}section:empty{display:none}.draw{margin:.25rem 0}.draw.won strong{color:#1b7f3b}.code{font:1.5rem monospace;letter-spacing:.1em}fieldset{border:0;padding:0;margin:0 0 .5rem}textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.6rem 1rem;border-radius:.5rem;border:1px solid #1b5e8c;background:#fff;color:#1b5e8c;width:100%}footer{color:#888;font-size:.8rem;text-align:center;margin:2rem 0}img.product{display:block;max-width:100%;max-height:14rem;margin:1rem auto 0;border-radius:.75rem}input[type=tel],input[name=name],input[name=pin],input[name=where]{font:inherit;width:100%;box-sizing:border-box;padding:.4rem}.error{color:#a8201a;margin:.25rem 0}"#

    static let html = """
        <!doctype html>
        <html lang="{{lang}}"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <meta name="robots" content="noindex">
        <title>{{title}}</title>
        <style>{{{css}}}</style></head>
        <body><main>{{{brandHeader}}}
        <div class="verdict {{verdictClass}}" id="verdict" data-verdict="{{verdictClass}}">
        <h1>{{headline}}</h1>
        <p>{{explanation}}</p>
        </div>
        <section id="campaign" aria-label="{{campaignTitle}}">{{{campaign}}}</section>
        {{#image}}<img class="product" src="{{src}}" alt="{{alt}}" referrerpolicy="no-referrer">{{/image}}
        <dl>{{#details}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/details}}</dl>
        <section id="feedback" aria-label="{{feedbackTitle}}">{{{feedbackForm}}}</section>
        {{#location}}
        <section id="location" hidden data-path="{{path}}" data-thanks="{{thanks}}" data-denied="{{denied}}">
        <p class="why">{{why}}</p>
        <button type="button" id="locate">{{button}}</button>
        <p id="location-status" role="status"></p>
        </section>
        <script src="/assets/location.js" defer></script>
        {{/location}}
        <footer>{{{contact}}}{{footer}}</footer>
        </main></body></html>
        """
}
