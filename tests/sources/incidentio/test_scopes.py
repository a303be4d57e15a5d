"""The scope table is the spec's ``x-rbac-scopes``, verbatim."""

from __future__ import annotations

from precedent.sources.incidentio import ENDPOINT_SCOPES, required_scopes
from tests.support.spec import load_spec


def test_table_matches_the_spec() -> None:
    paths = load_spec().document["paths"]
    for template, scopes in ENDPOINT_SCOPES.items():
        assert template in paths, f"{template} is not in the spec"
        assert tuple(paths[template]["get"].get("x-rbac-scopes", ())) == scopes, template


def test_every_endpoint_precedent_pages_has_a_scope_entry() -> None:
    from precedent.sources.incidentio import PAGE_SIZE_CAPS

    read = set(PAGE_SIZE_CAPS) - {"/v2/schedule_overrides", "/v2/alerts", "/v2/escalations"}
    assert read <= set(ENDPOINT_SCOPES)


def test_lookup_by_concrete_path() -> None:
    assert required_scopes("/v2/schedules") == ("schedules.view",)
    assert required_scopes("/v2/schedules/01JSC000000000000000000001") == ("schedules.view",)
    assert required_scopes("/v1/postmortem_documents/X/content") == ("in_app_postmortems.copy_as_markdown",)
    assert required_scopes("/v3/teams") == ("catalog_entries.view",)
    assert required_scopes("/v2/incident_timestamps") == ()
    assert required_scopes("/v9/nothing") == ()
