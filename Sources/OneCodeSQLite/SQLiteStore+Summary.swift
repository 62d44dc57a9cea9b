import Foundation
import GRDB
import OneCodeDomain
import OneCodeStorage

extension SQLiteStore: SummaryStore {
    public func addScanDayCounts(_ counts: [ScanDayCount]) async throws {
        guard !counts.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO scan_day (day, batch_id, region, verdict, scans, first_scans) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (day, batch_id, region, verdict) DO UPDATE SET scans = scans + excluded.scans, first_scans = first_scans + excluded.first_scans
                """)
            for count in counts {
                try statement.execute(arguments: [count.day, count.batch.rawValue, count.region, count.verdict.rawValue, count.scans, count.firstScans])
            }
        }
    }

    public func scanDayTotals(from: String, to: String, batch: BatchID?) async throws -> [ScanDayTotal] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT day, verdict, sum(scans) FROM scan_day WHERE day >= ? AND day <= ? AND (? IS NULL OR batch_id = ?) GROUP BY day, verdict ORDER BY day, verdict
                """, arguments: [from, to, batch?.rawValue, batch?.rawValue]).map {
                ScanDayTotal(day: $0[0], verdict: try Verdict.stored($0[1]), scans: $0[2])
            }
        }
    }

    public func scanRegionCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanRegionCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT batch_id, region, sum(scans) FROM scan_day WHERE day >= ? AND day <= ? AND (? IS NULL OR batch_id = ?)
                GROUP BY batch_id, region ORDER BY batch_id, region
                """, arguments: [from, to, batch?.rawValue, batch?.rawValue]).map { ScanRegionCount(batch: BatchID(rawValue: $0[0]), region: $0[1], scans: $0[2]) }
        }
    }

    public func scannedCodes(of batches: [BatchID]) async throws -> [BatchID: Int] {
        try await writer.read { db in
            // One index range (scan_day_batch) per batch asked for.
            let statement = try db.cachedStatement(sql: "SELECT sum(first_scans) FROM scan_day WHERE batch_id = ?")
            var counts: [BatchID: Int] = [:]
            for batch in Set(batches) { counts[batch] = try Int.fetchOne(statement, arguments: [batch.rawValue]) ?? 0 }
            return counts
        }
    }
}
