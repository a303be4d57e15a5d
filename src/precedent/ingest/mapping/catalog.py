"""The catalog (types, entries v3) and teams v3: services, teams, change events and their links."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precedent.ingest.mapping.records import (
    EdgeScope,
    MappedRecord,
    Raw,
    RecordBuilder,
    as_list,
    as_mapping,
    opt_str,
    parse_time,
    record_id_of,
    require_str,
    slug,
    user_stub,
)
from precedent.model import Node, Property, clean_properties

if TYPE_CHECKING:
    from collections.abc import Iterator

    from precedent.ingest.mapping.context import MappingContext

__all__ = ["ENTRY_LABELS", "map_catalog_entry", "map_catalog_type", "map_team", "mark_removed"]

ENTRY_LABELS = ("Service", "Team", "CatalogEntry", "ChangeEvent")
"""Labels a catalog entry can become."""

_ENTRY_SCOPES = tuple(
    EdgeScope(t) for t in ("INSTANCE_OF", "OWNED_BY", "DEPENDS_ON", "HAS_SCHEDULE", "REFERENCES", "CHANGED")
)
_DEPENDS = re.compile(r"depend", re.IGNORECASE)
_PRIMITIVES = frozenset({"String", "Text", "Number", "Bool", "Image", 'Image["avatar"]'})
_DERIVED_MODES = frozenset({"backlink", "path"})


def map_catalog_type(raw: Raw) -> MappedRecord:
    """Map a ``CatalogTypeV3`` to a ``CatalogType`` node."""
    type_id = record_id_of(raw, "catalog type")
    categories = [c for c in as_list(raw.get("categories")) if isinstance(c, str)]
    props = {
        "name": require_str(raw, "name", type_id),
        "type_name": opt_str(raw, "type_name"),
        "description": opt_str(raw, "description"),
        "categories": categories or None,
    }
    return MappedRecord(Node(type_id, "CatalogType", clean_properties(props)))


def _bindings(entry: Raw, attribute_id: str) -> Iterator[tuple[str | None, str | None]]:
    """Yield (literal, label) for each value of one attribute."""
    binding = as_mapping((as_mapping(entry.get("attribute_values")) or {}).get(attribute_id)) or {}
    values = [binding.get("value"), *as_list(binding.get("array_value"))]
    for value in values:
        value_map = as_mapping(value)
        if value_map is not None:
            yield opt_str(value_map, "literal"), opt_str(value_map, "label")


def _edge_type(source: str, target: str, attribute: str) -> str | None:
    if source == "ChangeEvent":
        return "CHANGED" if target == "Service" else None
    if target == "Schedule":
        return "HAS_SCHEDULE"
    if target == "Team" and source != "Team":
        return "OWNED_BY"
    if source == "Service" and target in {"Service", "CatalogEntry"} and _DEPENDS.search(attribute):
        return "DEPENDS_ON"
    return "REFERENCES"


def _attributes(
    entry: Raw, catalog_type: Raw, label: str, ctx: MappingContext, out: RecordBuilder
) -> dict[str, str]:
    """Add reference edges for the entry's attributes; return its primitive values by name."""
    entry_id = str(entry.get("id"))
    primitives: dict[str, str] = {}
    schema = as_mapping(catalog_type.get("schema")) or {}
    for attribute in as_list(schema.get("attributes")):
        attr = as_mapping(attribute) or {}
        attr_id, attr_name = opt_str(attr, "id"), opt_str(attr, "name") or "attribute"
        attr_type = opt_str(attr, "type") or ""
        if attr_id is None or attr.get("mode") in _DERIVED_MODES:
            continue
        target_type = ctx.catalog.type_id_by_name.get(attr_type)
        for literal, text in _bindings(entry, attr_id):
            if target_type is not None:
                target = ctx.catalog.resolve(target_type, literal or "") or ctx.catalog.resolve(
                    target_type, text or ""
                )
                target_label = ctx.catalog.label_by_type.get(target_type, "CatalogEntry")
            elif "Schedule" in attr_type and literal:
                target, target_label = literal, "Schedule"
            elif attr_type == "User" and literal:
                target, target_label = literal, "User"
            else:
                if attr_type in _PRIMITIVES or not attr_type.startswith(("Custom[", "CatalogEntry[")):
                    value = literal or text
                    if value:
                        primitives.setdefault(attr_name, value)
                continue
            edge_type = _edge_type(label, target_label, attr_name) if target else None
            if target and edge_type and target != entry_id:
                out.edge(
                    entry_id, edge_type, target, attribute=attr_name if edge_type == "REFERENCES" else None
                )
    return primitives


