import Foundation
import Testing
import OneCodeDomain
import OneCodeRendering

/// What we print must read back, with a real decoder (zbar), to exactly the printed text.
@Suite("QR artwork decodes with zbar")
struct QRDecodeTests {
    static let signer = try! CodeSigner(secret: Array("test-secret-0123456789abcdef".utf8))
    static let code = signer.code(for: CodeKey(rawValue: 0x0123_4567_89AB_CDEF))
    static let gtin = try! GTIN("6291041500213")

    /// Both URL forms, lower and upper case.
    static let urls: [String] = [
        try! CodeURLBuilder(base: "https://q.example.com", form: .short, gtin: nil, lot: nil, uppercase: false).url(for: code),
        try! CodeURLBuilder(base: "https://q.example.com", form: .short, gtin: nil, lot: nil, uppercase: true).url(for: code),
        try! CodeURLBuilder(base: "https://q.example.com", form: .gs1, gtin: gtin, lot: "L2026-11", uppercase: false).url(for: code),
        try! CodeURLBuilder(base: "https://q.example.com", form: .gs1, gtin: gtin, lot: nil, uppercase: true).url(for: code),
    ]

    static let cases: [(String, ErrorCorrection)] = urls.flatMap { url in ErrorCorrection.allCases.map { (url, $0) } }

    @Test("PNG decodes to the printed URL", arguments: cases)
    func png(url: String, ec: ErrorCorrection) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let symbol = try QRSymbol(url, ec: ec)
        let file = folder.file("code.png")
        try Data(PNGRenderer.render(symbol, scale: 4)).write(to: URL(fileURLWithPath: file))
        #expect(try await Run.zbar(file) == [url])
    }

    @Test("SVG, rasterised, decodes to the printed URL", arguments: cases)
    func svg(url: String, ec: ErrorCorrection) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let symbol = try QRSymbol(url, ec: ec)
        try Data(SVGRenderer.render(symbol)).write(to: URL(fileURLWithPath: folder.file("code.svg")))
        try await Run.rasterise(svg: folder.file("code.svg"), png: folder.file("code.png"))
        #expect(try await Run.zbar(folder.file("code.png")) == [url])
    }

    @Test("upper-case URLs never make larger symbols, and sometimes smaller ones (alphanumeric mode)")
    func uppercaseIsSmaller() throws {
        for base in ["https://q.example.com", "https://qr.brand-example.com", "https://scan.example-brand.com"] {
            for form in URLForm.allCases {
                let url = { (upper: Bool) in
                    try CodeURLBuilder(base: base, form: form, gtin: Self.gtin, lot: nil, uppercase: upper).url(for: Self.code)
                }
                #expect(try QRSymbol(url(true), ec: .M).version <= QRSymbol(url(false), ec: .M).version)
            }
        }
        let url = { (upper: Bool) in
            try CodeURLBuilder(base: "https://qr.brand-example.com", form: .short, gtin: nil, lot: nil, uppercase: upper).url(for: Self.code)
        }
        #expect(try QRSymbol(url(true), ec: .M).version < QRSymbol(url(false), ec: .M).version)
    }

    @Test("higher error correction never makes a smaller symbol")
    func ecGrowsSymbols() throws {
        let versions = try ErrorCorrection.allCases.map { try QRSymbol(Self.urls[2], ec: $0).version }
        #expect(versions == versions.sorted())
        #expect(versions.first! < versions.last!)
    }

    @Test("text too long for any symbol is refused, naming the field")
    func tooLong() {
        #expect { try QRSymbol(String(repeating: "x", count: 3000), ec: .H) } throws: { ($0 as? InputError)?.field == "text" }
        #expect { try QRSymbol("", ec: .M) } throws: { ($0 as? InputError)?.field == "text" }
    }

    @Test("PNG is a well-formed 1-bit greyscale image of the expected size")
    func pngHeader() throws {
        let symbol = try QRSymbol(Self.urls[0], ec: .M)
        let png = PNGRenderer.render(symbol, scale: 3)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (symbol.width + 8) * 3)
        #expect(png[24] == 1 && png[25] == 0)  // bit depth 1, greyscale
    }
}
