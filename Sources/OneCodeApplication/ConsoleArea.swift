import OneCodeStorage

/// The console's parts and the roles that see them, decided once: a page, its form and the navigation all
/// ask `allows`. A part with an API route gives the roles of that route's scopes (`Access`): the same checks as
/// the API. The service team's parts (code lookup, the feedback inbox) and the overview are the console's own.
public enum ConsoleArea: String, Sendable, CaseIterable {
    case overview, products, codes, campaigns, stores, redeem, segments, leads, feedback, regions, admin

    /// Who sees this part (an admin sees every part).
    public var roles: Set<ConsoleRole> {
        switch self {
        case .overview: [.admin, .issuer, .marketing, .sales, .service]
        case .products: Access.roles("GET /api/batches")
        case .codes: Access.roles("GET /api/codes/{code}/scans").union([.service])
        case .segments: Access.roles("POST /api/segments")
        case .campaigns: Access.roles("GET /api/campaigns")
        case .stores: Access.roles("GET /api/stores")
        case .regions: Access.roles("GET /api/reports/diversion")
        case .redeem: Access.roles("POST /api/redemptions")
        case .leads: Access.roles("GET /api/leads")
        case .feedback: Access.roles("GET /api/feedback").union([.service])
        case .admin: Access.roles("GET /api/audit")
        }
    }

    public func allows(_ role: ConsoleRole) -> Bool { roles.contains(role) }

    /// The parts a role sees, in the navigation's order.
    public static func visible(to role: ConsoleRole) -> [ConsoleArea] { allCases.filter { $0.allows(role) } }

    /// Where a role lands after signing in: its first part (a clerk's redemption screen).
    public static func home(of role: ConsoleRole) -> ConsoleArea { visible(to: role).first ?? .overview }
}

/// What a part's page lets some of its roles do beyond reading it (the API's scopes for the same action).
public enum ConsoleTask: String, Sendable, CaseIterable {
    /// Void one code with a reason (the API's `POST /api/codes/{code}/blacklist`: issuer).
    case blacklist
    /// Add products, issue batches, download their packages, activate and void them (the API's issuer scope).
    case issue
    /// Create and edit campaigns, pause, resume and end them (the API's marketing scope).
    case runCampaigns
    /// Mark a rating handled with its cause (the service team's; marketing reads the causes).
    case answerFeedback
    /// Add a store, its API token shown once (as `onecode store add` does; the API has no such route).
    case addStores

    public var roles: Set<ConsoleRole> {
        switch self {
        case .blacklist: Access.roles("POST /api/codes/{code}/blacklist")
        case .issue: Access.roles("POST /api/batches")
        case .runCampaigns: Access.roles("POST /api/campaigns")
        case .answerFeedback: [.admin, .service]
        case .addStores: [.admin, .marketing]
        }
    }

    public func allows(_ role: ConsoleRole) -> Bool { roles.contains(role) }
}
