import Crypto
import Foundation
import Synchronization
import Testing
import OneCodeDomain
@testable import OneCodeIssuing
import OneCodeRendering
@testable import OneCodeSQLite
import GRDB
import OneCodeRulebook
import OneCodeStorage

/// Issuing batches into a real SQLite file and checking the package a printer gets.
@Suite("Issuing and code packages")
struct IssuerTests {
    static let signer = try! CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8))

    struct Fixture {
        let folder: TemporaryFolder
        let store: SQLiteStore
        let product: Product
        let issuer: Issuer
        init(gtin: String? = "6291041500213") async throws {
            folder = try TemporaryFolder()
            store = try SQLiteStore(path: folder.file("onecode.sqlite"))
            product = try await store.addProduct(try NewProduct(name: "Tea 绿茶", gtin: gtin, sku: "T-1"), audit: .test)
            issuer = Issuer(store: store, signer: IssuerTests.signer, baseURL: "https://q.example.com/")
        }
        func batch(_ count: Int, form: URLForm = .short, lot: String? = nil, uppercase: Bool = false) throws -> NewBatch {
            try NewBatch(productID: product.id, count: count, maxCount: 10_000_000, lot: lot, urlForm: form, uppercase: uppercase)
        }
    }

    /// Every line of a `codes.csv`, the header first.
    static func csvRows(_ path: String) throws -> [[String]] {
        let csv = try CodesCSV(path)
        return [csv.header] + csv.rows
    }

    static func manifest(_ directory: String) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
    }

    @Test("CSV has a row per code, codes are valid and stored with their sequence, manifest checksums match")
    func packageContents() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        let result = try await fixture.issuer.issue(try fixture.batch(5000, form: .gs1, lot: "L1"), package: PackageOptions(directory: out))
        let rows = try Self.csvRows(out + "/codes.csv")
        #expect(rows.first == ["sequence", "code", "url", "gtin", "lot"])
        #expect(rows.count - 1 == 5000)
        #expect(try await fixture.store.codeCount(batch: result.batch.id) == 5000)
        var seen = Set<String>()
        for (index, row) in rows.dropFirst().enumerated() {
            #expect(row[0] == String(index + 1))
            #expect(row[2] == "https://q.example.com/01/06291041500213/10/L1/21/" + row[1])
            #expect(row[3] == "06291041500213" && row[4] == "L1")
            seen.insert(row[1])
            if index % 250 == 0 {
                guard case let .valid(key, _) = Self.signer.check(row[1]) else { Issue.record("invalid code \(row[1])"); continue }
                let record = try await fixture.store.code(key)
                #expect(record?.sequence == index + 1)
                #expect(record?.batch.id == result.batch.id)
            }
        }
        #expect(seen.count == 5000)
        let manifest = try Self.manifest(out)
        #expect(manifest.count == 5000 && manifest.batch.id == result.batch.id && manifest.product.gtin == "06291041500213")
        #expect(manifest.printSpec.quietZoneModules >= 4 && manifest.printSpec.errorCorrection == .M)
        try Self.verifyChecksums(out, manifest)
        #expect(manifest.files?.map(\.path) == ["codes.csv"])
        // Nothing is left beside the package.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path).sorted().filter { !$0.hasPrefix("onecode.sqlite") } == ["package"])
    }

    static func verifyChecksums(_ directory: String, _ manifest: Manifest) throws {
        let files = try #require(manifest.files)
        var listed = Set<String>()
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file.path))
            #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == file.sha256, "\(file.path)")
            #expect(data.count == file.bytes)
            listed.insert(file.path)
        }
        // Every file in the package but the manifest is listed.
        let enumerator = FileManager.default.enumerator(atPath: directory)!
        var present = Set<String>()
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory)
            if !isDirectory.boolValue && path != "manifest.json" { present.insert(path) }
        }
        #expect(present == listed)
    }

    @Test("SVG and PNG artwork: one file per code, each decodes to its row's URL", arguments: [ArtworkFormat.svg, .png])
    func artwork(format: ArtworkFormat) async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        _ = try await fixture.issuer.issue(try fixture.batch(30, uppercase: true), package: PackageOptions(directory: out, artwork: format, errorCorrection: .Q))
        let rows = try Self.csvRows(out + "/codes.csv").dropFirst()
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/qr").sorted()
        #expect(files.count == 30)
        #expect(files.first == "000001.\(format.rawValue)")
        try Self.verifyChecksums(out, try Self.manifest(out))
        for row in rows {  // every file
            #expect(row[2] == "HTTPS://Q.EXAMPLE.COM/S/" + row[1])
            var image = out + "/qr/" + String(repeating: "0", count: 6 - row[0].count) + row[0] + "." + format.rawValue
            if format == .svg {
                try await Run.rasterise(svg: image, png: fixture.folder.file("r.png"))
                image = fixture.folder.file("r.png")
            }
            #expect(try await Run.zbar(image) == [row[2]])
        }
    }

    @Test("README's sheet: a 17-character code at QR version 3 gives 6 × 10 labels of 29.2 × 26 mm on A4")
    func readmeSheet() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        _ = try await fixture.issuer.issue(try fixture.batch(60), package: PackageOptions(directory: out, artwork: .pdf))
        let manifest = try Self.manifest(out)
        let sheet = try #require(manifest.sheet)
        #expect(manifest.codeLength == 17 && manifest.printSpec.qrVersion == 3, "\(manifest.codeLength) \(manifest.printSpec.qrVersion)")
        #expect(sheet.pageSize == "A4" && sheet.columns == 6 && sheet.rows == 10, "\(sheet.columns) × \(sheet.rows)")
        #expect(abs(sheet.labelWidthMillimetres - 29.2) < 0.05 && abs(sheet.labelHeightMillimetres - 26) < 0.05,
                "\(sheet.labelWidthMillimetres) × \(sheet.labelHeightMillimetres) mm")
    }

    @Test("PDF label sheets: every label cut out at the manifest's layout decodes; each page names product, GTIN, batch, lot, labels and page")
    func pdfLabels() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        var issuer = fixture.issuer
        issuer.chunkSize = 25  // chunks of codes that end mid-page: pages still fill in sequence
        let result = try await issuer.issue(try fixture.batch(70, form: .gs1, lot: "L-26.12"), package: PackageOptions(directory: out, artwork: .pdf))
        let manifest = try Self.manifest(out)
        try Self.verifyChecksums(out, manifest)
        let sheet = try #require(manifest.sheet)
        #expect(sheet.pageSize == "A4" && sheet.columns * sheet.rows == sheet.labelsPerPage && sheet.cropMarks)
        let perPage = sheet.labelsPerPage  // 70 labels fill one page and part of a second
        // Worked by hand from README's rules: the URL https://q.example.com/01/06291041500213/10/L-26.12/21/ + 17
        // characters is 71 characters; with its digits in numeric mode it fits QR version 4 at EC M, 33 modules;
        // with the 4-module quiet zone at 0.5 mm a symbol of 20.5 mm; a label 2 mm each side of the symbol or the
        // 17-character caption (7 pt at 0.6 em: 25.2 mm), the caption 1 mm under the symbol: 29.2 × 28 mm;
        // 6 columns in A4's 186 mm between 12 mm margins, 9 rows in its 267 mm between 15 mm ones.
        #expect(manifest.printSpec.qrVersion == 4 && sheet.symbolSideMillimetres == 20.5)
        #expect(sheet.columns == 6 && sheet.rows == 9 && perPage == 54, "\(sheet.columns) × \(sheet.rows)")
        #expect(sheet.labelWidthMillimetres == 29.2 && sheet.labelHeightMillimetres == 28, "\(sheet.labelWidthMillimetres) × \(sheet.labelHeightMillimetres)")
        let rows = try Self.csvRows(out + "/codes.csv").dropFirst()
        // Cut each label out of its page where the manifest says it is, at 150 dpi, and decode it alone.
        var decoded: [String] = []
        for index in 0..<70 {
            let slot = index % sheet.labelsPerPage
            let x = sheet.gridLeftMillimetres + Double(slot % sheet.columns) * sheet.labelWidthMillimetres
            let y = sheet.gridTopMillimetres + Double(slot / sheet.columns) * sheet.labelHeightMillimetres
            let px = { (millimetres: Double) in String(Int(millimetres / 25.4 * 150)) }
            let prefix = fixture.folder.file("label\(index)")
            let page = String(index / sheet.labelsPerPage + 1)
            let render = try await Run.run("/usr/bin/pdftoppm", ["-r", "150", "-gray", "-png", "-singlefile", "-f", page, "-l", page,
                                                               "-x", px(x), "-y", px(y), "-W", px(sheet.labelWidthMillimetres),
                                                               "-H", px(sheet.labelHeightMillimetres), out + "/labels.pdf", prefix])
            #expect(render.status == 0, "pdftoppm: \(render.stderr)")
            decoded += try await Run.zbar(prefix + ".png")
        }
        #expect(decoded == rows.map { $0[2] })
        let pages = try await Run.run("/usr/bin/pdfinfo", [out + "/labels.pdf"])
        #expect(pages.stdout.split(separator: "\n").contains { $0.hasPrefix("Pages:") && $0.hasSuffix(" 2") })
        // Each page's heading and footer, read back as text (the product's name is Chinese).
        for (page, range, codes) in [(1, "labels 1-\(perPage) of 70", rows.prefix(perPage)), (2, "labels \(perPage + 1)-70 of 70", rows.dropFirst(perPage))] {
            let text = try await Run.run("/usr/bin/pdftotext", ["-f", String(page), "-l", String(page), out + "/labels.pdf", "-"])
            #expect(text.status == 0 && text.stderr.isEmpty, "\(text.stderr)")
            let words = text.stdout.replacingOccurrences(of: "\n", with: " ")
            for expected in ["Tea 绿茶", "GTIN 06291041500213", "batch \(result.batch.id)  lot L-26.12", range, "page \(page) of 2"] {
                #expect(words.contains(expected), "page \(page): \(expected) in \(words.prefix(300))")
            }
            for row in codes { #expect(words.contains(row[1])) }
        }
        // Every font is embedded, as a subset, with a map back to Unicode: the Latin one and, for the
        // Chinese name, the CJK one (a print house's preflight rejects a font that is not embedded).
        let fonts = try await Self.pdfFonts(out + "/labels.pdf")
        #expect(fonts.map(\.name).sorted() == ["DejaVuSansMono", "DroidSansFallback"], "\(fonts)")
        #expect(fonts.allSatisfy { $0.embedded && $0.subset && $0.unicode }, "\(fonts)")
    }

    /// `pdffonts`' table: each font's name (without the subset tag) and its emb, sub and uni columns.
    static func pdfFonts(_ path: String) async throws -> [(name: String, embedded: Bool, subset: Bool, unicode: Bool)] {
        let listed = try await Run.run("/usr/bin/pdffonts", [path])
        #expect(listed.status == 0, "pdffonts: \(listed.stderr)")
        return listed.stdout.split(separator: "\n").dropFirst(2).map { line in
            let columns = line.split(separator: " ")
            let name = columns[0].split(separator: "+").last.map(String.init) ?? ""
            let flags = columns.suffix(5).prefix(3).map { $0 == "yes" }  // emb sub uni, then the object number
            return (name, flags[0], flags[1] && columns[0].contains("+"), flags[2])
        }
    }

    @Test("roll labels: one label a page of the size asked, each page decodes to its code with the code under it; too small a label names the smallest that fits")
    func rollLabels() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        _ = try await fixture.issuer.issue(try fixture.batch(4), package: PackageOptions(directory: out, artwork: .pdf,
                                                                                          roll: try RollSize("40x30")))
        let manifest = try Self.manifest(out)
        try Self.verifyChecksums(out, manifest)
        let sheet = try #require(manifest.sheet)
        #expect(sheet.pageSize == "roll" && sheet.labelsPerPage == 1 && !sheet.cropMarks)
        #expect(sheet.pageWidthMillimetres == 40 && sheet.pageHeightMillimetres == 30)
        let info = try await Run.run("/usr/bin/pdfinfo", [out + "/labels.pdf"])
        #expect(info.stdout.contains("Pages:           4") && info.stdout.contains("113.39 x 85.04 pts"), "\(info.stdout)")  // 40 × 30 mm
        let rows = try Self.csvRows(out + "/codes.csv").dropFirst()
        for (index, row) in rows.enumerated() {
            let page = String(index + 1), prefix = fixture.folder.file("roll\(index)")
            let render = try await Run.run("/usr/bin/pdftoppm", ["-r", "300", "-gray", "-png", "-singlefile", "-f", page, "-l", page,
                                                               out + "/labels.pdf", prefix])
            #expect(render.status == 0, "pdftoppm: \(render.stderr)")
            #expect(try await Run.zbar(prefix + ".png") == [row[2]])
            let text = try await Run.run("/usr/bin/pdftotext", ["-f", page, "-l", page, out + "/labels.pdf", "-"])
            #expect(text.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == row[1], "a roll label prints its code alone")
        }
        // Only the codes' font: a roll label has no heading for the Chinese name.
        #expect(try await Self.pdfFonts(out + "/labels.pdf").map(\.name) == ["DejaVuSansMono"])
        await #expect { _ = try await fixture.issuer.issue(try fixture.batch(1), package: PackageOptions(
            directory: fixture.folder.file("small"), artwork: .pdf, roll: RollSize(width: 20, height: 20)))
        } throws: { error in
            (error as? InputError).map { $0.field == "roll" && $0.message.contains("at least 29.2 × 26 mm") } ?? false
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.file("small")))
        #expect { try RollSize("40 by 30") } throws: { ($0 as? InputError)?.field == "roll" }
        #expect { try PackageOptions(directory: fixture.folder.file("svg"), artwork: .svg, roll: RollSize(width: 40, height: 30)).validate() }
            throws: { ($0 as? InputError)?.field == "roll" }
        #expect { try PackageOptions(directory: fixture.folder.file("pdf"), artwork: .pdf, labelsPerFile: 0).validate() }
            throws: { ($0 as? InputError)?.field == "labels-per-file" }
    }

    @Test("a batch larger than a file's labels is split into PDFs of whole pages, about equal; the manifest says which labels each holds, and each decodes to them")
    func splitLabelFiles() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        // 250 labels at 60 a page are 5 pages; at most 130 labels (2 pages) a file: three files of 2, 2 and 1 pages.
        _ = try await fixture.issuer.issue(try fixture.batch(250), package: PackageOptions(directory: out, artwork: .pdf, labelsPerFile: 130))
        let manifest = try Self.manifest(out)
        try Self.verifyChecksums(out, manifest)
        #expect(manifest.sheet?.labelsPerPage == 60)
        let files = try #require(manifest.labelFiles)
        #expect(files == [.init(path: "labels-001.pdf", firstSequence: 1, lastSequence: 120, pages: 2),
                          .init(path: "labels-002.pdf", firstSequence: 121, lastSequence: 240, pages: 2),
                          .init(path: "labels-003.pdf", firstSequence: 241, lastSequence: 250, pages: 1)], "\(files)")
        #expect(!FileManager.default.fileExists(atPath: out + "/labels.pdf"))
        let rows = try Self.csvRows(out + "/codes.csv").dropFirst()
        for file in files {
            let info = try await Run.run("/usr/bin/pdfinfo", [out + "/" + file.path])
            #expect(info.stdout.contains("Pages:           \(file.pages)\n"), "\(file.path): \(info.stdout)")
            // The file's first label (first page, first slot) and its last (last page, its slot), each cut out
            // where the layout puts it and decoded alone: the file holds the labels the manifest says.
            let sheet = try #require(manifest.sheet)
            for (page, slot, sequence) in [(1, 0, file.firstSequence), (file.pages, (file.lastSequence - file.firstSequence) % 60, file.lastSequence)] {
                let frame = sheet.labelFrame(slot), px = { (millimetres: Double) in String(Int(millimetres / 25.4 * 150)) }
                let prefix = fixture.folder.file("\(file.path)-\(sequence)")
                let render = try await Run.run("/usr/bin/pdftoppm", ["-r", "150", "-gray", "-png", "-singlefile", "-f", String(page), "-l", String(page),
                                                                   "-x", px(frame.x), "-y", px(frame.y), "-W", px(frame.width), "-H", px(frame.height),
                                                                   out + "/" + file.path, prefix])
                #expect(render.status == 0, "pdftoppm: \(render.stderr)")
                #expect(try await Run.zbar(prefix + ".png") == [rows[rows.startIndex + sequence - 1][2]], "\(file.path): label \(sequence)")
            }
            let page = String(file.pages), first = file.firstSequence + (file.pages - 1) * 60
            let text = try await Run.run("/usr/bin/pdftotext", ["-f", page, "-l", page, out + "/" + file.path, "-"])
            let words = text.stdout.replacingOccurrences(of: "\n", with: " ")
            let index = files.firstIndex(of: file)! + 1
            for expected in ["labels \(first)-\(file.lastSequence) of 250", "page \(file.pages) of \(file.pages), file \(index) of 3"] {
                #expect(words.contains(expected), "\(file.path): \(expected) in \(words.prefix(300))")
            }
        }
    }

    @Test("PDF labels decode at every error-correction level, in both URL forms, in lower and upper case",
          arguments: ErrorCorrection.allCases, [(URLForm.short, false), (.gs1, false), (.gs1, true)])
    func pdfEveryLevelAndForm(ec: ErrorCorrection, form: (URLForm, Bool)) async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        _ = try await fixture.issuer.issue(try fixture.batch(4, form: form.0, lot: "L-1", uppercase: form.1),
                                           package: PackageOptions(directory: out, artwork: .pdf, errorCorrection: ec))
        #expect(try Self.manifest(out).printSpec.errorCorrection == ec)
        let rows = try Self.csvRows(out + "/codes.csv").dropFirst()
        // The whole first page at 300 dpi: zbar finds every symbol on it.
        let render = try await Run.run("/usr/bin/pdftoppm", ["-r", "300", "-gray", "-png", "-singlefile", "-f", "1", "-l", "1",
                                                           out + "/labels.pdf", fixture.folder.file("page")])
        #expect(render.status == 0, "pdftoppm: \(render.stderr)")
        #expect(Set(try await Run.zbar(fixture.folder.file("page.png"))) == Set(rows.map { $0[2] }))
    }

    @Test("artwork is drawn at the module size the manifest states: PDF measured at 300 dpi, PNG by its pixels and pHYs, SVG by its millimetres and rasterised",
          arguments: [ArtworkFormat.pdf, .png, .svg])
    func artworkMatchesTheSpec(format: ArtworkFormat) async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        _ = try await fixture.issuer.issue(try fixture.batch(3), package: PackageOptions(directory: out, artwork: format))
        let manifest = try Self.manifest(out)
        let spec = manifest.printSpec
        // README's numbers, not the manifest's own: 0.5 mm a module, 8 px a module, 16,000 px/m.
        #expect(spec.artworkModuleSizeMillimetres == 0.5 && spec.recommendedModuleSizeMillimetres == 0.5)
        #expect(spec.pngPixelsPerModule == 8 && spec.pngPixelsPerMetre == 16_000)
        let side = spec.modulesPerSide + 2 * spec.quietZoneModules
        let measured: Double  // millimetres a module, as drawn
        switch format {
        case .pdf:
            // The first label's symbol at 300 dpi: its top row of modules runs from the left finder
            // pattern's edge to the right one's, exactly modulesPerSide modules.
            let sheet = try #require(manifest.sheet)
            let prefix = fixture.folder.file("page")
            let dpi = 300.0, px = { (millimetres: Double) in String(Int(millimetres / 25.4 * dpi)) }
            let render = try await Run.run("/usr/bin/pdftoppm", ["-r", "300", "-gray", "-singlefile", "-f", "1", "-l", "1",
                                                               "-x", px(sheet.gridLeftMillimetres), "-y", px(sheet.gridTopMillimetres),
                                                               "-W", px(sheet.labelWidthMillimetres), "-H", px(sheet.labelHeightMillimetres),
                                                               out + "/labels.pdf", prefix])
            #expect(render.status == 0, "pdftoppm: \(render.stderr)")
            let image = try Greymap(path: prefix + ".pgm")
            let top = try #require((0..<image.height).first { y in (0..<image.width).contains { image.isDark($0, y) } })
            let dark = (0..<image.width).filter { image.isDark($0, top) }
            measured = Double(dark.last! - dark.first! + 1) / Double(spec.modulesPerSide) / dpi * 25.4
        case .png:
            let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out + "/qr/000001.png")))
            let width = Self.bigEndian(png[16..<20])
            let density = try #require(Self.pngChunk("pHYs", in: png))
            #expect(density.count == 9 && density[8] == 1)  // pixels per metre
            #expect(Self.bigEndian(density[0..<4]) == Self.bigEndian(density[4..<8]))
            #expect(width / side == 8 && Self.bigEndian(density[0..<4]) == 16_000)
            measured = Double(width) / Double(side) / Double(Self.bigEndian(density[0..<4])) * 1000
            #expect(try await Run.zbar(out + "/qr/000001.png").count == 1)
        case .svg:
            let svg = try String(contentsOfFile: out + "/qr/000001.svg", encoding: .utf8)
            let stated = try #require(svg.firstMatch(of: /width="([0-9.]+)mm" height="([0-9.]+)mm" viewBox="0 0 ([0-9]+) ([0-9]+)"/))
            #expect(stated.1 == stated.2 && Int(stated.3) == side && Int(stated.4) == side)
            // Rasterised at 300 dpi, the image is as wide as the millimetres say.
            let png = fixture.folder.file("svg.png")
            try await Run.rasterise(svg: out + "/qr/000001.svg", png: png)
            let width = Self.bigEndian(try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))[16..<20])
            #expect(abs(Double(width) / 300 * 25.4 - Double(stated.1)!) < 0.2)
            measured = Double(width) / Double(side) / 300 * 25.4
            #expect(try await Run.zbar(png).count == 1)
        case .none:
            return
        }
        #expect(abs(measured - 0.5) < 0.02, "\(format): \(measured) mm a module (README: 0.5 mm)")
    }

    static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 << 8 | Int($1) } }

    /// The data of the first chunk of `type` in a PNG file.
    static func pngChunk(_ type: String, in png: [UInt8]) -> [UInt8]? {
        var offset = 8
        while offset + 8 <= png.count {
            let length = bigEndian(png[offset..<(offset + 4)])
            if String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self) == type { return Array(png[(offset + 8)..<(offset + 8 + length)]) }
            offset += 12 + length
        }
        return nil
    }

    @Test("an interruption part-way leaves no batch, no codes and no package")
    func interrupted() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        let calls = Counter()
        await #expect(throws: IssueInterrupted.self) {
            var issuer = fixture.issuer
            issuer.chunkSize = 10_000
            _ = try await issuer.issue(
                try fixture.batch(200_000), package: PackageOptions(directory: out),
                progress: { _ in calls.increment() }, isCancelled: { calls.value >= 2 })
        }
        #expect(calls.value == 2)
        try await Self.expectNothingIssued(fixture, out: out)
    }

    @Test("artwork is rendered before the issuing transaction begins; the transaction only writes rows and the manifest")
    func renderingOutsideTheTransaction() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        let log = CommitLog()
        let watching = Issuer(store: WatchedStore(base: fixture.store, log: log), signer: Self.signer, baseURL: "https://q.example.com")
        var issuer = watching
        issuer.chunkSize = 100
        let result = try await issuer.issue(try fixture.batch(500), package: PackageOptions(directory: out, artwork: .png),
                                            progress: { done in log.add("rendered \(done)") })
        // Every chunk was drawn before the transaction began; inside it, only the codes went in.
        #expect(log.items == ["rendered 100", "rendered 200", "rendered 300", "rendered 400", "rendered 500", "transaction", "500 codes"])
        #expect(try await fixture.store.codeCount(batch: result.batch.id) == 500)
        #expect(try Self.manifest(out).batch.id == result.batch.id)
        #expect(!FileManager.default.fileExists(atPath: out + "/.keys.tmp") && !FileManager.default.fileExists(atPath: out + "/.files.tmp"))
    }

    @Test("a staged key taken by the time the codes are written: the issue runs again with fresh keys, package and rows agree")
    func takenKeyRetries() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        let issuer = Issuer(store: TakenOnceStore(base: fixture.store), signer: Self.signer, baseURL: "https://q.example.com")
        let result = try await issuer.issue(try fixture.batch(300), package: PackageOptions(directory: out))
        #expect(try await fixture.store.batches(product: nil).count == 1)
        #expect(try await fixture.store.codeCount(batch: result.batch.id) == 300)
        for row in try Self.csvRows(out + "/codes.csv").dropFirst() {
            guard case let .valid(key, _) = Self.signer.check(row[1]) else { Issue.record("invalid \(row[1])"); continue }
            #expect(try await fixture.store.code(key)?.sequence == Int(row[0]))
        }
    }

    @Test("production's entropy rule passes every generated secret and refuses secrets of one character or a short pattern")
    func secretEntropy() {
        for _ in 0..<2000 { #expect(IssuerConfig.entropyBits(Array(IssuerConfig.generateSecret().utf8)) >= 56) }
        #expect(IssuerConfig.entropyBits(Array(String(repeating: "a", count: 64).utf8)) == 0)
        #expect(IssuerConfig.entropyBits(Array(String(repeating: "ab", count: 16).utf8)) < 56)
        #expect(IssuerConfig.entropyBits(Array("bench-secret-0123456789abcdef".utf8)) >= 56)  // what scripts/bench uses
    }

    @Test("a storage failure part-way (a full disk) leaves no batch, no codes and no package")
    func storageFailure() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        let failing = Issuer(store: FailingStore(base: fixture.store, failAfter: 70_000), signer: Self.signer, baseURL: "https://q.example.com")
        await #expect(throws: FailingStore.DiskFull.self) {
            _ = try await failing.issue(try fixture.batch(100_000), package: PackageOptions(directory: out, artwork: .none))
        }
        try await Self.expectNothingIssued(fixture, out: out)
        // Re-running issues a fresh, complete batch.
        let result = try await fixture.issuer.issue(try fixture.batch(1000), package: PackageOptions(directory: out))
        #expect(try await fixture.store.codeCount(batch: result.batch.id) == 1000)
        #expect(try await fixture.store.batches(product: nil).count == 1)
    }

    static func expectNothingIssued(_ fixture: Fixture, out: String) async throws {
        #expect(try await fixture.store.batches(product: nil).isEmpty)
        // Not merely unlisted: no row of the batch, its codes or its issue is left.
        let rows = try await fixture.store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM batch) + (SELECT count(*) FROM code) + (SELECT count(*) FROM batch_issuing)")
        }
        #expect(rows == 0)
        #expect(!FileManager.default.fileExists(atPath: out))
        let left = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path).filter { !$0.hasPrefix("onecode.sqlite") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("bad requests are refused before anything is written")
    func badRequests() async throws {
        let fixture = try await Fixture(gtin: nil)
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        await #expect { _ = try await fixture.issuer.issue(try fixture.batch(10, form: .gs1), package: PackageOptions(directory: out)) }
            throws: { ($0 as? InputError)?.field == "url-form" }
        await #expect { _ = try await fixture.issuer.issue(try NewBatch(productID: ProductID(rawValue: 99), count: 1, maxCount: 10), package: PackageOptions(directory: out)) }
            throws: { ($0 as? NotFoundError)?.field == "product" }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: out + "/keep.txt", contents: Data("mine".utf8))
        await #expect { _ = try await fixture.issuer.issue(try fixture.batch(10), package: PackageOptions(directory: out)) }
            throws: { ($0 as? InputError)?.field == "out" }
        #expect(try String(contentsOfFile: out + "/keep.txt", encoding: .utf8) == "mine")
        #expect(try await fixture.store.batches(product: nil).isEmpty)
        #expect { try fixture.batch(0) } throws: { ($0 as? InputError)?.field == "count" }
        #expect { try NewBatch(productID: fixture.product.id, count: 11, maxCount: 10) } throws: { ($0 as? InputError)?.field == "count" }
        #expect { try fixture.batch(1, lot: "bad lot!") } throws: { ($0 as? InputError)?.field == "lot" }
        #expect { try fixture.batch(1, lot: "lower", uppercase: true) } throws: { ($0 as? InputError)?.field == "lot" }
    }

    @Test("an empty existing folder is accepted as --out")
    func emptyOut() async throws {
        let fixture = try await Fixture()
        defer { fixture.folder.cleanup() }
        let out = fixture.folder.file("package")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        _ = try await fixture.issuer.issue(try fixture.batch(10), package: PackageOptions(directory: out))
        #expect(FileManager.default.fileExists(atPath: out + "/manifest.json"))
    }
}

