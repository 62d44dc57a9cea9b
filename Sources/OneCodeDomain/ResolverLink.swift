import Foundation

/// GS1's link types (GS1 Web Vocabulary 1.16, gs1/WebVoc at f8f407b: every stable sub-property of
/// `gs1:linkType`): the only types a brand may give its links. `gs1:defaultLink` is not among them: a
/// link is made the default with its own flag.
public enum LinkType {
    public static let labels: [String: String] = [
        "gs1:activityIdeas": "Activity Ideas", "gs1:allergenInfo": "Allergen information", "gs1:appDownload": "App download",
        "gs1:backgroundInfo": "Background Information", "gs1:brandHomepageClinical": "Information for professionals about this brand",
        "gs1:brandHomepagePatient": "Information for patients about this brand", "gs1:careersInfo": "Careers information",
        "gs1:certificationInfo": "Certification Information", "gs1:consumerHandlingStorageInfo": "Consumer handling and storage information",
        "gs1:dpp": "Digital Product Passport", "gs1:eifu": "Electronic Instructions For Use",
        "gs1:epcis": "EPC Information Services (EPCIS) repository", "gs1:epil": "Electronic Patient Information Leaflet",
        "gs1:eventsInfo": "Events information", "gs1:faqs": "Frequently Asked Questions", "gs1:handledBy": "Handled by",
        "gs1:hasRetailers": "Has Retailers", "gs1:homepage": "Organisation Information Page", "gs1:ingredientsInfo": "Ingredients information",
        "gs1:instructions": "Instructions", "gs1:jws": "JSON Web Signature", "gs1:leaveReview": "Leave a review",
        "gs1:locationInfo": "Location information", "gs1:logisticsInfo": "Logistics information", "gs1:loyaltyProgram": "Loyalty program",
        "gs1:masterData": "Master data", "gs1:menuInfo": "Menu information", "gs1:nutritionalInfo": "Nutritional Information",
        "gs1:openingHoursInfo": "Opening hours information", "gs1:paymentLink": "Make Payment", "gs1:pip": "Product Information Page",
        "gs1:promotion": "Promotion", "gs1:purchaseSuppliesOrAccessories": "Purchase supplies or accessories",
        "gs1:quickStartGuide": "Quick start guide", "gs1:recallStatus": "Recall status", "gs1:recipeInfo": "Recipe website",
        "gs1:registerProduct": "Register purchase", "gs1:registryEntry": "Entry in a register", "gs1:relatedImage": "Related image",
        "gs1:relatedVideo": "Related video", "gs1:reportFound": "Report found", "gs1:review": "Reviews", "gs1:safetyInfo": "Safety information",
        "gs1:scheduleTime": "Scheduling/Reservation", "gs1:serviceInfo": "Service information", "gs1:smartLabel": "SmartLabel",
        "gs1:smpc": "Summary Product Characteristics (SmPC)", "gs1:socialMedia": "Social media", "gs1:statisticInfo": "Statistics",
        "gs1:subscribe": "Subscribe", "gs1:support": "Support", "gs1:sustainabilityInfo": "Sustainability and recycling",
        "gs1:traceability": "Traceability information", "gs1:tutorial": "Tutorial", "gs1:userAgreement": "Sign waiver/agreement/document",
        "gs1:verificationService": "Verification Service", "gs1:whatsInTheBox": "What's in the box?",
    ]

    /// Types GS1 retired, with the one to use instead.
    static let retired = ["gs1:productSustainabilityInfo": "gs1:sustainabilityInfo"]

    /// The vocabulary's namespace: `gs1:pip` is `https://gs1.org/voc/pip`.
    public static let namespace = "https://gs1.org/voc/"

    /// A link type as written (`gs1:pip`, `pip` or `https://gs1.org/voc/pip`) in its short form.
    /// - Throws: `InputError(field, …)` for a type outside GS1's vocabulary, naming the nearest.
    public static func normalised(_ text: String, field: String = "type") throws -> String {
        var name = text.trimmingCharacters(in: .whitespaces)
        for prefix in [namespace, "https://www.gs1.org/voc/", "http://gs1.org/voc/"] where name.hasPrefix(prefix) {
            name = "gs1:" + name.dropFirst(prefix.count)
        }
        if !name.hasPrefix("gs1:") { name = "gs1:" + name }
        if labels[name] != nil { return name }
        if let replacement = retired[name] { throw InputError(field, "\(name) is retired by GS1; use \(replacement)") }
        if name == "gs1:defaultLink" || name == "gs1:defaultLinkMulti" {
            throw InputError(field, "the default link is chosen with --default (\"default\": true), not by its type")
        }
        let hint = JSONInput.suggestion(for: name, among: Array(labels.keys)).map { " (did you mean \($0)?)" } ?? ""
        throw InputError(field, "'\(text)' is not a GS1 link type\(hint); the types are GS1's Web Vocabulary's, e.g. gs1:pip, gs1:instructions")
    }

    /// The full URI of a short type (`gs1:pip` → `https://gs1.org/voc/pip`).
    public static func uri(_ type: String) -> String { namespace + type.dropFirst(4) }
}

/// A link a brand gives an item (a GTIN, or a lot of it): what `/01/{gtin}…?linkType=…` leads to.
public struct ResolverLink: Sendable, Equatable, Codable {
    public var id: Int64
    /// The GTIN, 14 digits.
    public var gtin: String
    /// The lot, for a link of one lot only.
    public var lot: String?
    /// The link type, short (`gs1:pip`).
    public var type: String
    public var href: String
    public var title: String
    /// The target's language (`en`, `zh-CN`), when it has one.
    public var language: String?
    /// A context the link is for (`ios`, `retail`), when there is one.
    public var context: String?
    /// The item's default link: where a plain resolution leads. Exactly one per item (GTIN, or GTIN and lot).
    public var isDefault: Bool
    public var createdAt: Date

