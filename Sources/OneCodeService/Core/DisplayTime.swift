import Foundation
import OneCodeDomain

/// Times as people read them on every human output (pages, CLI tables and text): to the minute in
/// `display.timeZone`, with the zone said once (`Beijing time`, `UTC`, `UTC+02:00`). JSON stays UTC.
public struct DisplayTime: Sendable {
    public let zone: TimeZone

    public init(_ zone: TimeZone) { self.zone = zone }

    /// `display.timeZone` as the configuration gives it (default Asia/Shanghai). - Throws: `InputError`
    /// naming the key for a zone that is none.
    public init(configured name: String?) throws {
        let name = name.flatMap { $0.isEmpty ? nil : $0 } ?? "Asia/Shanghai"
        guard let zone = TimeZone(identifier: name) else {
            throw InputError("display.timeZone", "must be an IANA time zone such as Asia/Shanghai or Europe/Berlin (got '\(name)')")
        }
        self.zone = zone
    }

    /// The zone's name for a column header or after a time: `Beijing time`, `UTC`, `UTC+05:30`; a zone
    /// whose offset changes with the seasons by its identifier (`Europe/Berlin`: no one offset fits every row).
    public var label: String {
        if zone.identifier != "Asia/Shanghai", zone.nextDaylightSavingTimeTransition(after: Date()) != nil { return zone.identifier }
        return String(LandingPage.format(Date(), .en, zone: zone).split(separator: " ", maxSplits: 2).last ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "()"))
    }

    /// `2026-12-07 11:41`, in the zone (no label: the header says it).
    public func minute(_ date: Date) -> String {
        LandingPage.format(date, .en, zone: zone).split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// `2026-12-07 11:41 (Beijing time)`.
    public func labelled(_ date: Date) -> String { minute(date) + " (\(label))" }
}
