import ArgumentParser
import Foundation
import OneCodeApplication
import OneCodeDomain
import OneCodeService
import OneCodeStorage

struct SegmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Define consumer segments and refresh them.",
        discussion: """
            A segment is a JSON rule over consumer profiles: {"all": [...]} or {"any": [...]} of {"region": ["CN-31"]}, \
            {"product": [1]}, {"scans": {"atLeast": 3, "days": 30}}, {"lapsed": {"days": 60}}, {"wonPrize": true}, \
            {"consent": true}, {"rating": {"atMost": 2}}. Members are materialised; `refresh` updates profiles, every \
            segment and the leads from what changed since the last refresh (`--full` recomputes everything).
            """,
        subcommands: [Create.self, List.self, Show.self, Edit.self, Delete.self, Members.self, Refresh.self])

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a segment or give it a new rule; members follow on the next refresh.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The segment id.") var id: Int64
        @Option(help: "A new name.") var name: String?
        @Option(help: ArgumentHelp("A new rule as JSON.", valueName: "json")) var rules: String?

        func run() async throws {
            try await reportingErrors {
                let rule = try rules.map { try SegmentRule.parse(Data($0.utf8)) }
                let (_, store) = try await global.open()
                let segment = try await Actions(store: store, actor: .commandLine).editSegment(id, name: name, rule: rule)
                try global.emit(segment) { "segment \(segment.id): \(segment.name) \(segment.rules)\nrun `onecode segment refresh` to update its members" }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a segment and its members; leads that named it are re-scored on the next refresh.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The segment id.") var id: Int64

        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                try await Actions(store: store, actor: .commandLine).deleteSegment(id)
                try global.emit(["deleted": id]) { "deleted segment \(id)" }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a segment; it fills on the next refresh.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Its name.") var name: String
        @Option(help: ArgumentHelp("The rule as JSON.", valueName: "json")) var rules: String?
        @Option(help: ArgumentHelp("A file holding the rule.", valueName: "file")) var file: String?

        func run() async throws {
            try await reportingErrors {
                let text: Data
                switch (rules, file) {
                case let (rules?, nil): text = Data(rules.utf8)
                case let (nil, file?):
                    guard let data = FileManager.default.contents(atPath: file) else { throw InputError("file", "cannot read \(file)") }
                    text = data
                default: throw InputError("rules", "give the rule with --rules JSON or --file F (one of them)")
                }
                let rule = try SegmentRule.parse(text)
                let (_, store) = try await global.open()
                let segment = try await Actions(store: store, actor: .commandLine).createSegment(name: name, rule: rule)
                try global.emit(segment) { "segment \(segment.id): \(segment.name) \(segment.rules)\nrun `onecode segment refresh` to fill it" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List segments with their member counts.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let segments = try await store.segments()
                let time = try await global.displayTime()
                try global.emit(segments) {
                    segments.isEmpty ? "no segments yet; create one with `onecode segment create --name N --rules JSON`" :
                    Table(["id", "name", "members", "refreshed (\(time.label))", "rules"], segments.map {
                        [String($0.id.rawValue), $0.name, String($0.members), $0.refreshedAt.map(time.minute) ?? "never", $0.rules]
                    }).text
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One segment.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The segment id.") var id: Int64
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let segment = try await requireSegment(store, id, field: "id")
                try global.emit(segment) {
                    "segment \(segment.id): \(segment.name)\nrules: \(segment.rules)\nmembers: \(segment.members)\nrefreshed: \(segment.refreshedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never")"
                }
            }
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A segment's members with their profile summaries, in id order.",
            discussion: "Each member: the consumer id, counted scans, the last scan (in display.timeZone, labelled), regions, products by name, prizes won, average rating and whether they consented to be contacted. --ids prints the ids alone, one a line.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The segment id.") var id: Int64
        @Option(help: "Only ids after this one (paging).") var after = ""
        @Option(help: "At most this many (1 to 1000000).") var limit = 1000
        @Flag(help: "Print only the consumer ids.") var ids = false
        func run() async throws {
            try await reportingErrors {
                guard (1...1_000_000).contains(limit) else { throw InputError("limit", "must be from 1 to 1000000") }
                let (_, store) = try await global.open()
                _ = try await requireSegment(store, id, field: "id")
                if ids {
                    let members = try await store.members(of: SegmentID(rawValue: id), after: after, limit: limit)
                    return try global.emit(members) { members.joined(separator: "\n") }
                }
                let members = try await store.named(try await store.memberProfiles(of: SegmentID(rawValue: id), after: after, limit: limit))
                let time = try await global.displayTime()
                try global.emit(members) {
                    members.isEmpty ? "no members (run `onecode segment refresh` if scans arrived since)" :
                    Table(["consumer", "scans", "last scan (\(time.label))", "regions", "products", "won", "rating", "consent"], members.map { member in
                        [member.consumer, String(member.scans), time.minute(member.lastScanAt), member.regions.joined(separator: " "),
                         member.products.map { $0.name ?? "#\($0.id)" }.joined(separator: "; "), String(member.prizesWon),
                         member.averageRating.map { String(format: "%.1f", $0) } ?? "", member.consent ? "yes" : "no"]
                    }).text
                }
            }
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring profiles, segments and leads up to date.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Recompute everything from scans, entries, claims and feedback instead of what changed.") var full = false
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open(cacheMiB: 128)
                let started = Date()
                let report = try await store.refreshLinker(now: Date(), full: full)
                let seconds = Date().timeIntervalSince(started)
                try global.emit(report) {
                    String(format: "%@ refresh in %.2f s: %d scans read, %d profiles changed, %d segments (+%d −%d members), %d leads changed (%d new)",
                           report.full ? "full" : "incremental", seconds, report.scansRead, report.profilesChanged, report.segmentsRefreshed,
                           report.membersAdded, report.membersRemoved, report.leadsChanged, report.leadsCreated)
                        + report.failedSegments.map { "\nnot refreshed: " + $0 }.joined()
                }
            }
        }
    }
}

