import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: ScanStore {
    public func recordScans(_ requests: [ScanRequest], rules: VerdictRules) async throws -> [ScanResult] {
        try await writer.write { db in
            let lookup = try db.cachedStatement(sql: """
                SELECT c.batch_id, c.blacklist_reason, b.status, b.product_id FROM code c JOIN batch b ON b.id = c.batch_id WHERE c.key = ?
                """)
            // Bounded reads of the code's counted scans: never more than the thresholds need.
            let counted = try db.cachedStatement(sql: """
                SELECT count(*) FROM (SELECT 1 FROM scan WHERE code_key = ? AND counted = 1 LIMIT ?)
                """)
            let first = try db.cachedStatement(sql: "SELECT min(at) FROM scan WHERE code_key = ? AND counted = 1")
            let consumers = try db.cachedStatement(sql: """
                SELECT count(*) FROM (SELECT DISTINCT consumer FROM scan WHERE code_key = ? AND counted = 1 AND consumer IS NOT NULL LIMIT ?)
                """)
            let seen = try db.cachedStatement(sql: """
                SELECT 1 FROM scan WHERE code_key = ? AND counted = 1 AND consumer = ? LIMIT 1
                """)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO scan (at, code_key, code, batch_id, consumer, ip, user_agent, referer, bot, counted, region, verdict, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let live = try Self.liveCampaigns(db, at: Date())
            // Balances are looked up only once any points were ever awarded.
            let anyPoints = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entry WHERE points > 0)") ?? false
            let balance = try db.cachedStatement(sql: "SELECT coalesce(sum(points), 0) FROM entry WHERE consumer = ? AND points > 0")
            var results: [ScanResult] = []
            results.reserveCapacity(requests.count)
            for request in requests {
                var state: CodeState?
                var batchID: BatchID?
                var firstScanAt: Date?
                var scanCount = 0
                // Only a consumer's scan of a live code counts; scans of inactive, void or blacklisted
                // codes, and bots' scans, are recorded as evidence but count for nothing.
                var counts = false
                var productID: ProductID?
                if let row = try Row.fetchOne(lookup, arguments: [request.key.rawValue]) {
                    productID = ProductID(rawValue: row[3])
                    batchID = BatchID(rawValue: row[0])
                    let status = BatchStatus(rawValue: row[2]) ?? .void
                    let blacklisted = row[1] as String? != nil
                    counts = !request.bot && status == .active && !blacklisted
                    var consumerCount = 0, newConsumer = false
                    if status == .active && !blacklisted {
                        scanCount = try Int.fetchOne(counted, arguments: [request.key.rawValue, rules.maxScans + 1]) ?? 0
                        if scanCount > 0 {
                            firstScanAt = try Double.fetchOne(first, arguments: [request.key.rawValue]).map(Date.init(timeIntervalSince1970:))
                        }
                        if scanCount <= rules.maxScans {
                            consumerCount = try Int.fetchOne(consumers, arguments: [request.key.rawValue, rules.maxConsumers + 1]) ?? 0
                            if counts, let consumer = request.consumer {
                                newConsumer = try Int.fetchOne(seen, arguments: [request.key.rawValue, consumer.value]) == nil
                            }
                        }
                    }
                    state = CodeState(batchStatus: status, blacklisted: blacklisted, scanCount: scanCount,
                                      consumerCount: consumerCount, newConsumer: newConsumer)
                    if counts {
                        scanCount += 1
                        firstScanAt = firstScanAt ?? request.at
                    }
                }
                let (verdict, reason) = rules.decide(state, counted: counts)
                try insert.execute(arguments: [
                    request.at.timeIntervalSince1970, request.key.rawValue, request.code, batchID?.rawValue,
                    request.consumer?.value, request.ip, request.userAgent, request.referer, request.bot, counts, request.region,
                    verdict.rawValue, reason.rawValue,
                ])
                let scanID = db.lastInsertedRowID
                if verdict == .suspicious && counts {
                    try Self.emit(db, .scanSuspicious, at: request.at) { data in
                        data.add("at", request.at)
                        data.add("batchId", batchID?.rawValue)
                        data.add("code", request.code)
                        data.add("consumer", request.consumer?.value)
                        data.add("productId", productID?.rawValue)
                        data.add("reason", reason.rawValue)
                        data.add("region", request.region)
                        data.add("scanCount", scanCount)
                        data.add("scanId", scanID)
                    }
                }
                // A counted scan of a genuine code draws once per live campaign in scope, or shows its earlier draw.
                var draws: [DrawOutcome] = []
                if counts, verdict == .genuine || verdict == .repeat, let batchID, let productID {
                    for campaign in live where campaign.definition.scope.contains(product: productID, batch: batchID, region: request.region) {
                        draws.append(try Self.draw(db, campaign, key: request.key, code: request.code, consumer: request.consumer,
                                                   at: request.at, scan: scanID, earlierScans: scanCount > 1))
                    }
                }
                var points: Int?
                if counts, let consumer = request.consumer,
                   anyPoints || draws.contains(where: { $0.result == .won && $0.prize?.kind == .points }) {
                    points = try Int.fetchOne(balance, arguments: [consumer.value])
                    if points == 0 { points = nil }
                }
                results.append(ScanResult(scanID: scanID, verdict: verdict, reason: reason, batchID: batchID,
                                          scanCount: scanCount, firstScanAt: firstScanAt, draws: draws, points: points))
            }
            return results
        }
    }

    public func attachLocation(key: CodeKey, consumer: ConsumerID, latitude: Double, longitude: Double, region: String?) async throws -> Int64? {
        try await writer.write { db in
            guard let id = try Int64.fetchOne(
                db, sql: "SELECT id FROM scan WHERE code_key = ? AND consumer = ? ORDER BY id DESC LIMIT 1",
                arguments: [key.rawValue, consumer.value]) else { return nil }
            try db.execute(sql: "UPDATE scan SET latitude = ?, longitude = ?, region = coalesce(?, region) WHERE id = ?",
                           arguments: [latitude, longitude, region, id])
            return id
        }
    }

    public func scans(of key: CodeKey, limit: Int) async throws -> [ScanRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM scan WHERE code_key = ? ORDER BY id DESC LIMIT ?", arguments: [key.rawValue, limit]).map { row in
                ScanRecord(
                    id: row["id"], at: Date(timeIntervalSince1970: row["at"]), code: row["code"],
                    batchID: (row["batch_id"] as Int64?).map(BatchID.init(rawValue:)), consumer: row["consumer"], ip: row["ip"],
                    userAgent: row["user_agent"], referer: row["referer"], bot: row["bot"], region: row["region"],
                    latitude: row["latitude"], longitude: row["longitude"],
                    verdict: Verdict(rawValue: row["verdict"]) ?? .unknown, reason: VerdictReason(rawValue: row["reason"]) ?? .notIssued)
            }
        }
    }

    public func setStatus(_ status: BatchStatus, of batch: BatchID) async throws -> Batch {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM batch WHERE id = ?", arguments: [batch.rawValue]) else {
                throw NotFoundError("id", "no batch with id \(batch)")
            }
            var current = try Self.batch(from: row)
            guard current.status.canChange(to: status) else {
                throw InputError("status", "batch \(batch) is \(current.status.rawValue) and cannot become \(status.rawValue) (issued → active → void; void is final)")
            }
            try db.execute(sql: "UPDATE batch SET status = ? WHERE id = ?", arguments: [status.rawValue, batch.rawValue])
            current.status = status
            return current
        }
    }

    public func blacklist(_ key: CodeKey, reason: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE code SET blacklist_reason = ? WHERE key = ?", arguments: [reason, key.rawValue])
            guard db.changesCount == 1 else { throw NotFoundError("code", "this code was never issued") }
        }
    }

    public func verdictCounts(batch: BatchID?) async throws -> [Verdict: Int] {
        try await writer.read { db in
            let rows = try batch.map {
                try Row.fetchAll(db, sql: "SELECT verdict, count(*) FROM scan WHERE batch_id = ? GROUP BY verdict", arguments: [$0.rawValue])
            } ?? Row.fetchAll(db, sql: "SELECT verdict, count(*) FROM scan GROUP BY verdict")
            var counts: [Verdict: Int] = [:]
            for row in rows { if let verdict = Verdict(rawValue: row[0]) { counts[verdict] = row[1] } }
            return counts
        }
    }
}

extension SQLiteStore: TokenStore {
    public func createToken(name: String, scope: TokenScope, hash: [UInt8]) async throws -> APIToken {
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO api_token (name, scope, hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, scope.rawValue, Data(hash), now.timeIntervalSince1970])
            return APIToken(id: db.lastInsertedRowID, name: name, scope: scope, createdAt: now)
        }
    }

    public func token(hash: [UInt8]) async throws -> APIToken? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE hash = ?", arguments: [Data(hash)]).flatMap { row in
                TokenScope(rawValue: row["scope"]).map {
                    APIToken(id: row["id"], name: row["name"], scope: $0, createdAt: Date(timeIntervalSince1970: row["created_at"]),
                             storeID: row["store_id"])
                }
            }
        }
    }
}
