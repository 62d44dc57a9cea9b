import Crypto
import Foundation
import HummingbirdOTP
import OneCodeDomain
import OneCodeStorage

/// The console's optional second factor for admins: a TOTP (RFC 6238: six digits, 30 seconds, SHA-1, as
/// every authenticator app reads it; hummingbird-auth's HummingbirdOTP computes it). The secret is kept
/// sealed (AES-GCM under a key derived from the code secret, `CodeSigner.derivedKey`), so a copy of the database alone does not give
/// it; each code signs in once (`UserStore.useSecondFactorStep`, on whichever node).
public struct SecondFactor: Sendable {
    /// Codes of the step before and after now are accepted too: a phone's clock a little off still signs in.
    public static let drift = 1
    let key: SymmetricKey

    /// - Parameter signer: the service's code signer: the sealing key is derived from its secret for this use alone.
    public init(signer: CodeSigner) {
        key = signer.derivedKey("console second factor v1")
    }

    /// A new TOTP secret: 32 random Crockford symbols (160 bits), its UTF-8 bytes the HMAC key.
    public static func newSecret() -> String { String(decoding: Crockford.random(32), as: UTF8.self) }

    public func seal(_ secret: String) throws -> [UInt8] {
        Array(try AES.GCM.seal(Array(secret.utf8), using: key).combined!)
    }

    /// The secret a sealed one holds. - Throws: `InputError("secondFactor", …)` when it does not open (another code secret).
    public func open(_ sealed: [UInt8]) throws -> String {
        do {
            return String(decoding: try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: key), as: UTF8.self)
        } catch {
            throw InputError("secondFactor", "the stored second factor does not open with this code secret; reset it with `onecode user reset-second-factor`")
        }
    }

    /// The time step whose code `typed` is (now, or `drift` steps either side), nil when it is none of them.
    public static func step(of typed: String, secret: String, at now: Date = Date()) -> Int64? {
        let digits = typed.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), let value = Int(digits) else { return nil }
        let totp = TOTP(secret: secret)
        let current = Int64(now.timeIntervalSince1970 / 30)
        // Every candidate computed, compared without an early exit.
        var found: Int64?
        for step in (current - Int64(drift))...(current + Int64(drift)) where totp.compute(date: Date(timeIntervalSince1970: Double(step) * 30)) == value {
            found = found ?? step
        }
        return found
    }

    /// The otpauth:// URL an authenticator app scans (as a QR code) to add the account.
    public static func authenticatorURL(secret: String, account: String, issuer: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(account)", issuer: issuer)
    }

    /// The secret as an app asks for it when typed by hand: base32, in groups of four.
    public static func typedForm(_ secret: String) -> String {
        let url = TOTP(secret: secret).createAuthenticatorURL(label: "x")
        let base32 = url.components(separatedBy: "secret=").last?.components(separatedBy: "&").first ?? ""
        return stride(from: 0, to: base32.count, by: 4).map { start in
            String(base32.dropFirst(start).prefix(4))
        }.joined(separator: " ")
    }
}
