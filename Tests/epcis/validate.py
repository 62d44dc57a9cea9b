"""Checks an EPCIS 2.0 JSON-LD document the way GS1's artefacts define it, offline:

1. valid against GS1's EPCIS 2.0 JSON schema, with format checks on (date-time, uri: rfc3987);
2. expanded as JSON-LD with GS1's EPCIS context, every key of every event maps to an IRI (nothing is
   silently dropped), and bizStep and disposition values expand to CBV terms.

Usage: validate.py DOCUMENT STANDARDS_DIR. Prints "ok N events" or the problems, exit 1.
"""
import json
import sys

import jsonschema
from pyld import jsonld

document_path, standards = sys.argv[1], sys.argv[2]
document = json.load(open(document_path))
schema = json.load(open(f"{standards}/epcis-2.0-json-schema.json"))
context = json.load(open(f"{standards}/epcis-context.jsonld"))
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
problems = []

checker = jsonschema.Draft7Validator.FORMAT_CHECKER
if "uri" not in checker.checkers:
    problems.append("the uri format is not checked (install rfc3987)")
for error in jsonschema.Draft7Validator(schema, format_checker=checker).iter_errors(document):
    problems.append(f"schema: {'/'.join(map(str, error.absolute_path))}: {error.message[:300]}")


def loader(url, options=None):
    if url.rstrip("/") != CONTEXT_URL:
        raise jsonld.JsonLdError(f"no network: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": context}


jsonld.set_document_loader(loader)
events = document.get("epcisBody", {}).get("eventList", [])
CBV = "https://ref.gs1.org/cbv/"
for index, event in enumerate(events):
    compact = dict(event)
    compact["@context"] = document["@context"]
    expanded = jsonld.expand(compact)
    if len(expanded) != 1:
        problems.append(f"event {index}: expands to {len(expanded)} nodes")
        continue
    node = expanded[0]
    # Every key but JSON-LD's own maps to an IRI; a dropped key would leave fewer properties than keys.
    keys = [k for k in event if not k.startswith("@")]
    mapped = [k for k in node if not k.startswith("@")] + (["type"] if "@type" in node else []) + (["eventID"] if "@id" in node else [])
    if len(mapped) != len(keys):
        problems.append(f"event {index}: keys {sorted(keys)} expand to {sorted(node)}: a key maps to no EPCIS or CBV term")
    for name, prefix in (("bizStep", "BizStep-"), ("disposition", "Disp-")):
        if name in event:
            values = [v.get("@id") or v.get("@value") for k, vs in node.items() if k.endswith("/" + name) for v in vs]
            if not values or not all(isinstance(v, str) and v.startswith(CBV + prefix) for v in values):
                problems.append(f"event {index}: {name} {event[name]!r} expands to {values}, not a CBV term")
    for list_name in ("sourceList", "destinationList"):
        for entry in event.get(list_name, []):
            for key in entry:
                if key not in ("type", "source", "destination"):
                    problems.append(f"event {index}: {list_name} has key {key}")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok {len(events)} events")
