import OneCodeStorage

/// Who may do what, written once. Each admin API route with the token scopes that may call it besides `admin`
/// (which may call every route); the console's parts and tasks give the roles of the route that does the same
/// (`ConsoleArea`, `ConsoleTask`). README's table of scopes and the OpenAPI document are held equal to this
/// table by `APITests`; the API's router takes each route's scopes from here, and refuses to register a route
/// that is not in it.
public enum Access {
    /// "METHOD /api/path/{parameter}" → the scopes besides `admin`.
    public static let routes: [String: Set<TokenScope>] = [
        "POST /api/aggregations": [.issuer],
        "GET /api/audit": [],
        "GET /api/batches": [.issuer, .marketing, .sales],
        "POST /api/batches": [.issuer],
        "GET /api/batches/{id}": [.issuer, .marketing, .sales],
        "POST /api/batches/{id}/activate": [.issuer],
        "GET /api/batches/{id}/package.zip": [.issuer],
        "POST /api/batches/{id}/void": [.issuer],
        "GET /api/campaigns": [.marketing, .sales],
        "POST /api/campaigns": [.marketing],
        "GET /api/campaigns/{id}": [.marketing, .sales],
        "PUT /api/campaigns/{id}": [.marketing],
        "POST /api/campaigns/{id}/end": [.marketing],
        "GET /api/campaigns/{id}/entries": [.marketing],
        "POST /api/campaigns/{id}/pause": [.marketing],
        "POST /api/campaigns/{id}/resume": [.marketing],
        "POST /api/clerk-bindings": [.clerk],
        "GET /api/clerks": [.marketing, .sales],
        "POST /api/codes/{code}/blacklist": [.issuer],
        "GET /api/codes/{code}/chain": [.issuer, .marketing, .sales],
        "GET /api/codes/{code}/scans": [.issuer, .marketing],
        "DELETE /api/consumers/{id}": [],
        "GET /api/consumers/{id}": [],
        "GET /api/dealers": [.issuer, .marketing, .sales],
        "POST /api/dealers": [.issuer],
        "GET /api/epcis/events": [.issuer, .sales],
        "GET /api/events": [],
        "GET /api/feedback": [.marketing],
        "GET /api/feedback/reports": [.marketing],
        "GET /api/leads": [.sales],
        "GET /api/ledger": [.sales],
        "GET /api/ledger/balances": [.sales],
        "GET /api/links": [.issuer, .marketing],
        "POST /api/links": [.issuer, .marketing],
        "DELETE /api/links/{id}": [.issuer, .marketing],
        "GET /api/products": [.issuer, .marketing, .sales],
        "POST /api/products": [.issuer],
        "PATCH /api/products/{id}": [.issuer],
        "POST /api/receipts": [.store],
        "POST /api/redemptions": [.store],
        "GET /api/reports/daily": [.marketing, .sales],
        "GET /api/reports/dealer-diversion": [.marketing, .sales],
        "GET /api/reports/diversion": [.marketing, .sales],
        "GET /api/reports/fakes": [.marketing, .sales],
        "GET /api/reports/feedback": [.marketing, .sales],
        "GET /api/reports/resolutions": [.marketing, .sales],
        "GET /api/reports/scan-rate": [.marketing, .sales],
        "GET /api/segments": [.marketing, .sales],
        "POST /api/segments": [.marketing],
        "POST /api/segments/refresh": [.marketing],
        "DELETE /api/segments/{id}": [.marketing],
        "GET /api/segments/{id}": [.marketing, .sales],
        "PATCH /api/segments/{id}": [.marketing],
        "GET /api/segments/{id}/members": [.marketing],
        "GET /api/shipments": [.issuer, .marketing, .sales],
        "POST /api/shipments": [.issuer],
        "GET /api/stats/verdicts": [.issuer, .marketing, .sales],
        "GET /api/stores": [.marketing, .sales],
        "GET /api/tokens": [],
        "DELETE /api/tokens/{id}": [],
        "GET /api/warehouses": [.issuer, .marketing, .sales],
        "POST /api/warehouses": [.issuer],
        "GET /api/webhooks": [],
        "POST /api/webhooks/retry": [],
    ]

    /// The scopes besides `admin` that may call `route` ("GET /api/batches"). - Precondition: the route is in the table.
    public static func scopes(_ route: String) -> Set<TokenScope> {
        guard let scopes = routes[route] else { preconditionFailure("\(route) is not in Access.routes: add it there with its scopes") }
        return scopes
    }

    /// The console roles that may do what `route` does: `admin`, and each role whose API scope the route takes.
    public static func roles(_ route: String) -> Set<ConsoleRole> {
        Set(scopes(route).compactMap(role(of:))).union([.admin])
    }

    /// The console role that holds an API scope: admin, issuer, marketing and sales are the same words; a store's
    /// token and a clerk's are what a store's clerk does in the console (redeem, bind). The service team has no
    /// API scope: its part (the feedback inbox, code lookup) is the console's alone.
    public static func role(of scope: TokenScope) -> ConsoleRole? {
        switch scope {
        case .admin: .admin
        case .issuer: .issuer
        case .marketing: .marketing
        case .sales: .sales
        case .store, .clerk: .clerk
        }
    }
}
