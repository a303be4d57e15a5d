"""The endpoint registry says what incident.io's spec says: path, body key, scope, paging, parent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from precedent.sources.incidentio import ENDPOINTS, Endpoint, endpoint_for, required_scopes
from tests.support.spec import load_spec


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    paths = load_spec().document["paths"]
    assert endpoint.path in paths, f"{endpoint.path} is not in the spec"
    get: dict[str, Any] = paths[endpoint.path]["get"]
    return get


def _parameters(endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in _operation(endpoint).get("parameters", []) if p["in"] == "query"}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS.values()), ids=lambda e: e.name)
def test_every_endpoint_matches_the_spec(endpoint: Endpoint) -> None:
    spec = load_spec()
    operation = _operation(endpoint)
    assert tuple(operation.get("x-rbac-scopes", ())) == endpoint.scopes
    body = spec.schema(spec.operation(endpoint.path.replace("{id}", "X")).schema_name)
    assert endpoint.key in body["properties"]
    assert ("pagination_meta" in body["properties"]) == endpoint.paginated
    params = _parameters(endpoint)
    if endpoint.page_size is None:
        assert "page_size" not in params
    else:
        size = params["page_size"]
        assert size["schema"]["maximum"] >= endpoint.page_size
        assert size.get("required", False) == endpoint.page_size_required
    if endpoint.paginated:
        assert endpoint.cursor_param in params
    if endpoint.parent is not None:
        assert params[endpoint.parent].get("required", False) == endpoint.parent_required


def test_names_and_export_files_are_unique() -> None:
    files = [e.export_file for e in ENDPOINTS.values() if e.export_file is not None]
    assert len(files) == len(set(files))
    assert all(name == e.name for name, e in ENDPOINTS.items())


def test_caps_the_spec_gets_wrong_are_ours() -> None:
    # The schema says 500 but the description 250; next_shifts needs page_size <= 25.
    assert ENDPOINTS["incidents"].page_size == 250
    assert ENDPOINTS["schedules"].page_size == 25


def test_lookup_by_concrete_path() -> None:
    assert endpoint_for("/v2/incidents") is ENDPOINTS["incidents"]
    assert endpoint_for("/v2/incidents/01JIN000000000000000000001") is ENDPOINTS["incident"]
    assert endpoint_for("/v2/incidents?page_size=3") is ENDPOINTS["incidents"]
    assert endpoint_for("/v9/nothing") is None
    assert required_scopes("/v2/schedules") == ("schedules.view",)
    assert required_scopes("/v2/schedules/01JSC000000000000000000001") == ("schedules.view",)
    assert required_scopes("/v1/postmortem_documents/X/content") == ("in_app_postmortems.copy_as_markdown",)
    assert required_scopes("/v3/teams") == ("catalog_entries.view",)
    assert required_scopes("/v2/incident_timestamps") == ()
    assert required_scopes("/v9/nothing") == ()


def test_per_incident_lists_filter_by_incident_id() -> None:
    per_incident = {e.name for e in ENDPOINTS.values() if e.per_incident}
    assert {"incident_updates", "follow_ups", "actions", "postmortem_documents"} <= per_incident
    assert ENDPOINTS["postmortem_content"].url(id="D1") == "/v1/postmortem_documents/D1/content"
    assert ENDPOINTS["incident_updates"].of_parent("I1") == {"incident_id": "I1"}
    with pytest.raises(ValueError, match="parent"):
        ENDPOINTS["severities"].of_parent("I1")


def test_the_export_format_document_names_the_registry_files() -> None:
    document = (Path(__file__).resolve().parents[3] / "docs" / "export-format.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+\.json)` \| `GET ([^`?]+)", document, flags=re.MULTILINE))
    exported = {e.export_file: e.path for e in ENDPOINTS.values() if e.export_file is not None}
    assert rows == exported
