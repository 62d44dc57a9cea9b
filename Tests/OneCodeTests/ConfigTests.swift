import Configuration
import Foundation
import OneCodeIssuing
import Testing

@Suite("Configuration: every key known, mistakes named, the effective values shown")
struct ConfigTests {
    static var readme: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }

    /// The keys README's configuration table names (`onecode.a.b`, and `.c` continuing the row's first key's section).
    static func readmeKeys() -> Set<String> {
        var keys: Set<String> = []
        for line in readme.split(separator: "\n") where line.hasPrefix("| `onecode.") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            var section = ""
            for match in cell.matches(of: /`(onecode\.[A-Za-z.]+|\.[A-Za-z]+)`/) {
                let name = String(match.1)
                if name.hasPrefix("onecode.") {
                    let key = String(name.dropFirst("onecode.".count))
                    keys.insert(key)
                    section = key.split(separator: ".").dropLast().joined(separator: ".")
                } else {
                    keys.insert(section + name)
                }
            }
        }
        return keys
    }

    @Test("README's table documents exactly the keys OneCode reads")
    func readmeTable() {
        let documented = Self.readmeKeys()
        let known = Set(ConfigKeys.all.map(\.name))
        #expect(documented.count > 30)
        #expect(documented.subtracting(known).isEmpty, "documented but not read: \(documented.subtracting(known).sorted())")
        #expect(known.subtracting(documented).isEmpty, "read but not documented: \(known.subtracting(documented).sorted())")
    }

    @Test("each key's environment variable is the one swift-configuration's provider reads for it")
    func environmentNames() {
        for key in ConfigKeys.all {
            let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [key.environment: "7"]))
            #expect(reader.string(forKey: ConfigKey("onecode." + key.name)) == "7", "\(key.name) → \(key.environment)")
        }
        #expect(ConfigKeys.all.first { $0.name == "codes.baseURL" }?.environment == "ONECODE_CODES_BASE_URL")
        #expect(ConfigKeys.all.first { $0.name == "rateLimit.authFailuresPerMinute" }?.environment == "ONECODE_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE")
    }

    @Test("a config file that is not there, a misspelt key in the file or the environment, a key outside onecode: an error naming it, exit 1")
    func mistakes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try #"{"onecode": {"codes": {"lenght": 18}}}"#.write(toFile: folder.file("typo.json"), atomically: true, encoding: .utf8)
        try #"{"codes": {"length": 18}}"#.write(toFile: folder.file("flat.json"), atomically: true, encoding: .utf8)
        try "{\"onecode\": ".write(toFile: folder.file("broken.json"), atomically: true, encoding: .utf8)
        let cases: [([String: String], String)] = [
            (["ONECODE_CONFIG": folder.file("missing.json")], "ONECODE_CONFIG names \(folder.file("missing.json")), which does not exist"),
            (["ONECODE_CONFIG": "typo.json"], "typo.json: unknown key onecode.codes.lenght (did you mean codes.length?)"),
            (["ONECODE_CONFIG": "flat.json"], "flat.json: unknown top-level key 'codes'"),
            (["ONECODE_CONFIG": "broken.json"], "broken.json is not a JSON object"),
            (["ONECODE_CODES_LENGHT": "18"], "unknown environment variable ONECODE_CODES_LENGHT (did you mean ONECODE_CODES_LENGTH?)"),
            (["ONECODE_HTTP_PORT": "abc"], "http.port: must be a whole number (got 'abc')"),
        ]
        for (environment, message) in cases {
            // Every command reads the file and the environment; only those that serve read http.port.
            let commands = environment["ONECODE_HTTP_PORT"] == nil ? [["product", "list"], ["config", "check"]] : [["config", "check"], ["serve"]]
            for command in commands {
                let result = try await Run.run(Run.onecode, command, cwd: folder.path, environment: environment, timeout: 60)
                #expect(result.status == 1, "\(command) \(environment)")
                #expect(result.stderr.contains(message), "\(command): \(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: folder.file("data")), "\(command) made a database despite the error")
            }
        }
    }

    @Test("config check prints each key's value and source; secrets and URL passwords are never shown")
    func check() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try #"{"onecode": {"codes": {"length": 18}, "log": {"access": true}, "webhooks": {"pollSeconds": 2, "secret": "file-webhook-secret-0123456789"}}}"#
            .write(toFile: folder.file("onecode.json"), atomically: true, encoding: .utf8)
        let result = try await Run.run(Run.onecode, ["config", "check", "--json"], cwd: folder.path, environment: [
            "ONECODE_CONFIG": "onecode.json", "ONECODE_CODES_SECRET": "env-codes-secret-0123456789",
            "ONECODE_DATABASE_URL": "postgres://ops:hunter2-password@db.internal:5432/onecode", "ONECODE_HTTP_PORT": "9090",
            // A receiver's secret in its URL (the attack pass: `config check`, which the systemd unit runs at every start, printed it).
            "ONECODE_WEBHOOKS_URLS": "https://crm.example/hook?token=qsecret-value,https://user:pw-secret@hooks.example/in",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0["key"] ?? "", $0) })
        #expect(entries.count == ConfigKeys.all.count)
        #expect(byKey["codes.length"] == ["key": "codes.length", "value": "18", "source": "file onecode.json"])
        #expect(byKey["http.port"]?["value"] == "9090" && byKey["http.port"]?["source"] == "environment ONECODE_HTTP_PORT")
        #expect(byKey["log.access"]?["value"] == "true", "\(byKey["log.access"] ?? [:])")
        #expect(byKey["rateLimit.burst"] == ["key": "rateLimit.burst", "value": "40", "source": "default"])
        #expect(byKey["codes.secret"]?["value"] == "(set, not shown)" && byKey["webhooks.secret"]?["value"] == "(set, not shown)")
        #expect(byKey["database.password"]?["value"] == "(not set)")
        #expect(byKey["database.url"]?["value"] == "postgres://ops:***@db.internal:5432/onecode")
        #expect(byKey["webhooks.urls"]?["value"] == "https://crm.example/hook?token=***,https://***@hooks.example/in", "\(byKey["webhooks.urls"] ?? [:])")
        for secret in ["env-codes-secret-0123456789", "file-webhook-secret-0123456789", "hunter2-password", "qsecret-value", "pw-secret"] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
        let text = try await Run.run(Run.onecode, ["config", "check"], cwd: folder.path, environment: ["ONECODE_CONFIG": "onecode.json"])
        #expect(text.status == 0 && text.stdout.contains("configuration ok (mode demo"), "\(text.stdout) \(text.stderr)")
    }

    @Test("relative paths in a config file are the file's, wherever the command runs; a named file that cannot be read is an error")
    func pathsRelativeToTheFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try FileManager.default.createDirectory(atPath: folder.file("etc/onecode"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("work"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ServiceFixture.regionsFile, toPath: folder.file("etc/onecode/regions.geojson"))
        try #"{"onecode": {"database": {"path": "data/onecode.sqlite"}, "regions": {"file": "regions.geojson"}}}"#
            .write(toFile: folder.file("etc/onecode/onecode.json"), atomically: true, encoding: .utf8)
        let environment = ["ONECODE_CONFIG": folder.file("etc/onecode/onecode.json")]
        let listed = try await Run.run(Run.onecode, ["product", "list"], cwd: folder.file("work"), environment: environment, timeout: 60)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("etc/onecode/data/onecode.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/data")))
        let check = try await Run.run(Run.onecode, ["config", "check", "--json"], cwd: folder.file("work"), environment: environment, timeout: 60)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains(folder.file("etc/onecode/regions.geojson")), "\(check.stdout)")
        // A variable's relative path is the working directory's, as a shell user expects.
        let variable = try await Run.run(Run.onecode, ["config", "check"], cwd: folder.file("work"),
                                       environment: environment.merging(["ONECODE_REGIONS_FILE": "regions.geojson"]) { $1 }, timeout: 60)
        #expect(variable.status == 1 && variable.stderr.contains("regions.file: cannot read regions.geojson"), "\(variable.stderr)")
        // Named in the file and gone: never a silent "regions off"; an empty value is how to turn them off.
        try FileManager.default.removeItem(atPath: folder.file("etc/onecode/regions.geojson"))
        for command in [["config", "check"], ["serve", "--port", "0"]] {
            let result = try await Run.run(Run.onecode, command, cwd: folder.file("work"), environment: environment, timeout: 60)
            #expect(result.status == 1 && result.stderr.contains("regions.file: cannot read \(folder.file("etc/onecode/regions.geojson"))"),
                    "\(command): \(result.stderr)")
        }
        let off = try await Run.run(Run.onecode, ["config", "check"], cwd: folder.file("work"),
                                  environment: environment.merging(["ONECODE_REGIONS_FILE": ""]) { $1 }, timeout: 60)
        #expect(off.status == 0, "\(off.stderr)")
    }
}