def _change_props(entry: Raw, primitives: dict[str, str]) -> tuple[dict[str, Property | None], str]:
    by_slug = {slug(k): v for k, v in primitives.items()}
    name = opt_str(entry, "name") or ""
    kind = "deploy" if re.search(r"deploy", name + " " + " ".join(by_slug), re.IGNORECASE) else "change"
    version = by_slug.get("version")
    author = next((by_slug[k] for k in ("author", "deployer", "deployed_by", "owner") if k in by_slug), None)
    text = " ".join(p for p in (f"{kind}:", name, f"version {version}" if version else None) if p)
    return {"kind": kind, "summary": name, "version": version, "author": author}, text


def map_catalog_entry(raw: Raw, ctx: MappingContext) -> MappedRecord:
    """Map a ``CatalogEntryV3`` to a Service, Team, ChangeEvent or CatalogEntry node with its links.

    Raises:
        MissingField: if ``id``, ``name`` or ``catalog_type_id`` is missing.
    """
    entry_id = record_id_of(raw, "catalog entry")
    name = require_str(raw, "name", entry_id)
    type_id = require_str(raw, "catalog_type_id", entry_id)
    catalog_type = ctx.catalog.types_by_id.get(type_id, {})
    label = ctx.catalog.label_by_type.get(type_id, "CatalogEntry")
    out = RecordBuilder()
    primitives = _attributes(raw, catalog_type, label, ctx, out)
    aliases = [a for a in as_list(raw.get("aliases")) if isinstance(a, str)]
    props: dict[str, Property | None] = {
        "name": name,
        "external_id": opt_str(raw, "external_id"),
        "aliases": aliases or None,
        "catalog_type_id": type_id,
        "archived": raw.get("archived_at") is not None,
    }
    occurred_at = text = None
    if label == "ChangeEvent":
        change, text = _change_props(raw, primitives)
        props.update(change)
        when = next(
            (primitives[k] for k in primitives if slug(k) in {"deployed_at", "occurred_at", "time"}), None
        )
        occurred_at = parse_time(when) or parse_time(raw.get("created_at"))
    else:
        out.edge(entry_id, "INSTANCE_OF", type_id)
        described = [f"{k}: {v}" for k, v in sorted(primitives.items())]
        props["attributes"] = described or None
    node = Node(entry_id, label, clean_properties(props), occurred_at=occurred_at, text=text)
    return out.build(node, _ENTRY_SCOPES)


def map_team(raw: Raw, ctx: MappingContext) -> MappedRecord:
    """Map a ``TeamV3``: its members become ``User -MEMBER_OF-> Team``.

    The Team node's id is the team's catalog entry id, so a team seen both in the catalog and in
    teams v3 is one node; the catalog entry describes it when known.

    Raises:
        MissingField: if ``id`` or ``name`` is missing.
    """
    team_id = record_id_of(raw, "team")
    name = require_str(raw, "name", team_id)
    entry = as_mapping(raw.get("catalog_entry")) or {}
    node_id = opt_str(entry, "id") or team_id
    out = RecordBuilder()
    for member in as_list(raw.get("members")):
        if user := user_stub(member):
            out.stub(user)
            out.edge(user.id, "MEMBER_OF", node_id)
    node = None
    if node_id not in ctx.catalog.label_by_entry:
        props = {"name": name, "external_id": opt_str(entry, "external_id"), "team_id": team_id}
        node = Node(node_id, "Team", clean_properties(props))
    return out.build(node, (EdgeScope("MEMBER_OF", "in"),), anchor=node_id)


def mark_removed(node: Node) -> MappedRecord:
    """Return a record keeping a catalog node that left the catalog, marked archived and removed."""
    props = {**node.properties, "archived": True, "removed": True}
    return MappedRecord(Node(node.id, node.label, props, node.occurred_at, node.visibility, node.text))
