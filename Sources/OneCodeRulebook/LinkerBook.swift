import Foundation
import OneCodeDomain
import OneCodeStorage

/// The linker, decided here for every backend over the transaction it lends (`LinkerTransaction`):
/// scans into profiles, late changes, segments, leads. A backend reads and writes rows; which
/// consumers, members and leads change, and what a refresh reports, is decided in this file.
///
/// **What a refresh reports** (the same on every backend):
/// - `scansRead`: counted scans with a consumer read from the window (every one on a full computation);
/// - `profilesChanged`: profiles written from scans or late region changes (each consumer once);
/// - `segmentsRefreshed`: segments whose rule parsed and were brought up to date;
/// - `membersAdded` / `membersRemoved`: memberships that began or ended in this refresh, over all
///   segments (a full computation keeps the members it finds again: it counts only real changes);
/// - `leadsChanged`: leads that got a new export cursor because what they say changed;
///   `leadsCreated`: those among them that did not exist before (each emits `lead.created`);
/// - leads are scored again when their profile or memberships change, and all of them on the first
///   refresh of a UTC day (a score's recency counts whole days), so an incremental refresh gives the
///   same scores and reasons as a full one at the same time;
/// - `failedSegments`: segments left as they were, with why (a rule that no longer parses keeps its
///   last members until it is edited or deleted, on a full computation too).
public enum LinkerBook {
    /// Scans read per page, and consumers per page of candidates and leads.
    static let page = 20_000

    /// With ONECODE_LINKER_TRACE set, each phase's time goes to stderr (for `scripts/bench linker`).
    public static let trace = ProcessInfo.processInfo.environment["ONECODE_LINKER_TRACE"] != nil

