import ArgumentParser
import Foundation
import OneCodeDomain
import OneCodeRendering

struct QRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr",
        abstract: "Draw one QR symbol for any text.",
        discussion: "The format follows the file name: .svg, .png or .pdf (a one-label A4 sheet). Every format prints at 0.5 mm a module: the PDF draws it so, the SVG states its size in millimetres, the PNG records its density (8 pixels a module, 406.4 dpi).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The text to encode.") var text: String
    @Option(help: ArgumentHelp("The file to write (.svg, .png or .pdf); must not exist.", valueName: "file")) var out: String
    @Option(help: "Error correction: L, M, Q or H.") var ec: ErrorCorrection = .M

    struct Output: Encodable { var file: String; var version: Int; var modules: Int; var bytes: Int }

    func run() async throws {
        try await reportingErrors {
            let ext = (out as NSString).pathExtension.lowercased()
            guard ["svg", "png", "pdf"].contains(ext) else {
                throw InputError("out", "must end in .svg, .png or .pdf (got '\(out)')")
            }
            guard !FileManager.default.fileExists(atPath: out) else { throw InputError("out", "\(out) exists; name a new file") }
            let symbol = try QRSymbol(text, ec: ec)
            switch ext {
            case "pdf":
                let caption = String(text.prefix(30))
                let layout = SheetLayout(modulesPerSide: symbol.width, captionCharacters: caption.count)
                let heading = PDFLabelSheet.Heading(title: "OneCode QR, EC \(ec.rawValue)", labels: 1)
                let fonts = try LabelFonts(for: heading.texts + [caption])
                let sheet = try PDFLabelSheet(path: out, layout: layout, heading: heading, fonts: fonts)
                try sheet.append(page: PDFLabelSheet.page([PDFLabelSheet.Label(symbol: symbol, caption: caption)][...], number: 0,
                                                          layout: layout, heading: heading, fonts: fonts))
                try sheet.finish(batch: nil)
            default:
                let bytes = ext == "svg" ? SVGRenderer.render(symbol) : PNGRenderer.render(symbol)
                guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else {
                    throw InputError("out", "cannot write \(out)")
                }
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            try global.emit(Output(file: out, version: symbol.version, modules: symbol.width, bytes: size)) {
                "\(out): QR version \(symbol.version), \(symbol.width)×\(symbol.width) modules, EC \(ec.rawValue)"
            }
        }
    }
}
