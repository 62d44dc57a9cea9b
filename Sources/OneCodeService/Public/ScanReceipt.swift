import Crypto
import Foundation
import OneCodeDomain
import OneCodeStorage

/// What a recorded scan showed, signed, for the page a resolver redirect leads to.
///
/// A phone that opens a serialised item's GS1 Digital Link is resolved as GS1's resolver standard says:
/// the scan is recorded there (durably, before the answer, as on `/s/{code}`), and a 307 leads to the
/// verdict page on the same origin, `/s/{code}?r={receipt}`. The receipt carries the scan's result and
/// a tag only the server can make, so the page is shown from it on any node, with no second scan and no
/// database read; showing it again within its life shows the same scan, and a receipt that does not
/// verify or has expired records nothing either.
struct ScanReceipt: Equatable {
    var scan: Int64
    var code: String
    var verdict: Verdict
    var reason: VerdictReason
    var batch: Int64?
    var count: Int
    var first: Date?
    var draws: [DrawOutcome]
    var points: Int?
    /// Unix time after which the receipt is refused.
    var expires: Double

    /// How long the page can be opened again (a reload, the back button).
    static let life: TimeInterval = 30 * 60

    init(_ result: ScanResult, code: String, at now: Date) {
        scan = result.scanID
        self.code = code
        verdict = result.verdict
        reason = result.reason
        batch = result.batchID?.rawValue
        count = result.scanCount
        first = result.firstScanAt
        draws = result.draws
        points = result.points
        expires = (now.timeIntervalSince1970 + Self.life).rounded()
    }

    var result: ScanResult {
        ScanResult(scanID: scan, verdict: verdict, reason: reason, batchID: batch.map(BatchID.init(rawValue:)), scanCount: count, firstScanAt: first,
                   draws: draws, points: points)
    }

    /// Signs and encodes receipts (a key derived from the server secret for this alone).
    struct Seal: Sendable {
        let key: SymmetricKey

        init(signer: CodeSigner) { key = signer.derivedKey("scan-receipt") }

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            return encoder
        }()

        static let decoder: JSONDecoder = {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return decoder
        }()

        /// `payload.tag`, both base64url. The payload is the fields joined by `|` (on the scan path: no
        /// JSON encoder but for the draws, last, when there are any).
        func seal(_ receipt: ScanReceipt) throws -> String {
            let draws = receipt.draws.isEmpty ? "" : String(decoding: try Self.encoder.encode(receipt.draws), as: UTF8.self)
            let fields: [String] = [
                "1", String(receipt.scan), receipt.code, receipt.verdict.rawValue, receipt.reason.rawValue, receipt.batch.map(String.init) ?? "",
                String(receipt.count), receipt.first.map { String($0.timeIntervalSince1970) } ?? "", receipt.points.map(String.init) ?? "",
                String(Int64(receipt.expires)), draws,
            ]
            let payload = Data(fields.joined(separator: "|").utf8)
            return Self.base64url(payload) + "." + Self.base64url(Data(tag(payload)))
        }

        /// The receipt a verified payload holds.
        static func decode(_ payload: Data) -> ScanReceipt? {
            let fields = String(decoding: payload, as: UTF8.self).split(separator: "|", maxSplits: 10, omittingEmptySubsequences: false)
            guard fields.count == 11, fields[0] == "1", let scan = Int64(fields[1]), let verdict = Verdict(rawValue: String(fields[3])),
                  let reason = VerdictReason(rawValue: String(fields[4])), let count = Int(fields[6]), let expires = Double(fields[9]) else { return nil }
            let draws = fields[10].isEmpty ? [] : (try? decoder.decode([DrawOutcome].self, from: Data(fields[10].utf8)))
            guard let draws else { return nil }
            var receipt = ScanReceipt(ScanResult(scanID: scan, verdict: verdict, reason: reason, batchID: Int64(fields[5]).map(BatchID.init(rawValue:)),
                                                 scanCount: count, firstScanAt: Double(fields[7]).map(Date.init(timeIntervalSince1970:)),
                                                 draws: draws, points: Int(fields[8])),
                                      code: String(fields[2]), at: Date())
            receipt.expires = expires
            return receipt
        }

        /// The receipt for `code` a value carries, when its tag verifies and it has not expired.
        func open(_ value: String, code: String, at now: Date) -> ScanReceipt? {
            let parts = value.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let payload = Self.data(base64url: parts[0]), let given = Self.data(base64url: parts[1]) else { return nil }
            guard equalInConstantTime(Array(given), tag(payload)), let receipt = Self.decode(payload),
                  receipt.code == code, receipt.expires >= now.timeIntervalSince1970 else { return nil }
            return receipt
        }

        private func tag(_ payload: Data) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: payload, using: key).prefix(16))
        }

        // Base64url without padding (RFC 4648 §5), byte by byte: Foundation's base64 followed by three
        // `replacingOccurrences` was a sixth of a GS1 resolution's whole time.
        private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        private static let values: [UInt8] = {
            var values = [UInt8](repeating: 0xFF, count: 256)
            for (index, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
            return values
        }()

        static func base64url(_ data: Data) -> String {
            var text = [UInt8]()
            text.reserveCapacity((data.count * 4 + 2) / 3)
            var index = data.startIndex
            while index < data.endIndex {
                let count = min(3, data.endIndex - index)
                var group = UInt32(data[index]) << 16
                if count > 1 { group |= UInt32(data[index + 1]) << 8 }
                if count > 2 { group |= UInt32(data[index + 2]) }
                for position in 0...count { text.append(alphabet[Int(group >> (18 - 6 * position) & 63)]) }
                index += count
            }
            return String(decoding: text, as: UTF8.self)
        }

        /// The bytes of base64url text without padding; `nil` for any other character, a length no encoding
        /// gives, or more than 8 KiB of text.
        static func data(base64url text: Substring) -> Data? {
            let bytes = Array(text.utf8)
            guard bytes.count <= 8192, bytes.count % 4 != 1 else { return nil }
            var data = Data()
            data.reserveCapacity(bytes.count * 3 / 4)
            var group: UInt32 = 0, bits = 0
            for byte in bytes {
                let value = values[Int(byte)]
                guard value != 0xFF else { return nil }
                group = group << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    data.append(UInt8(truncatingIfNeeded: group >> UInt32(bits)))
                }
            }
            // The bits left over are padding: zero in any text an encoder wrote.
            guard group & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
            return data
        }
    }
}
