import Foundation
import OneCodeDomain
import OneCodeStorage

/// Draws, claims and redemptions, decided here for every backend.
public enum CampaignBook {
    /// Changes a campaign's definition as `CampaignEditRules` allows; the campaign keeps its status.
    public static func edit(in tx: any CampaignEditTransaction, _ id: CampaignID, to definition: CampaignDefinition, at now: Date) throws -> Campaign {
        guard let (campaign, awarded, drawn) = try tx.campaignForEdit(id) else { throw NotFoundError("id", "no campaign with id \(id)") }
        try CampaignEditRules.check(campaign.definition, status: campaign.status, to: definition, awarded: awarded, drawn: drawn, now: now)
        try tx.saveDefinition(id, definition)
        let tiersChanged = definition.tiers.count != campaign.definition.tiers.count
        if tiersChanged || zip(definition.tiers, campaign.definition.tiers).contains(where: { $0.stock != $1.stock }) {
            try tx.setTierStocks(id, definition.tiers.map(\.stock), replace: tiersChanged)
        }
        return Campaign(id: id, definition: definition, status: campaign.status, createdAt: campaign.createdAt)
    }

    /// How many wrong PINs a code takes before it is locked for draws.
    public static let maxWrongPins = 5

    /// A scan in a campaign that asks for the hidden PIN: its earlier draw when it has one (the PIN was
    /// typed), else that the PIN is needed (or that the code is locked). Codes without PINs: nil, no draw.
    static func pinGate(in tx: any ScanTransaction, _ campaign: Campaign, facts: CodeFacts, request: ScanRequest,
                        earlierScans: Bool) throws -> DrawOutcome? {
        guard facts.pinLength > 0 else { return nil }
        if earlierScans, try tx.entry(in: campaign.id, code: request.key) != nil {
            return try draw(in: tx, campaign, request: request, scan: 0, earlierScans: true)
        }
        let locked = try tx.pinState(of: request.key)?.lockedAt != nil
        return campaign.definition.outcome(of: campaign.id, locked ? .pinLocked : .pinRequired, tier: nil, new: false, entry: nil)
    }

    /// A location the consumer shares on the scan page after the scan: each live campaign that the code is in
    /// scope of with the shared region, and was not without a region, draws now, once, as if the scan had
    /// been in scope (the consumer's latest counted scan of the code, genuine or a repeat; a draw already
    /// made is shown again, never made twice). Campaigns that ask for the hidden PIN draw when it is typed.
    /// - Returns: the draws, new ones and earlier ones, of those campaigns.
    public static func drawShared(in tx: any ScanTransaction, key: CodeKey, code: String, consumer: ConsumerID, region: String,
                                  at: Date) throws -> [DrawOutcome] {
        guard let facts = try tx.code(key), facts.status == .active, !facts.blacklisted,
              let scan = try tx.latestCountedScan(of: key, by: consumer), scan.verdict == .genuine || scan.verdict == .repeat else { return [] }
        let request = ScanRequest(key: key, code: code, at: at, consumer: consumer, ip: nil, userAgent: nil, referer: nil, bot: false, region: region)
        var draws: [DrawOutcome] = []
        for campaign in try tx.liveCampaigns(at: at) where campaign.definition.requirePin != true
            && !campaign.definition.scope.contains(product: facts.product, batch: facts.batch, region: nil)
            && campaign.definition.scope.contains(product: facts.product, batch: facts.batch, region: region) {
            draws.append(try draw(in: tx, campaign, request: request, scan: scan.id, earlierScans: true))
        }
        return draws
    }

    /// What typing a PIN did.
    public enum PinOutcome: Sendable, Equatable {
        /// Right: the draws of the live campaigns that asked for it (earlier ones shown again).
        case drawn([DrawOutcome])
        /// Wrong: this many tries are left before the code is locked.
        case wrong(remaining: Int)
        /// Wrong too often: the code is locked for draws.
        case locked
    }

