import Foundation
import OneCodeDomain
import OneCodeRulebook

/// Codes as packing-line scanners and warehouse staff send them (a code, or the URL printed in its QR
/// symbol), each kept with its position so a refusal names it: the one reading for the CLI and the API.
public enum ChannelInput {
    /// Reads one typed code. - Throws: `InputError(position, …)` for what is not a code of this service.
    public static func place(_ typed: String, at position: String, signer: CodeSigner) throws -> PlacedCode {
        let read = signer.read(typed: typed)
        guard case let .read(.valid(key, canonical)) = read else {
            throw InputError(position, "'\(typed.prefix(80))': \(read.problem ?? "not a code")")
        }
        return PlacedCode(key: key, code: canonical, position: position)
    }

    /// The lines of a packing-line file: with `parent`, one child code per line; without, a `parent,child`
    /// pair per line (comma, tab or space between; a `parent,child` header is skipped), grouped by parent
    /// in the order they first appear. Blank lines and `#` comments are skipped. Positions are `line N`.
    public static func packings(_ text: String, parent: String?, signer: CodeSigner) throws -> [Packing] {
        let fixedParent = try parent.map { try place($0, at: "parent", signer: signer) }
        var order: [CodeKey] = []
        var groups: [CodeKey: Packing] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let position = "line \(index + 1)"
            let fields = line.split(whereSeparator: { $0 == "," || $0 == "\t" || $0 == " " }).map(String.init)
            let parentCode: PlacedCode, childText: String
            if let fixedParent {
                guard fields.count == 1 else {
                    throw InputError(position, "expected one child code per line with --parent (got \(fields.count) fields)")
                }
                parentCode = fixedParent
                childText = fields[0]
            } else {
                if index == 0, fields.map({ $0.lowercased() }) == ["parent", "child"] { continue }
                guard fields.count == 2 else {
                    throw InputError(position, "expected 'parent,child' (two codes) per line without --parent (got \(fields.count) fields)")
                }
                parentCode = try place(fields[0], at: position, signer: signer)
                childText = fields[1]
            }
            let child = try place(childText, at: position, signer: signer)
            if groups[parentCode.key] == nil {
                order.append(parentCode.key)
                groups[parentCode.key] = Packing(parent: parentCode, children: [])
            }
            groups[parentCode.key]!.children.append(child)
        }
        guard !order.isEmpty else {
            throw InputError("children", "no codes to pack: the input has no child codes")
        }
        return order.map { groups[$0]! }
    }

    /// Codes one per line (a shipment's cases and pallets). Positions are `line N`.
    public static func codes(_ text: String, signer: CodeSigner) throws -> [PlacedCode] {
        var codes: [PlacedCode] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || (index == 0 && line.lowercased() == "code") { continue }
            codes.append(try place(line, at: "line \(index + 1)", signer: signer))
        }
        guard !codes.isEmpty else { throw InputError("codes", "no codes: the input lists none") }
        return codes
    }
}