/// The segment with `id`. - Throws: `NotFoundError(field, …)` when there is none.
func requireSegment(_ store: some LinkerStore, _ id: Int64, field: String) async throws -> Segment {
    guard let segment = try await store.segment(SegmentID(rawValue: id)) else { throw NotFoundError(field, "no segment with id \(id)") }
    return segment
}

struct LeadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leads", abstract: "Export scored leads for sales.",
        discussion: """
            A lead is a consumer who gave contact and consent, or a store that redeems prizes, with a score (README: \
            "Leads") and the reasons for it. Exports are incremental: each ends with a cursor; exporting again with \
            --since CURSOR brings only leads that are new or changed since, with no gaps and no duplicates.
            """,
        subcommands: [Export.self])

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, jsonl }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write leads to a file (CSV or JSON lines); print the next cursor.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "csv or jsonl.") var format: Format
        @Option(help: "Only leads new or changed after this cursor (from the previous export).") var since: Int64 = 0
        @Option(help: "Only consumers in this segment (its id or its name).") var segment: String?
        @Option(name: .customLong("min-score"), help: "Only leads scoring at least this (0 to 100).") var minScore: Double?
        @Option(help: "The file to write (replaced whole, never half-written).") var out: String
        @Flag(name: .customLong("no-refresh"), help: "Export what the last refresh computed, without refreshing first.") var noRefresh = false
        @Flag(help: "Start the CSV with a UTF-8 byte-order mark (the default: Excel then opens Chinese names correctly).") var bom = false
        @Flag(name: .customLong("no-bom"), help: "Write the CSV without the byte-order mark (for programs that do not expect one).") var noBom = false

        /// A segment named by its id or its name.
        static func segmentID(_ text: String, _ store: some LinkerStore) async throws -> SegmentID {
            if let id = Int64(text) { return try await requireSegment(store, id, field: "segment").id }
            let segments = try await store.segments()
            guard let found = segments.first(where: { $0.name == text }) else {
                let hint = JSONInput.suggestion(for: text, among: segments.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                throw NotFoundError("segment", "no segment named \(text)\(hint); `onecode segment list` shows them")
            }
            return found.id
        }

        func run() async throws {
            try await reportingErrors {
                if bom && format != .csv { throw InputError("bom", "is for CSV only (JSON lines are UTF-8 without one)") }
                if bom && noBom { throw InputError("bom", "give --bom or --no-bom, not both") }
                guard since >= 0 else { throw InputError("since", "must be a cursor from an earlier export, 0 or more") }
                if let minScore, !(0...100).contains(minScore) { throw InputError("min-score", "must be from 0 to 100") }
                let (_, store) = try await global.open()
                var segmentID: SegmentID?
                if let segment { segmentID = try await Self.segmentID(segment, store) }
                if !noRefresh { _ = try await store.refreshLinker(now: Date(), full: false) }
                let partial = out + ".partial"
                guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                    throw InputError("out", "cannot write \(out)")
                }
                var cursor = since, count = 0
                do {
                    if format == .csv { try handle.write(contentsOf: Data(((noBom ? "" : "\u{FEFF}") + Lead.csvHeader).utf8)) }
                    while true {
                        let page = try await store.leads(after: cursor, limit: 5000, segment: segmentID, minScore: minScore)
                        var chunk = ""
                        for lead in page.leads { chunk += format == .csv ? lead.csvRow : lead.jsonLine }
                        try handle.write(contentsOf: Data(chunk.utf8))
                        count += page.leads.count
                        guard page.cursor >= cursor else {
                            throw InputError("since", "\(since) is beyond the newest cursor (\(page.cursor)); pass the cursor an earlier export printed")
                        }
                        cursor = page.cursor
                        if !page.more { break }
                    }
                    try handle.synchronize()
                    try handle.close()
                    guard rename(partial, out) == 0 else { throw InputError("out", "cannot write \(out) (\(String(cString: strerror(errno))))") }
                } catch {
                    try? FileManager.default.removeItem(atPath: partial)
                    throw error
                }
                struct Output: Encodable { var leads: Int; var cursor: Int64; var file: String }
                try global.emit(Output(leads: count, cursor: cursor, file: out)) {
                    "wrote \(count) leads to \(out)\nnext export: --since \(cursor)"
                }
            }
        }
    }
}

