import Foundation

/// Identifies a campaign.
public struct CampaignID: EntityID {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

public enum CampaignStatus: String, Sendable, Codable, CaseIterable {
    case draft, live, paused, ended

    /// draft → live; live ⇄ paused; any → ended; ended is final.
    public func canChange(to next: CampaignStatus) -> Bool {
        switch (self, next) {
        case (.draft, .live), (.paused, .live), (.live, .paused), (.draft, .ended), (.live, .ended), (.paused, .ended): true
        case let (a, b): a == b && a != .ended
        }
    }

    /// The one check every backend and surface runs before changing a campaign's status.
    /// - Throws: `InputError("status", …)` naming the allowed changes.
    public func checkChange(to next: CampaignStatus, of campaign: CampaignID) throws {
        guard canChange(to: next) else {
            throw InputError("status", "campaign \(campaign) is \(rawValue) and cannot become \(next.rawValue) (draft → live ⇄ paused → ended)")
        }
    }
}

public enum PrizeKind: String, Sendable, Codable, CaseIterable { case cash, coupon, goods, points }

/// One prize tier: what is won, how likely, and how many there are.
public struct PrizeTier: Sendable, Codable, Equatable {
    public var name: String
    public var kind: PrizeKind
    /// Cash and coupons in the currency's minor unit (fen, cents); goods count 1; points as points.
    public var value: Int
    /// Chance of winning this tier on one draw, 0 to 1.
    public var probability: Double
    /// How many can be awarded in all.
    public var stock: Int
    /// How many can be awarded per day (in the campaign's time zone).
    public var dailyStock: Int?

    public init(name: String, kind: PrizeKind, value: Int, probability: Double, stock: Int, dailyStock: Int?) {
        self.name = name
        self.kind = kind
        self.value = value
        self.probability = probability
        self.stock = stock
        self.dailyStock = dailyStock
    }
}

public struct CampaignScope: Sendable, Codable, Equatable {
    public var products: [ProductID]?
    public var batches: [BatchID]?
    public var regions: [String]?

    public init(products: [ProductID]? = nil, batches: [BatchID]? = nil, regions: [String]? = nil) {
        self.products = products
        self.batches = batches
        self.regions = regions
    }

    /// Whether a scan of a code of this product and batch, in this region, is in scope.
    public func contains(product: ProductID, batch: BatchID, region: String?) -> Bool {
        if let products, !products.contains(product) { return false }
        if let batches, !batches.contains(batch) { return false }
        if let regions {
            guard let region, regions.contains(where: { RegionCode.covers($0, region) }) else { return false }
        }
        return true
    }
}

public struct CampaignLimits: Sendable, Codable, Equatable {
    /// The most prizes one consumer may win in the campaign.
    public var winsPerConsumer: Int?
    /// The most draws one consumer may have per day (campaign time zone).
    public var drawsPerConsumerPerDay: Int?
    /// The most prizes one phone number may claim in the campaign: a consumer who drops their cookie
    /// starts again at `winsPerConsumer`, but keeps their phone number.
    public var winsPerPhone: Int?

    public init(winsPerConsumer: Int? = nil, drawsPerConsumerPerDay: Int? = nil, winsPerPhone: Int? = nil) {
        self.winsPerConsumer = winsPerConsumer
        self.drawsPerConsumerPerDay = drawsPerConsumerPerDay
        self.winsPerPhone = winsPerPhone
    }
}

/// A campaign as defined by marketing: a JSON document, validated field by field.
public struct CampaignDefinition: Sendable, Codable, Equatable {
    public var name: String
    public var start: Date
    public var end: Date
    public var timeZone: String
    public var scope: CampaignScope
    public var tiers: [PrizeTier]
    public var limits: CampaignLimits
    public var status: CampaignStatus
    /// Draws only after the consumer types the unit's hidden PIN (units of batches issued with `--pin`;
    /// other codes do not draw in it), so a photographed outside code cannot win.
    public var requirePin: Bool?

