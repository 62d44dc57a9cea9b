import OneCodeDomain
import OneCodeRendering

/// `manifest.json`: what a printing house needs to know about a code package.
///
/// Written with sorted keys; `files` (path, SHA-256, size of every other file) comes last and
/// is streamed, so a package with a million artwork files does not sit in memory.
public struct Manifest: Codable, Sendable {
    public struct ProductInfo: Codable, Sendable {
        public var id: ProductID
        public var name: String
        public var gtin: String?
        public var sku: String?
    }
    public struct BatchInfo: Codable, Sendable {
        public var id: BatchID
        public var lot: String?
        public var productionDate: Day
        public var expiryDate: Day?
        public var region: String?
        public var status: BatchStatus
        public var createdAt: String
    }
    /// How to print the symbols so that phones read them.
    public struct PrintSpec: Codable, Sendable {
        public var qrVersion: Int
        public var errorCorrection: ErrorCorrection
        public var modulesPerSide: Int
        public var quietZoneModules: Int
        public var recommendedModuleSizeMillimetres: Double
        public var minimumModuleSizeMillimetres: Double
        public var recommendedSymbolSideMillimetres: Double
        public var encodingMode: String
        /// The module size the artwork in this package is drawn at (the recommended one): PDF labels are
        /// drawn so, SVG states it in millimetres, PNG records the density (pHYs) that prints it so.
        public var artworkModuleSizeMillimetres: Double
        /// PNG artwork: pixels per module and the recorded density, pixels per metre.
        public var pngPixelsPerModule: Int
        public var pngPixelsPerMetre: Int
    }
    /// One PDF of a batch's labels.
    public struct LabelFile: Codable, Sendable, Equatable {
        public var path: String
        public var firstSequence: Int
        public var lastSequence: Int
        public var pages: Int
    }
    public struct File: Codable, Sendable {
        public var path: String
        public var sha256: String
        public var bytes: Int
    }

    public var format = "onecode-package/1"
    public var product: ProductInfo
    public var batch: BatchInfo
    public var count: Int
    public var codeLength: Int
    public var urlForm: URLForm
    public var uppercase: Bool
    public var urlPrefix: String
    public var artwork: ArtworkFormat
    public var printSpec: PrintSpec
    /// The label sheet's layout, when the artwork is PDF.
    public var sheet: SheetLayout?
    /// PDF artwork: each file and the labels it holds (by sequence), in order.
    public var labelFiles: [LabelFile]?
    /// The digits of the units' hidden PINs (the `pin` column; with artwork, the `pins/` layer), when they have them.
    public var pinLength: Int?
    /// Absent while writing; present when a manifest is read back.
    public var files: [File]?

    static func printSpec(symbol: QRSymbol, ec: ErrorCorrection, uppercase: Bool) -> PrintSpec {
        let recommended = PrintSize.moduleMillimetres
        return PrintSpec(
            qrVersion: symbol.version, errorCorrection: ec, modulesPerSide: symbol.width,
            quietZoneModules: QRSymbol.quietZone, recommendedModuleSizeMillimetres: recommended,
            minimumModuleSizeMillimetres: PrintSize.minimumModuleMillimetres,
            recommendedSymbolSideMillimetres: Double(symbol.width + 2 * QRSymbol.quietZone) * recommended,
            encodingMode: uppercase ? "alphanumeric" : "byte", artworkModuleSizeMillimetres: recommended,
            pngPixelsPerModule: PrintSize.pngPixelsPerModule, pngPixelsPerMetre: PrintSize.pngPixelsPerMetre)
    }
}
