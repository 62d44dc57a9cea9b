import Foundation
import OneCodeDomain
import Synchronization

/// A campaign definition as every backend stores it: JSON with sorted keys and ISO 8601 dates.
public enum StoredDefinition {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Decoded definitions by their stored text: live campaigns are read once per group commit, and a
    /// definition never changes once stored, so each is decoded once.
    static let decoded = Mutex<[String: CampaignDefinition]>([:])

    public static func text(_ definition: CampaignDefinition) throws -> String {
        String(decoding: try encoder.encode(definition), as: UTF8.self)
    }

    /// A stored definition, as `text(_:)` wrote it.
    public static func definition(_ json: String) throws -> CampaignDefinition {
        if let known = decoded.withLock({ $0[json] }) { return known }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let definition = try decoder.decode(CampaignDefinition.self, from: Data(json.utf8))
        decoded.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }  // bounded; campaigns are few
            cache[json] = definition
        }
        return definition
    }
}
