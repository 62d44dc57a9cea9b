import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OneCodeDomain
import Testing

/// README's "Production on one machine", run with the files it installs, as they are shipped: only the
/// places a machine differs (install paths, ports, a certificate) are moved, and the test fails if the
/// file no longer has the line it moves.
@Suite("The shipped production files: config, systemd units and nginx, run as README installs them", .serialized)
struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func shipped(_ name: String) throws -> String {
        try String(contentsOfFile: root + "/Config/" + name, encoding: .utf8)
    }

    /// `text` with each pair's first string replaced by its second; each must be there.
    static func moved(_ text: String, _ name: String, _ pairs: [(String, String)]) -> String {
        var text = text
        for (from, to) in pairs {
            #expect(text.contains(from), "\(name) no longer has \(from)")
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text
    }

    /// The value of `key=` in a unit (the first).
    static func directive(_ unit: String, _ key: String) -> String? {
        unit.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// curl through the front, run without holding one of the test pool's threads while it runs.
    static func curl(_ arguments: [String]) async throws -> String {
        let result = try await Run.run("/usr/bin/curl", ["-s", "-k", "--max-time", "20"] + arguments, timeout: 60)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The shipped nginx-onecode.conf in front of a service on `upstream`, listening on held ports with a
    /// self-signed certificate, its files under `web`; answered `/healthz` through TLS before it returns.
    static func nginx(in web: String, upstream: Int) async throws -> (process: Run.Started, https: String, plain: DurabilityTests.ReservedPort) {
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let cert = try await Run.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=q.brand.example",
                                                        "-keyout", web + "/privkey.pem", "-out", web + "/fullchain.pem"], timeout: 60)
        #expect(cert.status == 0, "\(cert.stderr)")
        let plain = try DurabilityTests.ReservedPort(), tls = try DurabilityTests.ReservedPort()
        let site = Self.moved(try Self.shipped("nginx-onecode.conf"), "nginx-onecode.conf", [
            ("server 127.0.0.1:8080;", "server 127.0.0.1:\(upstream);"), ("listen 80;", "listen 127.0.0.1:\(plain.port) reuseport;"),
            ("listen 443 ssl http2;", "listen 127.0.0.1:\(tls.port) ssl http2 reuseport;"), ("/etc/ssl/onecode", web)])
        try site.write(toFile: web + "/onecode.conf", atomically: true, encoding: .utf8)
        try """
            pid \(web)/nginx.pid;
            error_log \(web)/error.log;
            events { worker_connections 128; }
            http {
                access_log \(web)/access.log;
                client_body_temp_path \(web)/body; proxy_temp_path \(web)/proxy; fastcgi_temp_path \(web)/fastcgi;
                uwsgi_temp_path \(web)/uwsgi; scgi_temp_path \(web)/scgi;
                include \(web)/onecode.conf;
            }
            """.write(toFile: web + "/nginx.conf", atomically: true, encoding: .utf8)
        let tested = try await Run.run("/usr/sbin/nginx", ["-t", "-c", web + "/nginx.conf"], timeout: 60)
        #expect(tested.status == 0, "nginx -t: \(tested.stderr)")
        let nginx = try Run.start("/usr/sbin/nginx", ["-c", web + "/nginx.conf", "-g", "daemon off;"])
        let https = "https://127.0.0.1:\(tls.port)"
        _ = try await eventually { (try? await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", https + "/healthz"])) == "200" || !nginx.process.isRunning }
        plain.release()
        tls.release()
        return (nginx, https, plain)
    }

    @Test("the GS1 resolver through nginx-onecode.conf over TLS, on each backend: a phone's link is one scan and a 307 to its page on this origin; link types 307, 300 and 404 with walk-up and the query passed on; the linkset; CORS; the description; a forged serial 404, a malformed path 400; resolutions reported, scans not",
          arguments: Backend.complete)
    func resolverThroughNginx(_ backend: Backend) async throws {
        let (folder, environment) = try await CLITests.prepared(backend)
        defer { folder.cleanup() }
        func onecode(_ arguments: [String]) async throws -> ProcessResult {
            let result = try await Run.run(Run.onecode, arguments, cwd: folder.path, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        _ = try await onecode(["batch", "issue", "--product", "1", "--count", "3", "--lot", "L1", "--out", folder.file("pkg")])
        _ = try await onecode(["batch", "activate", "1"])
        let codes = try CodesCSV(folder.file("pkg/codes.csv")).codes
        let gtin = "06291041500213"
        for link in [["--type", "gs1:pip", "--href", "https://brand.example/en", "--language", "en"],
                     ["--type", "gs1:pip", "--href", "https://brand.example/zh", "--language", "zh"],
                     ["--type", "gs1:instructions", "--href", "https://brand.example/how", "--language", "en"],
                     ["--type", "gs1:instructions", "--href", "https://brand.example/how-ios", "--language", "en", "--context", "ios"],
                     ["--type", "gs1:recallStatus", "--href", "https://brand.example/recall/L1", "--lot", "L1"]] {
            _ = try await onecode(["link", "add", "--gtin", gtin, "--title", "Tea"] + link)
        }
        let server = try Run.start(Run.onecode, ["serve", "--port", "0", "--host", "127.0.0.1"], cwd: folder.path,
                                   environment: environment.merging(["ONECODE_MODE": "production", "ONECODE_CODES_BASE_URL": "https://q.brand.example",
                                                                     "ONECODE_LINKER_REFRESH_SECONDS": "0"]) { $1 })
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let listening = try await server.listening()
        let upstream = try #require(listening.flatMap { Int($0.split(separator: ":").last ?? "") },
                                    "serve did not start: \((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "")")
        let front = try await Self.nginx(in: folder.file("nginx"), upstream: upstream)
        defer { if front.process.process.isRunning { kill(front.process.process.processIdentifier, SIGQUIT) } }
        let https = front.https
        let agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
        /// Status, Location and whether the linkset Link header came, for a GET through nginx.
        func head(_ path: String, _ headers: [String] = []) async throws -> (status: String, location: String, linkset: Bool, body: String) {
            let answer = try await Self.curl(["-A", agent, "-D", "-"] + headers.flatMap { ["-H", $0] } + ["\(https)\(path)"])
            let lines = answer.components(separatedBy: "\r\n")
            let status = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let location = lines.first { $0.lowercased().hasPrefix("location:") }.map { String($0.dropFirst(9)).trimmingCharacters(in: .whitespaces) } ?? ""
            let linkset = lines.contains { $0.lowercased().hasPrefix("link:") && $0.contains("rel=\"linkset\"") }
            return (status, location, linkset, answer)
        }

        // A phone: one scan, a 307 on this origin to its verdict page, the page shown.
        let followed = try await Self.curl(["-L", "-A", agent, "-o", "/dev/null", "-w", "%{http_code} %{num_redirects} %{url_effective}", "\(https)/01/\(gtin)/10/L1/21/\(codes[0])"])
        #expect(followed.hasPrefix("200 1 \(https)/s/\(codes[0])?r="), "\(followed)")
        // Link types: by language, 300 when nothing chooses, a context that chooses, walk-up from the serial to the lot, 404, the query passed on.
        var answer = try await head("/01/\(gtin)", ["Accept-Language: zh-CN,zh;q=0.9,en;q=0.5"])
        #expect(answer.status == "307" && answer.location == "https://brand.example/zh" && answer.linkset, "\(answer.body)")
        answer = try await head("/01/\(gtin)/21/\(codes[1])?linkType=gs1:instructions")
        #expect(answer.status == "300" && answer.body.contains("https://brand.example/how-ios"), "\(answer.body)")
        answer = try await head("/01/\(gtin)/21/\(codes[1])?linkType=gs1:instructions&context=ios")
        #expect(answer.status == "307" && answer.location == "https://brand.example/how-ios", "\(answer.body)")
        answer = try await head("/01/\(gtin)/10/L1/21/\(codes[1])?linkType=gs1:recallStatus&utm_source=till")
        #expect(answer.status == "307" && answer.location == "https://brand.example/recall/L1?utm_source=till" && answer.linkset, "\(answer.body)")
        answer = try await head("/01/\(gtin)?linkType=gs1:recallStatus")
        #expect(answer.status == "404", "\(answer.body)")
        // The linkset, CORS, the description file.
        answer = try await head("/01/\(gtin)/10/L1/21/\(codes[1])", ["Accept: application/linkset+json"])
        #expect(answer.status == "200" && answer.body.lowercased().contains("content-type: application/linkset+json")
                && answer.body.contains("https://gs1.org/voc/recallStatus"), "\(answer.body)")
        let options = try await Self.curl(["-X", "OPTIONS", "-D", "-", "-o", "/dev/null", "\(https)/01/\(gtin)/21/\(codes[1])"]).lowercased()
        #expect(options.contains(" 204") && options.contains("access-control-allow-origin: *"), "\(options)")
        #expect(try await Self.curl(["\(https)/.well-known/gs1resolver"]).contains("\"supportedPrimaryKeys\":[\"01\"]"))
        // Errors are never a 200: a forged serial, a malformed path, trailing segments.
        let forged = try CodeSigner(secret: Array("another-secret-0123456789".utf8)).code(for: CodeKey(rawValue: 42))
        #expect(try await head("/01/\(gtin)/21/\(forged)").status == "404")
        answer = try await head("/01/\(gtin.dropLast())7/21/\(codes[1])")
        #expect(answer.status == "400" && answer.body.contains("check digit"), "\(answer.body)")
        #expect(try await head("/01/\(gtin)/21/\(codes[1])/foo").status == "400")

        // One scan recorded (the phone's); the resolutions reported by link type, every node's counts in the database.
        // (CLITests.prepared: SQLite's default file in the folder, or the folder's PostgreSQL database.)
        #expect(try await backend.query("SELECT count(*) FROM scan", in: folder, name: backend == .sqlite ? "data/onecode.sqlite" : "onecode.sqlite") == "1")
        kill(server.process.processIdentifier, SIGTERM)
        _ = try await eventually { !server.process.isRunning }
        let report = try await onecode(["report", "resolutions", "--format", "csv"])
        #expect(report.stdout.contains(",gs1:instructions,2") && report.stdout.contains(",gs1:recallStatus,2") && report.stdout.contains(",default,1")
                && report.stdout.contains(",linkset,1"), "flushed when serve stopped: \(report.stdout)")
    }

    @Test("config check, migrate and serve as onecode.service runs them; nginx-onecode.conf in front over TLS: the client is the peer nginx saw, whatever headers it sends; /metrics in any spelling is 404; http redirects; the GS1 resolver answers through it; the backup unit's command writes a private copy; SIGTERM commits and exits 0")
    func shippedFilesRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let etc = folder.file("etc"), lib = folder.file("lib"), backups = folder.file("backups"), web = folder.file("nginx")
        for path in [etc, lib, backups, web] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // /etc/onecode: the example config (paths under the folder, ports the service picks), regions, a secret.
        let config = Self.moved(try Self.shipped("production.example.json"), "production.example.json", [
            ("/var/lib/onecode", lib), (#""port": 8080"#, #""port": 0"#), (#""port": 9464"#, #""port": 0"#)])
        try config.write(toFile: etc + "/onecode.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.root + "/Config/regions.geojson", toPath: etc + "/regions.geojson")
        let secret = try await Run.run(Run.onecode, ["secret", "generate", "--out", etc + "/secret"], cwd: folder.path)
        #expect(secret.status == 0, "\(secret.stderr)")

        // onecode.service, its paths moved: verified as systemd would load it, then its commands run.
        let unitPaths = [("/usr/local/bin/onecode", Run.onecode), ("/etc/onecode/onecode.json", etc + "/onecode.json"),
                         ("/var/lib/onecode", lib), ("/var/backups/onecode", backups)]
        let unit = Self.moved(try Self.shipped("onecode.service"), "onecode.service", unitPaths.filter { $0.0 != "/var/backups/onecode" })
        let backupUnit = Self.moved(try Self.shipped("onecode-backup.service"), "onecode-backup.service", unitPaths.filter { $0.0 != "/usr/local/bin/onecode" })
            .replacingOccurrences(of: "exec /usr/local/bin/onecode", with: "exec \(Run.onecode)")
        let units = folder.file("units")
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        try unit.write(toFile: units + "/onecode.service", atomically: true, encoding: .utf8)
        try backupUnit.write(toFile: units + "/onecode-backup.service", atomically: true, encoding: .utf8)
        try Self.shipped("onecode-backup.timer").write(toFile: units + "/onecode-backup.timer", atomically: true, encoding: .utf8)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verified = try await Run.run("/usr/bin/systemd-analyze", ["verify", "onecode.service", "onecode-backup.service", "onecode-backup.timer"],
                                           cwd: units, timeout: 120)
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        }
        let environment = try #require(Self.directive(unit, "Environment")).split(separator: "=", maxSplits: 1).map(String.init)
        let env = [environment[0]: environment[1]]
        #expect(env["ONECODE_CONFIG"] == etc + "/onecode.json")
        let cwd = try #require(Self.directive(unit, "WorkingDirectory"))
        func command(_ key: String) throws -> [String] { try #require(Self.directive(unit, key)).split(separator: " ").map(String.init) }
        let check = try command("ExecStartPre")
        let checked = try await Run.run(check[0], Array(check.dropFirst()), cwd: cwd, environment: env)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains(etc + "/secret"), "the config's relative secret is the file's: \(checked.stdout)")
        // README's next steps: migrate, then (for this test) a product and an active batch of three.
        for arguments in [["migrate"], ["product", "add", "--name", "Tea", "--gtin", "6291041500213"],
                          ["batch", "issue", "--product", "1", "--count", "3", "--out", lib + "/pkg"], ["batch", "activate", "1"]] {
            let result = try await Run.run(Run.onecode, arguments, cwd: cwd, environment: env)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let code = try #require(try CodesCSV(lib + "/pkg/codes.csv").codes.first)
        let serve = try command("ExecStart")
        let server = try Run.start(serve[0], Array(serve.dropFirst()), cwd: cwd, environment: env)
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        // The service's own lines are JSON with `log.format` json: the port follows the marker in the message.
        func logged(_ marker: String) async throws -> Int? {
            var port: Int?
            _ = try await eventually {
                let log = (try? String(contentsOfFile: server.err, encoding: .utf8)) ?? ""
                port = log.split(separator: "\n").lazy.compactMap { line in
                    line.range(of: marker).flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
                }.first
                return port != nil || !server.process.isRunning
            }
            return port
        }
        let port = try #require(try await logged("onecode: listening on http://127.0.0.1:"),
                                "serve did not start: \((try? String(contentsOfFile: server.err, encoding: .utf8)) ?? "")")
        let internalPort = try #require(try await logged("onecode: metrics on http://127.0.0.1:"), "no metrics port in the log")

        // nginx-onecode.conf in front: listening on held ports, a self-signed certificate for the name.
        let front = try await Self.nginx(in: web, upstream: port)
        let nginx = front.process, plain = front.plain
        defer { if nginx.process.isRunning { kill(nginx.process.processIdentifier, SIGQUIT) } }
        let https = front.https

        // A phone at 127.0.1.2 (not the proxy's address) sends addresses of its choosing: the scan is stored
        // as the address nginx saw, truncated.
        let agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
        let scanned = try await Self.curl(["--interface", "127.0.1.2", "-A", agent, "-H", "X-Forwarded-For: 203.0.113.9", "-H", "Forwarded: for=198.51.100.23",
                                     "-o", "/dev/null", "-w", "%{http_code}", "\(https)/s/\(code)"])
        #expect(scanned == "200")
        let stored = try await Backend.sqlite.query("SELECT group_concat(ip) FROM scan", in: folder, name: "lib/onecode.sqlite")
        #expect(stored.hasPrefix("127.0.1.0"), "stored: \(stored)")
        // nginx itself refuses every spelling (its own 404 page): none reaches the service.
        for path in ["/metrics", "/METRICS", "/Metrics", "/metrics/", "/metrics/x"] {
            let answer = try await Self.curl(["-w", "\n%{http_code}", https + path])
            #expect(answer.hasSuffix("\n404") && answer.contains("<center>nginx"), "\(path): \(answer)")
        }
        let redirect = try await Self.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "http://127.0.0.1:\(plain.port)/s/\(code)"])
        #expect(redirect.hasPrefix("301 https://127.0.0.1/s/\(code)"), "\(redirect)")
        let metrics = try await Self.curl(["http://127.0.0.1:\(internalPort)/metrics"])
        #expect(metrics.contains(#"onecode_scans_total{verdict="genuine"} 1"#), "\(metrics.prefix(500))")
        let access = (try? String(contentsOfFile: web + "/access.log", encoding: .utf8)) ?? ""
        #expect(access.contains("/s/\(code)"), "nginx logged the scan")

        // The GS1 resolver through nginx over TLS: a phone's GS1 link is one scan, a 307 on the same origin,
        // then its page; a till's link type goes to the brand's link and records nothing; the description file.
        let second = try #require(try CodesCSV(lib + "/pkg/codes.csv").codes.dropFirst().first)
        let linked = try await Run.run(Run.onecode, ["link", "add", "--gtin", "6291041500213", "--type", "gs1:pip", "--href", "https://brand.example/tea",
                                                   "--title", "Tea"], cwd: cwd, environment: env)
        #expect(linked.status == 0, "\(linked.stderr)")
        let followed = try await Self.curl(["-L", "-A", agent, "-c", web + "/jar", "-b", web + "/jar", "-o", "/dev/null", "-w", "%{http_code} %{num_redirects} %{url_effective}",
                                      "\(https)/01/06291041500213/21/\(second)"])
        #expect(followed.hasPrefix("200 1 \(https)/s/\(second)?r="), "\(followed)")
        let pip = try await Self.curl(["-A", agent, "-D", "-", "-o", "/dev/null", "\(https)/01/06291041500213/21/\(second)?linkType=gs1:pip"]).lowercased()
        #expect(pip.contains(" 307") && pip.contains("location: https://brand.example/tea") && pip.contains("rel=\"linkset\""), "\(pip)")
        let described = try await Self.curl(["\(https)/.well-known/gs1resolver"])
        #expect(described.contains("\"supportedPrimaryKeys\":[\"01\"]"), "\(described)")
        #expect(try await Backend.sqlite.query("SELECT count(*) FROM scan", in: folder, name: "lib/onecode.sqlite") == "2")

        // onecode-backup.service's command, as its unit runs it (a shell; %% is systemd's %).
        let backup = try #require(Self.directive(backupUnit, "ExecStart"))
        let words = backup.replacingOccurrences(of: "%%", with: "%")
        let shellCommand = try #require(words.split(separator: "'").dropFirst().first.map(String.init))
        let backedUp = try await Run.run("/bin/sh", ["-c", shellCommand], cwd: lib, environment: env, timeout: 120)
        #expect(backedUp.status == 0, "\(backedUp.stderr)")
        let copies = try FileManager.default.contentsOfDirectory(atPath: backups).filter { $0.hasPrefix("onecode-") && $0.hasSuffix("Z.sqlite") }
        #expect(copies.count == 1, "\(copies)")
        if let copy = copies.first {
            let mode = try FileManager.default.attributesOfItem(atPath: backups + "/" + copy)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try await Backend.sqlite.query("SELECT count(*) FROM scan", in: folder, name: "backups/" + copy) == "2")
        }

        // KillSignal=SIGTERM within TimeoutStopSec: every accepted scan committed, exit 0.
        #expect(Self.directive(unit, "KillSignal") == "SIGTERM")
        let stop = Double(try #require(Self.directive(unit, "TimeoutStopSec"))) ?? 30
        kill(server.process.processIdentifier, SIGTERM)
        let stopped = await server.wait(timeout: stop)
        #expect(stopped.status == 0 && stopped.reason == .exit, "\(stopped.stderr.suffix(500))")
        #expect(stopped.stderr.contains("every accepted scan is committed"))
        kill(nginx.process.processIdentifier, SIGQUIT)
        _ = await nginx.wait(timeout: 30)
    }
}

@Suite("README's numbers about the suite")
struct ReadmeCountsTests {
    @Test("README states the suite's counts as scripts/test-counts derives them from the sources")
    func counts() async throws {
        let result = try await Run.run("/usr/bin/env", ["python3", DeploymentTests.root + "/scripts/test-counts", "--check"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
