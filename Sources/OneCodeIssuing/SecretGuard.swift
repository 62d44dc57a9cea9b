import Foundation
import OneCodeDomain
import OneCodeStorage

/// The secret and the codes belong together: a database records the fingerprint of the secret its codes
/// were issued under (`CodeSigner.fingerprint`, never the secret), and nothing runs against it with
/// another. Without this, a backup restored into a new folder in demo mode got a new secret and every
/// issued code then read as forged.
public enum SecretGuard {
    /// Checks the configured secret against the database's fingerprint before any command or `serve`
    /// runs. A database with batches but no fingerprint (from before fingerprints) records this secret's.
    /// - Parameters:
    ///   - signer: the configured secret's signer; nil when none is configured (demo mode would generate one).
    /// - Throws: `InputError("codes.secret", …)` naming both fingerprints, or, with no secret configured
    ///   over a database with codes, where the secret should be.
    public static func check(_ signer: CodeSigner?, store: any CatalogStore, secretFile: String) async throws {
        let stored = try await store.secretFingerprint()
        guard let signer else {
            if let stored {
                throw InputError("codes.secret", "this database's codes were issued under the secret with fingerprint \(stored), and no secret is configured (\(secretFile) does not exist): put that secret there or set ONECODE_CODES_SECRET; a new one would make every printed code read forged (README: Backups)")
            }
            return
        }
        guard let stored else {
            if try await !store.batches(product: nil).isEmpty { try await record(signer, store: store) }
            return
        }
        guard stored == signer.fingerprint else { throw mismatch(stored: stored, configured: signer.fingerprint) }
    }

    /// Records the signer's fingerprint (at an issue); refuses when another is recorded.
    public static func record(_ signer: CodeSigner, store: any CatalogStore) async throws {
        let stored = try await store.recordSecretFingerprint(signer.fingerprint)
        guard stored == signer.fingerprint else { throw mismatch(stored: stored, configured: signer.fingerprint) }
    }

    static func mismatch(stored: String, configured: String) -> InputError {
        InputError("codes.secret", "this database's codes were issued under the secret with fingerprint \(stored); the configured secret's fingerprint is \(configured): configure the secret the codes were issued under (with another, every printed code reads forged; README: Backups)")
    }
}
