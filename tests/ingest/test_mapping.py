"""Pure mapping: incident.io objects in, nodes and edges out (no store, no model)."""

from __future__ import annotations

import copy

import pytest

from precedent.embedding import WORD_TOKENS, TokenCounter
from precedent.ingest.mapping import (
    MappingContext,
    MissingField,
    map_catalog_entry,
    map_incident,
    map_incident_update,
    map_postmortem,
    map_schedule,
    map_team,
    split_sections,
    split_to_fit,
)
from precedent.ingest.mapping.incidents import INCIDENT_TEXT_LIMIT
from tests.ingest import org


@pytest.fixture
def ctx() -> MappingContext:
    context = MappingContext()
    context.add_custom_fields(org.CUSTOM_FIELDS)
    for catalog_type in org.CATALOG_TYPES:
        context.catalog.add_type(catalog_type)
    for entries in org.CATALOG_ENTRIES.values():
        context.catalog.add_entries(entries)
    context.add_teams(org.TEAMS)
    return context


def _edges(record: object) -> set[tuple[str, str, str]]:
    return {(e.source, e.type, e.target) for e in record.edges}  # type: ignore[attr-defined]


def test_incident_node_carries_reference_status_times_and_duration(ctx: MappingContext) -> None:
    record = map_incident(org.INCIDENTS[0], ctx, org.UPDATES[:2])
    assert record is not None
    assert record.node is not None
    props = record.node.properties
    assert (props["reference"], props["status"], props["status_category"]) == ("INC-1", "Closed", "closed")
    assert (props["severity"], props["incident_type"], props["mode"]) == ("Critical", "Outage", "standard")
    assert props["impact_started_at"] == "2026-03-01T10:00:00+00:00"
    assert props["resolved_at"] == "2026-03-01T11:30:00+00:00"
    assert props["duration_seconds"] == 5400
    assert record.node.visibility == "public"
    assert record.node.text == (
        "Payments API returning 500s\n\nPayments API returning 500s: customers saw errors\n\n"
        "Rolling back deploy 42\n\nError rate back to normal"
    )


def test_incident_edges_cover_lookups_people_and_catalog(ctx: MappingContext) -> None:
    record = map_incident(org.INCIDENTS[0], ctx)
    assert record is not None
    assert _edges(record) == {
        ("inc-1", "HAS_STATUS", "st-closed"),
        ("inc-1", "HAS_SEVERITY", "sev-critical"),
        ("inc-1", "HAS_TYPE", "type-outage"),
        ("inc-1", "REPORTED_BY", "u-bob"),
        ("inc-1", "ROLE_HELD_BY", "u-alice"),
        ("inc-1", "AFFECTS", "svc-payments"),
        ("inc-1", "CAUSED_BY", "deploy-42"),
    }
    role = next(e for e in record.edges if e.type == "ROLE_HELD_BY")
    assert role.properties == {"role": "Incident Lead"}
    assert {s.id for s in record.stubs} == {"st-closed", "sev-critical", "type-outage", "u-bob", "u-alice"}


def test_an_incident_keeps_the_names_of_what_it_affects_not_of_its_suspected_change(
    ctx: MappingContext,
) -> None:
    # An edge to a catalog entry the map does not hold yet is not made; without the name, the
    # investigation of an incident declared on a new service could not say which it was.
    record = map_incident(org.INCIDENTS[0], ctx)
    assert record is not None
    assert record.node.properties["affected_entries"] == ["svc-payments"]


def _declared_on_new_entries() -> dict[str, object]:
    # Entries added to incident.io's catalog since the last sync: a new service, and a new team
    # named by an "Affected Team" field (the spec's example field) over the team type.
    return dict(
        org.INCIDENTS[0],
        custom_field_entries=[
            org.cf_entry("cf-services", "Affected services", "svc-new"),
            org.cf_entry("cf-team", "Affected Team", "team-new"),
        ],
    )


def test_only_services_are_kept_as_the_entries_an_incident_affects(ctx: MappingContext) -> None:
    # The names are said as "Services: not in the map": a team the map lacks is no service.
    ctx.add_custom_fields([{"id": "cf-team", "name": "Affected Team", "catalog_type_id": "ct-team"}])
    record = map_incident(_declared_on_new_entries(), ctx)
    assert record is not None
    assert record.node is not None
    assert record.node.properties["affected_entries"] == ["svc-new"]


def test_without_the_field_definitions_a_field_is_judged_by_its_name() -> None:
    # A webhook maps an incident with no custom field definitions at hand.
    record = map_incident(_declared_on_new_entries(), MappingContext())
    assert record is not None
    assert record.node is not None
    assert record.node.properties["affected_entries"] == ["svc-new"]


