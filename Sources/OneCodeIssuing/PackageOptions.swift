import Foundation
import OneCodeDomain
import OneCodeRendering

/// QR artwork written into a code package.
public enum ArtworkFormat: String, Sendable, Codable, CaseIterable {
    /// No artwork: the printer renders from `codes.csv`.
    case none
    /// One SVG per code in `qr/`, named by sequence.
    case svg
    /// One PNG per code in `qr/`, named by sequence.
    case png
    /// `labels.pdf`: A4 label sheets, a grid of symbols with the code under each (or roll labels, one a
    /// page); split into `labels-001.pdf`, `labels-002.pdf`, … when a batch has more labels than a file holds.
    case pdf
}

/// A roll label's size, `40x30`: width × height in millimetres.
public struct RollSize: Sendable, Equatable, CustomStringConvertible {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Reads `WIDTHxHEIGHT` in millimetres (`40x30`, `50.8x25.4`).
    /// - Throws: `InputError("roll", …)` otherwise.
    public init(_ text: String) throws {
        let parts = text.lowercased().replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "mm", with: "")
            .split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Double(parts[0].trimmingCharacters(in: .whitespaces)),
              let height = Double(parts[1].trimmingCharacters(in: .whitespaces)), width.isFinite, height.isFinite else {
            throw InputError("roll", "must be WIDTHxHEIGHT in millimetres, e.g. 40x30 (got \(text.debugDescription))")
        }
        self.init(width: width, height: height)
    }

    public var description: String { "\(SheetLayout.fmt(width))x\(SheetLayout.fmt(height))" }
}

/// Where and how to write a code package.
public struct PackageOptions: Sendable {
    public var directory: String
    public var artwork: ArtworkFormat
    public var errorCorrection: ErrorCorrection
    /// PDF artwork on roll labels of this size, one a page, instead of A4 sheets.
    public var roll: RollSize?
    /// PDF artwork: at most this many labels a file (rounded down to whole pages); more go in further files.
    public var labelsPerFile: Int

    public static let defaultLabelsPerFile = 10_000
    public static let labelsPerFileRange = 1...1_000_000

    public init(directory: String, artwork: ArtworkFormat = .none, errorCorrection: ErrorCorrection = .M, roll: RollSize? = nil,
                labelsPerFile: Int = Self.defaultLabelsPerFile) {
        self.directory = directory
        self.artwork = artwork
        self.errorCorrection = errorCorrection
        self.roll = roll
        self.labelsPerFile = labelsPerFile
    }

    /// The sibling folder a package is written into before it is moved to `directory` in one rename.
    var stagingDirectory: String {
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial").path
    }

    /// Checks the PDF options: roll labels and files' sizes belong to PDF artwork, and a file holds 1 to
    /// 1,000,000 labels. `labelsPerFileField` names the option as the caller spells it.
    /// - Throws: `InputError` naming the option otherwise.
    public func validateArtwork(labelsPerFileField: String = "labels-per-file") throws {
        if artwork != .pdf {
            if roll != nil { throw InputError("roll", "roll labels are PDF artwork: give them with qr pdf") }
            if labelsPerFile != Self.defaultLabelsPerFile { throw InputError(labelsPerFileField, "splits PDF artwork: give it with qr pdf") }
        }
        guard Self.labelsPerFileRange.contains(labelsPerFile) else {
            throw InputError(labelsPerFileField, "must be \(Self.labelsPerFileRange.lowerBound) to \(Self.labelsPerFileRange.upperBound) (got \(labelsPerFile))")
        }
    }

    /// Checks that `directory` can take a new package: absent or an empty folder, in a writable parent.
    /// - Throws: `InputError("out", …)` otherwise.
    public func validate() throws {
        try validateArtwork()
        guard !directory.isEmpty else { throw InputError("out", "must name a folder for the code package") }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw InputError("out", "\(directory) exists and is not a folder") }
            let entries = (try? manager.contentsOfDirectory(atPath: directory)) ?? ["?"]
            guard entries.isEmpty else { throw InputError("out", "\(directory) exists and is not empty; name a new folder") }
        }
        let parent = URL(fileURLWithPath: directory).standardizedFileURL.deletingLastPathComponent().path
        guard manager.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("out", "the parent folder \(parent) does not exist")
        }
        guard manager.isWritableFile(atPath: parent) else {
            throw InputError("out", "cannot write in \(parent) (permission denied)")
        }
    }
}
