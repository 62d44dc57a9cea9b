import Foundation
import OneCodeDomain
import OneCodeStorage
import PostgresNIO

// MARK: - Copying in (`onecode db copy`)

extension PostgresStore {
    /// Inserts rows as `SQLiteStore.copyRows` carries them; rows whose key the table holds already are
    /// left as they are, so a copy run again adds only what is missing. Returns the rows inserted.
    public func copyIn(_ table: CopyTable, json: String) async throws -> Int {
        let declared = table.columns.map { "\"\($0.name)\" \($0.kind.carried)" }.joined(separator: ", ")
        var names = table.columns.map { "\"\($0.name)\"" }
        var values = table.columns.map { column -> String in
            switch column.kind {
            case .time: "to_timestamp(x.\"\(column.name)\")"
            case .bool: "x.\"\(column.name)\" <> 0"
            case .blob: "decode(x.\"\(column.name)\", 'hex')"
            default: "x.\"\(column.name)\""
            }
        }
        if table.name == "outbox" {
            // Copied events were all committed: their reading order is their id order.
            names.append("seq")
            values.append("x.id")
        }
        let key = table.unique.map { "\"\($0)\"" }.joined(separator: ", ")
        let sql = """
            INSERT INTO \(table.name) (\(names.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM jsonb_to_recordset($1::jsonb) AS x(\(declared))
            ON CONFLICT (\(key)) DO NOTHING
            """
        var binds = PostgresBindings()
        binds.append(json)
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await write { db in try db.execute(query) }
    }

    public func copyCount(_ table: CopyTable) async throws -> Int {
        try await read { db in try db.row(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"))?.decode(Int.self) ?? 0 }
    }

    /// Scan partitions for every month from `range`'s first to its last (copied history lands in its month).
    public func preparePartitions(for range: ClosedRange<Date>) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var month = calendar.date(from: calendar.dateComponents([.year, .month], from: range.lowerBound))!
        while month <= range.upperBound {
            try await PostgresSchema.ensurePartitions(self, around: month, months: 1)
            month = calendar.date(byAdding: .month, value: 1, to: month)!
        }
    }

    /// After a copy: every id sequence continues after the largest id copied, the lead cursor after the
    /// largest lead copied, and the next linker refresh is a full one (it rebuilds profiles and memberships).
    public func continueSequences() async throws {
        try await write { db in
            try db.execute("""
                UPDATE linker_state SET snapshot = NULL, lead_seq = greatest(lead_seq, (SELECT coalesce(max(seq), 0) FROM lead))
                """)
            // Every copied table keyed by an id (a table whose id is not a serial has no sequence: setval(NULL) does nothing).
            for table in CopyTable.all.filter({ $0.key == ["id"] }).map(\.name) {
                try db.execute(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), greatest((SELECT max(id) FROM \(table)), 1), (SELECT max(id) FROM \(table)) IS NOT NULL)
                    """))
            }
        }
    }
}