    /// What a campaign scoped to regions needs to draw at all, said when it is created and shown: a scan
    /// has a region only from GeoIP or from a location the consumer shares (after the draw). Nil when
    /// the scope names no region or GeoIP is configured.
    public func regionNotice(geoIPConfigured: Bool) -> String? {
        guard let regions = scope.regions, !regions.isEmpty, !geoIPConfigured else { return nil }
        return "scope.regions (\(regions.joined(separator: ", "))): a scan has a region only from GeoIP (geoip.file, not configured here) or from a location the consumer shares after the draw, so without GeoIP no scan of this campaign draws; set geoip.file on the serving nodes, or drop the region scope"
    }

    /// The keys a campaign file may hold, at each level (README: Campaigns).
    static let rootKeys = ["name", "start", "end", "timeZone", "scope", "tiers", "limits", "status", "requirePin"]
    static let scopeKeys = ["products", "batches", "regions"]
    static let tierKeys = ["name", "kind", "value", "probability", "stock", "dailyStock"]
    public static let limitKeys = ["winsPerConsumer", "drawsPerConsumerPerDay", "winsPerPhone"]

    /// Parses and validates a definition.
    ///
    /// `start` and `end` are ISO 8601 date-times (with offset) or local `YYYY-MM-DDTHH:MM:SS` read in
    /// `timeZone`. - Throws: `InputError` whose field is the JSON path (`tiers[1].probability`).
    public static func parse(_ data: Data) throws -> CampaignDefinition {
        let root = try JSONInput.object(data, field: "campaign", expected: "a JSON object {\"name\", \"start\", \"end\", \"timeZone\", \"tiers\", …}")
        // A key the file means but misspells (`"daily"` for `dailyStock`) would leave a limit unset in silence.
        let everywhere = Self.rootKeys + Self.scopeKeys.map { "scope." + $0 } + Self.tierKeys.map { "tiers[].\($0)" } + Self.limitKeys.map { "limits." + $0 }
        func elsewhere(_ prefix: String) -> [String] {
            everywhere.filter { prefix.isEmpty ? $0.contains(".") : !$0.hasPrefix(prefix) }
        }
        try JSONInput.checkKeys(root, known: Self.rootKeys, path: "", elsewhere: elsewhere(""))
        func string(_ key: String, in object: [String: Any], path: String) throws -> String {
            guard let value = object[key] else { throw InputError(path, "is required") }
            guard let text = value as? String else { throw InputError(path, "must be a string") }
            return text
        }
        func number(_ value: Any?, path: String) throws -> Double? {
            guard let value, !(value is NSNull) else { return nil }
            // `is Bool` also matches NSNumber through bridging; JSONBool tells JSON true from 1.
            guard JSONBool.value(value) == nil, let number = value as? NSNumber else { throw InputError(path, "must be a number") }
            return number.doubleValue
        }
        func integer(_ value: Any?, path: String, minimum: Int) throws -> Int? {
            guard let double = try number(value, path: path) else { return nil }
            guard double.rounded() == double, double >= Double(minimum), double < 1e12 else {
                throw InputError(path, "must be a whole number of at least \(minimum)")
            }
            return Int(double)
        }
        let name = try Name.validate(try string("name", in: root, path: "name"), field: "name", maximum: 200)
        let zoneName = try string("timeZone", in: root, path: "timeZone")
        guard let zone = TimeZone(identifier: zoneName) else {
            throw InputError("timeZone", "must be an IANA time zone such as Asia/Shanghai (got '\(zoneName)')")
        }
        let start = try date(try string("start", in: root, path: "start"), zone: zone, field: "start")
        let end = try date(try string("end", in: root, path: "end"), zone: zone, field: "end")
        guard start < end else { throw InputError("end", "must be after start") }

        var scope = CampaignScope()
        if let value = root["scope"], !(value is NSNull) {
            guard let object = value as? [String: Any] else { throw InputError("scope", "must be an object") }
            try JSONInput.checkKeys(object, known: Self.scopeKeys, path: "scope", elsewhere: elsewhere("scope."))
            func ids(_ key: String) throws -> [Int64]? {
                guard let value = object[key], !(value is NSNull) else { return nil }
                guard let list = value as? [Any], !list.isEmpty else { throw InputError("scope.\(key)", "must be a non-empty list of ids") }
                return try list.enumerated().map { index, item in
                    guard let id = try integer(item, path: "scope.\(key)[\(index)]", minimum: 1) else {
                        throw InputError("scope.\(key)[\(index)]", "must be an id")
                    }
                    return Int64(id)
                }
            }
            scope.products = try ids("products")?.map(ProductID.init(rawValue:))
            scope.batches = try ids("batches")?.map(BatchID.init(rawValue:))
            if let value = object["regions"], !(value is NSNull) {
                guard let list = value as? [String], !list.isEmpty, list.allSatisfy(NewBatch.isRegionCode) else {
                    throw InputError("scope.regions", "must be a non-empty list of ISO 3166 codes such as CN or CN-31")
                }
                scope.regions = list
            }
        }

        guard let tierList = root["tiers"] as? [Any], !tierList.isEmpty, tierList.count <= 20 else {
            throw InputError("tiers", "must be a list of 1 to 20 prize tiers")
        }
        var tiers: [PrizeTier] = []
        for (index, item) in tierList.enumerated() {
            let path = "tiers[\(index)]"
            guard let object = item as? [String: Any] else { throw InputError(path, "must be an object") }
            try JSONInput.checkKeys(object, known: Self.tierKeys, path: path, elsewhere: elsewhere("tiers[]."))
            let tierName = try Name.validate(try string("name", in: object, path: path + ".name"), field: path + ".name", maximum: 100)
            let kindName = try string("kind", in: object, path: path + ".kind")
            guard let kind = PrizeKind(rawValue: kindName) else {
                throw InputError(path + ".kind", "must be cash, coupon, goods or points (got '\(kindName)')")
            }
            guard let value = try integer(object["value"], path: path + ".value", minimum: 0) else { throw InputError(path + ".value", "is required") }
            guard let probability = try number(object["probability"], path: path + ".probability") else {
                throw InputError(path + ".probability", "is required")
            }
            guard probability.isFinite, (0...1).contains(probability) else { throw InputError(path + ".probability", "must be from 0 to 1") }
            guard let stock = try integer(object["stock"], path: path + ".stock", minimum: 0) else { throw InputError(path + ".stock", "is required") }
            let daily = try integer(object["dailyStock"], path: path + ".dailyStock", minimum: 1)
            tiers.append(PrizeTier(name: tierName, kind: kind, value: value, probability: probability, stock: stock, dailyStock: daily))
        }
        let total = tiers.reduce(0) { $0 + $1.probability }
        guard total <= 1 + 1e-9 else { throw InputError("tiers", "probabilities add up to \(total); they must add up to at most 1") }

        var limits = CampaignLimits()
        if let value = root["limits"], !(value is NSNull) {
            guard let object = value as? [String: Any] else { throw InputError("limits", "must be an object") }
            try JSONInput.checkKeys(object, known: Self.limitKeys, path: "limits", elsewhere: elsewhere("limits."))
            limits.winsPerConsumer = try integer(object["winsPerConsumer"], path: "limits.winsPerConsumer", minimum: 1)
            limits.drawsPerConsumerPerDay = try integer(object["drawsPerConsumerPerDay"], path: "limits.drawsPerConsumerPerDay", minimum: 1)
            limits.winsPerPhone = try integer(object["winsPerPhone"], path: "limits.winsPerPhone", minimum: 1)
        }
        let statusName = (root["status"] as? String) ?? "draft"
        guard let status = CampaignStatus(rawValue: statusName), status == .draft || status == .live else {
            throw InputError("status", "must be draft or live when creating (got '\(statusName)')")
        }
        var requirePin: Bool?
        if let value = root["requirePin"], !(value is NSNull) {
            guard let flag = JSONBool.value(value) else { throw InputError("requirePin", "must be true or false") }
            requirePin = flag ? true : nil
        }
        return CampaignDefinition(name: name, start: start, end: end, timeZone: zone.identifier, scope: scope, tiers: tiers,
                                  limits: limits, status: status, requirePin: requirePin)
    }

