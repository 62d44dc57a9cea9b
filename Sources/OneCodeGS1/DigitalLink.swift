import CGS1Encoders
import Foundation
import Synchronization

/// A GS1 Digital Link URI's identification: its AI elements as GS1's Barcode Syntax Engine reads and
/// checks them (GS1 Digital Link URI Syntax: primary key, key qualifiers in their order, data
/// attributes from the query; check digits, lengths, character sets, percent-encoding).
public struct DigitalLink: Sendable, Equatable {
    /// One application identifier and its value, as the engine gives them (key first, then its
    /// qualifiers, then data attributes).
    public struct Element: Sendable, Equatable, CustomStringConvertible {
        public let ai: String
        public let value: String
        public init(ai: String, value: String) {
            self.ai = ai
            self.value = value
        }
        public var description: String { "(\(ai))\(value)" }
    }

    /// What the engine found wrong, in its words (e.g. "The AI (01) has an invalid check digit").
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let elements: [Element]
    /// The engine's own element string: FNC1 as `^` before each element that is not of predefined length
    /// (worked out again from the elements when asked; GS1's vectors are written this way).
    public var dataString: String { Self.withEngine { engine in engine.raw(elementString) } }

    /// How the engine reads a URI (GS1's settings; the service uses `standard`).
    struct Options: Equatable {
        /// GTIN-8, -12 and -13 written without their leading zeros are read as GTIN-14.
        var permitZeroSuppressedGTIN = true
        /// AIs the engine's table does not know are accepted (as data attributes only, unless the next is off).
        var permitUnknownAIs = false
        var unknownAIsOnlyAsAttributes = true
        static let standard = Options()
    }

    /// The first value of `ai`, if the URI carries it.
    public func value(_ ai: String) -> String? { elements.first { $0.ai == ai }?.value }
    public var gtin: String? { value("01") }
    public var lot: String? { value("10") }
    public var serial: String? { value("21") }

    /// The element string in GS1's bracketed form, e.g. `(01)09520123456788(10)ABC(21)12345`.
    public var elementString: String { elements.map(\.description).joined() }

    /// Parses the path and query of a request as a GS1 Digital Link URI on this host.
    /// - Parameters:
    ///   - path: from the first `/`, percent-encoded as received (one trailing `/` is tolerated).
    ///   - query: the query string without `?`, if any; parameters that are not AIs (e.g. `linkType`)
    ///     are left for the resolver and ignored here.
    public static func parse(path: String, query: String?) throws(SyntaxError) -> DigitalLink {
        var path = path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix("/") else { throw SyntaxError(message: "the path must start with /") }
        if query?.isEmpty ?? true, let link = printed(path) { return link }
        let uri = "https://resolver.invalid" + path + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        let result = Self.withEngine { engine in engine.read(uri) }
        return DigitalLink(elements: try Self.elements(bracketed: result.get()))
    }

