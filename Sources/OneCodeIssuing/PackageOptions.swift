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
    /// `labels.pdf`: A4 label sheets, a grid of symbols with the code under each.
    case pdf
}

/// Where and how to write a code package.
public struct PackageOptions: Sendable {
    public var directory: String
    public var artwork: ArtworkFormat
    public var errorCorrection: ErrorCorrection

    public init(directory: String, artwork: ArtworkFormat = .none, errorCorrection: ErrorCorrection = .M) {
        self.directory = directory
        self.artwork = artwork
        self.errorCorrection = errorCorrection
    }

    /// The sibling folder a package is written into before it is moved to `directory` in one rename.
    var stagingDirectory: String {
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial").path
    }

    /// Checks that `directory` can take a new package: absent or an empty folder, in a writable parent.
    /// - Throws: `InputError("out", …)` otherwise.
    public func validate() throws {
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
