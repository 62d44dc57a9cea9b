import Foundation
import HummingbirdBcrypt
import OneCodeDomain
import OneCodeStorage
import Testing

@Suite("Console users: the first admin from the command line, passwords as bcrypt hashes, roles checked")
struct UserTests {
    @Test("onecode user add: a bcrypt hash of cost 12 and never the password is stored; names are unique whatever their case; a clerk needs a store and only a clerk has one; each add is audited",
          arguments: Backend.complete)
    func addUsers(_ backend: Backend) async throws {
        let (folder, environment) = try await CLITests.prepared(backend)
        defer { folder.cleanup() }
        func onecode(_ arguments: [String]) async throws -> ProcessResult {
            try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
        }
        let password = "correct horse battery staple"
        try (password + "\n").write(toFile: folder.file("pw"), atomically: true, encoding: .utf8)
        try "too short\n".write(toFile: folder.file("short"), atomically: true, encoding: .utf8)
        let added = try await onecode(["user", "add", "--name", "Ops@Brand.example", "--role", "admin", "--password-file", "pw", "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        let user = try #require(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
        #expect(user["name"] as? String == "ops@brand.example" && user["role"] as? String == "admin" && user["storeId"] == nil, "\(user)")
        #expect(try await onecode(["store", "add", "--name", "Jing'an shop"]).status == 0)
        #expect(try await onecode(["user", "add", "--name", "xiaoli", "--role", "clerk", "--store", "1", "--password-file", "pw"]).status == 0)

        // Refused, each naming what is wrong, and nothing written.
        for (arguments, field) in [(["--name", "OPS@brand.example", "--role", "marketing"], "name: a user named ops@brand.example exists already"),
                                   (["--name", "x", "--role", "admin"], "name: must be 3 to 64"),
                                   (["--name", "wang", "--role", "clerk"], "store: a clerk belongs to a store"),
                                   (["--name", "wang", "--role", "sales", "--store", "1"], "store: only a clerk belongs to a store"),
                                   (["--name", "wang", "--role", "clerk", "--store", "9"], "store: no store 9"),
                                   (["--name", "wang", "--role", "sales", "--password-file", "short"], "password: must be at least 12 characters")] {
            let arguments = arguments.contains("--password-file") ? arguments : arguments + ["--password-file", "pw"]
            let refused = try await onecode(["user", "add"] + arguments)
            #expect(refused.status == 1 && refused.stderr.contains("error: " + field), "\(arguments): \(refused.stderr)")
        }
        let roleRefused = try await onecode(["user", "add", "--name", "wang", "--role", "boss", "--password-file", "pw"])
        #expect(roleRefused.status != 0 && roleRefused.stderr.contains("--role"), "\(roleRefused.stderr)")
        // Without a file and not on a terminal: told how to give it.
        let noPassword = try await onecode(["user", "add", "--name", "wang", "--role", "sales"])
        #expect(noPassword.status == 1 && noPassword.stderr.contains("password-file"), "\(noPassword.stderr)")

        let listed = try await onecode(["user", "list", "--json"])
        let users = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]], "\(listed.stderr)")
        #expect(users.compactMap { $0["name"] as? String } == ["ops@brand.example", "xiaoli"] && users.last?["storeId"] as? Int == 1, "\(users)")
        #expect(!listed.stdout.contains("$2b$"), "the list never shows a hash")

        // The stored hash: bcrypt at cost 12, of this password and no other; the password itself is in no byte.
        let name = backend == .sqlite ? "data/onecode.sqlite" : "onecode.sqlite"  // where CLITests.prepared's commands keep it
        let store = try await backend.open(folder, name: name)
        let stored = try #require(try await store.user(named: "ops@brand.example"))
        #expect(stored.passwordHash.hasPrefix("$2b$12$") && Bcrypt.verify(password, hash: stored.passwordHash), "\(stored.passwordHash)")
        #expect(!Bcrypt.verify("correct horse battery stapl", hash: stored.passwordHash))
        let dump = try await backend.dumpAll(in: folder, name: name)
        #expect(!dump.stdout.contains(password) && dump.stdout.contains("$2b$12$"))
        let audit = try await store.auditLog(before: nil, limit: 10).filter { $0.action == "user.add" }
        #expect(audit.map { "\($0.actorKind) \($0.detail ?? "")" } == ["cli clerk: xiaoli", "cli admin: ops@brand.example"],
                "\(audit)")
    }
}
