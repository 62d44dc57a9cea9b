import Foundation
import Hummingbird
import NIOCore
import OneCodeDomain
import OneCodeStorage

/// The OpenAPI 3.1 description of every `/api` route: bodies, errors, pagination, and the scopes each
/// accepts as its security requirement. Served at `/api/openapi.json` (no token needed) and kept in the
/// repository as `openapi.json` (a test holds the two equal); schemathesis checks the live service
/// against it.
enum OpenAPIDocument {
    typealias Object = [String: Any]

    /// The document as JSON text (sorted keys, so the file in the repository diffs cleanly).
    static func json(maxBatchCount: Int) -> Data {
        (try? JSONSerialization.data(withJSONObject: document(maxBatchCount: maxBatchCount),
                                     options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    static func register(on router: Router<AppRequestContext>, maxBatchCount: Int) {
        let body = json(maxBatchCount: maxBatchCount)
        router.get("/api/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    // MARK: - Building blocks

    static func ref(_ name: String) -> Object { ["$ref": "#/components/schemas/\(name)"] }
    static func nullable(_ type: String) -> Object { ["type": [type, "null"]] }
    static var string: Object { ["type": "string"] }
    static var integer: Object { ["type": "integer"] }
    static var number: Object { ["type": "number"] }
    static var boolean: Object { ["type": "boolean"] }
    static var time: Object { ["type": "string", "format": "date-time"] }
    static var id: Object { ["type": "integer", "minimum": 1] }

    static func object(_ properties: Object, required: [String] = []) -> Object {
        var schema: Object = ["type": "object", "properties": properties]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }

    static func array(_ items: Object) -> Object { ["type": "array", "items": items] }

    /// `{"items": [...], "next": "..."|null}`.
    static func page(_ item: Object) -> Object {
        object(["items": array(item), "next": nullable("string")], required: ["items", "next"])
    }

    static func json(_ schema: Object, _ description: String) -> Object {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }

    static func query(_ name: String, _ schema: Object, _ description: String) -> Object {
        ["name": name, "in": "query", "required": false, "schema": schema, "description": description]
    }

    static func path(_ name: String, _ schema: Object) -> Object {
        ["name": name, "in": "path", "required": true, "schema": schema]
    }

    static func paging(default value: Int, maximum: Int) -> [Object] {
        [query("limit", ["type": "integer", "minimum": 1, "maximum": maximum, "default": value], "Items per page."),
         query("after", string, "The `next` of the page before; absent for the first page.")]
    }

    /// The error answers any operation may give, each with the one error body.
    static let errorStatuses = [("400", "The input is wrong; `field` names it."), ("401", "No token, or an unknown one."),
                                ("403", "The token's scope does not allow this route."), ("404", "No such resource."),
                                ("405", "The route does not take this method; `Allow` lists those it takes."),
                                ("409", "A conflict: it exists already, or was claimed, redeemed or rated already."),
                                ("413", "The body is too large."), ("415", "The body is not JSON."),
                                ("429", "Too many failed authentications from this address.")]

    static var format: Object { query("format", ["type": "string", "enum": ["json", "csv"]], "json (default) or csv.") }

    /// An operation: its scopes (besides admin) as the security requirement, its parameters, body and
    /// answers; every operation may answer the error statuses.
    static func operation(_ summary: String, scopes: [String], parameters: [Object] = [], body: Object? = nil,
                          ok: (status: String, response: Object), extra: [String: Object] = [:]) -> Object {
        var responses: Object = [ok.status: ok.response]
        for (status, response) in extra { responses[status] = response }
        for status in errorStatuses.map(\.0) { responses[status] = responses[status] ?? ["$ref": "#/components/responses/E\(status)"] }
        var operation: Object = ["summary": summary, "responses": responses,
                                 "security": [["bearer": (scopes + ["admin"]).sorted()]]]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body { operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]] }
        return operation
    }

    // MARK: - The document

    static func document(maxBatchCount: Int) -> Object {
        let read = ["issuer", "marketing", "sales"]
        let csvOrJSON: (Object, String) -> Object = { schema, description in
            ["description": description, "content": ["application/json": ["schema": schema], "text/csv": ["schema": string]]]
        }
        let paths: Object = [
            "/api/products": [
                "get": operation("List products", scopes: read, parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("Product")), "A page of products."))),
                "post": operation("Add a product", scopes: ["issuer"], body: object([
                    "name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "nameZh": nullable("string"), "nameEn": nullable("string"),
                    "gtin": nullable("string"), "sku": nullable("string"), "imageUrl": ["type": ["string", "null"], "format": "uri"],
                ], required: ["name"]), ok: ("201", json(ref("Product"), "The product."))),
            ],
            "/api/products/{id}": [
                "patch": operation("Change a product's names per language or picture (\"\" clears one; the rest stays)", scopes: ["issuer"],
                                   parameters: [path("id", id)], body: object([
                                       "nameZh": nullable("string"), "nameEn": nullable("string"), "imageUrl": nullable("string"),
                                   ], required: []), ok: ("200", json(ref("Product"), "The product as changed."))),
            ],
            "/api/batches": [
                "get": operation("List batches", scopes: read, parameters: paging(default: 100, maximum: 1000)
                                    + [query("product", id, "Only this product's batches.")],
                                 ok: ("200", json(page(ref("Batch")), "A page of batches."))),
                "post": operation("Issue a batch of codes (its package is kept for download)", scopes: ["issuer"], body: object([
                    "product": id, "count": ["type": "integer", "minimum": 1, "maximum": maxBatchCount],
                    "lot": nullable("string"), "productionDate": ["type": ["string", "null"], "format": "date"],
                    "expiryDate": ["type": ["string", "null"], "format": "date"], "region": nullable("string"),
                    "urlForm": ["type": "string", "enum": ["short", "gs1"]], "uppercase": boolean,
                    "qr": ["type": "string", "enum": ["none", "svg", "png", "pdf"]], "ec": ["type": "string", "enum": ["L", "M", "Q", "H"]],
                    "kind": ["type": "string", "enum": ["unit", "inner-case", "case", "pallet"]],
                    "pin": ["type": "integer", "enum": [0, 6, 7, 8]],
                    "roll": ["type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?x[0-9]+(\\.[0-9]+)?$",
                             "description": "With qr pdf: roll labels of WIDTHxHEIGHT mm (10 to 300 a side), one a page, instead of A4 sheets."],
                    "labelsPerFile": ["type": "integer", "minimum": 1, "maximum": 1_000_000,
                                      "description": "With qr pdf: at most this many labels a PDF (default 10000); more go in labels-001.pdf, labels-002.pdf, …"],
                ], required: ["product", "count"]), ok: ("201", json(ref("Batch"), "The batch; `Location` names it."))),
            ],
            "/api/batches/{id}": ["get": operation("A batch", scopes: read, parameters: [path("id", id)], ok: ("200", json(ref("Batch"), "The batch.")))],
            "/api/batches/{id}/package.zip": ["get": operation(
                "The batch's code package (codes.csv, manifest.json, artwork)", scopes: ["issuer"], parameters: [path("id", id)],
                ok: ("200", ["description": "A zip archive.", "content": ["application/zip": ["schema": ["type": "string", "contentMediaType": "application/zip"]]]]))],
            "/api/batches/{id}/activate": ["post": operation("Activate a batch", scopes: ["issuer"], parameters: [path("id", id)], ok: ("200", json(ref("Batch"), "The batch.")))],
            "/api/batches/{id}/void": ["post": operation("Void a batch (final)", scopes: ["issuer"], parameters: [path("id", id)], ok: ("200", json(ref("Batch"), "The batch.")))],
            "/api/codes/{code}/blacklist": ["post": operation(
                "Withdraw one code", scopes: ["issuer"], parameters: [path("code", string)],
                body: object(["reason": ["type": "string", "minLength": 1, "maxLength": 500]], required: ["reason"]),
                ok: ("200", json(object(["code": string, "blacklisted": string], required: ["code", "blacklisted"]), "The code and the reason.")))],
            "/api/codes/{code}/scans": ["get": operation(
                "A code's scans, oldest first", scopes: ["issuer", "marketing"], parameters: [path("code", string)] + paging(default: 100, maximum: 1000),
                ok: ("200", json(page(ref("Scan")), "A page of scans.")))],
            "/api/stats/verdicts": ["get": operation(
                "Scans by verdict (bots excluded)", scopes: read, parameters: [query("batch", id, "Only this batch.")],
                ok: ("200", json(["type": "object", "additionalProperties": integer], "Counts by verdict.")))],
            "/api/campaigns": [
                "get": operation("List campaigns", scopes: ["marketing", "sales"], parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("Campaign")), "A page of campaigns."))),
                "post": operation("Create a campaign from its definition", scopes: ["marketing"], body: ref("CampaignDefinition"),
                                  ok: ("201", json(ref("Campaign"), "The campaign; `Location` names it."))),
            ],
            "/api/campaigns/{id}": [
                "get": operation("A campaign with its stock", scopes: ["marketing", "sales"], parameters: [path("id", id)],
                                 ok: ("200", json(ref("Campaign"), "The campaign."))),
                "put": operation("Change a campaign: its whole definition (once started: name, a later end, a wider scope, tier names, stock not below awarded, daily stock, limits)",
                                 scopes: ["marketing"], parameters: [path("id", id)], body: ref("CampaignDefinition"),
                                 ok: ("200", json(ref("Campaign"), "The campaign."))),
            ],
            "/api/campaigns/{id}/pause": ["post": operation("Pause a live campaign", scopes: ["marketing"], parameters: [path("id", id)], ok: ("200", json(ref("Campaign"), "The campaign.")))],
            "/api/campaigns/{id}/resume": ["post": operation("Resume a paused campaign", scopes: ["marketing"], parameters: [path("id", id)], ok: ("200", json(ref("Campaign"), "The campaign.")))],
            "/api/campaigns/{id}/end": ["post": operation("End a campaign (final)", scopes: ["marketing"], parameters: [path("id", id)], ok: ("200", json(ref("Campaign"), "The campaign.")))],
            "/api/campaigns/{id}/entries": ["get": operation(
                "A campaign's draws, in order", scopes: ["marketing"], parameters: [path("id", id)] + paging(default: 100, maximum: 1000),
                ok: ("200", json(page(ref("Entry")), "A page of entries.")))],
            "/api/redemptions": ["post": operation(
                "Redeem a claimed prize at a store (a store's token; an admin names the store)", scopes: ["store"],
                body: object(["redemptionCode": ["type": "string", "minLength": 1], "store": id], required: ["redemptionCode"]),
                ok: ("201", json(ref("Redemption"), "The redemption.")))],
            "/api/events": ["get": operation("The outbox, in order", scopes: [], parameters: paging(default: 100, maximum: 1000),
                                             ok: ("200", json(page(object(["sequence": integer, "event": ref("Event")], required: ["sequence", "event"])), "A page of events.")))],
            "/api/audit": ["get": operation("The audit log, newest first: who did what and when (`next` pages to older entries)", scopes: [],
                                            parameters: paging(default: 100, maximum: 1000),
                                            ok: ("200", json(page(ref("AuditEntry")), "A page of audit entries.")))],
            "/api/tokens": ["get": operation("The API tokens (never a secret)", scopes: [], parameters: paging(default: 100, maximum: 1000),
                                             ok: ("200", json(page(ref("Token")), "A page of tokens.")))],
            "/api/tokens/{id}": ["delete": operation("Revoke a token", scopes: [], parameters: [path("id", id)], ok: ("204", ["description": "Revoked."]))],
            "/api/webhooks": ["get": operation("Delivery status per endpoint", scopes: [], parameters: paging(default: 100, maximum: 1000),
                                               ok: ("200", json(page(ref("WebhookEndpoint")), "A page of endpoints.")))],
            "/api/webhooks/retry": ["post": operation(
                "Queue given-up deliveries again", scopes: [], parameters: [query("endpoint", string, "Only this endpoint's URL.")],
                ok: ("200", json(object(["requeued": integer], required: ["requeued"]), "How many were queued.")))],
            "/api/segments": [
                "get": operation("List segments", scopes: ["marketing", "sales"], parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("Segment")), "A page of segments."))),
                "post": operation("Create a segment", scopes: ["marketing"],
                                  body: object(["name": ["type": "string", "minLength": 1, "maxLength": 100], "rules": ref("SegmentRule")], required: ["name", "rules"]),
                                  ok: ("201", json(ref("Segment"), "The segment; `Location` names it."))),
            ],
            "/api/segments/{id}": [
                "get": operation("A segment", scopes: ["marketing", "sales"], parameters: [path("id", id)], ok: ("200", json(ref("Segment"), "The segment."))),
                "patch": operation("Rename a segment or change its rules", scopes: ["marketing"], parameters: [path("id", id)],
                                   body: ["type": "object", "properties": ["name": ["type": "string", "minLength": 1, "maxLength": 100], "rules": ref("SegmentRule")], "minProperties": 1],
                                   ok: ("200", json(ref("Segment"), "The segment."))),
                "delete": operation("Delete a segment", scopes: ["marketing"], parameters: [path("id", id)], ok: ("204", ["description": "Deleted."])),
            ],
            "/api/segments/{id}/members": ["get": operation(
                "A segment's members with their profile summaries, in consumer id order", scopes: ["marketing"],
                parameters: [path("id", id)] + paging(default: 1000, maximum: 10_000),
                ok: ("200", json(page(ref("Member")), "A page of members; `after` is a consumer id.")))],
            "/api/segments/refresh": ["post": operation(
                "Refresh profiles, segments and leads now", scopes: ["marketing"], parameters: [query("full", ["type": "string", "enum": ["true", "false"]], "Recompute everything.")],
                ok: ("200", json(ref("RefreshReport"), "What the refresh changed.")))],
            "/api/links": [
                "get": operation("The resolver's links (of one GTIN: its own and its lots'), by id", scopes: ["issuer", "marketing"],
                                 parameters: paging(default: 100, maximum: 1000) + [query("gtin", string, "Only this GTIN's links (8, 12, 13 or 14 digits).")],
                                 ok: ("200", json(page(ref("Link")), "A page of links."))),
                "post": operation("Give a GTIN, or one of its lots, a link by GS1 link type (its first link, or one with default: true, is its default)",
                                  scopes: ["issuer", "marketing"],
                                  body: object(["gtin": string, "lot": ["type": "string", "minLength": 1, "maxLength": 20],
                                                "type": ["type": "string", "description": "A GS1 Web Vocabulary link type: gs1:pip, gs1:instructions, …"],
                                                "href": ["type": "string", "format": "uri"], "title": ["type": "string", "minLength": 1, "maxLength": 200],
                                                "language": string, "context": string, "default": boolean],
                                               required: ["gtin", "type", "href", "title"]),
                                  ok: ("201", json(ref("Link"), "The link."))),
            ],
            "/api/links/{id}": ["delete": operation("Remove a link (the item's oldest other link becomes its default when this one was)",
                                                    scopes: ["issuer", "marketing"], parameters: [path("id", id)], ok: ("204", ["description": "Removed."]))],
            "/api/stores": ["get": operation("Stores with their redemptions", scopes: ["marketing", "sales"], parameters: paging(default: 100, maximum: 1000),
                                             ok: ("200", json(page(ref("StoreProfile")), "A page of stores.")))],
            "/api/leads": ["get": operation(
                "Leads new or changed after a cursor", scopes: ["sales"],
                parameters: paging(default: 500, maximum: 5000) + [
                    query("segment", id, "Only members of this segment (erased leads always)."),
                    query("minScore", ["type": "number", "minimum": 0, "maximum": 100], "Only scores at least this (erased leads always)."),
                    query("format", ["type": "string", "enum": ["json", "csv", "jsonl"]], "json (default), csv or jsonl; the cursor is in OneCode-Cursor."),
                    query("bom", ["type": "string", "enum": ["true", "false"]], "CSV: start with a UTF-8 byte-order mark, so Excel reads Chinese names (default true)."),
                ],
                ok: ("200", ["description": "Leads; `next` is always the cursor to poll from.", "content": [
                    "application/json": ["schema": object(["items": array(ref("Lead")), "next": string, "more": boolean], required: ["items", "next", "more"])],
                    "text/csv": ["schema": string], "application/x-ndjson": ["schema": string],
                ]]))],
            "/api/consumers/{id}": [
                "get": operation("Everything stored about a consumer", scopes: [], parameters: [path("id", string)],
                                 ok: ("200", json(["type": "object"], "The consumer's data."))),
                "delete": operation("Erase a consumer", scopes: [], parameters: [path("id", string)],
                                    ok: ("200", json(object(["erased": string], required: ["erased"]), "The erased id."))),
            ],
            "/api/feedback": ["get": operation(
                "Ratings and comments, newest first: the inbox of those who answer consumers", scopes: ["marketing"],
                parameters: paging(default: 100, maximum: 1000) + [query("product", id, "Only this product's."), query("batch", id, "Only this batch's."),
                                                                   query("maxRating", ["type": "integer", "minimum": 1, "maximum": 5], "Only ratings of at most this.")],
                ok: ("200", json(page(ref("Feedback")), "A page of ratings.")))],
            "/api/feedback/reports": ["get": operation(
                "Consumers' reports of products whose code is not the brand's (forged, never issued), newest first; a phone only with the "
                + "consent to be contacted about the report", scopes: ["marketing"], parameters: paging(default: 100, maximum: 1000),
                ok: ("200", json(page(ref("FakeReport")), "A page of reports.")))],
            "/api/reports/feedback": ["get": operation(
                "Ratings by product or batch", scopes: ["marketing", "sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [query("by", ["type": "string", "enum": ["product", "batch"]], "Grouping."), format],
                ok: ("200", csvOrJSON(page(ref("FeedbackRow")), "Report rows.")))],
            "/api/reports/scan-rate": ["get": operation(
                "Scan rate by batch, product, region or campaign", scopes: ["marketing", "sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [query("by", ["type": "string", "enum": ["batch", "product", "region", "campaign"]], "Grouping."), format],
                ok: ("200", csvOrJSON(page(ref("ReportRow")), "Report rows.")))],
            "/api/reports/daily": ["get": operation(
                "Scans per day", scopes: ["marketing", "sales"], parameters: paging(default: 1000, maximum: 10_000) + [query("batch", id, "Only this batch."), format],
                ok: ("200", csvOrJSON(page(ref("ReportRow")), "Report rows.")))],
            "/api/reports/diversion": ["get": operation(
                "Batches scanned outside their intended region", scopes: ["marketing", "sales"], parameters: paging(default: 1000, maximum: 10_000) + [format],
                ok: ("200", csvOrJSON(page(ref("DiversionRow")), "Report rows.")))],
            "/api/reports/dealer-diversion": ["get": operation(
                "Units scanned outside the territory of the dealer they were last shipped to, by dealer and region", scopes: ["marketing", "sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [format],
                ok: ("200", csvOrJSON(page(ref("DealerDiversionRow")), "Report rows.")))],
            "/api/aggregations": ["post": operation(
                "Pack child codes into a parent (case, pallet), all or nothing: parent and children, or packings (a pallet of cases of bottles at once)",
                scopes: ["issuer"], body: object([
                    "parent": string, "children": ["type": "array", "items": string],
                    "packings": ["type": "array", "items": object(["parent": string, "children": ["type": "array", "items": string]],
                                                                  required: ["parent", "children"])],
                    "replace": boolean,
                ], required: []), ok: ("201", json(ref("AggregationOutcome"), "What was packed.")))],
            "/api/dealers": [
                "get": operation("Dealers with their shipments and diversions", scopes: read, parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("DealerProfile")), "A page of dealers."))),
                "post": operation("Register a dealer and its territory (region codes)", scopes: ["issuer"], body: object([
                    "name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "territory": ["oneOf": [string, ["type": "array", "items": string, "minItems": 1]]], "contact": nullable("string"),
                ], required: ["name", "territory"]), ok: ("201", json(ref("Dealer"), "The dealer."))),
            ],
            "/api/warehouses": [
                "get": operation("Warehouses", scopes: read, parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("Warehouse")), "A page of warehouses."))),
                "post": operation("Register a warehouse", scopes: ["issuer"], body: object([
                    "name": ["type": "string", "minLength": 1, "maxLength": 200], "region": nullable("string"),
                ], required: ["name"]), ok: ("201", json(ref("Warehouse"), "The warehouse."))),
            ],
            "/api/reports/fakes": ["get": operation(
                "Scans of forged and unknown codes by UTC day, region ('' when not known) and verdict; this node's counts are added first",
                scopes: ["marketing", "sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [format,
                    query("from", ["type": "string", "format": "date"], "First UTC day, YYYY-MM-DD (default: 29 days before to)"),
                    query("to", ["type": "string", "format": "date"], "Last UTC day, YYYY-MM-DD (default: today)")],
                ok: ("200", csvOrJSON(page(ref("FakeCountRow")), "Report rows.")))],
            "/api/reports/resolutions": ["get": operation(
                "GS1 Digital Link resolutions (a link type, the linkset, a product's default link; not phones' scans) by UTC day and link type, "
                + "every node's; this node's counts are added first",
                scopes: ["marketing", "sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [format,
                    query("from", ["type": "string", "format": "date"], "First UTC day, YYYY-MM-DD (default: 29 days before to)"),
                    query("to", ["type": "string", "format": "date"], "Last UTC day, YYYY-MM-DD (default: today)")],
                ok: ("200", csvOrJSON(page(ref("ResolutionCountRow")), "Report rows.")))],
            "/api/shipments": [
                "get": operation("Shipments (the latest 10,000), by id", scopes: read, parameters: paging(default: 100, maximum: 1000),
                                 ok: ("200", json(page(ref("Shipment")), "A page of shipments."))),
                "post": operation("Ship codes (cases, pallets, units: everything packed in them) to a dealer, from a warehouse or a dealer; or "
                                  + "deliver them from a dealer (from) to a store (store instead of dealer), all or nothing",
                                  scopes: ["issuer"], body: object([
                                      "dealer": id, "store": id, "from": id, "warehouse": id, "codes": ["type": "array", "items": string, "minItems": 1],
                                  ], required: ["codes"]), ok: ("201", json(ref("Shipment"), "The shipment."))),
            ],
            "/api/receipts": ["post": operation(
                "A store confirms it received an inner case or case, once (the configured rebate is written to the ledger)", scopes: ["store"],
                body: object(["code": string, "store": id], required: ["code"]), ok: ("201", json(ref("Receipt"), "The receipt.")))],
            "/api/clerk-bindings": ["post": operation(
                "A clerk binds to an inner case or case they sell from (one clerk per case; 200 when already theirs)", scopes: ["clerk"],
                body: object(["code": string], required: ["code"]),
                ok: ("201", json(object(["code": string, "clerkId": integer, "bound": boolean], required: ["code", "clerkId", "bound"]), "Bound.")),
                extra: ["200": json(object(["code": string, "clerkId": integer, "bound": boolean], required: ["code", "clerkId", "bound"]), "Already bound to this clerk.")])],
            "/api/clerks": ["get": operation("Clerks of every store", scopes: ["marketing", "sales"], parameters: paging(default: 100, maximum: 1000),
                                             ok: ("200", json(page(ref("Clerk")), "A page of clerks.")))],
            "/api/ledger": ["get": operation(
                "Ledger lines (receipt rebates, clerk rewards) of a period, in id order; format=csv is the settlement file", scopes: ["sales"],
                parameters: paging(default: 1000, maximum: 10_000) + [
                    query("from", string, "First UTC day (YYYY-MM-DD) or month (YYYY-MM); default: this month."),
                    query("to", string, "Last day or month, included (default: as from)."), format],
                ok: ("200", csvOrJSON(page(ref("LedgerEntry")), "Ledger lines.")))],
            "/api/ledger/balances": ["get": operation(
                "What the channel owes each store (rebates) and each clerk (rewards)", scopes: ["sales"], parameters: paging(default: 1000, maximum: 10_000),
                ok: ("200", json(page(ref("LedgerBalance")), "Balances.")))],
            "/api/epcis/events": ["get": operation(
                "The supply-chain history as a GS1 EPCIS 2.0 document (packings, shipments, receipts); the next page in the Link header",
                scopes: ["issuer", "sales"],
                parameters: [query("from", string, "From this ISO 8601 time or UTC day."), query("to", string, "Until this time (a day is included whole)."),
                             query("type", ["type": "string", "enum": ["AggregationEvent", "ObjectEvent"]], "Only this event type."),
                             query("after", string, "The page before's cursor (X-Next-Cursor)."),
                             query("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "Events per page (default 100).")],
                ok: ("200", ["description": "An EPCISDocument (GS1's EPCIS 2.0 JSON schema).",
                             "content": ["application/ld+json": ["schema": object(["@context": ["type": "array", "items": string], "type": string,
                                                                                   "schemaVersion": string, "creationDate": time,
                                                                                   "epcisBody": object(["eventList": ["type": "array", "items": ["type": "object"]]],
                                                                                                       required: ["eventList"])],
                                                                                  required: ["@context", "type", "schemaVersion", "creationDate", "epcisBody"])]]]))],
            "/api/codes/{code}/chain": ["get": operation(
                "A code's place in the channel: the packages it is in, a page of the codes in it, its last shipment", scopes: read,
                parameters: [path("code", string), query("after", string, "The page before's next."),
                             query("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "Children per page (default 100).")],
                ok: ("200", json(ref("Chain"), "The chain.")))],
        ]
        var errors: Object = [:]
        for (status, description) in errorStatuses { errors["E\(status)"] = json(ref("Error"), description) }
        let schemas: Object = [
            "Error": object(["error": object(["code": string, "message": string, "field": nullable("string")], required: ["code", "message", "field"])], required: ["error"]),
            "Member": object([
                "consumer": string, "scans": integer, "firstScanAt": time, "lastScanAt": time,
                "products": array(object(["id": integer, "name": string], required: ["id"])), "regions": array(string), "lastRegion": string,
                "draws": integer, "prizesWon": integer, "points": integer, "ratings": integer, "averageRating": number, "consent": boolean,
            ], required: ["consumer", "scans", "firstScanAt", "lastScanAt", "products", "regions", "draws", "prizesWon", "points", "ratings", "consent"]),
            "Product": object(["id": integer, "name": string, "nameZh": string, "nameEn": string, "gtin": string, "sku": string,
                               "imageUrl": string, "createdAt": time], required: ["id", "name", "createdAt"]),
            "Batch": object([
                "id": integer, "productId": integer, "count": integer, "codeLength": integer, "lot": string,
                "productionDate": ["type": "string", "format": "date"], "expiryDate": ["type": "string", "format": "date"], "region": string,
                "urlForm": ["type": "string", "enum": ["short", "gs1"]], "uppercase": boolean,
                "status": ["type": "string", "enum": ["issued", "active", "void"]], "createdAt": time, "package": string,
                "kind": ["type": "string", "enum": ["unit", "inner-case", "case", "pallet"]], "pinLength": integer,
            ], required: ["id", "productId", "count", "status", "createdAt", "package", "kind", "pinLength"]),
            "Scan": object([
                "id": integer, "at": time, "code": string, "batchId": integer, "consumer": string, "ip": string, "userAgent": string,
                "referer": string, "bot": boolean, "region": string, "latitude": number, "longitude": number,
                "verdict": ["type": "string", "enum": Verdict.allCases.map(\.rawValue)], "reason": string,
            ], required: ["id", "at", "code", "bot", "verdict"]),
            "PrizeTier": object(["name": string, "kind": ["type": "string", "enum": ["cash", "goods", "coupon", "points"]], "value": integer,
                                 "probability": number, "stock": integer, "dailyStock": integer], required: ["name", "kind", "value", "probability", "stock"]),
            "CampaignDefinition": object([
                "name": string, "start": time, "end": time, "timeZone": string,
                "scope": ["type": "object"], "limits": ["type": "object"], "tiers": array(ref("PrizeTier")),
                "status": ["type": "string", "enum": ["draft", "live", "paused", "ended"]],
            ], required: ["name", "start", "end", "timeZone", "tiers"]),
            "Campaign": object([
                "id": integer, "status": ["type": "string", "enum": ["draft", "live", "paused", "ended"]], "createdAt": time,
                "definition": ref("CampaignDefinition"),
                "notice": ["type": "string", "description": "What the campaign needs to draw as defined, when it lacks it (a region scope without GeoIP)."],
                "stock": array(object(["tier": integer, "name": string, "stock": integer, "awarded": integer, "awardedToday": integer,
                                       "dailyStockLeft": integer, "claimed": integer, "redeemed": integer],
                                      required: ["tier", "name", "stock", "awarded", "claimed", "redeemed"])),
            ], required: ["id", "status", "createdAt", "definition", "stock"]),
            "Entry": object(["id": integer, "campaign": integer, "code": string, "consumer": string, "at": time,
                             "result": ["type": "string", "enum": ["won", "lost"]], "tier": integer, "prize": string], required: ["id", "campaign", "code", "at", "result"]),
            "Redemption": object(["redemptionCode": string, "campaign": integer, "prize": string, "code": string, "store": integer, "at": time],
                                 required: ["redemptionCode", "campaign", "code", "store", "at"]),
            "Event": object(["id": string, "type": string, "createdAt": time, "data": ["type": "object"]], required: ["id", "type", "createdAt", "data"]),
            "Feedback": object(["id": integer, "at": time, "code": string, "productId": integer, "productName": string, "batchId": integer,
                                "rating": ["type": "integer", "minimum": 1, "maximum": 5], "comment": string, "consumer": string],
                               required: ["id", "at", "code", "productId", "productName", "batchId", "rating"]),
            "AuditEntry": object(["id": integer, "at": ["type": "string", "format": "date-time"],
                                  "actorKind": ["type": "string", "enum": ["user", "token", "cli", "system"]], "actorId": integer,
                                  "actorName": string, "action": string, "subject": string, "subjectId": string,
                                  "detail": string],
                                 required: ["id", "at", "actorKind", "actorName", "action", "subject"]),
            "Token": object(["id": integer, "name": string, "scope": ["type": "string", "enum": TokenScope.allCases.map(\.rawValue)],
                             "createdAt": time, "storeId": integer, "lastUsedAt": time], required: ["id", "name", "scope", "createdAt"]),
            "WebhookEndpoint": object(["url": string, "pending": integer, "delivered": integer, "failed": integer, "lastError": string],
                                      required: ["url", "pending", "delivered", "failed"]),
            "SegmentRule": ["type": "object", "description": "all/any, region, product, scans {atLeast, days}, lapsed, wonPrize, consent, rating {atMost} (README: Segments)."],
            "Link": object(["id": integer, "gtin": string, "lot": string, "type": string, "href": string, "title": string, "language": string,
                            "context": string, "isDefault": boolean, "createdAt": time],
                           required: ["id", "gtin", "type", "href", "title", "isDefault", "createdAt"]),
            "Segment": object(["id": integer, "name": string, "rules": ref("SegmentRule"), "createdAt": time, "refreshedAt": time, "members": integer],
                              required: ["id", "name", "rules", "createdAt", "members"]),
            "StoreProfile": object(["store": object(["id": integer, "name": string, "region": string, "createdAt": time], required: ["id", "name", "createdAt"]),
                                    "redemptions": integer, "consumers": integer, "lastRedemptionAt": time, "receipts": integer, "unitsSold": integer],
                                   required: ["store", "redemptions", "consumers", "receipts", "unitsSold"]),
            "Lead": object([
                "kind": ["type": "string", "enum": ["consumer", "store", "dealer", "erased"]], "id": string, "name": string, "phone": string,
                "score": number, "reasons": array(string), "source": object(["batch": integer, "region": string, "store": integer]),
                "createdAt": time, "updatedAt": time, "cursor": integer,
                "crm": object(["consentedAt": time, "consentVersion": string, "consentTextId": string, "campaignId": integer, "productId": integer,
                               "lastRating": integer, "lastComment": string]),
            ], required: ["kind", "id", "score", "reasons", "source", "createdAt", "updatedAt", "cursor", "crm"]),
            "RefreshReport": object([
                "full": boolean, "scansRead": integer, "profilesChanged": integer, "segmentsRefreshed": integer, "membersAdded": integer,
                "membersRemoved": integer, "leadsChanged": integer, "leadsCreated": integer, "failedSegments": array(string),
            ], required: ["full", "profilesChanged", "leadsChanged"]),
            "ReportRow": object(["key": string, "name": string, "issued": integer, "scanned": integer, "scans": integer, "rate": number], required: ["key", "scanned"]),
            "FeedbackRow": object(["productId": integer, "batchId": integer, "name": string, "count": integer, "average": number, "lowShare": number],
                                  required: ["productId", "count", "average", "lowShare"]),
            "DealerDiversionRow": object(["dealerId": integer, "dealer": string, "territory": string, "region": string, "units": integer,
                                          "firstAt": time, "lastAt": time], required: ["dealerId", "dealer", "territory", "region", "units", "firstAt", "lastAt"]),
            "AggregationOutcome": object(["aggregations": ["type": "array", "items": integer], "bound": integer, "moved": integer, "unchanged": integer],
                                         required: ["aggregations", "bound", "moved", "unchanged"]),
            "Dealer": object(["id": integer, "name": string, "territory": ["type": "array", "items": string], "contact": string, "createdAt": time],
                             required: ["id", "name", "territory", "createdAt"]),
            "DealerProfile": object(["id": integer, "name": string, "territory": ["type": "array", "items": string], "contact": string, "createdAt": time,
                                     "shipments": integer, "codesShipped": integer, "diversions": integer, "diversionRegions": integer,
                                     "deliveries": integer, "unitsSold": integer],
                                    required: ["id", "name", "territory", "createdAt", "shipments", "codesShipped", "diversions", "diversionRegions",
                                               "deliveries", "unitsSold"]),
            "Warehouse": object(["id": integer, "name": string, "region": string, "createdAt": time], required: ["id", "name", "createdAt"]),
            "FakeCountRow": object(["day": string, "region": string, "verdict": ["type": "string", "enum": ["forged", "unknown", "suspicious"]], "scans": integer,
                                    "reports": integer], required: ["day", "region", "verdict", "scans", "reports"]),
            "FakeReport": object(["id": integer, "at": time, "code": string, "verdict": ["type": "string", "enum": ["forged", "unknown"]], "region": string,
                                  "whereBought": string, "comment": string, "phone": string, "contactConsentAt": time],
                                 required: ["id", "at", "code", "verdict"]),
            "ResolutionCountRow": object(["day": string, "linkType": string, "resolutions": integer], required: ["day", "linkType", "resolutions"]),
            "Shipment": object(["id": integer, "dealer": integer, "fromDealer": integer, "warehouse": integer, "store": integer, "at": time, "codes": integer],
                               required: ["id", "dealer", "at", "codes"]),
            "Chain": object([
                "code": string,
                "packedIn": ["type": "array", "items": ref("ChainLink")], "children": ["type": "array", "items": ref("ChainLink")],
                "childCount": integer, "next": string,
                "shippedTo": object(["shipmentId": integer, "dealerId": integer, "dealer": string, "territory": ["type": "array", "items": string],
                                     "via": string, "at": time, "storeId": integer, "store": string],
                                    required: ["shipmentId", "dealerId", "dealer", "territory", "via", "at"]),
            ], required: ["code", "packedIn", "children", "childCount"]),
            "Receipt": object(["id": integer, "code": string, "storeId": integer, "at": time, "rebate": integer],
                              required: ["id", "code", "storeId", "at", "rebate"]),
            "Clerk": object(["id": integer, "storeId": integer, "name": string, "createdAt": time], required: ["id", "storeId", "name", "createdAt"]),
            "LedgerEntry": object(["id": integer, "at": time, "storeId": integer, "store": string, "clerkId": integer, "clerk": string, "amount": integer,
                                   "cause": ["type": "string", "enum": ["receipt-rebate", "clerk-reward"]], "receiptId": integer, "scanId": integer,
                                   "code": string], required: ["id", "at", "storeId", "store", "amount", "cause", "code"]),
            "LedgerBalance": object(["storeId": integer, "store": string, "clerkId": integer, "clerk": string, "amount": integer, "entries": integer],
                                    required: ["storeId", "store", "amount", "entries"]),
            "ChainLink": object(["code": string, "kind": ["type": "string", "enum": ["unit", "inner-case", "case", "pallet"]], "batchId": integer], required: ["code", "kind", "batchId"]),
            "DiversionRow": object(["batchId": integer, "intendedRegion": string, "region": string, "scans": integer, "codes": integer,
                                    "firstAt": time, "lastAt": time], required: ["batchId", "intendedRegion", "region", "scans", "codes", "firstAt", "lastAt"]),
        ]
        return [
            "openapi": "3.1.0",
            "info": ["title": "OneCode admin API", "version": OneCodeVersion.current,
                     "description": "Bearer tokens with scopes (README: Admin API); every list answers {items, next}; every error {error: {code, message, field}}."],
            "paths": paths,
            "components": [
                "schemas": schemas, "responses": errors,
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                               "description": "`onecode token create --scope S`; a route's requirement lists the scopes it accepts."]],
            ],
        ]
    }
}
