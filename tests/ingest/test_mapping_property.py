"""Property: any object the spec allows maps cleanly, or fails with a MappingError naming a field."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from precedent.graph_schema import load_schema
from precedent.ingest.mapping import (
    MappedRecord,
    MappingContext,
    MissingField,
    map_catalog_entry,
    map_follow_up,
    map_incident,
    map_incident_update,
    map_postmortem,
)
from tests.support import hypothesis_compat
from tests.support.spec import load_spec

hypothesis_compat.install()

SPEC = load_spec()
SCHEMA = load_schema()
ALL_MODES = MappingContext(modes=frozenset({"standard", "retrospective", "test", "tutorial"}))
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(records: list[MappedRecord | None]) -> None:
    for record in records:
        if record is None:
            continue
        for node in [*([record.node] if record.node else []), *record.stubs]:
            SCHEMA.check_label(node.label)
        for edge in record.edges:
            SCHEMA.check_edge_type(edge.type)


def _outcome(mapper: Any, raw: dict[str, Any]) -> tuple[Any, MissingField | None]:
    """Run a mapper; any MappingError other than a named missing field fails the test."""
    try:
        return mapper(raw), None
    except MissingField as exc:
        return None, exc


def _maps_or_names_field(raw: dict[str, Any], mapper: Any) -> None:
    result, missing = _outcome(mapper, raw)
    if missing is not None:
        assert missing.field
        assert repr(missing.field) in str(missing)
        return
    _check(result if isinstance(result, list) else [result])


REQUIRED = {"id", "name", "reference", "mode", "visibility", "created_at", "updated_at", "incident_status"}


@EXAMPLES
@given(from_schema(SPEC.inline("IncidentV2", closed=True)))
def test_any_spec_incident_maps_or_names_a_missing_field(incident: dict[str, Any]) -> None:
    _maps_or_names_field(incident, lambda raw: map_incident(raw, ALL_MODES, []))


@EXAMPLES
@given(from_schema(SPEC.inline("IncidentV2", closed=True)))
def test_only_empty_required_values_fail(incident: dict[str, Any]) -> None:
    record, missing = _outcome(lambda raw: map_incident(raw, ALL_MODES, []), incident)
    if missing is not None:
        # The spec allows "" for required strings; nothing else may be refused.
        nested = (
            incident.get("incident_status", {}),
            incident.get("severity", {}),
            incident.get("incident_type", {}),
        )
        empties = {k for k in REQUIRED if incident.get(k) == ""} | {
            k for part in nested if isinstance(part, dict) for k in ("id", "name") if part.get(k) == ""
        }
        assert missing.field in empties, missing
        return
    assert record is not None
    assert record.node is not None
    assert record.node.properties["reference"] == incident["reference"]
    assert record.node.visibility in {"public", "private"}


@EXAMPLES
@given(from_schema(SPEC.inline("IncidentUpdateV2", closed=True)))
def test_any_spec_update_maps(update: dict[str, Any]) -> None:
    _maps_or_names_field(update, lambda raw: map_incident_update(raw, ALL_MODES))


@EXAMPLES
@given(from_schema(SPEC.inline("FollowUpV2", closed=True)))
def test_any_spec_follow_up_maps(follow_up: dict[str, Any]) -> None:
    _maps_or_names_field(follow_up, lambda raw: map_follow_up(raw, ALL_MODES))


@EXAMPLES
@given(from_schema(SPEC.inline("CatalogEntryV3", closed=True)))
def test_any_spec_catalog_entry_maps(entry: dict[str, Any]) -> None:
    _maps_or_names_field(entry, lambda raw: map_catalog_entry(raw, ALL_MODES))


@EXAMPLES
@given(from_schema(SPEC.inline("PostmortemDocumentV1", closed=True)), from_schema({"type": "string"}))
def test_any_spec_postmortem_maps(document: dict[str, Any], markdown: str) -> None:
    _maps_or_names_field(document, lambda raw: map_postmortem(raw, ALL_MODES, markdown))
