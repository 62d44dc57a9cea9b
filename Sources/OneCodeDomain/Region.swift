import Foundation

/// Region codes (ISO 3166: `CN`, its subdivision `CN-31`): the one rule for "a region is within an area",
/// used by campaign scopes, segment rules and diversion alike.
public enum RegionCode {
    /// Whether `area` covers `region`: the same code, or one of its subdivisions (`CN` covers `CN-31`;
    /// `CN-3` does not cover `CN-31`). Case matters: codes are stored as validated, upper case.
    public static func covers(_ area: String, _ region: String) -> Bool {
        region == area || region.hasPrefix(area + "-")
    }

    /// `covers` as SQL over two text expressions, for SQLite and PostgreSQL alike (no `LIKE`: its
    /// wildcards and SQLite's case folding would make it another rule). A test holds the two equal.
    public static func coversSQL(area: String, region: String) -> String {
        "(\(region) = \(area) OR substr(\(region), 1, length(\(area)) + 1) = \(area) || '-')"
    }
}

/// Region polygons from a GeoJSON `FeatureCollection`, each feature with a `code` property.
///
/// A point is matched against the polygons in file order; the first that contains it wins.
/// Polygons use the even-odd rule with holes; coordinates are `[longitude, latitude]`.
public struct RegionMap: Sendable {
    struct Area: Sendable {
        let code: String
        /// Polygons, each a list of rings; the first ring is the outline, the rest are holes.
        let polygons: [[[(Double, Double)]]]
        let minX: Double, minY: Double, maxX: Double, maxY: Double
    }
    let areas: [Area]

    public var codes: [String] { areas.map(\.code) }

    /// - Throws: `InputError("regions", …)` for a file that is not a FeatureCollection of polygons with codes.
    public init(geoJSON data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              root["type"] as? String == "FeatureCollection", let features = root["features"] as? [[String: Any]] else {
            throw InputError("regions", "must be a GeoJSON FeatureCollection")
        }
        var areas: [Area] = []
        for (index, feature) in features.enumerated() {
            guard let properties = feature["properties"] as? [String: Any], let code = properties["code"] as? String,
                  let geometry = feature["geometry"] as? [String: Any], let type = geometry["type"] as? String else {
                throw InputError("regions", "feature \(index) needs properties.code and a geometry")
            }
            func ring(_ value: Any) throws -> [(Double, Double)] {
                guard let points = value as? [[Double]], points.count >= 3, points.allSatisfy({ $0.count >= 2 }) else {
                    throw InputError("regions", "feature \(index) (\(code)) has a ring that is not a list of [lon, lat] points")
                }
                return points.map { ($0[0], $0[1]) }
            }
            let polygons: [[[(Double, Double)]]]
            switch type {
            case "Polygon":
                guard let rings = geometry["coordinates"] as? [Any] else { throw InputError("regions", "feature \(index) has no coordinates") }
                polygons = [try rings.map(ring)]
            case "MultiPolygon":
                guard let list = geometry["coordinates"] as? [[Any]] else { throw InputError("regions", "feature \(index) has no coordinates") }
                polygons = try list.map { try $0.map(ring) }
            default:
                throw InputError("regions", "feature \(index) (\(code)) is a \(type); expected Polygon or MultiPolygon")
            }
            let all = polygons.flatMap { $0.flatMap { $0 } }
            areas.append(Area(code: code, polygons: polygons, minX: all.map(\.0).min()!, minY: all.map(\.1).min()!,
                              maxX: all.map(\.0).max()!, maxY: all.map(\.1).max()!))
        }
        self.areas = areas
    }

    /// The code of the first region containing the point, if any.
    public func region(latitude: Double, longitude: Double) -> String? {
        for area in areas where longitude >= area.minX && longitude <= area.maxX && latitude >= area.minY && latitude <= area.maxY {
            for polygon in area.polygons {
                var inside = false
                for ring in polygon where Self.contains(ring, x: longitude, y: latitude) { inside.toggle() }
                if inside { return area.code }
            }
        }
        return nil
    }

    static func contains(_ ring: [(Double, Double)], x: Double, y: Double) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let (xi, yi) = ring[i], (xj, yj) = ring[j]
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }
}
