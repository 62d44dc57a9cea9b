import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeApplication
import OneCodeRulebook
import OneCodeService
import OneCodeStorage

/// The text of a file, or of standard input for `-`.
func inputText(_ path: String, field: String) throws -> String {
    // A FileHandle, not FileManager.contents: a pipe (`<(…)`, /dev/stdin) reads too.
    guard let handle = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path),
          let data = try? handle.readToEnd() ?? Data() else { throw InputError(field, "cannot read \(path)") }
    guard let text = String(data: data, encoding: .utf8) else { throw InputError(field, "\(path) is not UTF-8 text") }
    return text
}

struct AggregateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Pack codes into a case or pallet, as the packing line reports them (POST /api/aggregations).",
        discussion: """
            With --parent, --children lists one child code (or the URL its QR symbol holds) per line. Without \
            --parent, each line is 'parent,child': a whole pallet of cases of bottles in one file. A child has one \
            parent at a time: one packed elsewhere is refused unless --replace re-packs it (recorded). A parent's \
            level is above its children's (unit < inner-case < case < pallet; see `batch issue --kind`). Unknown, \
            inactive, void and blacklisted codes are refused naming their line. All or nothing: on any error nothing \
            is written. At most 100,000 codes per call.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "The case or pallet code the children go into (omit for a file of parent,child pairs).") var parent: String?
    @Option(help: ArgumentHelp("A file of child codes, one per line, or - for standard input.", valueName: "file")) var children: String
    @Flag(help: "Move children packed elsewhere into this parent (unpacking them from the old one).") var replace = false

    func run() async throws {
        try await reportingErrors {
            let (config, store) = try await global.open()
            let signer = try config.signer(notice: note)
            let packings = try ChannelInput.packings(try inputText(children, field: "children"), parent: parent, signer: signer)
            let at = Date()
            let outcome = try await store.withChannelTransaction { tx in try ChannelBook.aggregate(packings, replace: replace, at: at, in: tx, naming: signer.code(for:)) }
            try global.emit(outcome) {
                "packed \(outcome.bound) codes into \(packings.count) parent\(packings.count == 1 ? "" : "s")"
                    + (outcome.moved > 0 ? " (\(outcome.moved) moved from another)" : "")
                    + (outcome.unchanged > 0 ? "; \(outcome.unchanged) were there already" : "")
            }
        }
    }
}

struct ShipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Ship cases or pallets (and every unit in them) to a dealer, or deliver them to a store (POST /api/shipments).",
        discussion: """
            From a warehouse (no --from), a code must not have been shipped before. A dealer passing goods on to \
            a sub-dealer ships with --from: only what was last shipped to it. A dealer delivering to a store ships \
            with --store and --from: the goods stay that dealer's, and the store's region is where they are. A \
            consumer scan outside the territory of the dealer an item was last shipped to is a diversion \
            (`onecode report dealer-diversion`). All or nothing.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "The dealer id the goods go to (see `onecode dealer list`).") var dealer: Int64?
    @Option(help: "The store id a dealer delivers to (with --from; see `onecode store list`).") var store: Int64?
    @Option(help: "The dealer id passing the goods on or delivering them, when not from a warehouse.") var from: Int64?
    @Option(help: "The warehouse id they leave (see `onecode warehouse list`).") var warehouse: Int64?
    @Option(help: ArgumentHelp("A file of case, pallet or unit codes, one per line, or - for standard input.", valueName: "file")) var codes: String

    func run() async throws {
        try await reportingErrors {
            let destination = try ChannelBook.Destination.named(dealer: dealer, store: self.store)
            let fromID = try from.map { try positive($0, "from") }
            let warehouseID = try warehouse.map { try positive($0, "warehouse") }
            let (config, store) = try await global.open()
            let signer = try config.signer(notice: note)
            let placed = try ChannelInput.codes(try inputText(codes, field: "codes"), signer: signer)
            let at = Date()
            let shipment = try await store.withChannelTransaction { tx in
                try ChannelBook.ship(placed, to: destination, from: fromID.map(DealerID.init(rawValue:)),
                                     warehouse: warehouseID.map(WarehouseID.init(rawValue:)), at: at, in: tx)
            }
            try global.emit(shipment) {
                let codes = shipment.codes == 1 ? "1 code" : "\(shipment.codes) codes"
                if let store = shipment.store { return "shipment \(shipment.id): \(codes) from dealer \(shipment.dealer) to store \(store)" }
                return "shipment \(shipment.id): \(codes) to dealer \(shipment.dealer)"
            }
        }
    }
}