    public init(id: Int64, gtin: String, lot: String?, type: String, href: String, title: String, language: String?, context: String?,
                isDefault: Bool, createdAt: Date) {
        self.id = id
        self.gtin = gtin
        self.lot = lot
        self.type = type
        self.href = href
        self.title = title
        self.language = language
        self.context = context
        self.isDefault = isDefault
        self.createdAt = createdAt
    }
}

/// A link to add, checked: each field says what it expects.
public struct NewResolverLink: Sendable, Equatable {
    public let gtin: String
    public let lot: String?
    public let type: String
    public let href: String
    public let title: String
    public let language: String?
    public let context: String?
    /// Makes it the item's default (the item's first link is its default anyway).
    public let makeDefault: Bool

    public init(gtin: String, lot: String?, type: String, href: String, title: String, language: String?, context: String?,
                makeDefault: Bool) throws {
        self.gtin = try GTIN(gtin, field: "gtin").digits
        if let lot {
            // GS1's AI (10): 1 to 20 characters of its character set 82.
            guard (1...20).contains(lot.count), lot.unicodeScalars.allSatisfy(Self.cset82.contains) else {
                throw InputError("lot", "must be 1 to 20 characters of GS1's set (letters, digits and !\"%&'()*+,-./:;<=>?_)")
            }
        }
        self.lot = lot
        self.type = try LinkType.normalised(type)
        guard href.count <= 2048, let url = URLComponents(string: href), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty else {
            throw InputError("href", "must be an absolute http or https URL of at most 2048 characters")
        }
        self.href = href
        self.title = try Name.validate(title, field: "title", maximum: 200)
        if let language {
            guard language.range(of: #"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"#, options: .regularExpression) != nil else {
                throw InputError("language", "must be a language tag such as en, zh or zh-CN")
            }
        }
        self.language = language
        if let context {
            guard context.range(of: #"^[A-Za-z0-9._-]{1,64}$"#, options: .regularExpression) != nil else {
                throw InputError("context", "must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
        }
        self.context = context
        self.makeDefault = makeDefault
    }

    static let cset82: Set<Unicode.Scalar> = Set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".unicodeScalars)
}

/// What a resolution gives (GS1-Conformant Resolver Standard): one link to redirect to, several for
/// the client to choose from (300), or none (404).
public enum Resolution: Equatable, Sendable {
    case redirect(ResolverLink)
    case choices([ResolverLink])
    case none
}

/// How a request for an item is resolved against the item's links, decided here for every route.
public enum Resolver {
    /// Language tags from an `Accept-Language` header, most wanted first (q=0 left out).
    public static func languages(_ header: String?) -> [String] {
        guard let header else { return [] }
        var tags: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").enumerated() {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first, !tag.isEmpty, tag != "*" else { continue }
            var q = 1.0
            for field in fields.dropFirst() where field.lowercased().hasPrefix("q=") { q = Double(field.dropFirst(2)) ?? 0 }
            if q > 0 { tags.append((tag.lowercased(), q, order)) }
        }
        return tags.sorted { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }.map(\.tag)
    }

    /// The links of the most specific level that has any `matching` (walk-up: the lot's, else the GTIN's).
    public static func level(_ links: [ResolverLink], lot: String?, _ matching: (ResolverLink) -> Bool) -> [ResolverLink] {
        if let lot {
            let own = links.filter { $0.lot == lot && matching($0) }
            if !own.isEmpty { return own }
        }
        return links.filter { $0.lot == nil && matching($0) }
    }

    /// The candidates the most wanted language chooses (exact tag, then the same primary language), or all of them.
    static func byLanguage(_ candidates: [ResolverLink], _ languages: [String]) -> [ResolverLink] {
        for wanted in languages {
            let exact = candidates.filter { $0.language?.lowercased() == wanted }
            if !exact.isEmpty { return exact }
            let primary = wanted.split(separator: "-").first.map(String.init) ?? wanted
            let near = candidates.filter { ($0.language?.lowercased().split(separator: "-").first.map(String.init)) == primary }
            if !near.isEmpty { return near }
        }
        return candidates
    }

    /// Resolves a request for an item.
    /// - Parameters:
    ///   - links: the GTIN's links (every lot's and the GTIN's own).
    ///   - lot: the lot the request names, if any (its links come first, the GTIN's after: walk-up).
    ///   - linkType: the `linkType` asked for (short form), or nil for the default link.
    ///   - languages: from `Accept-Language`, most wanted first.
    ///   - context: the `context` asked for, if any.
    public static func resolve(_ links: [ResolverLink], lot: String?, linkType: String?, languages: [String], context: String?) -> Resolution {
        var candidates: [ResolverLink]
        if let linkType {
            candidates = level(links, lot: lot) { $0.type == linkType }
        } else {
            // The default link, and the same type's other languages at its level.
            guard let primary = level(links, lot: lot, \.isDefault).first else { return .none }
            candidates = links.filter { $0.lot == primary.lot && $0.type == primary.type && ($0.id == primary.id || $0.language != primary.language) }
            let chosen = byLanguage(candidates, languages)
            return .redirect(chosen.first { $0.isDefault } ?? chosen[0])
        }
        guard !candidates.isEmpty else { return .none }
        if let context {
            let matching = candidates.filter { $0.context == context }
            if !matching.isEmpty { candidates = matching }
        }
        candidates = byLanguage(candidates, languages)
        if candidates.count == 1 { return .redirect(candidates[0]) }
        return .choices(candidates)
    }
}
