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
    /// The webhook endpoints configured (`webhooks.urls`): the admin's webhooks page shows each, delivered to or not yet.
    let webhookURLs: [String]
    /// Seals and checks admins' second factors.
    let factor: SecondFactor
    /// How long issuing a batch is waited for before the page shows its progress instead.
    let issueWaitSeconds: Int

    /// The parts with pages so far (the navigation shows these of a role's parts).
    static let built: Set<ConsoleArea> = [.overview, .products, .codes, .campaigns, .stores, .redeem, .segments, .leads, .feedback, .regions, .admin]

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
        console.get("login/code", use: codePage)
        console.post("login/code", use: confirmCode)
        console.post("logout") { request, context in
            _ = try await form(request, context)  // the token is checked: a page elsewhere cannot sign staff out
            context.sessions.clearSession()
            return Response.redirect(to: "/console/login")
        }
        console.get { request, context in
            guard let user = context.identity else { return Response.redirect(to: "/console/login") }
            return Response.redirect(to: Self.path(of: ConsoleArea.home(of: user.role)) + languageQuery(request))
        }
        for register in [registerOverview, registerProducts, registerCodes, registerCampaigns, registerStores, registerRedeem,
                         registerSegments, registerLeads, registerFeedback, registerRegions, registerAdmin] {
            register(console)
        }
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
        switch try await SignIn(store: store, factor: factor).attempt(name: name, password: fields["password"] ?? "", address: address) {
        case .secondFactor(let user):
            // A session that signs no one in until the code comes (a new id, a few minutes).
            context.sessions.createSession(ConsoleSession(user: user.id, signedInAt: Date(), secondFactorPending: true),
                                           expiresIn: .seconds(ConsoleSession.secondFactorSeconds))
            return Response.redirect(to: "/console/login/code" + (next.isEmpty ? "" : "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")))
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

    /// The second step of signing in: the authenticator's code, for a session whose password was right.
    func codePage(_ request: Request, _ context: Context) async throws -> Response {
        guard context.sessions.session?.secondFactorPending == true else { return Response.redirect(to: "/console/login") }
        return codeForm(request, context, next: Self.safeNext(request.uri.queryParameters.get("next")), error: nil, status: .ok)
    }

    func codeForm(_ request: Request, _ context: Context, next: String, error: String?, status: HTTPResponse.Status,
                  headers: HTTPFields = [:]) -> Response {
        let chrome = chrome(request, context, area: nil)
        var values: [String: Any] = ["next": next]
        if let error { values["error"] = error }
        var response = views.page("login_code", title: views.text("secondFactorTitle", chrome.language), values: values,
                                  chrome: ConsoleViews.Chrome(language: chrome.language, user: nil, csrf: context.sessions.session?.csrf, area: nil),
                                  status: status, headers: headers)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func confirmCode(_ request: Request, _ context: Context) async throws -> Response {
        guard let session = context.sessions.session, session.secondFactorPending == true else {
            return Response.redirect(to: "/console/login")
        }
        let fields = try await form(request, context)
        let next = Self.safeNext(fields["next"])
        let language = chrome(request, context, area: nil).language
        guard let user = try await store.user(id: session.user) else {
            context.sessions.clearSession()
            return Response.redirect(to: "/console/login")
        }
        let address = IPAddress.stored(context.clientAddress, truncate: truncateIP) ?? "unknown"
        switch try await SignIn(store: store, factor: factor).confirm(user: user, code: fields["code"] ?? "", address: address) {
        case .throttled(let retryAfter):
            context.logger.warning("console second factor throttled", metadata: ["account": "\(user.name)", "client": "\(address)"])
            context.sessions.clearSession()
            return codeForm(request, context, next: next, error: views.text("loginThrottled", language), status: .tooManyRequests,
                            headers: [.retryAfter: String(retryAfter)])
        case .refused, .secondFactor:
            context.logger.warning("console second factor refused", metadata: ["account": "\(user.name)", "client": "\(address)"])
            return codeForm(request, context, next: next, error: views.text("codeWrong", language), status: .unauthorized)
        case .signedIn(let user):
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

    /// A form's fields, once its CSRF token is the session's (a half signed-in session's too). - Throws: 403 (as a page) without it.
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