func positive(_ value: Int64, _ field: String) throws -> Int64 {
    guard value > 0 else { throw InputError(field, "must be a positive id (got \(value))") }
    return value
}

struct DealerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dealer", abstract: "Register the dealers goods are shipped to, with their territories.",
        subcommands: [Add.self, List.self, Shipments.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a dealer and the regions it may sell in.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The dealer's name (unique).") var name: String
        @Option(help: "Region codes it may sell in, separated by commas: CN-31,CN-32 (CN covers every CN-xx).") var territory: String
        @Option(help: "Whom to call (name, phone).") var contact: String?
        func run() async throws {
            try await reportingErrors {
                let new = try NewDealer(name: name, territory: Territory(territory), contact: contact)
                let (_, store) = try await global.open()
                let dealer = try await store.addDealer(new)
                try global.emit(dealer) { "dealer \(dealer.id): \(dealer.name), territory \(dealer.territory.regions.joined(separator: ", "))" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dealers.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let dealers = try await store.dealerProfiles()
                try global.emit(dealers) {
                    dealers.isEmpty ? "no dealers yet; add one with `onecode dealer add --name N --territory CN-31`" :
                    Table(["id", "name", "territory", "contact", "shipments", "codes shipped", "sold through", "to stores", "diversions", "in regions"],
                          dealers.map {
                        [$0.dealer.id.description, $0.dealer.name, $0.dealer.territory.regions.joined(separator: ","), $0.dealer.contact ?? "",
                         String($0.shipments), String($0.codesShipped), String($0.unitsSold), String($0.deliveries), String($0.diversions),
                         String($0.diversionRegions)]
                    }).text
                }
            }
        }
    }

    struct Shipments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the latest shipments, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many.") var limit: Int = 50
        func run() async throws {
            try await reportingErrors {
                guard (1...10_000).contains(limit) else { throw InputError("limit", "must be from 1 to 10000 (got \(limit))") }
                let (_, store) = try await global.open()
                let shipments = try await store.shipments(limit: limit)
                let time = try await global.displayTime()
                try global.emit(shipments) {
                    shipments.isEmpty ? "no shipments yet; ship with `onecode ship --dealer D --codes FILE`" :
                    Table(["id", "at", "dealer", "from", "warehouse", "codes"], shipments.map {
                        [String($0.id), time.minute($0.at), $0.dealer.description, $0.fromDealer?.description ?? "", $0.warehouse?.description ?? "",
                         String($0.codes)]
                    }).text
                }
            }
        }
    }
}

struct WarehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse", abstract: "Register the warehouses goods leave from.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a warehouse.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Its name (unique).") var name: String
        @Option(help: "Its region, an ISO 3166 code such as CN-31.") var region: String?
        func run() async throws {
            try await reportingErrors {
                let new = try NewWarehouse(name: name, region: region)
                let (_, store) = try await global.open()
                let warehouse = try await store.addWarehouse(new)
                try global.emit(warehouse) { "warehouse \(warehouse.id): \(warehouse.name)" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List warehouses.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, store) = try await global.open()
                let warehouses = try await store.warehouses()
                try global.emit(warehouses) {
                    warehouses.isEmpty ? "no warehouses yet; add one with `onecode warehouse add --name N`" :
                    Table(["id", "name", "region"], warehouses.map { [$0.id.description, $0.name, $0.region ?? ""] }).text
                }
            }
        }
    }
}

