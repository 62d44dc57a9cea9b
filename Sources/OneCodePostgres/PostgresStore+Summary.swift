import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

extension PostgresStore: SummaryStore {
    public func addScanDayCounts(_ counts: [ScanDayCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write { db in
            _ = try db.execute("""
                INSERT INTO scan_day (day, batch_id, region, verdict, scans, first_scans)
                SELECT * FROM unnest(\(counts.map(\.day))::text[], \(counts.map(\.batch.rawValue))::int8[], \(counts.map(\.region))::text[],
                                     \(counts.map(\.verdict.rawValue))::text[], \(counts.map { Int64($0.scans) })::int8[], \(counts.map { Int64($0.firstScans) })::int8[])
                ON CONFLICT (day, batch_id, region, verdict) DO UPDATE
                SET scans = scan_day.scans + excluded.scans, first_scans = scan_day.first_scans + excluded.first_scans
                """)
        }
    }

    public func scanDayTotals(from: String, to: String, batch: BatchID?) async throws -> [ScanDayTotal] {
        try await read { db in
            try db.rows("""
                SELECT day, verdict, sum(scans)::int8 FROM scan_day
                WHERE day >= \(from) AND day <= \(to) AND (\(batch?.rawValue)::int8 IS NULL OR batch_id = \(batch?.rawValue))
                GROUP BY day, verdict ORDER BY day, verdict
                """).map {
                let (day, verdict, scans) = try $0.decode((String, String, Int64).self)
                return ScanDayTotal(day: day, verdict: try Verdict.stored(verdict), scans: Int(scans))
            }
        }
    }

    public func scanRegionCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanRegionCount] {
        try await read { db in
            try db.rows("""
                SELECT batch_id, region, sum(scans)::int8 FROM scan_day
                WHERE day >= \(from) AND day <= \(to) AND (\(batch?.rawValue)::int8 IS NULL OR batch_id = \(batch?.rawValue))
                GROUP BY batch_id, region ORDER BY batch_id, region
                """).map {
                let (batch, region, scans) = try $0.decode((Int64, String, Int64).self)
                return ScanRegionCount(batch: BatchID(rawValue: batch), region: region, scans: Int(scans))
            }
        }
    }

    public func scannedCodes(of batches: [BatchID]) async throws -> [BatchID: Int] {
        try await read { db in
            var counts: [BatchID: Int] = [:]
            for row in try db.rows("""
                SELECT batch_id, sum(first_scans)::int8 FROM scan_day WHERE batch_id = ANY(\(batches.map(\.rawValue))) GROUP BY batch_id
                """) {
                let (batch, scanned) = try row.decode((Int64, Int64).self)
                counts[BatchID(rawValue: batch)] = Int(scanned)
            }
            return counts
        }
    }
}
