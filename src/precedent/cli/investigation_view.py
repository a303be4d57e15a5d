"""Rendering an investigation for a terminal: one screen, most useful first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from precedent.cli.terminal_text import escape
from precedent.investigation.hypotheses import age_text
from precedent.retrieval.catalog import left_out
from precedent.retrieval.results import FROM_UPDATES

if TYPE_CHECKING:
    from rich.console import Console

    from precedent.investigation import Investigation, OnCall

__all__ = ["render", "say_unknown_services"]


# What an empty cell means, in words (a "-" read as "none" or as "unknown" alike).
_NO_LESSON = "root cause and resolution not recorded"
_STILL_OPEN = "still open when this incident was declared; its responders may know more"
# A lesson no post-mortem wrote up: what responders believed then (``Precedent.from_updates``).
_FROM_UPDATES = f"({FROM_UPDATES})"
_NO_OWNER = "no owner in the map"
_NO_ON_CALL = "nobody found on call"
_NOTHING_AROUND = "no dependency or incident in the map"


def _hypotheses(investigation: Investigation) -> Table:
    table = Table("#", "likely cause", "confidence", "evidence", title="Hypotheses", show_lines=True)
    for rank, h in enumerate(investigation.hypotheses, start=1):
        evidence = "\n".join(f"{e.kind.replace('_', '-')} {e.name}: {e.why}" for e in h.evidence)
        table.add_row(str(rank), escape(h.statement), f"{h.confidence:.0%}", escape(evidence))
    return table


def _precedents(investigation: Investigation) -> Table:
    # Ages count back from the declaration, as the changes' do: "ago" is wrong once read later.
    table = Table("incident", "when", "what it teaches", title="Precedents", show_lines=True)
    declared = investigation.incident.declared_at
    for p in investigation.similar:
        when = (
            age_text((declared - p.started_at).total_seconds() / 60) + " before"
            if declared and p.started_at
            else ""
        )
        teaches = [f"root cause: {p.root_cause}"] if p.root_cause else []
        if p.resolution:
            teaches.append(f"resolved by: {p.resolution}")
        elif p.open_at_declaration:
            teaches.append(_STILL_OPEN)
        if p.from_updates:
            teaches.append(_FROM_UPDATES)
        if p.open_follow_ups:
            teaches.append(f"{p.open_follow_ups} open follow-up(s)")
        table.add_row(escape(f"{p.label}\n{p.name}"), when, escape("\n".join(teaches) or _NO_LESSON))
    return table


def _people(investigation: Investigation) -> Table:
    # Read at the declaration, which may be long before this is read: the header says so.
    table = Table(
        "service", "owners", "on call when declared", "around it", title="Services", show_lines=True
    )
    for s in investigation.services:
        owners = escape("\n".join(f"{t.name} ({len(t.members)} people)" for t in s.teams) or _NO_OWNER)
        on_call = escape("\n".join(_on_call(o) for o in s.on_call) or _NO_ON_CALL)
        if s.on_call_note:
            on_call += f"\n[yellow]{escape(s.on_call_note)}[/yellow]"
        around = []
        if s.upstream:
            around.append("depends on: " + ", ".join(r.name for r in s.upstream[:5]))
        if s.downstream:
            around.append("used by: " + ", ".join(r.name for r in s.downstream[:5]))
        if s.active_incidents:
            around.append("active: " + ", ".join(b.reference or b.id for b in s.active_incidents))
        if s.recent_incidents:
            around.append(f"{len(s.recent_incidents)} incident(s) in 30 days")
        table.add_row(escape(s.name), owners, on_call, escape("\n".join(around) or _NOTHING_AROUND))
    return table


def _on_call(entry: OnCall) -> str:
    return f"{entry.person.name} ({entry.schedule_name}, {entry.provenance or entry.source})"


def _changes(investigation: Investigation) -> Table:
    hours = f"{investigation.change_window_hours:g} h"
    table = Table("change", "when", "by", "where", title=f"Changes in the {hours} before")
    for c in investigation.changes[:10]:
        when = f"{age_text(c.minutes_before)} before" if c.minutes_before is not None else "?"
        table.add_row(escape(c.title), when, escape(c.author or "-"), escape(c.placement or "affected"))
    return table


def say_unknown_services(console: Console, investigation: Investigation) -> None:
    """Name the services given that the map does not hold, if any.

    A mistyped --service is otherwise dropped in silence: no owners, no changes, no reason why.
    """
    incident = investigation.incident
    if incident.unknown_services:
        note = left_out(incident.unknown_services, incident.services_meant, incident_id=incident.id)
        console.print(f"[yellow]{escape(note)}[/yellow]")


def render(
    console: Console, investigation: Investigation, *, stored: bool = True, closed_note: str | None = None
) -> None:
    """Print an investigation: hypotheses, precedents, services and people, changes, follow-ups.

    Every section is printed, an empty one as a sentence saying why, so a blank is never read as
    "nothing to worry about" by mistake. ``stored`` is False for ``--no-save``: no id to open.
    ``closed_note`` says its incident is over (``InvestigationResponse.closed_note``), under the title.
    """
    incident = investigation.incident
    # Every incident.io or CI text is escaped: "[prod] checkout down" is a title, not rich markup.
    console.rule(escape(incident.heading))
    if closed_note:
        console.print(f"[yellow]{escape(closed_note)}[/yellow]")
    say_unknown_services(console, investigation)
    if not investigation.hypotheses:
        console.print("No hypothesis: the map holds no change, precedent or dependency incident near it.")
    else:
        console.print(_hypotheses(investigation))
    if investigation.similar:
        console.print(_precedents(investigation))
    else:
        console.print("No precedent: no earlier incident in the map is similar enough.")
    if investigation.services:
        console.print(_people(investigation))
    else:
        console.print("No affected service in the map: no owners, on-call or dependencies to show.")
    if investigation.changes:
        console.print(_changes(investigation))
    elif not investigation.services:
        # "No change recorded ... before" read as "nothing was deployed" when none was looked for:
        # changes are read around the affected services, and none was in the map.
        console.print("Changes not read: they are read around the affected services, and none is in the map.")
    else:
        hours = f"{investigation.change_window_hours:g} h"
        console.print(f"No change recorded on or near the affected services in the {hours} before.")
    for f in investigation.follow_ups[:5]:
        # Whom it is with, as the pages say: a responder finding the fix unfinished asks them.
        with_whom = f"assigned to {f.assignee}" if f.assignee else "unassigned"
        console.print(
            f"open follow-up ({f.incident_reference or f.incident_id}): {f.title}, {with_whom}", markup=False
        )
    if len(investigation.follow_ups) > 5:
        console.print(f"and {len(investigation.follow_ups) - 5} more open follow-ups (see --json)")
    where = f"stored as {investigation.id}" if stored else "not stored (--no-save)"
    console.print(f"built in {investigation.build_ms:.0f} ms; {where}", style="dim")
