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

/// Administration: users, API tokens, webhooks and their deliveries, the audit log.
extension ConsoleController {
    func registerAdmin(on console: RouterGroup<ConsoleContext>) {
        console.get("admin/users") { request, context in try await page(request, context, .admin) { try await users($0, $1, $2) } }
        console.post("admin/users") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await addUser(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("admin/audit") { request, context in try await page(request, context, .admin, audit) }
        console.get("admin/tokens") { request, context in try await page(request, context, .admin) { try await tokens($0, $1, $2) } }
        console.post("admin/tokens") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await createToken(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.post("admin/tokens/:id/revoke") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await revokeToken(request, context, chrome, id: try pathID(context), fields: try await form(request, context))
            }
        }
        console.get("admin/security") { request, context in try await page(request, context, .admin) { try await security($0, $1, $2) } }
        console.post("admin/security/enable") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await setSecondFactor(request, context, chrome, on: true, fields: try await form(request, context))
            }
        }
        console.post("admin/security/disable") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await setSecondFactor(request, context, chrome, on: false, fields: try await form(request, context))
            }
        }
        console.get("admin/webhooks") { request, context in try await page(request, context, .admin) { try await webhooks($0, $1, $2) } }
        console.post("admin/webhooks/retry") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await retryWebhooks(request, context, chrome, fields: try await form(request, context))
            }
        }
    }

    /// The signed-in admin's own second factor: on (turn it off with a current code), or off (a new secret as a
    /// QR code and as typed text; turned on by typing its current code).
    func security(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, secret: String? = nil, errors: [String: String] = [:],
                  notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = context.identity!
        var values: [String: Any] = ["errors": errors, "tab": ["security": true], "admin": user.role == .admin]
        if try await store.secondFactor(of: user.id) != nil {
            values["enabled"] = true
        } else {
            let secret = secret ?? SecondFactor.newSecret()
            let url = SecondFactor.authenticatorURL(secret: secret, account: user.name, issuer: views.brand)
            let svg = String(decoding: SVGRenderer.render(try QRSymbol(url, ec: .M)), as: UTF8.self)
            values["secret"] = secret
            values["typed"] = SecondFactor.typedForm(secret)
            values["qr"] = svg.drop { $0 != "\n" }.dropFirst()  // without its XML declaration, inside the page
        }
        var response = views.page("security", title: views.text("secondFactor", chrome.language), values: values, chrome: chrome, notice: notice,
                                  status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func setSecondFactor(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, on: Bool, fields: [String: String]) async throws -> Response {
        let user = context.identity!
        let language = chrome.language
        do {
            if on {
                try await actions(context).enableSecondFactor(user, secret: fields["secret"] ?? "", code: fields["code"] ?? "", factor: factor)
                return try await security(request, context, chrome, notice: views.text("secondFactorEnabled", language))
            }
            try await actions(context).disableSecondFactor(named: user.name, code: fields["code"] ?? "", factor: factor)
            return try await security(request, context, chrome, notice: views.text("secondFactorDisabled", language))
        } catch let error as InputError {
            let secret = fields["secret"].flatMap { $0.utf8.count == 32 ? $0 : nil }
            return try await security(request, context, chrome, secret: on ? secret : nil, errors: [error.field == "secret" ? "secret" : "code": views.say(error, chrome.language)],
                                      status: .badRequest)
        }
    }

    /// The scopes an admin may give a token here: a store's and a clerk's come with the store and the clerk.
    static let tokenScopes: [TokenScope] = [.admin, .issuer, .marketing, .sales]

    /// Every API token (never a secret), the form to make one (its secret shown once), revoke with a confirmation.
    func tokens(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, form: [String: String] = [:], errors: [String: String] = [:],
                secret: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = chrome.language
        let stores = Dictionary(try await store.stores().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let tokens = try await store.tokens().reversed().map { token -> [String: Any] in
            ["id": token.id, "name": token.name, "scope": token.scope.rawValue, "created": views.time.minute(token.createdAt),
             "store": token.storeID.map { stores[$0].map { "\($0) (#\(token.storeID!.rawValue))" } ?? "#\($0.rawValue)" } ?? "",
             "used": token.lastUsedAt.map(views.time.minute) ?? views.text("never", language)]
        }
        let chosen = form["scope"] ?? TokenScope.sales.rawValue
        var values: [String: Any] = [
            "tokens": tokens, "hasTokens": !tokens.isEmpty, "form": form, "errors": errors, "tab": ["tokens": true],
            "scopes": Self.tokenScopes.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0.rawValue == chosen] as [String: Any] },
        ]
        if let secret { values["secret"] = secret }
        return views.page("tokens", title: views.text("apiTokens", language), values: values, chrome: chrome, notice: notice, status: status)
    }

    func createToken(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let kept = fields.filter { ["name", "scope"].contains($0.key) }
        do {
            guard let scope = TokenScope(rawValue: fields["scope"] ?? ""), Self.tokenScopes.contains(scope) else {
                throw InputError("scope", "must be one of \(Self.tokenScopes.map(\.rawValue).joined(separator: ", "))")
            }
            let (token, secret) = try await actions(context).createToken(try Actions.NewToken(name: fields["name"] ?? "", scope: scope))
            context.logger.info("console: API token created", metadata: ["token": "\(token.id)", "scope": "\(scope.rawValue)"])
            var response = try await tokens(request, context, chrome, secret: secret, notice: views.text("tokenCreated", chrome.language), status: .created)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch let error as InputError {
            return try await tokens(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        }
    }

    func revokeToken(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, id: Int64, fields: [String: String]) async throws -> Response {
        guard fields["confirm"] == "yes" else {
            return try await tokens(request, context, chrome, errors: ["form": views.text("confirmNeeded", chrome.language)], status: .badRequest)
        }
        do {
            try await actions(context).revokeToken(id)
            return try await tokens(request, context, chrome, notice: views.text("tokenRevoked", chrome.language))
        } catch let error as NotFoundError {
            return try await tokens(request, context, chrome, errors: ["form": views.say(error, chrome.language)], status: .notFound)
        }
    }

    /// The endpoints configured and every one with deliveries: pending, delivered, given up, the last error (URLs
    /// redacted as in logs); given-up deliveries queued again, of one endpoint or all.
    func webhooks(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, errors: [String: String] = [:], notice: String? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let rows = try await webhookRows().enumerated().map { index, row -> [String: Any] in
            var shown: [String: Any] = ["n": index + 1, "url": WebhookURL.redacted(row.url), "pending": row.pending, "delivered": row.delivered,
                                        "failed": row.failed, "configured": webhookURLs.contains(row.url), "canRetry": row.failed > 0]
            if let error = row.redacted.lastError { shown["lastError"] = error }
            return shown
        }
        return views.page("webhooks", title: views.text("webhooks", chrome.language), values: [
            "endpoints": rows, "hasEndpoints": !rows.isEmpty, "errors": errors, "tab": ["webhooks": true],
            "anyFailed": rows.contains { ($0["failed"] as? Int ?? 0) > 0 },
        ], chrome: chrome, notice: notice, status: status)
    }

    /// The configured endpoints (with no deliveries yet, zeros) and those with deliveries, configured first.
    func webhookRows() async throws -> [WebhookEndpointStatus] {
        let known = try await store.webhookStatus()
        let byURL = Dictionary(known.map { ($0.url, $0) }, uniquingKeysWith: { a, _ in a })
        return webhookURLs.map { byURL[$0] ?? WebhookEndpointStatus(url: $0, pending: 0, delivered: 0, failed: 0, lastError: nil) }
            + known.filter { !webhookURLs.contains($0.url) }
    }

    /// `endpoint` is the row's number on the page (a URL may hold a secret: it is never put in the page whole).
    func retryWebhooks(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome, fields: [String: String]) async throws -> Response {
        let typed = fields["endpoint"] ?? ""
        var endpoint: String?
        if !typed.isEmpty {
            let rows = try await webhookRows()
            guard let n = Int(typed), n >= 1, n <= rows.count else {
                return try await webhooks(request, context, chrome, errors: ["form": "endpoint: must be an endpoint's number, 1 to \(rows.count) (got '\(typed.prefix(20))')"],
                                          status: .badRequest)
            }
            endpoint = rows[n - 1].url
        }
        let count = try await actions(context).retryWebhooks(endpoint: endpoint)
        return try await webhooks(request, context, chrome, notice: views.text("webhooksRequeued", chrome.language).replacingOccurrences(of: "%d", with: "\(count)"))
    }

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
            "users": users, "roles": roles, "form": form, "errors": errors, "tab": ["users": true],
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
            return try await users(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as NotFoundError {
            return try await users(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .badRequest)
        } catch let error as ConflictError {
            return try await users(request, context, chrome, form: kept, errors: [error.field: views.say(error, chrome.language)], status: .conflict)
        }
    }

    func audit(_ request: Request, _ context: Context, _ chrome: ConsoleViews.Chrome) async throws -> Response {
        let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
        let entries = try await store.auditLog(before: before, limit: 101)
        let shown = entries.prefix(100).map { entry -> [String: Any] in
            ["at": views.time.minute(entry.at), "actorKind": entry.actorKind, "actorName": entry.actorName, "action": entry.action,
             "subject": entry.subject, "subjectID": entry.subjectId ?? "", "detail": entry.detail ?? ""]
        }
        var values: [String: Any] = ["entries": Array(shown), "tab": ["audit": true]]
        if entries.count > 100, let last = entries.prefix(100).last { values["older"] = last.id }
        return views.page("audit", title: views.text("auditLog", chrome.language), values: values, chrome: chrome)
    }
}
