import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeStorage

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Define and steer scan-to-win campaigns.",
        discussion: """
            A campaign is a JSON document: {"name", "start", "end", "timeZone", "scope": {"products", "batches", "regions"}, \
            "tiers": [{"name", "kind": cash|coupon|goods|points, "value", "probability", "stock", "dailyStock"}], \
            "limits": {"winsPerConsumer", "drawsPerConsumerPerDay"}, "status": draft|live}. A counted scan of a genuine \
            code in scope and in the window draws once per campaign; stock is never oversold.
            """,
        subcommands: [Create.self, List.self, Show.self, Edit.self, Pause.self, Resume.self, End.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a campaign from a JSON file.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The campaign's JSON definition.", valueName: "file")) var file: String

        func run() async throws {
            try await reportingErrors {
                let definition = try CampaignCommand.definition(file)
                let (_, store) = try await global.open()
                let campaign = try await Actions(store: store, actor: .commandLine).createCampaign(definition)
                try global.emit(campaign) { "campaign \(campaign.id): \(definition.name) (\(campaign.status.rawValue), \(definition.tiers.count) tiers)" }
                if let notice = definition.regionNotice(geoIPConfigured: try await global.geoIPConfigured()) { note("warning: \(notice)") }
            }
        }
    }

    /// A campaign file, read and checked before anything is opened (`create` and `edit`).
    static func definition(_ file: String) throws -> CampaignDefinition {
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError("file", "cannot read \(file)") }
        return try CampaignDefinition.parse(data)
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a campaign from a JSON file: its whole definition, as `campaign show ID --format json` gives it.",
            discussion: """
                Before it starts, anything but its status may change. Once it has started or drawn: its name, a later end,                 a wider scope, tier names, a tier's stock (not below what it has awarded), daily stocks and limits.                 Refused, with the field and why: moving its start or time zone, narrowing its scope, other tiers,                 the odds of a campaign that has drawn, the kind or value of a prize someone won. Status changes with pause, resume and end.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var id: Int64
        @Option(help: ArgumentHelp("The campaign's new JSON definition.", valueName: "file")) var file: String

        func run() async throws {
            try await reportingErrors {
                let definition = try CampaignCommand.definition(file)
                let (_, store) = try await global.open()
                let campaign = try await Actions(store: store, actor: .commandLine).editCampaign(id, definition)
                try global.emit(campaign) { "campaign \(campaign.id): \(definition.name) changed (\(campaign.status.rawValue), \(definition.tiers.count) tiers)" }
                if let notice = definition.regionNotice(geoIPConfigured: try await global.geoIPConfigured()) { note("warning: \(notice)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List campaigns.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let campaigns = try await store.campaigns()
                let time = try await global.displayTime()
                try global.emit(campaigns) {
                    campaigns.isEmpty ? "no campaigns yet; create one with `onecode campaign create --file F`" :
                    Table(["id", "name", "status", "start (\(time.label))", "end (\(time.label))", "tiers"], campaigns.map {
                        [$0.id.description, $0.definition.name, $0.status.rawValue, time.minute($0.definition.start),
                         time.minute($0.definition.end), String($0.definition.tiers.count)]
                    }).text
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a campaign and its stock.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var id: Int64

        struct Output: Encodable { var campaign: Campaign; var stock: [TierStock] }

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                guard id > 0, let campaign = try await store.campaign(CampaignID(rawValue: id)) else {
                    throw NotFoundError("id", "no campaign with id \(id); see `onecode campaign list`")
                }
                let stock = try await store.stock(of: campaign.id)
                let notice = campaign.definition.regionNotice(geoIPConfigured: try await global.geoIPConfigured())
                try global.emit(Output(campaign: campaign, stock: stock)) {
                    // Times in the campaign's own zone, as its definition was written.
                    let definition = campaign.definition
                    let local = DateFormatter()
                    local.timeZone = TimeZone(identifier: definition.timeZone) ?? .gmt
                    local.dateFormat = "yyyy-MM-dd HH:mm"
                    return "campaign \(campaign.id): \(definition.name) (\(campaign.status.rawValue))\n"
                        + "from \(local.string(from: definition.start)) to \(local.string(from: definition.end)) \(definition.timeZone)\n" +
                    Table(["tier", "name", "kind", "probability", "stock", "awarded", "today", "left today", "claimed", "redeemed"], stock.map { tier in
                        let prize = definition.tiers[tier.tier]
                        return [String(tier.tier), tier.name, prize.kind.rawValue, String(prize.probability), String(tier.stock), String(tier.awarded),
                                tier.awardedToday.map(String.init) ?? "-", tier.dailyStockLeft.map(String.init) ?? "-", String(tier.claimed), String(tier.redeemed)]
                    }).text + (notice.map { "\nwarning: \($0)" } ?? "")
                }
                if global.json, let notice { note("warning: \(notice)") }
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a live campaign: scans stop drawing.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var id: Int64
        func run() async throws { try await setCampaignStatus(global, id, .paused) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a draft campaign or resume a paused one.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var id: Int64
        func run() async throws { try await setCampaignStatus(global, id, .live) }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a campaign. Final.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var id: Int64
        func run() async throws { try await setCampaignStatus(global, id, .ended) }
    }
}

func setCampaignStatus(_ global: GlobalOptions, _ id: Int64, _ status: CampaignStatus) async throws {
    try await reportingErrors {
        let (_, store) = try await global.open()
        let campaign = try await Actions(store: store, actor: .commandLine).setCampaignStatus(status, of: id)
        try global.emit(campaign) { "campaign \(campaign.id) is \(campaign.status.rawValue)" }
    }
}