/// A thread-safe counter for callbacks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// - Returns: the count after this increment.
    @discardableResult func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}

/// The real store, whose code sink fails like a full disk after some inserts.
struct FailingStore: ForwardingCatalog {
    var catalog: any CatalogStore { base }
    struct DiskFull: Error {}
    let base: SQLiteStore
    let failAfter: Int

    final class Sink: CodeSink {
        let base: any CodeSink
        var remaining: Int
        init(base: any CodeSink, remaining: Int) {
            self.base = base
            self.remaining = remaining
        }
        func insert(_ key: CodeKey, sequence: Int) throws -> Bool {
            remaining -= 1
            if remaining < 0 { throw DiskFull() }
            return try base.insert(key, sequence: sequence)
        }
    }

    func issueBatch<T: Sendable>(_ batch: NewBatch, codeLength: Int, audit: AuditEntry?, _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T) async throws -> (Batch, T) {
        let failAfter = failAfter
        return try await base.issueBatch(batch, codeLength: codeLength, audit: audit) { batch, product, sink in
            try body(batch, product, Sink(base: sink, remaining: failAfter))
        }
    }
}

/// Records when the issuing transaction begins and how many codes it writes.
struct WatchedStore: ForwardingCatalog {
    var catalog: any CatalogStore { base }
    let base: SQLiteStore
    let log: CommitLog