    /// A consumer types the unit's hidden PIN after scanning it: right, and it draws in each live campaign
    /// in scope that asks for it (as the consumer's latest counted scan of the code); wrong, and it is
    /// counted: the `maxWrongPins`th locks the code for draws and announces it (`pin.locked`).
    /// - Parameter check: whether the typed PIN is the unit's (`CodeSigner.checkPIN`, for the PIN's length).
    public static func enterPin(in tx: any ScanTransaction, key: CodeKey, code: String, consumer: ConsumerID, at: Date,
                                check: (Int) -> Bool) throws -> PinOutcome {
        guard let facts = try tx.code(key), facts.status == .active, !facts.blacklisted else {
            throw InputError("code", "this code is not active or was withdrawn: it does not draw")
        }
        guard facts.pinLength > 0 else { throw InputError("pin", "this code has no hidden PIN") }
        guard let scan = try tx.latestCountedScan(of: key, by: consumer) else {
            throw NotFoundError("scan", "scan this code on this phone first")
        }
        if try tx.pinState(of: key)?.lockedAt != nil { return .locked }
        guard check(facts.pinLength) else {
            let failures = try tx.recordWrongPin(key, at: at)
            guard failures >= maxWrongPins else { return .wrong(remaining: maxWrongPins - failures) }
            try tx.lockPin(key, at: at)
            var data = EventJSON()
            data.add("at", at)
            data.add("batchId", facts.batch.rawValue)
            data.add("code", code)
            data.add("consumer", consumer.value)
            data.add("wrongPins", failures)
            try tx.emit(.pinLocked, at: at, data: data)
            return .locked
        }
        let request = ScanRequest(key: key, code: code, at: at, consumer: consumer, ip: nil, userAgent: nil, referer: nil, bot: false, region: scan.region)
        var draws: [DrawOutcome] = []
        for campaign in try tx.liveCampaigns(at: at) where campaign.definition.requirePin == true
            && campaign.definition.scope.contains(product: facts.product, batch: facts.batch, region: scan.region) {
            draws.append(try draw(in: tx, campaign, request: request, scan: scan.id, earlierScans: true))
        }
        return .drawn(draws)
    }

    /// The code's draw in `campaign`: the earlier one if there is one, else a new one.
    ///
    /// A new draw picks a tier with the CSPRNG, then takes it only if the consumer is under their
    /// wins and the tier's stock (and daily stock) allows, with guarded updates in this transaction;
    /// otherwise the draw is lost. The entry is written in the same transaction as the scan.
    /// - Parameter earlierScans: whether the code had counted scans before this one; without them it
    ///   cannot have drawn yet (only counted scans draw), and the lookup of an earlier entry is skipped.
    /// - Parameter random: a uniform number in [0, 1); the CSPRNG's unless a test gives one.
    static func draw(in tx: any ScanTransaction, _ campaign: Campaign, request: ScanRequest, scan: Int64, earlierScans: Bool,
                     random: Double? = nil) throws -> DrawOutcome {
        let definition = campaign.definition
        if earlierScans, let earlier = try tx.entry(in: campaign.id, code: request.key) {
            var outcome = definition.outcome(of: campaign.id, earlier.result, tier: earlier.tier, new: false, entry: earlier.id)
            outcome.claimable = DrawOutcome.claimable(result: earlier.result, drawnBy: earlier.consumer, viewer: request.consumer,
                                                      claimed: earlier.claimed, kind: outcome.prize?.kind)
            // Its winner finds the prize again: the redemption code and whether it was redeemed.
            if earlier.claimed, request.consumer != nil, earlier.consumer == request.consumer?.value {
                outcome.claim = .init(redemptionCode: earlier.redemptionCode, redeemedAt: earlier.redeemedAt, redeemedAtStore: earlier.redeemedAtStore)
            }
            return outcome
        }
        let day = definition.day(of: request.at)
        if let consumer = request.consumer, definition.limits.drawsPerConsumerPerDay != nil,
           !definition.allowsDraw(drawsToday: try tx.draws(in: campaign.id, by: consumer, day: day)) {
            return definition.outcome(of: campaign.id, .dailyLimit, tier: nil, new: false, entry: nil)
        }
        var generator = SystemRandomNumberGenerator()
        var tier = CampaignDefinition.pick(definition.tiers, random: random ?? Double.random(in: 0..<1, using: &generator))
        if tier != nil, let consumer = request.consumer, definition.limits.winsPerConsumer != nil,
           !definition.allowsWin(winsSoFar: try tx.wins(in: campaign.id, by: consumer)) {
            tier = nil
        }
        if let won = tier, !(try tx.takePrize(campaign: campaign.id, tier: won, day: day, dailyStock: definition.tiers[won].dailyStock)) {
            tier = nil  // out of stock, in all or for today
        }
        let result: DrawOutcome.Result = tier == nil ? .lost : .won
        let entry = try tx.insertEntry(EntryRow(
            campaign: campaign.id, scan: scan, key: request.key, code: request.code, consumer: request.consumer, at: request.at, day: day,
            result: result, tier: tier, points: definition.points(forTier: tier)))
        if let won = tier {
            try tx.emit(.prizeWon, at: request.at, data: Events.prizeWon(campaign, tier: won, request: request, entry: entry))
        }
        var made = definition.outcome(of: campaign.id, result, tier: tier, new: true, entry: entry)
        made.claimable = tier != nil && request.consumer != nil && made.prize?.kind != .points
        return made
    }

