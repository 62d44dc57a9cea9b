import Foundation
import Hummingbird
import Mustache
import NIOCore
import OneCodeDomain

/// What a phone's claim or rating form gets back as HTML (JSON requests keep JSON): a thanks page, or
/// the form again with what was typed and the problem beside the field, in the page's language and
/// style, with a link back to the product's page.
struct FormAnswer {
    enum Form { case claim(campaign: String, consents: ClaimConsents), feedback, report }

    let language: LandingPage.Language
    /// The scan page the form was on (`/s/CODE` or the GS1 path): where "back" goes and the form posts.
    let path: String
    var brand: Brand = .none

    var strings: [String: String] { Self.strings[language]! }

    static let strings: [LandingPage.Language: [String: String]] = [
        .en: [
            "back": "Back to the product", "fix": "Please check the form.",
            "error.name": "Enter your name (1 to 100 characters).",
            "error.phone": "Enter a mobile phone number, such as 138 1234 5678 or +49 30 1234567.",
            "error.consent": "Tick the box to agree; the prize cannot be claimed without it.",
            "error.campaign": "This form is out of date: open the product's page again.",
            "error.claim": "This prize belongs to the phone that drew it.",
            "error.claimed": "This prize has been claimed already.",
            "error.phoneLimit": "This phone number has claimed as many prizes in this campaign as it allows.",
            "error.rating": "Choose a rating from 1 to 5.",
            "error.comment": "A comment can have at most 500 characters.",
            "error.where": "Say where you bought it (at most 200 characters), or what is wrong with it.",
            "error.contactOk": "Tick the box to let the brand contact you about this report, or leave the phone number out.",
            "error.other": "This could not be done: %@",
            "notFound": "Page not found", "notFound.body": "There is no page here. To check a product, scan its QR code or type the code printed beneath it.",
            "notFound.link": "Check a product",
            "rated": "Thank you: you have rated this item already.",
            "error.notScanned": "Scan this item's code on this phone before rating it.",
            "error.notRateable": "This item cannot be rated: its code is not active or was withdrawn.",
            "error.suspiciousCode": "This item cannot be rated: its code was scanned too often or by too many phones.",
            "error.ratingsFull": "This item has as many ratings as one item takes.",
        ],
        .zh: [
            "back": "返回商品页", "fix": "请检查表单。",
            "error.name": "请填写姓名（1 到 100 个字）。",
            "error.phone": "请填写手机号，例如 138 1234 5678。",
            "error.consent": "请勾选同意，否则无法领取奖品。",
            "error.campaign": "此表单已过期，请重新打开商品页。",
            "error.claim": "此奖品属于抽中它的手机。",
            "error.claimed": "此奖品已被领取。",
            "error.phoneLimit": "此手机号在本活动中的领奖次数已达上限。",
            "error.rating": "请选择 1 到 5 分。",
            "error.comment": "留言最多 500 个字。",
            "error.where": "请填写在哪里买的（最多 200 个字），或说明有什么问题。",
            "error.contactOk": "如需品牌方就此举报联系您，请勾选同意；否则请不要填写手机号。",
            "error.other": "无法完成：%@",
            "error.cookie": "请先用这部手机扫描此码，再在此操作。",
            "error.generic": "无法完成。请返回商品页后重试。",
            "notFound": "找不到此页", "notFound.body": "此处没有页面。验证商品，请扫描二维码，或输入二维码下方印的码。",
            "notFound.link": "验证商品",
            "rated": "感谢：您已评价过此商品。",
            "error.notScanned": "请先用这部手机扫描此商品的码，再评价。",
            "error.notRateable": "此商品无法评价：其码未激活或已撤回。",
            "error.suspiciousCode": "此商品无法评价：其码被扫描次数过多或被过多手机扫描。",
            "error.ratingsFull": "此商品的评价数已达上限。",
        ],
    ]

