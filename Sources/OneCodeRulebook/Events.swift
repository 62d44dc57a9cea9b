import Foundation
import OneCodeDomain
import OneCodeStorage

/// The `data` of each outbox event, in one place for every backend (README's event table).
///
/// Written field by field with `EventJSON`, not `JSONEncoder`: events are made on the scan path,
/// inside the writer's transaction, where the encoder cost a third of a draw's time.
enum Events {
    static func scanSuspicious(_ request: ScanRequest, batch: BatchID?, product: ProductID?, reason: VerdictReason,
                               scanCount: Int, scan: Int64) -> EventJSON {
        var data = EventJSON()
        data.add("at", request.at)
        data.add("batchId", batch?.rawValue)
        data.add("code", request.code)
        data.add("consumer", request.consumer?.value)
        data.add("productId", product?.rawValue)
        data.add("reason", reason.rawValue)
        data.add("region", request.region)
        data.add("scanCount", scanCount)
        data.add("scanId", scan)
        return data
    }

    static func prizeWon(_ campaign: Campaign, tier: Int, request: ScanRequest, entry: EntryID) -> EventJSON {
        let prize = campaign.definition.tiers[tier]
        var data = EventJSON()
        data.add("at", request.at)
        data.add("campaignId", campaign.id.rawValue)
        data.add("campaignName", campaign.definition.name)
        data.add("code", request.code)
        data.add("consumer", request.consumer?.value)
        data.add("entryId", entry.rawValue)
        data.add("prize", Self.prize(tier, prize))
        return data
    }

    /// A prize as every event writes it: `{"kind", "name", "tier", "value"}`.
    static func prize(_ tier: Int, _ prize: PrizeTier) -> EventJSON {
        var data = EventJSON()
        data.add("kind", prize.kind.rawValue)
        data.add("name", prize.name)
        data.add("tier", tier)
        data.add("value", prize.value)
        return data
    }

    /// The prize tier an entry won, when its definition still has it.
    static func prize(_ tier: Int?, in definition: CampaignDefinition) -> EventJSON? {
        guard let tier, tier >= 0, tier < definition.tiers.count else { return nil }
        return prize(tier, definition.tiers[tier])
    }

    static func prizeClaimed(_ claim: Claim, prize: EventJSON?) -> EventJSON {
        var data = EventJSON()
        data.add("at", claim.at)
        data.add("campaignId", claim.campaign.rawValue)
        data.add("code", claim.code)
        data.add("consentVersion", claim.consentVersion)
        data.add("consumer", claim.consumer)
        data.add("entryId", claim.entryID.rawValue)
        data.add("marketingConsentVersion", claim.marketingConsentVersion)
        data.add("name", claim.contact.name)
        data.add("phone", claim.contact.phone)
        if let prize { data.add("prize", prize) } else { data.add("prize", nil as String?) }
        data.add("redemptionCode", claim.redemptionCode)
        return data
    }

    static func prizeRedeemed(_ redemption: Redemption, entry: EntryID, prize: EventJSON?) -> EventJSON {
        var data = EventJSON()
        data.add("at", redemption.at)
        data.add("campaignId", redemption.campaign.rawValue)
        data.add("code", redemption.code)
        data.add("entryId", entry.rawValue)
        if let prize { data.add("prize", prize) } else { data.add("prize", nil as String?) }
        data.add("redemptionCode", redemption.redemptionCode)
        data.add("storeId", redemption.store.rawValue)
        return data
    }

    static func diversionDetected(_ row: DiversionRow, shipment: ShipmentFacts) -> EventJSON {
        var data = EventJSON()
        data.add("at", row.at)
        data.add("code", row.code)
        data.add("dealerId", row.dealer.rawValue)
        data.add("dealerName", shipment.dealerName)
        data.add("region", row.region)
        data.add("scanId", row.scan)
        data.add("shipmentId", row.shipment)
        data.add("territory", row.territory.regions)
        return data
    }

    static func receiptConfirmed(_ receipt: Receipt) -> EventJSON {
        var data = EventJSON()
        data.add("at", receipt.at)
        data.add("code", receipt.code)
        data.add("rebate", receipt.rebate)
        data.add("receiptId", receipt.id)
        data.add("storeId", receipt.storeId.rawValue)
        return data
    }

    static func clerkRewarded(id: Int64, binding: ClerkBinding, amount: Int, code: String, scan: Int64) -> EventJSON {
        var data = EventJSON()
        data.add("amount", amount)
        data.add("clerkId", binding.clerk.rawValue)
        data.add("code", code)
        data.add("ledgerId", id)
        data.add("scanId", scan)
        data.add("storeId", binding.store.rawValue)
        return data
    }
}
