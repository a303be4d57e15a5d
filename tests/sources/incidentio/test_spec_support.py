"""The spec oracle in tests/support/spec.py: it must accept the spec's own examples and catch drift."""

from __future__ import annotations

import json

import pytest

from tests.support.incidentio_fixtures import EXAMPLES, example
from tests.support.spec import OpenApiSpec, SpecViolation, load_spec


def _example_path(stem: str) -> str:
    version, rest = stem.removeprefix("GET_").split("_", 1)
    path = f"/{version}/{rest}"
    if path.endswith("_id_content"):
        return path.removesuffix("_id_content") + "/X/content"
    return path.removesuffix("_id") + "/X" if path.endswith("_id") else path


@pytest.mark.parametrize("file", sorted(p.name for p in EXAMPLES.glob("GET_*.json")))
def test_every_spec_example_validates(file: str) -> None:
    spec = load_spec()
    spec.validate_response(_example_path(file.removesuffix(".json")), example(file))


def test_operations_resolve_concrete_paths() -> None:
    spec = load_spec()
    assert spec.operation("/v2/incidents").schema_name == "IncidentsListResultV2"
    assert spec.operation("/v2/incidents/01H").schema_name == "IncidentsShowResultV2"
    assert spec.operation("/v1/postmortem_documents/01H/content").schema_name == (
        "PostmortemDocumentsShowContentResultV1"
    )
    with pytest.raises(KeyError, match="no GET operation"):
        spec.operation("/v9/nope")


def test_required_fields_types_enums_and_timestamps_are_checked() -> None:
    spec = load_spec()
    body = example("GET_v2_incidents.json")
    incident = body["incidents"][0]
    del incident["name"]
    incident["severity"]["rank"] = "high"
    incident["mode"] = "rehearsal"
    incident["created_at"] = "2021-08-17T13:28:57"  # naive: not RFC 3339
    with pytest.raises(SpecViolation) as caught:
        spec.validate_response("/v2/incidents", body)
    message = str(caught.value)
    assert "Incidents V2#List" in message
    for needle in (
        "'name' is a required property",
        "'high' is not of type 'integer'",
        "rehearsal",
        "is not a 'date-time'",
    ):
        assert needle in message


def test_unknown_fields_are_allowed_and_unknown_enums_only_when_asked() -> None:
    spec = load_spec()
    body = example("GET_v2_incidents.json")
    body["brand_new"] = {"x": 1}
    body["incidents"][0]["brand_new_field"] = [1]
    spec.validate_response("/v2/incidents", body)
    body["incidents"][0]["visibility"] = "internal"
    assert spec.errors("IncidentsListResultV2", body)
    spec.validate_response("/v2/incidents", body, allow_unknown_enums=True)


def test_page_size_bounds_are_not_checked_in_responses() -> None:
    # PaginationMetaResultV2.page_size says maximum 250, but /v2/users accepts page_size=10000.
    spec = load_spec()
    body = example("GET_v2_users.json")
    body["pagination_meta"]["page_size"] = 10000
    spec.validate_response("/v2/users", body)


def test_nullable_becomes_a_null_type() -> None:
    document = json.loads(json.dumps(load_spec().document))
    document["components"]["schemas"]["SeverityV1"]["properties"]["description"]["nullable"] = True
    spec = OpenApiSpec(document)
    body = example("GET_v1_severities.json")
    body["severities"][0]["description"] = None
    spec.validate_response("/v1/severities", body)
    assert load_spec().errors("SeveritiesListResultV1", body)


def test_inline_resolves_every_ref() -> None:
    schema = load_spec().inline("IncidentV2", closed=True)
    assert "$ref" not in json.dumps(schema)
    assert schema["additionalProperties"] is False
    assert "incident_status" in schema["required"]