struct ConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumer", abstract: "Export or erase what is stored about one consumer.",
        subcommands: [Export.self, Forget.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print everything stored about a consumer as JSON.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consumer id (the oc_cid cookie).") var id: String
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let data = try await Actions(store: store, actor: .commandLine).exportConsumer(id)
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a consumer: contact, names, phones, comments, profile, segments and lead go; anonymous counts stay.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The consumer id.") var id: String
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                try await Actions(store: store, actor: .commandLine).eraseConsumer(id)
                try global.emit(["erased": id]) { "erased consumer \(id); scans, draws and ratings remain as anonymous counts" }
            }
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Feedback, scan rates, scans per day, diversion alerts and where fakes surface.",
        subcommands: [Feedback.self, ScanRate.self, Daily.self, Diversion.self, DealerDiversion.self, Fakes.self, Resolutions.self])

    enum Output: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    static func show(_ header: [String], _ rows: [[String]], as output: Output, json: some Encodable) throws {
        switch output {
        case .table: print(rows.isEmpty ? "nothing to report yet" : Table(header, rows).text)
        case .csv: print(([header] + rows).map(CSV.row).joined(), terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(json), as: UTF8.self))
        }
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "" }

    struct Feedback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ratings by product (or batch): count, average, share of 1-2.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "By batch instead of product.") var byBatch = false
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let rows = try await store.named(try await store.feedbackReport(byBatch: byBatch))
                try ReportCommand.show(["product", "batch", "name", "ratings", "average", "rated 1-2"], rows.map {
                    [String($0.productId), $0.batchId.map(String.init) ?? "", $0.name ?? "", String($0.count), String(format: "%.2f", $0.average), percent($0.lowShare)]
                }, as: global.json ? .json : format, json: rows)
            }
        }
    }

    struct ScanRate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan-rate", abstract: "Distinct scanned codes over issued codes, by batch, product, intended region or campaign.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "batch, product, region or campaign.") var by: String = "batch"
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                guard let grouping = ScanRateGrouping(rawValue: by) else { throw InputError("by", "must be batch, product, region or campaign") }
                let (_, store) = try await global.open()
                let rows = try await store.named(try await store.scanRate(by: grouping))
                try ReportCommand.show([by, "name", "issued", "scanned", "scans", "rate"], rows.map {
                    [$0.key, $0.name ?? "", $0.issued.map(String.init) ?? "", String($0.scanned), $0.scans.map(String.init) ?? "", percent($0.rate)]
                }, as: global.json ? .json : format, json: rows)
            }
        }
    }

    struct Daily: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counted scans and distinct codes per UTC day.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this batch.") var batch: Int64?
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let rows = try await store.dailyScans(batch: batch.map(BatchID.init(rawValue:)))
                try ReportCommand.show(["day", "codes", "scans"], rows.map { [$0.key, String($0.scanned), $0.scans.map(String.init) ?? ""] },
                                       as: global.json ? .json : format, json: rows)
            }
        }
    }

    struct Diversion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scans outside a batch's intended sales region, by batch and region.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let alerts = try await store.diversion()
                let dates = ISO8601DateFormatter()
                try ReportCommand.show(["batch", "intended", "scanned in", "scans", "codes", "first", "last"], alerts.map {
                    [String($0.batchId), $0.intendedRegion, $0.region, String($0.scans), String($0.codes), dates.string(from: $0.firstAt), dates.string(from: $0.lastAt)]
                }, as: global.json ? .json : format, json: alerts)
            }
        }
    }

    /// The UTC days a count report covers (`report fakes`, `report resolutions`).
    struct DayRange: ParsableArguments {
        @Option(help: "First UTC day, YYYY-MM-DD (default: 29 days before --to).") var from: String?
        @Option(help: "Last UTC day, YYYY-MM-DD (default: today).") var to: String?
        func days() throws -> (from: String, to: String) { try DailyCounts.days(from: from, to: to, now: Date()) }
    }

    struct Fakes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scans of forged and unknown codes by UTC day, region and verdict (GET /api/reports/fakes).",
            discussion: """
                Forged codes fail the keyed check; unknown ones pass it but were never issued. A running server adds its \
                counts every 10 seconds (the API's report adds its own node's first). Region: GeoIP, when configured.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var range: DayRange
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let days = try range.days()
                let (_, store) = try await global.open()
                let rows = try await store.fakeCounts(from: days.from, to: days.to).map(DailyCounts.FakeRow.init)
                try ReportCommand.show(["day (UTC)", "region", "verdict", "scans", "reports"], rows.map {
                    [$0.day, format == .table && $0.region.isEmpty ? "-" : $0.region, $0.verdict, String($0.scans), String($0.reports)]
                }, as: global.json ? .json : format, json: rows)
            }
        }
    }

    struct Resolutions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "GS1 Digital Link resolutions (a link type, the linkset, a product's default link) by UTC day and link type, on every node.",
            discussion: """
                Phones' scans of an item's Digital Link are scans, not resolutions. A running server adds its counts \
                every 10 seconds (the API's report, GET /api/reports/resolutions, adds its own node's first).
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var range: DayRange
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let days = try range.days()
                let (_, store) = try await global.open()
                let rows = try await store.resolutionCounts(from: days.from, to: days.to)
                try ReportCommand.show(["day (UTC)", "link type", "resolutions"], rows.map { [$0.day, $0.linkType, String($0.resolutions)] },
                                       as: global.json ? .json : format, json: rows)
            }
        }
    }

    struct DealerDiversion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dealer-diversion",
            abstract: "Units scanned outside the territory of the dealer they were last shipped to, by dealer and region.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, csv or json.") var format: Output = .table
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let rows = try await store.dealerDiversion()
                let dates = ISO8601DateFormatter()
                try ReportCommand.show(["dealer", "name", "territory", "scanned in", "units", "first", "last"], rows.map {
                    [String($0.dealerId), $0.dealer, $0.territory, $0.region, String($0.units), dates.string(from: $0.firstAt), dates.string(from: $0.lastAt)]
                }, as: global.json ? .json : format, json: rows)
            }
        }
    }
}

