"""Extract the webhook payload schemas from incident.io's OpenAPI spec into the package.

The installed package must not read ``../shared`` at run time, so the ``x-webhooks`` payload
schemas (and every component schema they reference) are copied into
``src/precedent/sources/incidentio/webhook_schemas.json``, converted to JSON Schema (draft 4):

- ``$ref`` points into ``definitions``; ``nullable`` becomes a ``"null"`` type;
- ``enum`` is dropped: incident.io adds enum values without notice (its compatibility rule), and a
  delivery must not be refused for one;
- descriptions, examples and numeric bounds are dropped (bounds in the spec are request bounds).

Run it again whenever ``openapi.json`` is updated; ``tests/sources/incidentio/test_webhook_schemas.py``
fails while the file is out of date.

    python3 scripts/extract_webhook_schemas.py [path/to/openapi.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "incidentio" / "openapi.json"
OUTPUT = ROOT / "src" / "precedent" / "sources" / "incidentio" / "webhook_schemas.json"
_PREFIX = "/x-webhooks/"
_DROP = frozenset({"example", "description", "maximum", "minimum", "default", "title", "enum"})


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key == "$ref":
            out[key] = "#/definitions/" + value.rsplit("/", 1)[1]
        elif key == "properties":
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
    return found.union(*(_refs(value) for value in node.values()))


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"events": {event_type: schema name}, "definitions": {...}}`` for ``spec``."""
    schemas = spec["components"]["schemas"]
    events: dict[str, str] = {}
    for path, item in sorted(spec["x-webhooks"].items()):
        if not path.startswith(_PREFIX):
            continue
        content = item["get"]["responses"]["200"]["content"]["application/json"]
        events[path.removeprefix(_PREFIX)] = content["schema"]["$ref"].rsplit("/", 1)[1]
    wanted, todo = set(), list(events.values())
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(_refs(schemas[name]) - wanted)
    return {
        "source": "incident.io openapi.json x-webhooks (scripts/extract_webhook_schemas.py)",
        "events": events,
        "definitions": {name: _convert(schemas[name]) for name in sorted(wanted)},
    }


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else SPEC
    document = extract(json.loads(spec_path.read_text(encoding="utf-8")))
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(document['events'])} events, {len(document['definitions'])} schemas to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
