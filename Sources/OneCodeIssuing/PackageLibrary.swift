import Foundation
import OneCodeDomain

/// Where the service keeps each batch's package (`packages.directory`), and how one is found again.
///
/// A package is named for its batch and the batch's creation time, `batch-{id}-{unix seconds}` (a folder
/// the service wrote, or a zip): after a backup is restored and a new batch takes an id that an older
/// package in the library still carries, the two are never confused. A package is served only when it
/// is named for the batch as the database has it (its time within a second: PostgreSQL keeps times to
/// the microsecond) and was written no earlier than the batch was created. Packages named `batch-{id}`
/// by an older OneCode are served under that second rule alone.
public enum PackageLibrary {
    /// The name of `batch`'s package in the library (without `.zip`).
    public static func name(for batch: Batch) -> String {
        "batch-\(batch.id)-\(Int(batch.createdAt.timeIntervalSince1970.rounded(.down)))"
    }

    /// `batch`'s package in `library`: a zip, or a folder with its manifest (to be zipped); `nil` when the
    /// library holds none that is surely this batch's.
    public static func find(_ batch: Batch, in library: String) -> (zip: String, folder: String?)? {
        let manager = FileManager.default
        let created = batch.createdAt.timeIntervalSince1970
        func written(_ path: String) -> Double? {
            (try? manager.attributesOfItem(atPath: path)[.modificationDate] as? Date)?.timeIntervalSince1970
        }
        func fresh(_ path: String) -> Bool { (written(path) ?? 0) >= created - 1 }
        var candidates = [name(for: batch)]
        // Named for the same batch a second either side (the database's time rounded differently).
        let seconds = Int(created.rounded(.down))
        candidates += [seconds - 1, seconds + 1].map { "batch-\(batch.id)-\($0)" }
        candidates.append("batch-\(batch.id)")  // an older OneCode's name
        for candidate in candidates {
            let zip = library + "/" + candidate + ".zip", folder = library + "/" + candidate
            if manager.fileExists(atPath: zip), fresh(zip) { return (zip, nil) }
            if manager.fileExists(atPath: folder + "/manifest.json"), fresh(folder + "/manifest.json") { return (zip, folder) }
        }
        return nil
    }

    /// Moves whatever stands at `path` aside (`path.stale-…`), so a new package can take its name.
    public static func clear(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.moveItem(atPath: path, toPath: path + ".stale-" + UUID().uuidString)
    }
}
