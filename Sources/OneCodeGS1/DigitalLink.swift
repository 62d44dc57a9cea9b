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
    public var dataString: String { Self.engine.withLock { engine in engine.raw(elementString) } }

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
        let uri = "https://resolver.invalid" + path + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        let result = engine.withLock { engine in engine.read(uri) }
        return DigitalLink(elements: try Self.elements(bracketed: result.get()))
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

    /// One engine context for the process, used under a lock (a parse takes microseconds; a context is
    /// not safe to share without one, and starting one builds the AI table).
    private static let engine = Mutex(Engine())

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
