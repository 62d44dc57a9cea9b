import Foundation

/// What a brand sells: a name (and one per language, if given), optionally a GTIN, a SKU and an
/// image the scan page shows.
public struct Product: Sendable, Codable, Equatable, Identifiable {
    public var id: ProductID
    /// The product's name; the fallback when it has none in the page's language.
    public var name: String
    public var nameZh: String?
    public var nameEn: String?
    public var gtin: GTIN?
    public var sku: String?
    /// An https address of the product's picture, shown on its scan pages.
    public var imageURL: String?
    public var createdAt: Date

    public init(id: ProductID, name: String, nameZh: String? = nil, nameEn: String? = nil, gtin: GTIN?, sku: String?,
                imageURL: String? = nil, createdAt: Date) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.nameEn = nameEn
        self.gtin = gtin
        self.sku = sku
        self.imageURL = imageURL
        self.createdAt = createdAt
    }

    /// The name to show in `language` ("zh" or "en"): that language's name, else the other's, else `name`.
    public func name(in language: String) -> String {
        (language == "zh" ? nameZh ?? nameEn : nameEn ?? nameZh) ?? name
    }
}

/// A product to register, validated on creation.
public struct NewProduct: Sendable, Equatable {
    public var name: String
    public var nameZh: String?
    public var nameEn: String?
    public var gtin: GTIN?
    public var sku: String?
    public var imageURL: String?

    /// - Throws: `InputError` for an empty or overlong name, a bad GTIN, a bad SKU or a bad image address.
    public init(name: String, nameZh: String? = nil, nameEn: String? = nil, gtin: String?, sku: String?, imageURL: String? = nil) throws {
        self.name = try Name.validate(name, field: "name", maximum: 200)
        self.nameZh = try nameZh.map { try Name.validate($0, field: "nameZh", maximum: 200) }
        self.nameEn = try nameEn.map { try Name.validate($0, field: "nameEn", maximum: 200) }
        self.gtin = try gtin.map { try GTIN($0) }
        if let sku {
            guard (1...64).contains(sku.count), sku.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
                throw InputError("sku", "must be 1 to 64 characters: letters, digits, '-', '_', '.', '/'")
            }
        }
        self.sku = sku
        self.imageURL = try imageURL.map { try ProductImage.validate($0, field: "imageUrl") }
    }
}

/// Changes to a product's names and image: a field left nil stays as it is, an empty string clears it.
public struct ProductChange: Sendable, Equatable {
    public enum Field: Sendable, Equatable {
        case set(String)
        case clear
    }
    public var nameZh: Field?
    public var nameEn: Field?
    public var imageURL: Field?

    /// - Throws: `InputError` naming the bad field, or when nothing would change.
    public init(nameZh: String? = nil, nameEn: String? = nil, imageURL: String? = nil) throws {
        func field(_ value: String?, _ check: (String) throws -> String) throws -> Field? {
            guard let value else { return nil }
            return value.trimmingCharacters(in: .whitespaces).isEmpty ? .clear : .set(try check(value))
        }
        self.nameZh = try field(nameZh) { try Name.validate($0, field: "nameZh", maximum: 200) }
        self.nameEn = try field(nameEn) { try Name.validate($0, field: "nameEn", maximum: 200) }
        self.imageURL = try field(imageURL) { try ProductImage.validate($0, field: "imageUrl") }
        guard self.nameZh != nil || self.nameEn != nil || self.imageURL != nil else {
            throw InputError("product", "nothing to change: give nameZh, nameEn or imageUrl (an empty value clears it)")
        }
    }

    /// `product` with the changes made.
    public func applied(to product: Product) -> Product {
        func value(_ field: Field?, _ old: String?) -> String? {
            switch field {
            case nil: old
            case .clear: nil
            case let .set(new): new
            }
        }
        var changed = product
        changed.nameZh = value(nameZh, product.nameZh)
        changed.nameEn = value(nameEn, product.nameEn)
        changed.imageURL = value(imageURL, product.imageURL)
        return changed
    }
}

/// A product image's address: https, a host, at most 1,000 characters, nothing a page or a
/// Content-Security-Policy could misread (no spaces, quotes, angle brackets or semicolons), and a host
/// of letters, digits, dots and dashes only: `https://*/x.png` would make the policy allow images from
/// every https site.
public enum ProductImage {
    public static func validate(_ text: String, field: String) throws -> String {
        let address = text.trimmingCharacters(in: .whitespaces)
        guard address.count <= 1000, !address.contains(where: { " \"'<>;\\,".contains($0) || !$0.isASCII }),
              let url = URL(string: address), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty,
              host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" }),
              host.contains(where: { $0.isLetter || $0.isNumber }), url.user == nil else {
            throw InputError(field, "must be an https address of an image, e.g. https://cdn.example.com/tea.jpg (at most 1,000 characters)")
        }
        return address
    }

    /// The address's origin (`https://host[:port]`), what a page's Content-Security-Policy allows.
    public static func origin(_ address: String) -> String? {
        guard let url = URL(string: address), let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme.lowercased())://\(host.lowercased())" + (url.port.map { ":\($0)" } ?? "")
    }
}