def test_without_the_field_definitions_a_field_is_known_by_the_entries_it_names_that_the_map_holds() -> None:
    # A webhook knows the entries the map holds, not the fields: a services field not named so
    # listed its service the map holds as affected, and the new one beside it as no service.
    ctx = MappingContext()
    ctx.catalog.label_by_entry["svc-payments"] = "Service"
    raw = dict(
        org.INCIDENTS[0],
        custom_field_entries=[
            org.cf_entry("cf-components", "Affected components", "svc-payments", "svc-new")
        ],
    )
    record = map_incident(raw, ctx)
    assert record is not None
    assert record.node is not None
    assert record.node.properties["affected_entries"] == ["svc-payments", "svc-new"]
    assert {(e.type, e.target) for e in record.edges if e.target.startswith("svc-")} == {
        ("AFFECTS", "svc-payments"),
        ("AFFECTS", "svc-new"),
    }


def test_change_field_is_caused_by_even_without_a_catalog() -> None:
    record = map_incident(org.INCIDENTS[0], MappingContext())
    assert record is not None
    assert ("inc-1", "CAUSED_BY", "deploy-42") in _edges(record)


def test_test_incidents_are_excluded_unless_asked() -> None:
    assert map_incident(org.INCIDENTS[2], MappingContext()) is None
    everything = MappingContext(modes=frozenset({"standard", "retrospective", "test", "tutorial"}))
    assert map_incident(org.INCIDENTS[2], everything) is not None


def test_unknown_fields_and_enum_values_are_tolerated(ctx: MappingContext) -> None:
    drifted = copy.deepcopy(org.INCIDENTS[0])
    drifted.update(visibility="secret", mode="drill", brand_new_field={"x": [1]})
    drifted["incident_status"]["category"] = "snoozed"
    record = map_incident(drifted, ctx)
    assert record is not None
    assert record.node is not None
    assert record.node.visibility == "private"  # unknown visibility errs on the private side
    assert record.node.properties["status_category"] == "snoozed"


@pytest.mark.parametrize("field", ["id", "name", "reference", "created_at", "incident_status"])
def test_missing_required_field_is_named(ctx: MappingContext, field: str) -> None:
    broken = copy.deepcopy(org.INCIDENTS[0])
    broken.pop(field)
    with pytest.raises(MissingField, match=repr(field)) as caught:
        map_incident(broken, ctx)
    assert caught.value.field == field


def test_incident_text_is_bounded(ctx: MappingContext) -> None:
    updates = [dict(org.UPDATES[0], id=f"u{i}", message="x" * 500) for i in range(20)]
    record = map_incident(org.INCIDENTS[0], ctx, updates)
    assert record is not None
    assert record.node is not None
    assert len(record.node.text or "") == INCIDENT_TEXT_LIMIT


def test_parts_inherit_the_incident_visibility(ctx: MappingContext) -> None:
    ctx.incident_visibility.update({"inc-1": "public", "inc-2": "private"})
    public = map_incident_update(org.UPDATES[0], ctx)
    private = map_incident_update(org.UPDATES[2], ctx)
    assert public.node is not None
    assert private.node is not None
    assert (public.node.visibility, private.node.visibility) == ("public", "private")
    assert _edges(public) == {("inc-1", "HAS_UPDATE", "upd-1"), ("upd-1", "POSTED_BY", "u-alice")}
    orphan = map_incident_update(dict(org.UPDATES[0], incident_id="inc-unknown"), ctx)
    assert orphan.node is not None
    assert orphan.node.visibility == "private"


def test_sections_split_by_heading_and_fit_the_model() -> None:
    sections = split_sections(org.MARKDOWN)
    assert [s.heading for s in sections[:2]] == ["Post-mortem > Summary", "Post-mortem > Timeline"]
    assert all(WORD_TOKENS.fits(s.text) for s in sections)
    # The 400-word "Lessons" section becomes two chunks, cut between sentences, both headed.
    assert [s.heading for s in sections[2:]] == ["Post-mortem > Lessons"] * 2
    assert all(s.body.endswith("deploys.") for s in sections[2:])
    assert split_sections("no headings at all")[0].heading == ""
    assert split_sections("```\n# not a heading\n```")[0].heading == ""


def _characters(budget: int) -> TokenCounter:
    """A counter where every character is a token: makes budgets easy to reason about."""
    return TokenCounter(budget, lambda texts: [len(t) for t in texts])


def test_long_sections_split_at_the_coarsest_boundary_that_fits() -> None:
    markdown = "# H\n\nFirst para.\n\nSecond one, longer.\nIts second line.\n\n" + "x" * 25
    sections = split_sections(markdown, _characters(24))
    assert [s.body for s in sections] == [
        "First para.",
        "Second one, longer.",  # "H\n\n" + body must fit 24: the paragraph splits at its line
        "Its second line.",
        "x" * 21,  # one unbreakable word is cut by characters
        "x" * 4,
    ]
    assert all(s.heading == "H" and len(s.text) <= 24 for s in sections)