    /// With the trace on, `body`'s time on stderr as one of the refresh's phases (a backend's own steps: commit, moves).
    public static func traced<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard trace else { return try body() }
        let start = Date()
        defer { FileHandle.standardError.write(Data(String(format: "linker: %@ %.3f s\n", name, Date().timeIntervalSince(start)).utf8)) }
        return try body()
    }

    /// With ONECODE_LINKER_HOLD=S, a refresh says so on stderr and waits S seconds half-way (profiles
    /// written, segments and leads not yet), its transaction open: the tests kill it there.
    static let hold = ProcessInfo.processInfo.environment["ONECODE_LINKER_HOLD"].flatMap(Double.init)

    static func holdForTests() {
        guard let hold else { return }
        FileHandle.standardError.write(Data("linker: holding the refresh open for \(hold) s (ONECODE_LINKER_HOLD)\n".utf8))
        Thread.sleep(forTimeInterval: hold)
    }

    /// Brings profiles, segment members and leads up to date inside one transaction.
    public static func refresh(in tx: any LinkerTransaction, now: Date, full requested: Bool) throws -> LinkerRefresh {
        var phaseStart = Date()
        func phase(_ name: String) {
            guard trace else { return }
            FileHandle.standardError.write(Data(String(format: "linker: %@ %.3f s\n", name, Date().timeIntervalSince(phaseStart)).utf8))
            phaseStart = Date()
        }
        let window = try tx.begin(full: requested)
        let full = window.full
        var report = LinkerRefresh(full: full)
        let version = window.lastVersion + 1
        if full { try tx.clearProfiles() }

        try mergeScans(tx, full: full, version: version, report: &report)
        phase("scans into profiles")
        if !full { try applyLateChanges(tx, version: version, report: &report) }
        phase("late changes")
        try tx.addActivity(version: version, full: full)
        try tx.closeWindow(version: version, now: now)
        phase("entries, feedback, contacts")
        holdForTests()

        try refreshSegments(tx, full: full, version: version, now: now, report: &report)
        phase("segments")
        // A lead's recency counts whole days: on a new day every consenting consumer is scored again.
        let newDay = window.lastRefreshAt.map { LeadScore.day(of: Date(timeIntervalSince1970: $0)) != LeadScore.day(of: now) } ?? true
        let (changed, created) = try refreshLeads(tx, since: full || newDay ? 0 : window.lastVersion, now: now)
        report.leadsChanged = changed
        report.leadsCreated = created
        phase("leads")
        return report
    }

    // MARK: - Profiles

    /// The window's scans, consumer by consumer, merged into their profiles (new ones on a full computation).
    static func mergeScans(_ tx: any LinkerTransaction, full: Bool, version: Int64, report: inout LinkerRefresh) throws {
        let products = try tx.batchProducts()
        var current: ProfileBuilder?
        var done: [ProfileBuilder] = []
        // With the trace on: where this phase's time goes (reading scans, reading profiles, writing them).
        var spent = (read: 0.0, load: 0.0, save: 0.0)
        func timed<T>(_ part: WritableKeyPath<(read: Double, load: Double, save: Double), Double>, _ body: () throws -> T) rethrows -> T {
            guard trace else { return try body() }
            let start = Date()
            defer { spent[keyPath: part] += Date().timeIntervalSince(start) }
            return try body()
        }
        defer {
            if trace {
                FileHandle.standardError.write(Data(String(format: "linker:   reading scans %.3f s, reading profiles %.3f s, writing profiles %.3f s\n",
                                                           spent.read, spent.load, spent.save).utf8))
            }
        }
        while true {
            let scans = try timed(\.read) { try tx.nextScans(limit: page) }
            if scans.isEmpty { break }
            var stored: [String: ProfileBuilder] = [:]
            if !full {
                var consumers: [String] = []
                for scan in scans where consumers.last != scan.consumer && current?.consumer != scan.consumer { consumers.append(scan.consumer) }
                stored = try timed(\.load) { try tx.storedProfiles(consumers) }
            }
            for scan in scans {
                if current?.consumer != scan.consumer {
                    if let finished = current { done.append(finished) }
                    current = stored[scan.consumer] ?? ProfileBuilder(consumer: scan.consumer)
                }
                current!.add(batch: scan.batch, product: scan.batch.flatMap { products[$0] }, region: scan.region, at: scan.at)
                report.scansRead += 1
            }
            // The last consumer may go on in the next page.
            try timed(\.save) { try tx.saveProfiles(done, version: version) }
            report.profilesChanged += done.count
            done.removeAll(keepingCapacity: true)
        }
        if let finished = current {
            try tx.saveProfiles([finished], version: version)
            report.profilesChanged += 1
        }
    }

    /// Late region changes to scans the profiles hold already: each moves one count between regions.
    static func applyLateChanges(_ tx: any LinkerTransaction, version: Int64, report: inout LinkerRefresh) throws {
        let changes = try tx.lateChanges()
        guard !changes.isEmpty else { return }
        var consumers: [String] = []
        var seen: Set<String> = []
        for change in changes where seen.insert(change.consumer).inserted { consumers.append(change.consumer) }
        var profiles = try tx.storedProfiles(consumers)
        for change in changes { profiles[change.consumer]?.moveScan(at: change.at, from: change.from, to: change.to) }
        let moved = consumers.compactMap { profiles[$0] }
        try tx.saveProfiles(moved, version: version)
        report.profilesChanged += moved.count
    }

    // MARK: - Segments

    /// Segments: new and edited ones (every one on a full computation) whole, in the database; the
    /// others from the consumers whose profile changed or whom time moved across a window.
    static func refreshSegments(_ tx: any LinkerTransaction, full: Bool, version: Int64, now: Date, report: inout LinkerRefresh) throws {
        var parsed: [(stored: StoredSegment, rule: SegmentRule)] = []
        for segment in try tx.segments() {
            do {
                parsed.append((segment, try SegmentRule.parse(Data(segment.rules.utf8))))
            } catch {
                report.failedSegments.append("segment \(segment.id): its rule no longer parses (\(error)); edit or delete it")
            }
        }
        var incremental: [(stored: StoredSegment, rule: SegmentRule)] = []
        for (segment, rule) in parsed {
            guard full || segment.version == 0 else {
                incremental.append((segment, rule))
                continue
            }
            do {
                let (added, removed) = try tx.replaceMembers(of: segment.id, condition: SegmentSQL.condition(rule, now: now.timeIntervalSince1970))
                try tx.segmentRefreshed(segment.id, version: version, at: now, members: segment.members + added - removed)
                try tx.recordSegmentDay(segment.id, day: Day.today(now).description, members: segment.members + added - removed,
                                        added: added, removed: removed)
                report.membersAdded += added
                report.membersRemoved += removed
                report.segmentsRefreshed += 1
            } catch let error as SegmentEvaluationError {
                report.failedSegments.append("segment \(segment.id): could not be evaluated (\(error.message))")
            }
        }
        guard !incremental.isEmpty else { return }
        // Consumers whose membership may have changed: changed profiles, and those time alone may move
        // (scans leaving a `scans` window, consumers crossing a `lapsed` limit).
        let since = incremental.map(\.stored.version).min()!
        let last = incremental.compactMap(\.stored.refreshedAt).min() ?? 0
        let spans = incremental.flatMap { $0.rule.crossedSpans(since: last, now: now.timeIntervalSince1970) }
        try tx.collectCandidates(changedAfter: since, scannedWithin: spans)
        let ids = incremental.map(\.stored.id)
        var added: [Int64: Int] = [:], removed: [Int64: Int] = [:]
        var after = ""
        while true {
            let candidates = try tx.candidates(after: after, limit: page, segments: ids)
            guard let lastCandidate = candidates.last else { break }
            after = lastCandidate.profile.consumer
            var adding: [Membership] = [], removing: [Membership] = []
            for candidate in candidates {
                for (segment, rule) in incremental {
                    let wanted = rule.matches(candidate.profile, now: now)
                    let member = candidate.memberOf.contains(segment.id)
                    if wanted && !member {
                        adding.append(Membership(segment: segment.id, consumer: candidate.profile.consumer))
                        added[segment.id, default: 0] += 1
                    } else if !wanted && member {
                        removing.append(Membership(segment: segment.id, consumer: candidate.profile.consumer))
                        removed[segment.id, default: 0] += 1
                    }
                }
            }
            try tx.changeMembers(adding: adding, removing: removing)
        }
        for (segment, _) in incremental {
            let joined = added[segment.id] ?? 0, left = removed[segment.id] ?? 0
            try tx.segmentRefreshed(segment.id, version: version, at: now, members: segment.members + joined - left)
            try tx.recordSegmentDay(segment.id, day: Day.today(now).description, members: segment.members + joined - left,
                                    added: joined, removed: left)
        }
        report.membersAdded += added.values.reduce(0, +)
        report.membersRemoved += removed.values.reduce(0, +)
        report.segmentsRefreshed += incremental.count
    }

    // MARK: - Leads

    /// Encodes a lead's reasons and source as stored (sorted keys: the same text for the same value).
    static let leadEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Scores consenting consumers whose profiles changed after `since` (all of them when 0) or whose
    /// memberships changed, and every store with redemptions; a lead takes the next cursor only when
    /// what it says changed, and a new one emits `lead.created`.
    static func refreshLeads(_ tx: any LinkerTransaction, since: Int64, now: Date) throws -> (changed: Int, created: Int) {
        var sequence = try tx.leadSequence()
        var changed = 0, created = 0
        func put(_ wanted: [(row: LeadRow, reasons: [String], source: Lead.Source)]) throws {
            guard !wanted.isEmpty else { return }
            let stored = try tx.storedLeads(wanted.map(\.row.key))
            var rows: [LeadRow] = []
            for var lead in wanted {
                let old = stored[lead.row.key]
                if let old, old.saysTheSame(as: lead.row) { continue }
                sequence += 1
                lead.row.seq = sequence
                lead.row.createdAt = old?.createdAt ?? now.timeIntervalSince1970
                rows.append(lead.row)
                if old == nil {
                    created += 1
                    try tx.emit(.leadCreated, at: now, data: Lead.createdEvent(
                        kind: lead.row.key.kind, id: lead.row.key.ref, name: lead.row.name, phone: lead.row.phone, score: lead.row.score,
                        reasons: lead.reasons, source: lead.source))
                }
            }
            changed += rows.count
            try tx.writeLeads(rows, sequence: sequence, at: now)
        }
        func row(_ kind: Lead.Kind, _ ref: String, name: String?, phone: String?, score: Double, reasons: [String],
                 source: Lead.Source) throws -> (row: LeadRow, reasons: [String], source: Lead.Source) {
            let reasonsText = String(decoding: try leadEncoder.encode(reasons), as: UTF8.self)
            let sourceText = String(decoding: try leadEncoder.encode(source), as: UTF8.self)
            return (LeadRow(key: LeadKey(kind: kind, ref: ref), name: name, phone: phone, score: score, reasons: reasonsText, source: sourceText,
                            createdAt: 0, seq: 0), reasons, source)
        }
        var after = ""
        while true {
            let facts = try tx.consumerLeadFacts(changedAfter: since, after: after, limit: page)
            guard let last = facts.last else { break }
            after = last.profile.consumer
            try put(facts.filter { LeadPolicy.isLead($0.profile) }.map { fact in
                let (score, reasons) = LeadScore.consumer(fact.profile, segments: fact.segments, now: now)
                return try row(.consumer, fact.profile.consumer, name: fact.name, phone: fact.phone, score: score, reasons: reasons,
                               source: Lead.Source(batch: fact.profile.lastBatch, region: fact.profile.lastRegion, store: fact.store))
            })
        }
        // A store is a lead once it redeemed a prize or received a case.
        try put(tx.storeLeadFacts().filter { $0.redemptions > 0 || $0.receipts > 0 }.map { store in
            let (score, reasons) = LeadScore.store(redemptions: store.redemptions, consumers: store.consumers, receipts: store.receipts,
                                                   unitsSold: store.unitsSold)
            return try row(.store, String(store.id), name: store.name, phone: nil, score: score, reasons: reasons,
                           source: Lead.Source(batch: nil, region: store.region, store: store.id))
        })
        // A dealer is a lead once anything was shipped to it: what sold through, and where its goods surfaced.
        try put(tx.dealerLeadFacts().filter { $0.shipments > 0 }.map { dealer in
            let (score, reasons) = LeadScore.dealer(shipments: dealer.shipments, codes: dealer.codesShipped, unitsSold: dealer.unitsSold,
                                                    deliveries: dealer.deliveries, diversions: dealer.diversions, regions: dealer.diversionRegions)
            return try row(.dealer, String(dealer.dealer.id.rawValue), name: dealer.dealer.name, phone: nil, score: score, reasons: reasons,
                           source: Lead.Source(batch: nil, region: nil, store: nil))
        })
        return (changed, created)
    }
}
