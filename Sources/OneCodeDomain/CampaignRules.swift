import Foundation

// MARK: - Draws

extension CampaignDefinition {
    /// Whether a consumer who has drawn `drawsToday` times today (campaign time zone) may draw again.
    public func allowsDraw(drawsToday: Int) -> Bool {
        limits.drawsPerConsumerPerDay.map { drawsToday < $0 } ?? true
    }

    /// Whether a consumer who has won `winsSoFar` prizes may win another.
    public func allowsWin(winsSoFar: Int) -> Bool {
        limits.winsPerConsumer.map { winsSoFar < $0 } ?? true
    }

    /// The points a draw of `tier` credits (0 unless it is a points prize).
    public func points(forTier tier: Int?) -> Int {
        guard let tier, tiers[tier].kind == .points else { return 0 }
        return tiers[tier].value
    }

    /// The outcome a draw shows, new or earlier.
    public func outcome(of campaign: CampaignID, _ result: DrawOutcome.Result, tier: Int?, new: Bool, entry: EntryID?) -> DrawOutcome {
        DrawOutcome(campaign: campaign, campaignName: name, result: result, tier: tier, prize: tier.map { tiers[$0] }, new: new,
                    entryID: entry?.rawValue)
    }
}

extension DrawOutcome {
    /// Whether the viewer may claim this draw's prize: it was won, on their phone, and not yet claimed.
    /// A points prize is credited as it is drawn: there is nothing to claim.
    public static func claimable(result: Result, drawnBy: String?, viewer: ConsumerID?, claimed: Bool, kind: PrizeKind?) -> Bool {
        result == .won && viewer != nil && drawnBy == viewer?.value && !claimed && kind != .points
    }
}

// MARK: - Claims and redemptions

/// Who may claim a prize, and what a claim makes.
public enum ClaimRules {
    /// The code won nothing in `campaign`.
    public static func noPrize(_ campaign: CampaignID) -> NotFoundError {
        NotFoundError("code", "this code has no prize to claim in campaign \(campaign)")
    }
    public static let otherPhone = InputError("claim", "this prize was drawn on another phone; claim it there")
    public static let alreadyClaimed = ConflictError("claim", "this prize has been claimed already")

    /// Checks a claim of a won draw by `claimant` (a code without one is `noPrize`).
    /// - Throws: `InputError("claim", …)` when another phone drew it; `ConflictError("claim", …)` when it
    ///   was claimed already.
    public static func check(drawnBy: String?, claimed: Bool, claimant: ConsumerID) throws {
        guard drawnBy == claimant.value else { throw otherPhone }
        guard !claimed else { throw alreadyClaimed }
    }

    /// - Throws: `ConflictError("phone", …)` when the phone number has claimed as many prizes in the
    ///   campaign as `limits.winsPerPhone` allows.
    public static func checkPhone(claimsByPhone: Int, limits: CampaignLimits) throws {
        if let limit = limits.winsPerPhone, claimsByPhone >= limit {
            throw ConflictError("phone", "this phone number has claimed \(claimsByPhone) prize\(claimsByPhone == 1 ? "" : "s") in this campaign; it allows \(limit) per phone")
        }
    }

    /// Goods and coupons are handed over at a store against a redemption code; cash and points are not.
    public static func needsRedemptionCode(_ kind: PrizeKind?) -> Bool {
        kind == .goods || kind == .coupon
    }
}

/// When a store may redeem a claimed prize.
public enum RedemptionRules {
    public static let unknown = NotFoundError("redemptionCode", "no claimed prize has this redemption code")

    /// The conflict for a prize redeemed already, saying where and when.
    public static func alreadyRedeemed(store: StoreID?, at: Date?) -> ConflictError {
        let when = at.map { ISO8601DateFormatter().string(from: $0) } ?? "an earlier time"
        return ConflictError("redemptionCode", "was redeemed already, at store \(store.map(String.init(describing:)) ?? "?") on \(when)")
    }

    /// - Throws: `ConflictError("redemptionCode", …)` when the prize was redeemed already.
    public static func check(redeemedBy: StoreID?, at: Date?) throws {
        if redeemedBy != nil || at != nil { throw alreadyRedeemed(store: redeemedBy, at: at) }
    }
}

// MARK: - Feedback

/// What a rating must be, and who may leave one: a consumer with a counted scan of the code, on a
/// code that scans genuine or repeat (issued, active, not withdrawn), once.
public enum FeedbackRules {
    public static let alreadyRated = ConflictError("rating", "you have rated this item already")
    public static let notScanned = InputError("rating", "scan this item's code on this phone before rating it")
    public static let notRateable = InputError("code", "this item cannot be rated: its code is not active or was withdrawn")
    public static let suspiciousCode = InputError("code", "this item cannot be rated: its code was scanned too often or by too many phones")
    /// The most ratings one code takes: a label photographed and passed around cannot flood a product's
    /// ratings (which feed segments and lead scores).
    public static let maxRatingsPerCode = 5
    public static let ratingsFull = ConflictError("rating", "this item has \(maxRatingsPerCode) ratings already, as many as one item takes")