    /// Claims the prize the code won in `campaign`, for the consumer who drew it: the claim, the
    /// consumer's contact and consent records (the prize's, and the marketing consent when given), and a
    /// redemption code for goods and coupons.
    /// - Throws: what `ClaimRules.check` throws; `ConflictError("claim", …)` too when another claim
    ///   got there between the check and the write.
    public static func claim(in tx: any ClaimTransaction, campaign: CampaignID, key: CodeKey, consumer: ConsumerID, contact: ContactDetails,
                             consent: Consent, marketing: Consent?, at: Date) throws -> Claim {
        guard let entry = try tx.wonEntry(in: campaign, code: key) else { throw ClaimRules.noPrize(campaign) }
        try ClaimRules.check(drawnBy: entry.consumer, claimed: entry.claimed, claimant: consumer)
        if entry.definition.limits.winsPerPhone != nil {
            try ClaimRules.checkPhone(claimsByPhone: try tx.claims(in: campaign, phone: contact.phone), limits: entry.definition.limits)
        }
        let tier = entry.tier.flatMap { $0 < entry.definition.tiers.count ? entry.definition.tiers[$0] : nil }
        let redemption = ClaimRules.needsRedemptionCode(tier?.kind) ? String(decoding: Crockford.random(12), as: UTF8.self) : nil
        let claim = Claim(entryID: entry.id, campaign: campaign, code: entry.code, consumer: consumer.value, contact: contact,
                          consentVersion: consent.version, marketingConsentVersion: marketing?.version, at: at, prize: tier?.name,
                          redemptionCode: redemption)
        guard try tx.insertClaim(claim) else { throw ClaimRules.alreadyClaimed }
        try tx.saveContact(consumer, contact, consent: consent, marketing: marketing, at: at)
        try tx.emit(.prizeClaimed, at: at, data: Events.prizeClaimed(claim, prize: Events.prize(entry.tier, in: entry.definition)))
        return claim
    }

