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

/// Administration: users and the audit log.
extension ConsoleController {
    func registerAdmin(on console: RouterGroup<ConsoleContext>) {
        console.get("admin/users") { request, context in try await page(request, context, .admin) { try await users($0, $1, $2) } }
        console.post("admin/users") { request, context in
            try await page(request, context, .admin) { request, context, chrome in
                try await addUser(request, context, chrome, fields: try await form(request, context))
            }
        }
        console.get("admin/audit") { request, context in try await page(request, context, .admin, audit) }
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
}