    static func date(_ text: String, zone: TimeZone, field: String) throws -> Date {
        let withOffset = ISO8601DateFormatter()
        if let date = withOffset.date(from: text) { return date }
        let local = ISO8601DateFormatter()
        local.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        local.timeZone = zone
        if let date = local.date(from: text) { return date }
        throw InputError(field, "must be a date-time such as 2026-12-01T00:00:00+08:00 or 2026-12-01T00:00:00 (got '\(text)')")
    }

    /// The local day (`YYYY-MM-DD`) of `date` in the campaign's time zone, for daily limits.
    public func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.year!)-\(two(parts.month!))-\(two(parts.day!))"
    }

    /// Picks a tier for a uniform random number in [0, 1): tiers take consecutive slices of the unit
    /// interval in order, by their probabilities; past the last slice nothing is won.
    public static func pick(_ tiers: [PrizeTier], random: Double) -> Int? {
        var upper = 0.0
        for (index, tier) in tiers.enumerated() {
            upper += tier.probability
            if random < upper { return index }
        }
        return nil
    }
}

/// A stored campaign.
public struct Campaign: Sendable, Codable, Equatable, Identifiable {
    public var id: CampaignID
    public var definition: CampaignDefinition
    public var status: CampaignStatus
    public var createdAt: Date