/// The inbox of the people who answer consumers: ratings and comments, newest first.
struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "Read consumers' ratings and comments, and their reports of fakes, newest first.",
        subcommands: [List.self, Reports.self])

    struct Reports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumers' reports of products whose code is not the brand's, newest first (GET /api/feedback/reports).",
            discussion: "A phone number shows only where the consumer agreed to be contacted about the report. Pages by --before.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only reports older than this id (the page before's last).") var before: Int64?
        @Option(help: "At most this many (1-1000).") var limit: Int = 50

        func run() async throws {
            try await reportingErrors {
                if let before, before < 1 { throw InputError("before", "must be a report id from an earlier page") }
                guard (1...1000).contains(limit) else { throw InputError("limit", "must be from 1 to 1000 (got \(limit))") }
                let (_, store) = try await global.open()
                let items = try await store.fakeReports(before: before, limit: limit)
                let time = try await global.displayTime()
                try global.emit(items) {
                    guard !items.isEmpty else { return "no reports" + (before.map { " before \($0)" } ?? " yet") }
                    var text = Table(["id", "at (\(time.label))", "code", "verdict", "region", "where bought", "comment", "phone"], items.map {
                        [String($0.id), time.minute($0.at), $0.code, $0.verdict.rawValue, $0.region ?? "", $0.whereBought ?? "", $0.comment ?? "", $0.phone ?? ""]
                    }).text
                    if items.count == limit, let last = items.last { text += "\nolder: onecode feedback reports --before \(last.id)" }
                    return text
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List ratings and comments, newest first (GET /api/feedback).",
            discussion: "Pages by --before: the id of the last rating shown (each page ends with the command for the next).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this product's ratings.") var product: Int64?
        @Option(help: "Only this batch's ratings.") var batch: Int64?
        @Option(name: .customLong("max-rating"), help: "Only ratings of at most this many stars (1-5): the unhappy ones.") var maxRating: Int?
        @Option(help: "Only ratings older than this id (the page before's last).") var before: Int64 = 0
        @Option(help: "At most this many (1-1000).") var limit: Int = 50

        func run() async throws {
            try await reportingErrors {
                if let product, product < 1 { throw InputError("product", "must be a positive product id") }
                if let batch, batch < 1 { throw InputError("batch", "must be a positive batch id") }
                if let maxRating, !(1...5).contains(maxRating) { throw InputError("max-rating", "must be from 1 to 5 (got \(maxRating))") }
                guard before >= 0 else { throw InputError("before", "must be a rating id from an earlier page") }
                guard (1...1000).contains(limit) else { throw InputError("limit", "must be from 1 to 1000 (got \(limit))") }
                let (_, store) = try await global.open()
                let items = try await store.feedbackList(FeedbackFilter(product: product, batch: batch, maxRating: maxRating), before: before, limit: limit)
                let time = try await global.displayTime()
                try global.emit(items) {
                    guard !items.isEmpty else { return "no ratings" + (before > 0 ? " before \(before)" : " yet") }
                    let rows = items.map { item in
                        [String(item.id), time.minute(item.at), "\(item.productName) (\(item.productId))", String(item.batchId),
                         String(repeating: "★", count: item.rating) + String(repeating: "☆", count: 5 - item.rating), item.comment ?? "", item.code]
                    }
                    var text = Table(["id", "at (\(time.label))", "product", "batch", "rating", "comment", "code"], rows).text
                    if items.count == limit, let last = items.last { text += "\nolder: onecode feedback list --before \(last.id)" }
                    return text
                }
            }
        }
    }
}
