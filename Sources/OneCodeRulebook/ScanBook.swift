import Foundation
import OneCodeDomain
import OneCodeStorage

/// Recording scans: the verdict, the code's draws in live campaigns, points and events, decided here
/// for every backend over the transaction the backend lends (`ScanTransaction`).
///
/// Reads come first (what the code and its scans say), then the decision (`VerdictRules`,
/// `CampaignDefinition`'s limits), then the writes. Storage keeps the invariants a second writer
/// could break between a read and a write: (code, ordinal) and (campaign, code) are unique, stock is
/// guarded. When one of them refuses a write, the transaction throws `ConflictError` and the caller
/// (`ScanWriter`) runs it again, so the scan is decided anew against what the other writer wrote.
public enum ScanBook {
    /// Records scans in one transaction (a group commit), deciding each against the code's state as
    /// the scans before it in the group left it. Returns one result per request, in order.
    /// - Parameter channel: what the channel pays (a clerk's reward on a unit's first counted scan).
    public static func record(_ requests: [ScanRequest], rules: VerdictRules, channel: ChannelRules = ChannelRules(),
                              in tx: any ScanTransaction, now: Date = Date()) throws -> [ScanResult] {
        try tx.prepare(requests, now: now)
        let live = try tx.liveCampaigns(at: now)
        // Balances are looked up only once any points were ever awarded.
        let anyPoints = try tx.anyPointsAwarded()
        // The channel is asked where an item went only once anything was shipped.
        let anyShipments = try tx.anyShipments()
        let anyClerks = channel.clerkReward > 0 ? try tx.anyClerkBindings() : false
        var results: [ScanResult] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            var state: CodeState?
            var facts: CodeFacts?
            var firstScanAt: Date?
            var scanCount = 0
            // Only a consumer's scan of a live code counts; scans of inactive, void or blacklisted
            // codes, and bots' scans, are recorded as evidence but count for nothing.
            var counts = false
            // The phone's own rescan: shown its earlier draws, recorded, never counted (suspicion counts
            // other phones, and scans beyond a threshold).
            var ownRescan = false
            var mismatch: VerdictReason?
            let found = try tx.code(request.key)
            if let code = found, let label = request.label, let reason = label.mismatch(productGTIN: code.gtin, batchLot: code.lot) {
                // Another product's or lot's label: never issued so; recorded as evidence, counted for nothing.
                facts = code
                mismatch = reason
            } else if let code = found {
                facts = code
                let scannable = code.status == .active && !code.blacklisted
                counts = !request.bot && scannable
                var consumerCount = 0, newConsumer = false
                if scannable {
                    scanCount = try tx.countedScans(of: request.key)
                    if scanCount > 0 { firstScanAt = try tx.firstCountedScan(of: request.key) }
                    // Past the scan threshold the verdict is decided; consumers need not be read.
                    if scanCount <= rules.maxScans {
                        consumerCount = try tx.distinctConsumers(of: request.key, upTo: rules.maxConsumers + 1)
                        if counts, let consumer = request.consumer {
                            newConsumer = try !tx.hasCountedScan(of: request.key, by: consumer)
                            ownRescan = !newConsumer
                        }
                    }
                }
                if ownRescan { counts = false }
                // A new phone's scan of a code scanned before, with a region: is it the same label somewhere else?
                var cloned = false
                if counts, newConsumer, scanCount > 0, request.region != nil, rules.cloneWindowSeconds > 0 {
                    cloned = rules.clonedLabel(latest: try tx.latestCountedScan(of: request.key), at: request.at, region: request.region)
                }
                state = CodeState(batchStatus: code.status, blacklisted: code.blacklisted, scanCount: scanCount,
                                  consumerCount: consumerCount, newConsumer: newConsumer, clonedLabel: cloned)
                if counts {
                    scanCount += 1
                    firstScanAt = firstScanAt ?? request.at
                }
            }
            let (verdict, reason) = mismatch.map { (Verdict.unknown, $0) } ?? rules.decide(state, counted: counts, ownRescan: ownRescan)
            let scanID = try tx.insertScan(ScanRow(request: request, batch: facts?.batch, ordinal: counts ? scanCount : nil,
                                                   verdict: verdict, reason: reason))
            if anyShipments, counts || ownRescan {
                try ChannelBook.judge(scan: scanID, key: request.key, code: request.code, region: request.region, at: request.at, in: tx)
            }
            if anyClerks, counts, scanCount == 1, verdict == .genuine {
                try ChannelBook.reward(scan: scanID, key: request.key, code: request.code, at: request.at, rules: channel, in: tx)
            }
            if verdict == .suspicious && counts {
                try tx.emit(.scanSuspicious, at: request.at, data: Events.scanSuspicious(
                    request, batch: facts?.batch, product: facts?.product, reason: reason, scanCount: scanCount, scan: scanID))
            }
            // A counted scan of a genuine code draws once per live campaign in scope, or shows its earlier draw.
            var draws: [DrawOutcome] = []
            if counts || ownRescan, verdict == .genuine || verdict == .repeat, let facts {
                for campaign in live {
                    // In scope; or the phone's own rescan of a code it drew with in a campaign its scan came into
                    // later (a location shared after it: `CampaignBook.drawShared`), shown again.
                    var shown = campaign.definition.scope.contains(product: facts.product, batch: facts.batch, region: request.region)
                    if !shown, ownRescan, let consumer = request.consumer {
                        shown = try tx.entry(in: campaign.id, code: request.key)?.consumer == consumer.value
                    }
                    guard shown else { continue }
                    if campaign.definition.requirePin == true {
                        // Drawn when the PIN is typed (CampaignBook.enterPin); the page asks for it until then.
                        if let shown = try CampaignBook.pinGate(in: tx, campaign, facts: facts, request: request, earlierScans: ownRescan || scanCount > 1) {
                            draws.append(shown)
                        }
                        continue
                    }
                    draws.append(try CampaignBook.draw(in: tx, campaign, request: request, scan: scanID, earlierScans: ownRescan || scanCount > 1))
                }
            }
            var points: Int?
            if counts || ownRescan, let consumer = request.consumer,
               anyPoints || draws.contains(where: { $0.result == .won && $0.prize?.kind == .points }) {
                let balance = try tx.pointsBalance(of: consumer)
                points = balance == 0 ? nil : balance
            }
            results.append(ScanResult(scanID: scanID, verdict: verdict, reason: reason, batchID: mismatch == nil ? facts?.batch : nil,
                                      scanCount: scanCount, firstScanAt: firstScanAt, draws: draws, points: points))
        }
        return results
    }
}