struct ClerkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clerk", abstract: "Register stores' clerks (导购), who bind to the cases they sell from.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a clerk to a store and print their token once.",
            discussion: """
                The clerk binds to a case with POST /api/clerk-bindings {"code": CASE} and 'Authorization: Bearer <token>'. When a \
                consumer's first counted scan lands on a unit of that case, the clerk earns channel.clerkReward (at most \
                channel.clerkDailyCap a day). Only the token's hash is stored.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The store id (see `onecode store list`).") var store: Int64
        @Option(help: "The clerk's name.") var name: String
        func run() async throws {
            try await reportingErrors {
                let new = try Actions.NewClerk(store: store, name: name)
                let (_, db) = try await global.open()
                let (clerk, secret) = try await Actions(store: db, actor: .commandLine).addClerk(new)
                struct Output: Encodable { var clerk: Clerk; var token: String }
                try global.emit(Output(clerk: clerk, token: secret)) {
                    "clerk \(clerk.id): \(clerk.name), store \(clerk.storeId)\ntoken (keep it now; only its hash is stored):\n\(secret)"
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clerks.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this store's clerks.") var store: Int64?
        func run() async throws {
            try await reportingErrors {
                let (_, db) = try await global.open()
                let clerks = try await db.clerks(store: store.map(StoreID.init(rawValue:)))
                try global.emit(clerks) {
                    clerks.isEmpty ? "no clerks yet; add one with `onecode clerk add --store S --name N`" :
                    Table(["id", "store", "name"], clerks.map { [$0.id.description, $0.storeId.description, $0.name] }).text
                }
            }
        }
    }
}

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "What the channel owes stores (receipt rebates) and clerks (rewards).",
        subcommands: [Balances.self, Export.self])

    struct Balances: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every store's rebates and every clerk's rewards, summed (GET /api/ledger/balances).")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            try await reportingErrors {
                let (_, db) = try await global.open()
                let balances = try await db.balances()
                try global.emit(balances) {
                    balances.isEmpty ? "nothing owed yet" :
                    Table(["store", "name", "clerk", "clerk name", "amount", "lines"], balances.map {
                        [$0.storeId.description, $0.store, $0.clerkId?.description ?? "", $0.clerk ?? "", String($0.amount), String($0.entries)]
                    }).text
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The settlement file of a period as CSV: every ledger line (GET /api/ledger?format=csv).",
            discussion: "--from and --to are UTC days (YYYY-MM-DD, --to included) or months (YYYY-MM); the default is this month so far.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The first day or month.", valueName: "YYYY-MM-DD|YYYY-MM")) var from: String?
        @Option(help: ArgumentHelp("The last day or month (default: as --from).", valueName: "YYYY-MM-DD|YYYY-MM")) var to: String?
        @Option(help: ArgumentHelp("Write to this new file instead of standard output.", valueName: "file")) var out: String?
        func run() async throws {
            try await reportingErrors {
                let period = try LedgerPeriod(from, to)
                if let out, FileManager.default.fileExists(atPath: out) { throw InputError("out", "\(out) exists; name a new file") }
                let (_, db) = try await global.open()
                let (text, lines) = try await LedgerEntry.settlement(period, in: db)
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { throw InputError("out", "cannot write \(out)") }
                    note("wrote \(lines) ledger lines of \(period.name) to \(out)")
                } else {
                    print(text, terminator: "")
                }
            }
        }
    }
}

struct EPCISCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epcis", abstract: "The supply-chain history as GS1 EPCIS 2.0 JSON-LD.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write packings (AggregationEvent), shipments and receipts (ObjectEvent, bizStep shipping and receiving) as one EPCIS document.",
            discussion: """
                Items are named by GS1 Digital Link URIs ({codes.baseURL}/01/{gtin}/21/{code}) when their product has a GTIN, else by \
                their scan URL; dealers, warehouses and stores by urn:onecode:… names. The API pages the same events: \
                GET /api/epcis/events?from=&to=&type=&limit= (next page in the Link header).
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The first time: ISO 8601 or a UTC day.", valueName: "time|YYYY-MM-DD")) var from: String?
        @Option(help: ArgumentHelp("The last time (a day is included whole).", valueName: "time|YYYY-MM-DD")) var to: String?
        @Option(help: "Only AggregationEvent or ObjectEvent.") var type: String?
        @Option(help: ArgumentHelp("Write to this new file instead of standard output.", valueName: "file")) var out: String?
        func run() async throws {
            try await reportingErrors {
                let query = try EPCISExport.Query(from: from, to: to, type: type)
                if let out, FileManager.default.fileExists(atPath: out) { throw InputError("out", "\(out) exists; name a new file") }
                let (config, store) = try await global.open()
                let export = EPCISExport(store: store, signer: try config.signer(notice: note), baseURL: config.baseURL)
                let document = try await export.document(query)
                let data = try EPCISExport.json(document)
                let count = ((document["epcisBody"] as? [String: Any])?["eventList"] as? [Any])?.count ?? 0
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: data) else { throw InputError("out", "cannot write \(out)") }
                    note("wrote \(count) EPCIS events to \(out)")
                } else {
                    FileHandle.standardOutput.write(data)
                    print()
                }
            }
        }
    }
}