    /// A code is rated only while it scans `genuine` or `repeat`: not once it reads `suspicious`, and
    /// never past `maxRatingsPerCode`.
    /// - Throws: `suspiciousCode`, `ratingsFull`.
    public static func check(scans: Int, consumers: Int, ratings: Int, rules: VerdictRules) throws {
        let state = CodeState(batchStatus: .active, blacklisted: false, scanCount: scans, consumerCount: consumers, newConsumer: false)
        if rules.decide(state, counted: false).0 == .suspicious { throw suspiciousCode }
        guard ratings < maxRatingsPerCode else { throw ratingsFull }
    }

    /// - Throws: `notRateable` for a code of an inactive or void batch or a blacklisted code;
    ///   `notScanned` when the consumer has no counted scan of it.
    public static func check(status: BatchStatus, blacklisted: Bool, scannedByRater: Bool) throws {
        guard status == .active && !blacklisted else { throw notRateable }
        guard scannedByRater else { throw notScanned }
    }
    public static let maxComment = 500

    /// The rating and comment as kept: the comment trimmed, empty as none.
    /// - Throws: `InputError` naming `rating` or `comment`.
    public static func validate(rating: Int, comment: String?) throws -> (rating: Int, comment: String?) {
        guard (1...5).contains(rating) else { throw InputError("rating", "must be a whole number from 1 to 5") }
        // Control characters and NUL go; line breaks stay (as \n).
        let cleaned = comment.map { text in
            String(String.UnicodeScalarView(text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars
                .filter { $0 == "\n" || !Name.isControl($0) }))
        }
        let trimmed = cleaned?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (trimmed?.count ?? 0) <= maxComment else { throw InputError("comment", "must be at most \(maxComment) characters") }
        return (rating, trimmed?.isEmpty == false ? trimmed : nil)
    }
}

/// What may change on a campaign (`campaign edit`): before it starts, anything but its status; once it
/// has started or drawn, what cannot hurt a draw already made or a prize already won: its name, a later
/// end, a wider scope, tier names, stock down to what is awarded or up, daily stock and limits. Each
/// refusal names the field and why.
public enum CampaignEditRules {
    /// - Parameters:
    ///   - awarded: prizes awarded per tier so far.
    ///   - drawn: whether the campaign has any draw.
    public static func check(_ old: CampaignDefinition, status: CampaignStatus, to new: CampaignDefinition, awarded: [Int], drawn: Bool,
                             now: Date) throws {
        guard new.status == status else {
            throw InputError("status", "changes with `campaign pause|resume|end`, not with an edit (it is \(status.rawValue))")
        }
        guard status != .ended else { throw ConflictError("status", "an ended campaign cannot change") }
        guard now >= old.start || drawn else { return }
        guard new.start == old.start else { throw InputError("start", "cannot move once the campaign has started") }
        guard new.timeZone == old.timeZone else { throw InputError("timeZone", "cannot change once the campaign has started (its days would move)") }
        guard new.end > now else { throw InputError("end", "must be after now; to stop the campaign now, `campaign end`") }
        func widens<T: Hashable>(_ old: [T]?, _ new: [T]?, _ field: String) throws {
            guard let old else {
                if new != nil { throw InputError("scope.\(field)", "a started campaign's scope can widen, not narrow (it is every \(field.dropLast()) now)") }
                return
            }
            guard let new else { return }
            if let left = old.first(where: { !new.contains($0) }) {
                throw InputError("scope.\(field)", "a started campaign's scope can widen, not narrow (\(left) would leave it)")
            }
        }
        try widens(old.scope.products, new.scope.products, "products")
        try widens(old.scope.batches, new.scope.batches, "batches")
        try widens(old.scope.regions, new.scope.regions, "regions")
        guard new.tiers.count == old.tiers.count else {
            throw InputError("tiers", "a started campaign keeps its \(old.tiers.count) tiers (make another campaign for other prizes)")
        }
        for (index, (before, after)) in zip(old.tiers, new.tiers).enumerated() {
            if drawn, after.probability != before.probability {
                throw InputError("tiers[\(index)].probability", "the odds of a campaign that has drawn cannot change (\(before.probability))")
            }
            let won = index < awarded.count ? awarded[index] : 0
            if won > 0, after.kind != before.kind || after.value != before.value {
                throw InputError("tiers[\(index)].\(after.kind != before.kind ? "kind" : "value")", "\(won) winners hold this prize as it is")
            }
            if after.stock < won { throw InputError("tiers[\(index)].stock", "must be at least \(won): that many are awarded already") }
        }
    }
}
