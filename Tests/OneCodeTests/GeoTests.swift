import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import OneCodeDomain
import OneCodeGeoIP
@testable import OneCodeService
import Testing

@Suite("Regions and privacy")
struct GeoTests {
    @Test("IPs are truncated before storage: IPv4 to /24, IPv6 to /48; whole when configured")
    func truncation() throws {
        let v4 = try SocketAddress(ipAddress: "203.0.113.77", port: 5000)
        #expect(IPAddress.stored(v4, truncate: true) == "203.0.113.0/24")
        #expect(IPAddress.stored(v4, truncate: false) == "203.0.113.77")
        let v6 = try SocketAddress(ipAddress: "2001:db8:85a3:8d3:1319:8a2e:370:7348", port: 5000)
        #expect(IPAddress.stored(v6, truncate: true) == "2001:db8:85a3::/48")
        #expect(IPAddress.stored(v6, truncate: false) == "2001:db8:85a3:8d3:1319:8a2e:370:7348")
        let mapped = try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 1)
        #expect(IPAddress.stored(mapped, truncate: true) == "198.51.100.0/24")
        #expect(IPAddress.stored(nil, truncate: true) == nil)
    }

    @Test("region polygons: inside, outside, holes, and bad files named")
    func polygons() throws {
        let map = try RegionMap(geoJSON: Data(contentsOf: URL(fileURLWithPath: ServiceFixture.regionsFile)))
        #expect(map.region(latitude: 31.23, longitude: 121.47) == "CN-31")
        #expect(map.region(latitude: 39.9, longitude: 116.4) == "CN-11")
        #expect(map.region(latitude: 52.52, longitude: 13.40) == "DE")
        #expect(map.region(latitude: 0, longitude: 0) == nil)
        let holed = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"XX"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}}]}"#
        let ring = try RegionMap(geoJSON: Data(holed.utf8))
        #expect(ring.region(latitude: 2, longitude: 2) == "XX")
        #expect(ring.region(latitude: 5, longitude: 5) == nil)
        for bad in ["[]", #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#] {
            #expect { try RegionMap(geoJSON: Data(bad.utf8)) } throws: { ($0 as? InputError)?.field == "regions" }
        }
    }

    /// A small MaxMind-format database written by the `mmdb-writer` package.
    /// (Run as an async program: a synchronous one would hold one of the test pool's two threads.)
    static func makeMMDB(_ path: String) async throws {
        let script = """
            import sys
            from mmdb_writer import MMDBWriter
            from netaddr import IPSet
            w = MMDBWriter(ip_version=4, database_type="GeoIP2-City")
            w.insert_network(IPSet(["127.0.0.0/8"]), {"country": {"iso_code": "CN"}, "subdivisions": [{"iso_code": "44"}]})
            w.insert_network(IPSet(["10.0.0.0/8"]), {"country": {"iso_code": "DE"}})
            w.to_db_file(sys.argv[1])
            """
        let result = try await Run.run("python3", ["-c", script, path])
        #expect(result.status == 0, "mmdb-writer: \(result.stderr)")
    }

    @Test("MaxMind-format database: country and subdivision by IP through libmaxminddb")
    func maxmind() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try await Self.makeMMDB(folder.file("test.mmdb"))
        let database = try IPRegionDatabase(path: folder.file("test.mmdb"))
        #expect(database.region(ip: "127.0.0.1") == "CN-44")
        #expect(database.region(ip: "10.1.2.3") == "DE")
        #expect(database.region(ip: "192.0.2.1") == nil)
        #expect(database.region(ip: "not an ip") == nil)
        #expect { try IPRegionDatabase(path: folder.file("missing.mmdb")) } throws: { ($0 as? InputError)?.field == "geoip.file" }
    }

    @Test("a scan over HTTP gets its region from the IP when a MaxMind database is configured")
    func scanRegionFromIP() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try await Self.makeMMDB(folder.file("geo.mmdb"))
        let codes = try await DurabilityTests.prepare(folder, count: 1)
        let (server, base) = try await DurabilityTests.startServer(folder, extra: ["ONECODE_GEOIP_FILE": folder.file("geo.mmdb")])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }  // on every path
        var request = URLRequest(url: URL(string: "\(base)/s/\(codes[0])")!)
        request.setValue("Mozilla/5.0 (iPhone)", forHTTPHeaderField: "User-Agent")
        _ = try await DurabilityTests.session.data(for: request)
        kill(server.process.processIdentifier, SIGTERM)
        #expect(await server.wait().status == 0)
        let row = try await Run.run("/usr/bin/sqlite3", [folder.file("data/onecode.sqlite"), "SELECT region, ip FROM scan"])
        #expect(row.stdout == "CN-44|127.0.0.0/24\n")
    }
}