def test_a_long_heading_trail_is_shortened_to_leave_room_for_the_body() -> None:
    markdown = "# " + "word " * 40 + "\n\nbody text"
    [section] = split_sections(markdown, _characters(60))
    assert len(section.heading) <= 20
    assert section.body == "body text"


def test_split_to_fit_packs_small_pieces_back_together() -> None:
    text = "One. Two. Three. Four."
    assert split_to_fit(text, lambda t: len(t) <= 10) == ["One. Two.", "Three.", "Four."]
    assert split_to_fit("   ", lambda t: True) == []


def test_postmortem_chunks_are_embedded_parts_of_the_document(ctx: MappingContext) -> None:
    ctx.incident_visibility["inc-1"] = "public"
    records = map_postmortem(org.POSTMORTEMS[0], ctx, org.MARKDOWN)
    document, chunks = records[0], records[1:]
    assert ("inc-1", "HAS_POSTMORTEM", "pm-1") in _edges(document)
    assert [c.node.id for c in chunks if c.node] == ["pm-1:0", "pm-1:1", "pm-1:2", "pm-1:3"]
    first = chunks[0].node
    assert first is not None
    assert first.text == "Post-mortem > Summary\n\nDeploy 42 broke payments."
    assert first.properties["incident_id"] == "inc-1"
    assert first.visibility == "public"


def test_catalog_references_resolve_by_id_external_id_and_alias(ctx: MappingContext) -> None:
    payments = map_catalog_entry(org.CATALOG_ENTRIES["ct-service"][0], ctx)
    assert payments.node is not None
    assert payments.node.label == "Service"
    assert _edges(payments) == {
        ("svc-payments", "OWNED_BY", "team-payments"),  # by external id
        ("svc-payments", "DEPENDS_ON", "svc-db"),  # by alias
        ("svc-payments", "INSTANCE_OF", "ct-service"),
    }
    assert payments.node.properties["attributes"] == ["Tier: 1"]


def test_deployments_become_change_events(ctx: MappingContext) -> None:
    deploy = map_catalog_entry(org.CATALOG_ENTRIES["ct-deploy"][0], ctx)
    assert deploy.node is not None
    assert deploy.node.label == "ChangeEvent"
    assert deploy.node.properties["version"] == "v1.2.3"
    assert deploy.node.properties["kind"] == "deploy"
    assert deploy.node.occurred_at is not None
    assert _edges(deploy) == {("deploy-42", "CHANGED", "svc-payments")}


def test_archived_entries_are_kept_and_flagged(ctx: MappingContext) -> None:
    legacy = map_catalog_entry(org.CATALOG_ENTRIES["ct-service"][2], ctx)
    assert legacy.node is not None
    assert legacy.node.properties["archived"] is True


def test_team_members_link_to_the_catalog_team_node(ctx: MappingContext) -> None:
    team = map_team(org.TEAMS[0], ctx)
    assert team.node is None  # the catalog entry already describes the team
    assert _edges(team) == {("u-alice", "MEMBER_OF", "team-payments")}
    standalone = map_team(org.TEAMS[0], MappingContext())
    assert standalone.node is not None
    assert standalone.node.label == "Team"


def test_schedule_on_call_and_owner(ctx: MappingContext) -> None:
    entries = org.SCHEDULE_ENTRIES["sch-payments"]["schedule_entries"]["final"]
    record = map_schedule(org.SCHEDULES[0], ctx, entries)
    assert _edges(record) == {
        ("sch-payments", "ON_CALL", "u-alice"),
        ("sch-payments", "OWNED_BY", "team-payments"),
    }
    on_call = next(e for e in record.edges if e.type == "ON_CALL")
    assert on_call.properties["start_at"] == "2026-03-01T10:00:00+00:00"
    assert on_call.properties["layer"] == "L1"


def test_a_person_on_call_twice_keeps_the_earliest_shift_whatever_its_offset(ctx: MappingContext) -> None:
    # 10:30+14:00 is 20:30Z the day before: earlier than 10:00Z although its text sorts after it.
    [entry] = org.SCHEDULE_ENTRIES["sch-payments"]["schedule_entries"]["final"][:1]
    later = {**entry, "start_at": "2026-03-01T10:00:00Z", "end_at": "2026-03-01T11:00:00Z"}
    earlier = {**entry, "start_at": "2026-03-01T10:30:00+14:00", "end_at": "2026-03-01T11:00:00+14:00"}
    record = map_schedule(org.SCHEDULES[0], ctx, [later, earlier])
    [on_call] = [e for e in record.edges if e.type == "ON_CALL"]
    assert on_call.properties["start_at"] == "2026-03-01T10:30:00+14:00"
