import Configuration
import Foundation
import Hummingbird
import Logging
import OneCodeDomain
import OneCodeStorage

/// How `serve` logs: `log.level`, `log.format` (`text` or `json`), `log.access`.
public struct LogConfig: Sendable {
    public enum Format: String, Sendable { case text, json }
    public var level: Logger.Level
    public var format: Format
    /// One line per request: method, route template, status, duration. Never the path itself (it holds
    /// the code), the query, a token or the client's address.
    public var access: Bool

    init(_ config: ConfigReader) throws {
        let levelText = config.string(forKey: "log.level", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw InputError("log.level", "must be one of trace, debug, info, notice, warning, error, critical (got '\(levelText)')")
        }
        self.level = level
        let formatText = config.string(forKey: "log.format", default: "text")
        guard let format = Format(rawValue: formatText.lowercased()) else {
            throw InputError("log.format", "must be text or json (got '\(formatText)')")
        }
        self.format = format
        access = try config.checkedBool("log.access", default: false)
    }

    /// The handler every logger of the process writes through (standard error).
    public func handler(label: String) -> any LogHandler {
        var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// One JSON object per line on standard error: `time` (UTC, milliseconds), `level`, `label`, `message`,
/// and the metadata's keys under `metadata`; for log shippers that read JSON lines.
public struct JSONLogHandler: LogHandler {
    let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    static let output = NSLock()

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = EventJSON()
        line.add("time", Self.timestamp(Date()))
        line.add("level", event.level.rawValue)
        line.add("label", label)
        line.add("message", event.message.description)
        if !all.isEmpty {
            var fields = EventJSON()
            for (key, value) in all.sorted(by: { $0.key < $1.key }) { fields.add(key, value.description) }
            line.add("metadata", fields)
        }
        let data = Data((line.text + "\n").utf8)
        Self.output.lock()
        FileHandle.standardError.write(data)
        Self.output.unlock()
    }

    /// `2026-12-01T18:04:05.123Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int((interval - Double(seconds)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}

/// `log.access`: one info line per request, when its response (or error) is ready; a streamed body's
/// writing is not in the duration.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func log(_ status: HTTPResponse.Status) {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info("request", metadata: [
                "method": "\(request.method)", "route": "\(context.endpointPath ?? "(no route)")",
                "status": "\(status.code)", "ms": "\(String(format: "%.2f", ms))",
            ])
        }
        do {
            let response = try await next(request, context)
            log(response.status)
            return response
        } catch {
            log((error as? any HTTPResponseError)?.status ?? .internalServerError)
            throw error
        }
    }
}