    /// The field an error is about, and what to say beside it.
    func problem(_ error: any Error) -> (field: String, message: String, status: HTTPResponse.Status) {
        var field = "", detail = "\(error)", status = HTTPResponse.Status.badRequest
        if let input = error as? InputError { field = input.field; detail = input.message }
        else if let conflict = error as? ConflictError { field = conflict.field; detail = conflict.message; status = .conflict }
        else if let http = error as? HTTPError {
            status = http.status
            let message = http.body ?? ""
            if let colon = message.firstIndex(of: ":") { field = String(message[..<colon]); detail = String(message[message.index(after: colon)...]) }
        }
        detail = detail.trimmingCharacters(in: .whitespaces)
        // The rules' own refusals of a rating, and a value typed into the form: said in the page's language.
        if let input = error as? InputError, input == FeedbackRules.notScanned { return (field, strings["error.notScanned"]!, status) }
        if let input = error as? InputError, input == FeedbackRules.notRateable { return (field, strings["error.notRateable"]!, status) }
        if let input = error as? InputError, input == FeedbackRules.suspiciousCode { return (field, strings["error.suspiciousCode"]!, status) }
        if let conflict = error as? ConflictError, conflict == FeedbackRules.ratingsFull { return (field, strings["error.ratingsFull"]!, status) }
        if status == .badRequest, ["name", "phone", "consent", "rating", "comment", "where", "contactOk"].contains(field) {
            return (field, strings["error.\(field)"]!, status)
        }
        if status == .conflict && field == "rating" { return (field, strings["rated"]!, status) }
        // Anything else: the service's own words on an English page (they say exactly what happened);
        // a Chinese page says it in Chinese where a translation exists.
        if language == .en { return (field, detail.prefix(1).uppercased() + detail.dropFirst(), status) }
        // A phone with no scan of the code (no cookie).
        if field == "cookie" { return (field, strings["error.cookie"]!, status) }
        let key: String? = switch (field, status) {
        case ("claim", .conflict): detail.contains("claimed already") ? "error.claimed" : "error.claim"
        case ("phone", .conflict): "error.phoneLimit"
        case ("claim", _): "error.claim"
        case ("campaign", _): "error.campaign"
        default: nil
        }
        // A Chinese page never carries the service's English words: what has no translation is said generally.
        return (field, key.map { strings[$0]! } ?? strings["error.generic"]!, status)
    }

    /// A page of the same style: a heading, what it says, an optional form, and the way back.
    /// - Parameter back: the link's words (default: back to the product).
    func page(status: HTTPResponse.Status, heading: String, body: String, id: String, back: String? = nil) -> Response {
        let e = LandingPage.escape
        let html = """
            <!doctype html><html lang="\(language == .zh ? "zh-CN" : "en")"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
            <title>\(e(LandingPage.strings[language]!["title"]!))</title><style>\(LandingPage.css)\(brand.css)</style></head>
            <body><main>\(brand.header)<section id="\(id)"><h1>\(e(heading))</h1>\(body)</section>
            <p><a href="\(e(path))" id="back">\(e(back ?? strings["back"]!))</a></p>
            <footer>\(brand.contact(language))\(e(brand.footer(language)))</footer></main></body></html>
            """
        var headers = ScanController.pageHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The form again (the scan page's own template): the values typed, the problem beside its field,
    /// or above the form when it is about no field of it.
    func again(_ form: Form, fields: [String: String], error: any Error) -> Response {
        let (field, message, status) = problem(error)
        var values: [String: Any], known: Set<String>, template: MustacheTemplate
        switch form {
        case let .claim(campaign, consents):
            known = ["name", "phone", "consent"]
            template = LandingPage.claimForm
            values = LandingPage.claimFields(language, campaign: campaign, consents: consents)
            values["nameValue"] = fields["name"] ?? ""
            values["phoneValue"] = fields["phone"] ?? ""
            values["consentChecked"] = ScanController.ticked(fields["consent"])
            values["marketingChecked"] = ScanController.ticked(fields["marketing"])
        case .feedback:
            if status == .conflict && field == "rating" {
                return page(status: .conflict, heading: message, body: "", id: "rated")
            }
            known = ["rating", "comment"]
            template = LandingPage.feedbackForm
            values = LandingPage.feedbackFields(language, chosen: fields["rating"])
            values["commentValue"] = fields["comment"] ?? ""
        case .report:
            known = ["where", "comment", "phone", "contactOk"]
            template = LandingPage.reportForm
            values = LandingPage.reportFields(language)
            values["whereValue"] = fields["where"] ?? ""
            values["commentValue"] = fields["comment"] ?? ""
            values["phoneValue"] = fields["phone"] ?? ""
            values["contactChecked"] = ScanController.ticked(fields["contactOk"])
        }
        values["action"] = path
        if known.contains(field) { values[field + "Error"] = message }
        let top = known.contains(field) ? "" : "<p class=\"error\" id=\"error\" role=\"alert\">\(LandingPage.escape(message))</p>"
        return page(status: status, heading: strings["fix"]!, body: top + template.render(values), id: "form")
    }
}