    final class Sink: CodeSink {
        let base: any CodeSink
        var count = 0
        init(base: any CodeSink) { self.base = base }
        func insert(_ key: CodeKey, sequence: Int) throws -> Bool {
            count += 1
            return try base.insert(key, sequence: sequence)
        }
    }

    func issueBatch<T: Sendable>(_ batch: NewBatch, codeLength: Int, audit: AuditEntry?, _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T) async throws -> (Batch, T) {
        let log = log
        return try await base.issueBatch(batch, codeLength: codeLength, audit: audit) { batch, product, sink in
            log.add("transaction")
            let counting = Sink(base: sink)
            let result = try body(batch, product, counting)
            log.add("\(counting.count) codes")
            return result
        }
    }
}

/// Reports the first key of the first issue as taken, as if another batch had drawn it meanwhile.
final class TakenOnceStore: ForwardingCatalog, @unchecked Sendable {
    var catalog: any CatalogStore { base }
    let base: SQLiteStore
    private let attempts = Mutex(0)
    init(base: SQLiteStore) { self.base = base }

    final class Sink: CodeSink {
        let base: any CodeSink
        var refuseNext: Bool
        init(base: any CodeSink, refuseNext: Bool) {
            self.base = base
            self.refuseNext = refuseNext
        }
        func insert(_ key: CodeKey, sequence: Int) throws -> Bool {
            if refuseNext { refuseNext = false; return false }
            return try base.insert(key, sequence: sequence)
        }
    }

