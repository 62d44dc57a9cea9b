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
        var prizeData = EventJSON()
        prizeData.add("kind", prize.kind.rawValue)
        prizeData.add("name", prize.name)
        prizeData.add("tier", tier)
        prizeData.add("value", prize.value)
        data.add("prize", prizeData)
        return data
    }

    static func prizeClaimed(_ claim: Claim) -> EventJSON {
        var data = EventJSON()
        data.add("at", claim.at)
        data.add("campaignId", claim.campaign.rawValue)
        data.add("code", claim.code)
        data.add("consentVersion", claim.consentVersion)
        data.add("consumer", claim.consumer)
        data.add("entryId", claim.entryID.rawValue)
        data.add("name", claim.contact.name)
        data.add("phone", claim.contact.phone)
        data.add("prize", claim.prize)
        data.add("redemptionCode", claim.redemptionCode)
        return data
    }

    static func prizeRedeemed(_ redemption: Redemption, entry: EntryID) -> EventJSON {
        var data = EventJSON()
        data.add("at", redemption.at)
        data.add("campaignId", redemption.campaign.rawValue)
        data.add("code", redemption.code)
        data.add("entryId", entry.rawValue)
        data.add("prize", redemption.prize)
        data.add("redemptionCode", redemption.redemptionCode)
        data.add("storeId", redemption.store.rawValue)
        return data
    }
}
