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

    public func scanDayCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanDayCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT day, batch_id, region, verdict, scans, first_scans FROM scan_day
                WHERE day >= ? AND day <= ? AND (? IS NULL OR batch_id = ?) ORDER BY day, batch_id, region, verdict
                """, arguments: [from, to, batch?.rawValue, batch?.rawValue]).map {
                ScanDayCount(day: $0[0], batch: BatchID(rawValue: $0[1]), region: $0[2], verdict: try Verdict.stored($0[3]), scans: $0[4], firstScans: $0[5])
            }
        }
    }

    public func scanRegionCounts(from: String, to: String) async throws -> [ScanRegionCount] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT batch_id, region, sum(scans) FROM scan_day WHERE day >= ? AND day <= ? GROUP BY batch_id, region ORDER BY batch_id, region
                """, arguments: [from, to]).map { ScanRegionCount(batch: BatchID(rawValue: $0[0]), region: $0[1], scans: $0[2]) }
        }
    }

    public func scannedCodes() async throws -> [BatchID: Int] {
        try await writer.read { db in
            var counts: [BatchID: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT batch_id, sum(first_scans) FROM scan_day GROUP BY batch_id") {
                counts[BatchID(rawValue: row[0])] = row[1]
            }
            return counts
        }
    }
}