    /// The form OneCode prints, read without the engine (the scan path's common case): `/01/{14 digits}`
    /// with a valid check digit, optionally `/10/{lot}`, then `/21/{serial}`, lot and serial 1 to 20 of
    /// `A-Z a-z 0-9 - . _` (characters of GS1's set 82 that a URI carries as they are). Anything else is
    /// nil and goes to the engine; a test holds this equal to the engine on random paths.
    static func printed(_ path: String) -> DigitalLink? {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 7, parts[0].isEmpty, parts[1].elementsEqual("01".utf8) else { return nil }
        let gtin = parts[2]
        guard gtin.count == 14, gtin.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var sum = 0
        for (index, digit) in gtin.dropLast().enumerated() { sum += Int(digit - 48) * (index % 2 == 0 ? 3 : 1) }
        guard (10 - sum % 10) % 10 == Int(gtin.last! - 48) else { return nil }
        func plain(_ value: Substring.UTF8View.SubSequence) -> Bool {
            (1...20).contains(value.count) && value.allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 46 || byte == 95
            }
        }
        var elements = [Element(ai: "01", value: String(Substring(gtin)))]
        if parts.count == 7 {
            guard parts[3].elementsEqual("10".utf8), plain(parts[4]) else { return nil }
            elements.append(Element(ai: "10", value: String(Substring(parts[4]))))
        }
        let last = parts.count - 2
        guard parts[last].elementsEqual("21".utf8), plain(parts[last + 1]) else { return nil }
        elements.append(Element(ai: "21", value: String(Substring(parts[last + 1]))))
        return DigitalLink(elements: elements)
    }

    /// A whole URI read by an engine with `options` (GS1's vectors are given with the settings they were
    /// tried under), with its raw element string as that engine writes it.
    static func parse(uri: String, options: Options) throws(SyntaxError) -> (link: DigitalLink, raw: String) {
        var engine = Engine(options)
        let link = DigitalLink(elements: try Self.elements(bracketed: engine.read(uri).get()))
        return (link, engine.raw(link.elementString))
    }

    /// Splits `(01)…(10)…` into elements; a `(` inside a value is escaped as `\(`.
    static func elements(bracketed text: String) throws(SyntaxError) -> [Element] {
        var elements: [Element] = []
        var scalars = Substring(text).unicodeScalars[...]
        while let open = scalars.first {
            guard open == "(", let close = scalars.firstIndex(of: ")") else {
                throw SyntaxError(message: "unexpected element string from the GS1 syntax engine: \(text)")
            }
            let ai = String(String.UnicodeScalarView(scalars[scalars.index(after: scalars.startIndex)..<close]))
            scalars = scalars[scalars.index(after: close)...]
            var value = String.UnicodeScalarView()
            while let next = scalars.first, next != "(" {
                scalars.removeFirst()
                if next == "\\", scalars.first == "(" {
                    value.append("(")
                    scalars.removeFirst()
                } else {
                    value.append(next)
                }
            }
            elements.append(Element(ai: ai, value: String(value)))
        }
        return elements
    }

    /// Engine contexts for the process, each used under its own lock (a context is not safe to share
    /// without one, and starting one builds the AI table): a parse takes the first that is free, so
    /// the service's threads do not queue behind one another.
    private static let engines = (0..<max(2, ProcessInfo.processInfo.activeProcessorCount)).map { _ in Locked() }

    private final class Locked: Sendable {
        let engine = Mutex(Engine())
    }

    private static func withEngine<T: Sendable>(_ body: (inout Engine) -> T) -> T {
        for locked in engines {
            if let result = locked.engine.withLockIfAvailable({ body(&$0) }) { return result }
        }
        return engines[0].engine.withLock { body(&$0) }
    }

    private struct Engine: ~Copyable {
        let context: OpaquePointer?

        /// The bracketed element string of a URI, or what is wrong with it.
        mutating func read(_ uri: String) -> Result<String, SyntaxError> {
            guard let context else { return .failure(SyntaxError(message: "the GS1 syntax engine could not start")) }
            guard uri.utf8.count < Int(gs1_encoder_getMaxDataStrLength()) else {
                return .failure(SyntaxError(message: "the URI is too long (at most \(gs1_encoder_getMaxDataStrLength() - 1) characters)"))
            }
            guard gs1_encoder_setDataStr(context, uri) else {
                return .failure(SyntaxError(message: String(cString: gs1_encoder_getErrMsg(context))))
            }
            guard let text = gs1_encoder_getAIdataStr(context) else { return .failure(SyntaxError(message: "no GS1 identification in the path")) }
            return .success(String(cString: text))
        }

        /// The raw element string of a bracketed one this engine gave.
        mutating func raw(_ bracketed: String) -> String {
            guard let context, gs1_encoder_setAIdataStr(context, bracketed) else { return "" }
            return String(cString: gs1_encoder_getDataStr(context))
        }

        init(_ options: Options = .standard) {
            // The embedded AI table (no syntax dictionary file).
            var initial = gs1_encoder_init_opts_t()
            initial.struct_size = MemoryLayout<gs1_encoder_init_opts_t>.size
            initial.flags = gs1_encoder_iDEFAULT
            let context = gs1_encoder_init_ex(nil, &initial)
            if let context {
                _ = gs1_encoder_setPermitZeroSuppressedGTINinDLuris(context, options.permitZeroSuppressedGTIN)
                _ = gs1_encoder_setPermitUnknownAIs(context, options.permitUnknownAIs)
                _ = gs1_encoder_setValidationEnabled(context, gs1_encoder_vUNKNOWN_AI_NOT_DL_ATTR, options.unknownAIsOnlyAsAttributes)
            }
            self.context = context
        }
        deinit { if let context { gs1_encoder_free(context) } }
    }
}
