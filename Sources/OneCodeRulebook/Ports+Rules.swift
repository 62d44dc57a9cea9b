import Foundation
import OneCodeDomain
import OneCodeStorage

// The rules as the callers use them: each call is one transaction lent by the backend, with the
// decision made here, in code every backend shares.

extension ScanTransactions {
    /// Records scans in one transaction (a group commit); see `ScanBook.record`. Returns one result
    /// per request, in order, once the scans are durable.
    ///
    /// When the schema refuses a write because another writer got there first (a counted scan of
    /// the same code, a draw of the same code), the scans are decided again against what that writer
    /// committed. A group that lost is split in halves, each its own transaction, so the scans that did
    /// not race are not held back by one that did; a single scan is decided again up to `attempts`
    /// times (each loss means another writer committed a scan of its code), then the conflict is thrown.
    public func recordScans(_ requests: [ScanRequest], rules: VerdictRules, channel: ChannelRules = ChannelRules(),
                            attempts: Int = 8) async throws -> [ScanResult] {
        var attempt = 1
        while true {
            do {
                return try await withScanTransaction { tx in try ScanBook.record(requests, rules: rules, channel: channel, in: tx) }
            } catch is ConflictError where requests.count > 1 {
                let half = requests.count / 2
                let first = try await recordScans(Array(requests[..<half]), rules: rules, channel: channel, attempts: attempts)
                return try await first + recordScans(Array(requests[half...]), rules: rules, channel: channel, attempts: attempts)
            } catch is ConflictError where attempt < attempts {
                attempt += 1
                // The winner is committing: give it a moment, a little longer each time, never in step with another loser.
                try await Task.sleep(for: .microseconds(Int.random(in: 100...(500 * attempt))))
            }
        }
    }
}

extension ScanTransactions {
    /// A region the consumer shared after the scan, in one transaction: judged against the item's dealer
    /// (`ChannelBook.judgeShared`), and drawn in the campaigns it brings the scan into (`CampaignBook.drawShared`).
    public func sharedRegion(scan: Int64, key: CodeKey, code: String, consumer: ConsumerID, region: String, at: Date) async throws -> [DrawOutcome] {
        try await withScanTransaction { tx in
            try ChannelBook.judgeShared(scan: scan, key: key, code: code, region: region, at: at, in: tx)
            return try CampaignBook.drawShared(in: tx, key: key, code: code, consumer: consumer, region: region, at: at)
        }
    }
}

extension ScanTransactions {
    /// A consumer types a unit's hidden PIN; see `CampaignBook.enterPin`.
    public func enterPin(key: CodeKey, code: String, consumer: ConsumerID, at: Date, check: @escaping @Sendable (Int) -> Bool) async throws
        -> CampaignBook.PinOutcome {
        try await withScanTransaction { tx in try CampaignBook.enterPin(in: tx, key: key, code: code, consumer: consumer, at: at, check: check) }
    }
}

extension ClaimTransactions {
    /// Claims a won prize for the consumer who drew it; see `CampaignBook.claim`.
    /// - Parameter marketing: the consent to be contacted about the brand's products, when the claimant gave it.
    public func claim(campaign: CampaignID, key: CodeKey, consumer: ConsumerID, contact: ContactDetails,
                      consentVersion: String, consentText: String, marketing: Consent? = nil, at: Date) async throws -> Claim {
        try await withClaimTransaction { tx in
            try CampaignBook.claim(in: tx, campaign: campaign, key: key, consumer: consumer, contact: contact,
                                   consent: Consent(version: consentVersion, text: consentText), marketing: marketing, at: at)
        }
    }

    /// Redeems a claimed prize at a store, once; see `CampaignBook.redeem`. `audit` (its id the redemption code) in
    /// the same transaction.
    public func redeem(_ redemptionCode: String, store: StoreID, at: Date, audit: AuditEntry? = nil) async throws -> Redemption {
        try await withClaimTransaction { tx in
            let redemption = try CampaignBook.redeem(in: tx, redemptionCode, store: store, at: at)
            if var audit {
                audit.subjectID = redemptionCode
                audit.detail = "store \(store): \(redemption.prize ?? "prize")"
                try tx.appendAudit(audit)
            }
            return redemption
        }
    }

    /// The claimed prize behind a redemption code, and its redemption if it had one (what a clerk is shown
    /// before redeeming); nil when no claim has the code.
    public func redemptionFacts(_ redemptionCode: String) async throws -> RedemptionFacts? {
        try await withClaimTransaction { tx in try tx.redemptionFacts(redemptionCode) }
    }
}

extension FeedbackTransactions {
    /// Records a rating once per consumer and code; see `FeedbackBook.rate`.
    /// - Parameter rules: the verdict rules the scan service runs with (a code they call suspicious takes no rating).
    public func addFeedback(key: CodeKey, code: String, consumer: ConsumerID, rating: Int, comment: String?, at: Date,
                            rules: VerdictRules = VerdictRules()) async throws {
        try await withFeedbackTransaction { tx in
            try FeedbackBook.rate(in: tx, key: key, code: code, consumer: consumer, rating: rating, comment: comment, at: at, rules: rules)
        }
    }
}
