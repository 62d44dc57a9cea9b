import CMaxMindDB
import Foundation
import OneCodeDomain

/// Regions by IP address from a MaxMind-format database (GeoIP2/GeoLite2 City or Country, or any
/// MMDB with the same `country` and `subdivisions` layout), through Debian's libmaxminddb.
///
/// The file is memory-mapped once; lookups are read-only and safe from any thread.
public final class IPRegionDatabase: @unchecked Sendable {
    private var mmdb = MMDB_s()

    /// - Throws: `InputError("geoip.file", …)` when the file cannot be opened as an MMDB database.
    public init(path: String) throws {
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), &mmdb)
        guard status == MMDB_SUCCESS else {
            throw InputError("geoip.file", "cannot open \(path) as a MaxMind database (\(String(cString: MMDB_strerror(status))))")
        }
    }

    deinit { MMDB_close(&mmdb) }

    /// The region of an address as `CC` or `CC-SUB` (ISO 3166), or `nil` when the database has none.
    public func region(ip: String) -> String? {
        var gaiError: Int32 = 0, mmdbError: Int32 = 0
        var result = MMDB_lookup_string(&mmdb, ip, &gaiError, &mmdbError)
        guard gaiError == 0, mmdbError == MMDB_SUCCESS, result.found_entry else { return nil }
        guard let country = string(&result.entry, ["country", "iso_code"]) else { return nil }
        if let subdivision = string(&result.entry, ["subdivisions", "0", "iso_code"]) {
            return country + "-" + subdivision
        }
        return country
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) -> String? {
        var data = MMDB_entry_data_s()
        let strings = path.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer($0) } + [nil]
        let status = pointers.withUnsafeMutableBufferPointer { MMDB_aget_value(&entry, &data, $0.baseAddress) }
        guard status == MMDB_SUCCESS, data.has_data, data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING), let text = data.utf8_string else {
            return nil
        }
        let bytes = UnsafeRawBufferPointer(start: text, count: Int(data.data_size))
        let value = String(decoding: bytes, as: UTF8.self)
        return NewBatch.isRegionCode(value) || value.count <= 3 ? value : nil
    }
}
