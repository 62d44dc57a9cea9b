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

    public func scanRegionCounts(from: String, to: String) async throws -> [ScanRegionCount] {
        try await read { db in
            try db.rows("""
                SELECT batch_id, region, sum(scans)::int8 FROM scan_day WHERE day >= \(from) AND day <= \(to) GROUP BY batch_id, region ORDER BY batch_id, region
                """).map {
                let (batch, region, scans) = try $0.decode((Int64, String, Int64).self)
                return ScanRegionCount(batch: BatchID(rawValue: batch), region: region, scans: Int(scans))
            }
        }
    }

    public func scanDayCounts(from: String, to: String, batch: BatchID?) async throws -> [ScanDayCount] {
        try await read { db in
            try db.rows("""
                SELECT day, batch_id, region, verdict, scans, first_scans FROM scan_day
                WHERE day >= \(from) AND day <= \(to) AND (\(batch?.rawValue)::int8 IS NULL OR batch_id = \(batch?.rawValue))
                ORDER BY day, batch_id, region, verdict
                """).map {
                let (day, batch, region, verdict, scans, first) = try $0.decode((String, Int64, String, String, Int64, Int64).self)
                return ScanDayCount(day: day, batch: BatchID(rawValue: batch), region: region, verdict: try Verdict.stored(verdict), scans: Int(scans),
                                    firstScans: Int(first))
            }
        }
    }

    public func scannedCodes() async throws -> [BatchID: Int] {
        try await read { db in
            var counts: [BatchID: Int] = [:]
            for row in try db.rows("SELECT batch_id, sum(first_scans)::int8 FROM scan_day GROUP BY batch_id") {
                let (batch, scanned) = try row.decode((Int64, Int64).self)
                counts[BatchID(rawValue: batch)] = Int(scanned)
            }
            return counts
        }
    }
}
