import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodeRendering
import OneCodeStorage

extension Actions {
    /// A batch to issue and how its package is written, checked where it is made (the API's body, the console's
    /// form): each error names its field.
    public struct IssueRequest: Sendable {
        public let batch: NewBatch
        public let artwork: ArtworkFormat
        public let errorCorrection: ErrorCorrection
        public let roll: RollSize?
        public let labelsPerFile: Int

        public init(product: Int64, count: Int, lot: String?, productionDate: String?, expiryDate: String?, region: String?,
                    urlForm: String?, uppercase: Bool?, kind: String?, pin: Int?, qr: String?, ec: String?, roll: String?,
                    labelsPerFile: Int?, maxCount: Int) throws {
            guard product > 0 else { throw InputError("product", "must be a positive product id") }
            guard let form = URLForm(rawValue: urlForm ?? "short") else { throw InputError("urlForm", "must be short or gs1") }
            guard let artwork = ArtworkFormat(rawValue: qr ?? "none") else { throw InputError("qr", "must be none, svg, png or pdf") }
            guard let ec = ErrorCorrection(rawValue: (ec ?? "M").uppercased()) else { throw InputError("ec", "must be L, M, Q or H") }
            batch = try NewBatch(
                productID: ProductID(rawValue: product), count: count, maxCount: maxCount, lot: lot,
                productionDate: try productionDate.map { try Day($0, field: "productionDate") } ?? .today(),
                expiryDate: try expiryDate.map { try Day($0, field: "expiryDate") }, region: region,
                urlForm: form, uppercase: uppercase ?? false, kind: try BatchKind(kind ?? "unit", field: "kind"), pinLength: pin ?? 0)
            self.artwork = artwork
            errorCorrection = ec
            self.roll = try roll.map(RollSize.init)
            self.labelsPerFile = labelsPerFile ?? PackageOptions.defaultLabelsPerFile
            try PackageOptions(directory: "", artwork: artwork, errorCorrection: ec, roll: self.roll, labelsPerFile: self.labelsPerFile)
                .validateArtwork(labelsPerFileField: "labelsPerFile")
        }
    }

    /// Issues a batch into the packages library (kept there by batch, for download), audited as `batch.issue` in
    /// the issue's last transaction.
    public func issue(_ request: IssueRequest, issuer: Issuer, library: String,
                      progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> IssueResult {
        try await issuer.issue(request.batch, intoLibrary: library, artwork: request.artwork, errorCorrection: request.errorCorrection,
                               roll: request.roll, labelsPerFile: request.labelsPerFile, progress: progress,
                               audit: AuditEntry(actor, "batch.issue", subject: "batch", detail: "\(request.batch.count) codes"))
    }
}
