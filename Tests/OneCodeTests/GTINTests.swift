import Testing
@testable import OneCodeDomain

@Suite("GTIN")
struct GTINTests {
    /// Examples published by GS1 and in common use (GS1 check digit calculator, UPC and EAN samples).
    @Test("published GTINs pass and are stored as GTIN-14", arguments: [
        ("6291041500213", "06291041500213"),   // GS1 check digit calculator example
        ("4006381333931", "04006381333931"),   // EAN-13
        ("036000291452", "00036000291452"),    // UPC-A
        ("96385074", "00000096385074"),        // GTIN-8
        ("73513537", "00000073513537"),        // GTIN-8
        ("10614141000415", "10614141000415"),  // GTIN-14, GS1 US example
        ("9780201379624", "09780201379624"),   // ISBN as EAN-13
    ])
    func valid(text: String, gtin14: String) throws {
        #expect(try GTIN(text).digits == gtin14)
    }

    @Test("a wrong check digit names the digit expected")
    func wrongCheckDigit() {
        for text in ["6291041500214", "4006381333930", "036000291453", "96385075", "10614141000416"] {
            #expect { try GTIN(text) } throws: { error in
                guard let error = error as? InputError else { return false }
                return error.field == "gtin" && error.message.contains("check digit")
            }
        }
    }

    @Test("wrong lengths and characters are refused", arguments: ["", "1234567", "12345678901", "123456789012345", "62910415002a3", " 6291041500213", "６２９１０４１５００２１３"])
    func malformed(text: String) {
        #expect(throws: InputError.self) { try GTIN(text) }
    }

    @Test("check digit arithmetic")
    func checkDigit() {
        #expect(GTIN.checkDigit([6, 2, 9, 1, 0, 4, 1, 5, 0, 0, 2, 1]) == 3)
        #expect(GTIN.checkDigit([0, 0, 0, 0, 0, 0, 0]) == 0)
    }
}
