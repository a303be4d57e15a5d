"""The terminal view of an investigation and of similar incidents prints incident.io's text as given.

Titles such as "[prod] checkout down" are common; rich read them as markup, so "[prod]" vanished
from the screen, and a "[/...]" ended the command with a traceback.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Console

from precedent.cli.investigation_view import render
from precedent.cli.similar_io import left_out_note, results_table
from precedent.investigation import Evidence, FollowUp, Hypothesis, OnCall, Person, Standing
from precedent.model import Node
from precedent.responses import InvestigationResponse
from precedent.retrieval.fusion import Signals, fuse
from precedent.retrieval.lessons import extract_lesson
from precedent.retrieval.query import PosedQuery
from precedent.retrieval.results import Explanation, SimilarIncident, SimilarResults
from precedent.retrieval.weights import DEFAULT_WEIGHTS
from tests.investigation.test_hypotheses import change
from tests.web.test_drawing import _investigation

if TYPE_CHECKING:
    from precedent.investigation import Investigation

NAME = "[prod] checkout 500s after [/api] deploy"


def _printed(renderable: object) -> str:
    console = Console(width=300, record=True)
    console.print(renderable)
    return console.export_text()


def test_the_investigation_prints_bracketed_names_as_given() -> None:
    base = _investigation()
    investigation = replace(
        base,
        incident=replace(base.incident, name=NAME),
        hypotheses=(
            Hypothesis(
                "Check whether this is INC-1 again, '[sev1] [bold]pool exhausted'",
                0.5,
                "precedent",
                (Evidence("follow_up", "fu-1", "[infra] add an alert", "still open"),),
            ),
        ),
    )
    console = Console(width=300, record=True)
    render(console, investigation)
    text = console.export_text()
    assert f"INC-9: {NAME}" in text
    assert "'[sev1] [bold]pool exhausted'" in text
    assert "follow-up [infra] add an alert: still open" in text


def test_the_similar_table_prints_bracketed_names_as_given() -> None:
    posed = PosedQuery(None, None, NAME, NAME, (), (), (), None, None, None, None, ("public",), frozenset())
    fused = fuse({"p": Signals(semantic=0.9, lexical=0.5)}, DEFAULT_WEIGHTS)[0]
    lesson = extract_lesson(Node("p", "Incident"), [], [])
    explanation = Explanation(fused.contributions, ("checkout",), (), None, lesson)
    answer = SimilarResults(
        posed, (SimilarIncident("p", "INC-1", "[/x] Checkout down", fused.score, None, explanation),)
    )
    text = _printed(results_table(answer))
    assert NAME in text
    assert "[/x] Checkout down" in text


def test_a_service_the_map_does_not_hold_is_named_with_the_services_meant() -> None:
    # `--service checkout-ap` (a typo) used to be dropped in silence: no owners, no changes, no why.
    # Then it was named, but not what was meant, which a 404 for the one service says.
    base = _investigation()
    meant = {"checkout-ap": ("checkout-api",), "zzz": ()}
    # Described (no id): the names were typed, so "check the name"; an incident in the map names
    # catalog entries from incident.io, for which the note says to sync instead.
    incident = replace(base.incident, id=None, unknown_services=("checkout-ap", "zzz"), services_meant=meant)
    console = Console(width=300, record=True)
    render(console, replace(base, incident=incident))
    said = "not in the map, so left out: checkout-ap (did you mean checkout-api?), zzz (check the name)"
    assert said in console.export_text()
    posed = PosedQuery(
        None,
        None,
        "x",
        "x",
        (),
        (),
        ("checkout-ap", "zzz"),
        None,
        None,
        None,
        None,
        ("public",),
        frozenset(),
        services_meant=meant,
    )
    note = left_out_note(posed)
    assert note is not None
    assert said in _printed(note)
    # Said before the table, by the command: a caption came after it, below a long answer.
    assert "left out" not in _printed(results_table(SimilarResults(posed, ())))


def test_empty_sections_say_why_and_an_unsaved_investigation_gives_no_id() -> None:
    # A "-" under owners read as "none" or as "unknown" alike; a missing section as "nothing there".
    base = _investigation()
    investigation = replace(base, similar=(), changes=())
    console = Console(width=300, record=True)
    render(console, investigation, stored=False)
    text = console.export_text()
    assert "No precedent: no earlier incident in the map is similar enough." in text
    assert "no owner in the map" in text
    assert "nobody found on call" in text
    assert "on call when declared" in text  # read at the declaration, which may be days before
    assert "No change recorded on or near the affected services in the 24 h before." in text
    assert "not stored (--no-save)" in text
    assert "inv:1" not in text  # an id that cannot be opened is not offered
    console = Console(width=300, record=True)
    render(console, replace(base, services=()))
    text = console.export_text()
    assert "root cause and resolution not recorded" in text
    assert "No affected service in the map" in text
    assert "stored as inv:1" in text
    # With no service, no change was looked for: "No change recorded ... before" read as
    # "nothing was deployed" on a vague "everything is slow".
    console = Console(width=300, record=True)
    render(console, replace(base, services=(), changes=()))
    text = console.export_text()
    assert "No change recorded" not in text
    assert "Changes not read: they are read around the affected services, and none is in the map." in text


def test_a_precedent_still_open_at_the_declaration_says_so() -> None:
    # "root cause and resolution not recorded" read as a gap in the records, not as "ask them".
    base = _investigation()
    still_open = replace(base.similar[0], root_cause=None, resolution=None, open_at_declaration=True)
    console = Console(width=300, record=True)
    render(console, replace(base, similar=(still_open,)))
    text = console.export_text()
    assert "still open when this incident was declared; its responders may know more" in text
    assert "root cause and resolution not recorded" not in text


def test_a_lesson_read_from_status_updates_says_where_it_came_from() -> None:
    base = _investigation()
    told = replace(base.similar[0], from_updates=True)
    console = Console(width=300, record=True)
    render(console, replace(base, similar=(told,)))
    assert "(as its status updates said; no post-mortem)" in console.export_text()
    console = Console(width=300, record=True)
    render(console, base)
    assert "no post-mortem" not in console.export_text()


def test_a_precedent_s_age_counts_back_from_the_declaration() -> None:
    base = _investigation()
    declared = base.incident.declared_at
    assert declared is not None
    older = replace(base.similar[0], started_at=declared - timedelta(days=21))
    console = Console(width=300, record=True)
    render(console, replace(base, similar=(older,)))
    text = console.export_text()
    assert "3 weeks before" in text
    assert " ago" not in text


def test_the_footer_says_whether_the_investigation_was_stored() -> None:
    # `investigate --no-save` printed "stored as inv:...": an id no route or page could find.
    investigation = _investigation()
    for stored, footer in ((True, f"stored as {investigation.id}"), (False, "not stored (--no-save)")):
        console = Console(width=300, record=True)
        render(console, investigation, stored=stored)
        text = console.export_text()
        assert footer in text
        assert ("stored as" in text) is stored


def test_on_call_from_an_imported_export_says_it_is_as_of_the_export_s_file_time() -> None:
    # An export records no time of its own: "synced" read as a sync's fresh answer, when it was
    # only as fresh as the file's modification time.
    person = Person("u-1", "Ana Ruiz", None, None)
    file_time = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    entry = OnCall(person, "sch-1", "Checkout primary", "Checkout", None, None, "export", file_time)
    base = _investigation()
    on_call = replace(base, services=(replace(base.services[0], on_call=(entry,)),))
    text = _printed_investigation(on_call)
    said = "from an imported export, as of its file time 2026-03-02 09:30 UTC"
    assert f"Ana Ruiz (Checkout primary, {said})" in text
    synced = replace(entry, source="synced")
    text = _printed_investigation(replace(base, services=(replace(base.services[0], on_call=(synced,)),)))
    assert "Ana Ruiz (Checkout primary, synced)" in text


def _printed_investigation(investigation: Investigation) -> str:
    console = Console(width=300, record=True)
    render(console, investigation)
    return console.export_text()


def test_the_changes_table_says_where_a_change_was_as_the_page_and_mcp_do() -> None:
    # It printed "unlinked, 2 hop(s) from checkout" where the page and the MCP tool said there
    # was no dependency path: one change, two readings.
    investigation = replace(
        _investigation(),
        changes=(
            change("chg-1"),
            replace(change("chg-2", hops=1, relation="upstream"), service_name="ledger"),
            replace(change("chg-3", hops=2, relation="unlinked"), service_name="search"),
            replace(change("chg-4", hops=2, relation="nearby"), service_name="orders"),
        ),
    )
    console = Console(width=300, record=True)
    render(console, investigation)
    text = console.export_text()
    assert "upstream of checkout, 1 hop " in text
    assert "no dependency path to checkout, 2 hops" in text
    assert "shares a dependency with checkout, 2 hops" in text
    assert "unlinked" not in text
    assert "nearby" not in text
    assert "hop(s)" not in text


def test_an_investigation_of_a_closed_incident_says_so_under_its_title() -> None:
    # Built after its incident closed, it read as a live incident: nothing in the text said it was over.
    investigation = _investigation()
    response = InvestigationResponse.from_investigation(
        investigation, Standing(status_now="Closed", closed_now=True)
    )
    console = Console(width=300, record=True)
    render(console, investigation, closed_note=response.closed_note)
    text = console.export_text()
    note = f"{investigation.incident.label} is closed (Closed): this investigation is what was known"
    assert note in text
    assert text.index(note) < text.index("Hypotheses")
    live = InvestigationResponse.from_investigation(investigation, Standing(status_now="Investigating"))
    assert live.closed_note is None


def test_a_described_incident_is_headed_by_its_name() -> None:
    # "this incident: Checkout 500s" opened the screen of an investigation of one not in the map.
    base = _investigation()
    incident = replace(base.incident, id=None, reference=None, name="Checkout 500s")
    console = Console(width=120, record=True)
    render(console, replace(base, incident=incident))
    first = console.export_text().splitlines()[0]
    assert " Checkout 500s " in first
    assert "this incident" not in first


def test_an_open_follow_up_names_whom_it_is_assigned_to() -> None:
    # The line gave the follow-up's incident and title, not whom it is with: a responder finding
    # the fix unfinished had to look up whom to ask how far it got.
    def follow_up(id_: str, assignee: str | None) -> FollowUp:
        return FollowUp(id_, f"Fix {id_}", "outstanding", None, None, "inc-1", "INC-1", assignee)

    text = _printed_investigation(
        replace(_investigation(), follow_ups=(follow_up("fu-1", "[b]Ana Ruiz"), follow_up("fu-2", None)))
    )
    assert "open follow-up (INC-1): Fix fu-1, assigned to [b]Ana Ruiz" in text
    assert "open follow-up (INC-1): Fix fu-2, unassigned" in text
