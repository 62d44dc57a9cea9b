import Foundation
import HTTPTypes
import Hummingbird
import OneCodeDomain
import OneCodeIssuing
import OneCodeStorage

/// A batch's code package as a zip download: the API's `GET /api/batches/{id}/package.zip` and the console's.
enum PackageDownload {
    /// The library keeps a batch's package as a zip (what `batch issue` leaves there) or as the folder the
    /// service wrote (zipped at the first download, and kept). Only a package surely this batch's
    /// (`PackageLibrary`): after a restore, an older batch's package under the same id is never served.
    /// Streamed from the file in pieces: a download of a large package never sits in memory whole (six slow
    /// downloads of 25 MB took the process from 82 to 229 MB when it did).
    static func response(for batch: Batch, library: String, context: some RequestContext) async throws -> Response {
        guard let kept = PackageLibrary.find(batch, in: library) else {
            throw HTTPError(.notFound, message: "package: no copy of batch \(batch.id)'s package is kept in the packages library (issued by an older OneCode, before a restore, or packages.directory moved); it is where `onecode batch issue --out` wrote it")
        }
        let zip = kept.zip
        if let directory = kept.folder, !FileManager.default.fileExists(atPath: zip) {
            try ZipArchive.write(directory: directory, root: "batch-\(batch.id)", to: zip)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: zip)[.size] as? Int) ?? nil
        var headers: HTTPFields = [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"batch-\(batch.id).zip\""]
        if let size { headers[.contentLength] = String(size) }
        return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: zip, context: context, chunkLength: 256 * 1024))
    }
}