    public init(id: CampaignID, definition: CampaignDefinition, status: CampaignStatus, createdAt: Date) {
        self.id = id
        self.definition = definition
        self.status = status
        self.createdAt = createdAt
    }
}

/// What a scan's draw in one campaign came to.
public struct DrawOutcome: Sendable, Codable, Equatable {
    public enum Result: String, Sendable, Codable {
        /// A prize was won.
        case won
        /// Drawn, no prize (including a drawn tier that was out of stock or over the consumer's wins).
        case lost
        /// The consumer has had their draws for today; the code keeps its draw for later.
        case dailyLimit = "daily-limit"
        /// The campaign asks for the unit's hidden PIN before it draws: the page asks for it.
        case pinRequired = "pin-required"
        /// Too many wrong PINs: the code is locked for draws.
        case pinLocked = "pin-locked"
    }

    public var campaign: CampaignID
    public var campaignName: String
    public var result: Result
    public var tier: Int?
    public var prize: PrizeTier?
    /// Whether this scan made the draw (false: an earlier scan did, shown again).
    public var new: Bool
    public var entryID: Int64?
    /// Whether this scan's consumer won it and has not claimed it yet.
    public var claimable: Bool = false
    /// The claim the viewer made of this prize, shown to them alone on later scans.
    public var claim: ClaimState?

    /// A claimed prize as its winner sees it again: the code to show at a store, and whether (where and
    /// when) it was redeemed.
    public struct ClaimState: Sendable, Codable, Equatable {
        public var redemptionCode: String?
        public var redeemedAt: Date?
        public var redeemedAtStore: String?
        public init(redemptionCode: String?, redeemedAt: Date?, redeemedAtStore: String?) {
            self.redemptionCode = redemptionCode
            self.redeemedAt = redeemedAt
            self.redeemedAtStore = redeemedAtStore
        }
    }

    public init(campaign: CampaignID, campaignName: String, result: Result, tier: Int?, prize: PrizeTier?, new: Bool, entryID: Int64?) {
        self.campaign = campaign
        self.campaignName = campaignName
        self.result = result
        self.tier = tier
        self.prize = prize
        self.new = new
        self.entryID = entryID
    }
}