    func issueBatch<T: Sendable>(_ batch: NewBatch, codeLength: Int, audit: AuditEntry?, _ body: @escaping @Sendable (Batch, Product, any CodeSink) throws -> T) async throws -> (Batch, T) {
        let first = attempts.withLock { attempts in
            attempts += 1
            return attempts == 1
        }
        return try await base.issueBatch(batch, codeLength: codeLength, audit: audit) { batch, product, sink in
            try body(batch, product, Sink(base: sink, refuseNext: first))
        }
    }
}

/// A catalogue double that changes only `issueBatch`: everything else goes to the real store.
protocol ForwardingCatalog: CatalogStore {
    /// The real store everything but `issueBatch` goes to.
    var catalog: any CatalogStore { get }
}

extension ForwardingCatalog {
    func addProduct(_ product: NewProduct, audit: AuditEntry) async throws -> Product { try await catalog.addProduct(product, audit: audit) }
    func products() async throws -> [Product] { try await catalog.products() }
    func product(_ id: ProductID) async throws -> Product? { try await catalog.product(id) }
    func updateProduct(_ id: ProductID, _ change: ProductChange, audit: AuditEntry) async throws -> Product? { try await catalog.updateProduct(id, change, audit: audit) }
    func batches(product: ProductID?) async throws -> [Batch] { try await catalog.batches(product: product) }
    func batch(_ id: BatchID) async throws -> Batch? { try await catalog.batch(id) }
    func codeCount(batch: BatchID) async throws -> Int { try await catalog.codeCount(batch: batch) }
    func code(_ key: CodeKey) async throws -> CodeRecord? { try await catalog.code(key) }
    func secretFingerprint() async throws -> String? { try await catalog.secretFingerprint() }
    func recordSecretFingerprint(_ fingerprint: String) async throws -> String { try await catalog.recordSecretFingerprint(fingerprint) }
}