    /// Redeems a claimed prize at a store, once.
    /// - Throws: `RedemptionRules.unknown` for an unknown code; `ConflictError("redemptionCode", …)`
    ///   when it was redeemed already (saying where and when), whether the check or the schema saw it.
    public static func redeem(in tx: any ClaimTransaction, _ redemptionCode: String, store: StoreID, at: Date) throws -> Redemption {
        guard let facts = try tx.redemptionFacts(redemptionCode) else { throw RedemptionRules.unknown }
        try RedemptionRules.check(redeemedBy: facts.redeemedBy, at: facts.redeemedAt)
        guard try tx.insertRedemption(entry: facts.entry, store: store, at: at) else {
            let now = try tx.redemptionFacts(redemptionCode)
            throw RedemptionRules.alreadyRedeemed(store: now?.redeemedBy, at: now?.redeemedAt)
        }
        let tiers = facts.definition.tiers
        let prize = facts.tier.flatMap { $0 < tiers.count ? tiers[$0].name : nil }
        let redemption = Redemption(redemptionCode: redemptionCode, campaign: facts.campaign, prize: prize, code: facts.code,
                                    store: store, at: at)
        try tx.emit(.prizeRedeemed, at: at, data: Events.prizeRedeemed(redemption, entry: facts.entry, prize: Events.prize(facts.tier, in: facts.definition)))
        return redemption
    }
}

/// Ratings from the scan page.
public enum FeedbackBook {
    /// Records a 1-5 rating and optional comment for an issued code, once per consumer and code.
    /// - Throws: `InputError` for a bad rating or comment, `NotFoundError("code", …)` for a code never
    ///   issued, `FeedbackRules.alreadyRated` (a conflict) for a second rating, `FeedbackRules.suspiciousCode`
    ///   for a code that reads suspicious under `rules`, `FeedbackRules.ratingsFull` past the cap.
    public static func rate(in tx: any FeedbackTransaction, key: CodeKey, code: String, consumer: ConsumerID, rating: Int,
                            comment: String?, at: Date, rules: VerdictRules) throws {
        let (rating, comment) = try FeedbackRules.validate(rating: rating, comment: comment)
        guard let facts = try tx.code(key) else { throw NotFoundError("code", "this code was never issued") }
        try FeedbackRules.check(status: facts.status, blacklisted: facts.blacklisted, scannedByRater: try tx.hasCountedScan(of: key, by: consumer))
        if try tx.hasRated(key, by: consumer) { throw FeedbackRules.alreadyRated }
        try FeedbackRules.check(scans: try tx.countedScans(of: key), consumers: try tx.distinctConsumers(of: key, upTo: rules.maxConsumers + 1),
                                ratings: try tx.ratings(of: key), rules: rules)
        guard try tx.insertFeedback(FeedbackRow(key: key, code: code, batch: facts.batch, product: facts.product, consumer: consumer,
                                                rating: rating, comment: comment, at: at)) else {
            throw FeedbackRules.alreadyRated
        }
    }
}

extension CampaignStore where Self: CatalogStore {
    /// Creates a campaign whose scope names only products and batches of the catalogue: every unknown
    /// one is reported at once (`scope.products[1]: no product 99; scope.batches[0]: no batch 7`).
    /// - Throws: `InputError` naming the first unknown entry, its message listing them all.
    public func createCheckedCampaign(_ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await checkScope(definition)
        return try await createCampaign(definition, audit: audit)
    }

    /// Edits a campaign (`CampaignBook.edit`) whose new scope names only products and batches of the catalogue.
    public func editCheckedCampaign(_ id: CampaignID, _ definition: CampaignDefinition, audit: AuditEntry) async throws -> Campaign {
        try await checkScope(definition)
        return try await editCampaign(id, definition, audit: audit)
    }

    func checkScope(_ definition: CampaignDefinition) async throws {
        var problems: [(field: String, message: String)] = []
        if let products = definition.scope.products {
            let known = Set(try await self.products().map(\.id))
            for (index, id) in products.enumerated() where !known.contains(id) {
                problems.append(("scope.products[\(index)]", "no product \(id)"))
            }
        }
        if let batches = definition.scope.batches {
            let known = Set(try await self.batches(product: nil).map(\.id))
            for (index, id) in batches.enumerated() where !known.contains(id) {
                problems.append(("scope.batches[\(index)]", "no batch \(id)"))
            }
        }
        if let first = problems.first {
            let rest = problems.dropFirst().map { "; \($0.field): \($0.message)" }.joined()
            throw InputError(first.field, first.message + rest + " (the scope names products and batches of the catalogue)")
        }
    }
}
