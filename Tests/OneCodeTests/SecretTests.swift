import Foundation
import OneCodeDomain
import OneCodeIssuing
import OneCodeStorage
import Testing

/// Found by a brand team: a backup restored into a new folder in demo mode generated a new secret, and
/// every issued code then read as forged.
@Suite("The secret and the codes belong together")
struct SecretTests {
    @Test("the database records the fingerprint of the secret its codes were issued under (never the secret); another secret, or none over codes, is refused naming both", arguments: Backend.complete)
    func fingerprintGuards(_ backend: Backend) async throws {
        let fixture = try await ServiceFixture(backend: backend, count: 2)
        defer { fixture.folder.cleanup() }
        let store = fixture.store
        let ours = ServiceFixture.signer, theirs = try CodeSigner(secret: Array("another-secret-0123456789".utf8))
        #expect(ours.fingerprint.count == 16 && ours.fingerprint != theirs.fingerprint)
        #expect(try await store.secretFingerprint() == ours.fingerprint, "recorded at the first issue")
        try await SecretGuard.check(ours, store: store, secretFile: "secret")
        await #expect { try await SecretGuard.check(theirs, store: store, secretFile: "secret") } throws: { error in
            let input = error as? InputError
            return input?.field == "codes.secret" && input?.message.contains(ours.fingerprint) == true && input?.message.contains(theirs.fingerprint) == true
        }
        await #expect { try await SecretGuard.check(nil, store: store, secretFile: "/x/secret") } throws: { error in
            (error as? InputError)?.message.contains("no secret is configured (/x/secret does not exist)") == true
        }
        // Another secret cannot issue into the database either.
        let issuer = Issuer(store: store, signer: theirs, baseURL: "https://q.example.com")
        await #expect(throws: InputError.self) {
            _ = try await issuer.issue(try NewBatch(productID: fixture.product.id, count: 1, maxCount: 10, lot: nil, urlForm: .short, uppercase: false),
                                       package: PackageOptions(directory: fixture.folder.file("p")))
        }
        #expect(try await store.batches(product: nil).count == 1)
        // The secret itself is in no table.
        let dump = try await backend.dumpAll(in: fixture.folder)
        #expect(dump.status == 0 && dump.stdout.contains(ours.fingerprint) && !dump.stdout.contains(ServiceFixture.secret))
        // A database from before fingerprints, with batches: the secret it next runs with is recorded.
        _ = try await backend.query("DELETE FROM code_secret", in: fixture.folder)
        try await SecretGuard.check(ours, store: store, secretFile: "secret")
        #expect(try await store.secretFingerprint() == ours.fingerprint)
    }

    @Test("a demo backup restored into a new folder: every command and serve refuse to run without the secret (none is generated) and say where it goes; with it, the codes check", .timeLimit(.minutes(3)))
    func restoreWithoutSecret() async throws {
        let first = try TemporaryFolder(), second = try TemporaryFolder()
        defer { first.cleanup(); second.cleanup() }
        for arguments in [["product", "add", "--name", "Tea"], ["batch", "issue", "--product", "1", "--count", "2", "--out", "pkg"], ["batch", "activate", "1"]] {
            let result = try await Run.run(Run.onecode, arguments, cwd: first.path)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let code = try #require(try CodesCSV(first.file("pkg/codes.csv")).codes.first)
        let backup = try await Run.run(Run.onecode, ["backup", "--out", first.file("copy.sqlite")], cwd: first.path)
        #expect(backup.status == 0 && backup.stdout.contains("the code secret is not in the backup") && backup.stdout.contains("data/secret"), "\(backup.stdout)")
        #expect(try await Run.run(Run.onecode, ["restore", "--from", first.file("copy.sqlite")], cwd: second.path).status == 0)
        for arguments in [["code", "check", String(code)], ["product", "list"]] {
            let refused = try await Run.run(Run.onecode, arguments, cwd: second.path)
            #expect(refused.status == 1 && refused.stderr.hasPrefix("error: codes.secret: this database's codes were issued under the secret with fingerprint")
                    && refused.stderr.contains("no secret is configured (data/secret does not exist)"), "\(arguments): \(refused.stderr)")
        }
        let serve = try await Run.run(Run.onecode, ["serve", "--port", "0"], cwd: second.path, timeout: 60)
        #expect(serve.status == 1 && serve.stderr.contains("error: codes.secret:"), "\(serve.stderr)")
        #expect(!FileManager.default.fileExists(atPath: second.file("data/secret")), "no secret was generated over the codes")
        try FileManager.default.copyItem(atPath: first.file("data/secret"), toPath: second.file("data/secret"))
        let valid = try await Run.run(Run.onecode, ["code", "check", String(code)], cwd: second.path)
        #expect(valid.status == 0 && valid.stdout.hasPrefix("valid:"), "\(valid.stdout) \(valid.stderr)")
    }
}
