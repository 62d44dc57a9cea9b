import Foundation
import Hummingbird
import OneCodeDomain

/// `/`: where a consumer types the code printed under the label's QR symbol when the camera will not
/// read it. Any case, spaces and dashes, and the look-alikes I, L (for 1) and O (for 0) are read as the
/// label means them; a code whose check symbol does not match is a typo, said beside the field with what
/// was typed kept. A code that checks goes to its scan page (`/s/{code}`), which gives the verdict.
struct EntryPage: Sendable {
    let signer: CodeSigner
    var brand: Brand = .none

    static let strings: [LandingPage.Language: [String: String]] = [
        .en: [
            "title": "Check a product", "headline": "Check a product",
            "intro": "Scan the QR code on the label, or type the code printed beneath it.",
            "label": "Code on the label", "submit": "Check",
            "error.empty": "Type the code printed under the QR symbol.",
            "error.symbols": "A code has only the letters and digits printed on the label (no other characters).",
            "error.length": "A code has 17 to 20 letters and digits; this has %d. Compare it with the label.",
            "error.check": "This code does not check out: a letter or digit is probably mistyped. Compare it with the label.",
        ],
        .zh: [
            "title": "验证商品", "headline": "验证商品",
            "intro": "请扫描标签上的二维码，或输入二维码下方印的码。",
            "label": "标签上的码", "submit": "验证",
            "error.empty": "请输入二维码下方印的码。",
            "error.symbols": "码只包含标签上印的字母和数字（不含其他字符）。",
            "error.length": "码由 17 到 20 个字母和数字组成，您输入了 %d 个。请与标签核对。",
            "error.check": "此码校验不通过，可能有字母或数字输错了。请与标签核对。",
        ],
    ]

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { request, _ in answer(request) }
    }

    func answer(_ request: Request) -> Response {
        let language = LandingPage.language(request.headers[.acceptLanguage])
        let strings = Self.strings[language]!
        guard let typed = request.uri.queryParameters.get("code") else { return page(language, typed: "", error: nil) }
        // The one reading of typed codes (CodeSigner.read): a failed check symbol is a typo, said here.
        let canonical: String
        switch signer.read(typed: typed) {
        case .empty: return page(language, typed: typed, error: strings["error.empty"]!)
        case .symbols: return page(language, typed: typed, error: strings["error.symbols"]!)
        case let .length(count): return page(language, typed: typed, error: String(format: strings["error.length"]!, count))
        case .typo: return page(language, typed: typed, error: strings["error.check"]!)
        case let .read(.valid(_, text)): canonical = text
        // Failing only the keyed check: the scan page says forged.
        case .read(.forged): canonical = Crockford.canonical(typed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
        }
        return Response(status: .seeOther, headers: [.location: "/s/\(canonical)", .cacheControl: "no-store"])
    }

    func page(_ language: LandingPage.Language, typed: String, error: String?) -> Response {
        let strings = Self.strings[language]!
        let e = LandingPage.escape
        let html = """
            <!doctype html><html lang="\(language == .zh ? "zh-CN" : "en")"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width,initial-scale=1"><title>\(e(strings["title"]!))</title>
            <style>body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f4f2;color:#222}
            main{max-width:30rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}
            form{background:#fff;border-radius:.75rem;padding:1rem}label{display:block;margin-bottom:.25rem}
            input{font:1.25rem monospace;letter-spacing:.08em;width:100%;box-sizing:border-box;padding:.5rem;text-transform:uppercase}
            .error{color:#a8201a;margin:.5rem 0}
            button{font:inherit;padding:.6rem 1rem;border-radius:.5rem;border:1px solid #1b5e8c;background:#fff;color:#1b5e8c;width:100%;margin-top:.75rem}
            footer{color:#888;font-size:.8rem;text-align:center;margin:2rem 0}\(brand.css)</style></head>
            <body><main>\(brand.header)<h1>\(e(strings["headline"]!))</h1><p>\(e(strings["intro"]!))</p>
            <form method="get" action="/"><label for="code">\(e(strings["label"]!))</label>
            <input id="code" name="code" value="\(e(typed))" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40" required\
            \(error == nil ? "" : " aria-invalid=\"true\" aria-describedby=\"code-error\"")>
            \(error.map { "<p class=\"error\" id=\"code-error\" role=\"alert\">\(e($0))</p>" } ?? "")
            <button type="submit">\(e(strings["submit"]!))</button></form>
            <footer>\(brand.contact(language))\(e(brand.footer(language)))</footer></main></body></html>
            """
        var headers = ScanController.pageHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: error == nil ? .ok : .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
