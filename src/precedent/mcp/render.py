"""Compact text renderings of the responses, for agents that read text rather than structured output.

Each function takes the same response model the tool returns as structured content, so the two
never disagree; lines are short and name ids an agent can pass to the next tool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import display_name
from precedent.responses import score_text
from precedent.retrieval.catalog import left_out
from precedent.retrieval.shortening import shortened

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.investigation import Change, ServiceContext
    from precedent.responses import (
        ChangesResponse,
        IncidentDetailResponse,
        InvestigationResponse,
        NeighbourhoodResponse,
        NodeResponse,
        SearchResponse,
        ServiceContextResponse,
        SimilarResponse,
    )

__all__ = [
    "render_changes",
    "render_incident",
    "render_investigation",
    "render_neighbourhood",
    "render_search",
    "render_service",
    "render_similar",
]

_SNIPPET = 160


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "unknown time"


def _short(text: str | None, limit: int = _SNIPPET) -> str:
    return shortened(text or "", limit)


def _node_title(node: NodeResponse) -> str:
    props = node.properties
    name = props.get("name") or props.get("title") or props.get("heading") or ""
    ref = props.get("reference")
    head = f"{ref} " if ref else ""
    return f"{head}{name}".strip() or node.id


def _named(node: NodeResponse) -> str:
    """``Incident INC-59 checkout down [id]``; a node without a title is named once, by its id."""
    title = _node_title(node)
    return f"{node.label} [{node.id}]" if title == node.id else f"{node.label} {title} [{node.id}]"


def render_similar(response: SimilarResponse) -> str:
    """Similar past incidents, best first, with why and what they teach."""
    query = response.query
    lines = [
        f"Similar to {query.reference or query.name!r}"
        + (f" (before {_when(query.before)})" if query.before else "")
    ]
    if query.unknown_services:
        lines.append(left_out(query.unknown_services, query.services_meant, incident_id=query.incident_id))
    if not response.results:
        lines.append("No similar past incidents found.")
    for rank, result in enumerate(response.results, start=1):
        why = result.explanation
        label = result.reference or result.incident_id
        score = score_text(result.score)
        lines.append(f"{rank}. {label} {result.name} (score {score}, {_when(result.started_at)})")
        if why.shared_services:
            lines.append(f"   shared services: {', '.join(why.shared_services)}")
        if why.path:
            lines.append(f"   path: {why.path}")
        if why.lesson.root_cause:
            lines.append(f"   {why.lesson.cause_said}: {_short(why.lesson.root_cause)}")
        if why.lesson.resolution:
            lines.append(f"   {why.lesson.fix_said}: {_short(why.lesson.resolution)}")
        # Titles, not a count: the agent is asked what is still owed, and a count names nothing.
        still_open = [f for f in why.lesson.follow_ups if f.open]
        if still_open:
            shown = "; ".join(f.title + (f" ({f.priority})" if f.priority else "") for f in still_open[:3])
            more = f"; and {len(still_open) - 3} more" if len(still_open) > 3 else ""
            lines.append(f"   open follow-ups ({len(still_open)}): {shown}{more}")
    return "\n".join(lines)


def render_incident(response: IncidentDetailResponse) -> str:
    """An incident in a few lines: status, services, updates, lesson, follow-ups."""
    incident = response.incident
    props = incident.properties
    lines = [
        f"{_node_title(incident)} [{incident.id}] ({incident.visibility})",
        f"started {_when(incident.occurred_at)}; status {props.get('status', '?')}; "
        f"severity {props.get('severity', '?')}",
    ]
    if response.services:
        lines.append(f"services: {', '.join(response.services)}")
    if props.get("summary"):
        lines.append(f"summary: {_short(str(props['summary']), 400)}")
    if response.updates:
        lines.append(f"updates ({len(response.updates)}):")
        lines += [
            f"- {_when(u.occurred_at)}: {_short(u.text or str(u.properties.get('message', '')))}"
            for u in response.updates
        ]
    lesson = response.lesson
    for label, value in (
        (lesson.cause_said, lesson.root_cause),
        (lesson.fix_said, lesson.resolution),
        ("learnings", lesson.learnings),
    ):
        if value:
            lines.append(f"{label}: {_short(value, 400)}")
    if lesson.follow_ups:
        lines.append(f"follow-ups ({lesson.open_follow_ups} open):")
        lines += [f"- [{'open' if f.open else 'done'}] {f.title}" for f in lesson.follow_ups]
    return "\n".join(lines)


def _change_line(change: Change) -> str:
    where = f" ({change.placement})" if change.placement else ""
    summary = f": {_short(change.summary_line, 100)}" if change.summary_line else ""
    return f"- {_when(change.started_at)} {change.title}{where}{summary} [{change.id}]"


def _service_lines(service: ServiceContext) -> list[str]:
    lines = [f"{service.name} [{service.id}]"]
    for team in service.teams:
        members = ", ".join(m.name for m in team.members[:8]) + _more(len(team.members) - 8)
        lines.append(f"owned by {team.name}" + (f" ({members})" if team.members else ""))
    for shift in service.on_call:
        said = shift.provenance or shift.source
        lines.append(f"on call: {shift.person.name} ({shift.schedule_name}, {said})")
    if not service.on_call:
        lines.append("on call: nobody found on the synced schedules")
    if service.upstream:
        lines.append("depends on: " + ", ".join(f"{s.name} ({s.hops})" for s in service.upstream))
    if service.downstream:
        lines.append("depended on by: " + ", ".join(f"{s.name} ({s.hops})" for s in service.downstream))
    for brief in service.recent_incidents[:10]:
        active = " ACTIVE" if brief.active else ""
        lines.append(
            f"recent incident: {brief.reference or brief.id} {brief.name} ({_when(brief.started_at)}){active}"
        )
    if len(service.recent_incidents) > 10:
        left = len(service.recent_incidents) - 10
        lines.append(f"recent incidents: {left} more (`service.recent_incidents` in the structured content)")
    return lines


def _more(left: int) -> str:
    """`` and 3 more`` after a list cut short; nothing when it was not."""
    return f" and {left} more" if left > 0 else ""


def render_service(response: ServiceContextResponse) -> str:
    """A service's owners, on-call, dependencies, recent incidents and nearby changes."""
    lines = _service_lines(response.service)
    lines.append(f"changes in the {response.change_window_hours:g} h before {_when(response.at)}:")
    lines += [_change_line(c) for c in response.changes] or ["- none"]
    return "\n".join(lines)


def render_changes(response: ChangesResponse, *, most: int) -> str:
    """Changes in a window, newest first.

    Args:
        response: The changes.
        most: The largest ``limit`` the tool takes: a window cut there is narrowed, not listed longer.
    """
    scope = response.service or "the whole map"
    lines = [f"Changes to {scope} from {_when(response.since)} to {_when(response.until)}:"]
    lines += [_change_line(c) for c in response.changes] or ["- none"]
    if response.truncated:
        shown = len(response.changes)
        more = "raise `limit` or narrow" if shown < most else f"{most} is the most `limit` lists; narrow"
        lines.append(
            f"(only the newest {shown}: the window holds more; {more} the window with `until` and "
            "`hours` to see the older ones)"
        )
    return "\n".join(lines)


# Changes listed by an investigation's text; the rest are counted and left to the structured content.
_MOST_CHANGES = 10


def _investigation_details(response: InvestigationResponse) -> str:
    """The changes (each with its id) and the open follow-ups the summary has no room for.

    The summary is written for Slack: 15 lines, three changes named without ids, no follow-ups.
    An agent that reads the text alone learnt none of the open follow-ups the response holds.
    """
    lines: list[str] = []
    if response.changes:
        lines.append(f"Changes near it ({len(response.changes)}, newest first):")
        lines += [_change_line(c) for c in response.changes[:_MOST_CHANGES]]
        if len(response.changes) > _MOST_CHANGES:
            more = len(response.changes) - _MOST_CHANGES
            lines.append(f"- and {more} more (`changes` in the structured content; or recent_changes)")
    if response.follow_ups:
        lines.append(f"Open follow-ups of similar incidents ({len(response.follow_ups)}):")
        for follow_up in response.follow_ups:
            # Whom it is with: the person to ask how far the unfinished fix got.
            owner = f"assigned to {follow_up.assignee}" if follow_up.assignee else "unassigned"
            said = ", ".join(x for x in (follow_up.status, follow_up.priority, owner) if x)
            source = follow_up.incident_reference or follow_up.incident_id
            lines.append(
                f"- {follow_up.title}" + (f" ({said})" if said else "") + f", from {source} [{follow_up.id}]"
            )
    else:
        lines.append("Open follow-ups of similar incidents: none")
    return "\n".join(lines)


def render_investigation(
    response: InvestigationResponse, *, stored: bool = True, kept: str | None = None
) -> str:
    """The investigation's own markdown summary, its changes and open follow-ups, and its id when
    it is stored.

    Args:
        response: The investigation.
        stored: Whether it was read from the map; one built for this answer only has an id that
            names nothing, so the text says so and how to keep one instead.
        kept: The latest stored investigation's id, when one is stored but this one was built
            afresh (``rebuild``): the text said none was stored.
    """
    top = f"{response.closed_note}\n\n" if response.closed_note else ""
    body = f"{response.summary_markdown}\n\n{_investigation_details(response)}"
    if stored:
        notes = [f"stored investigation {response.id}, built {_when(response.built_at)}"]
        if response.superseded_by and response.superseded_at:
            newer = f"superseded by {response.superseded_by}, built {_when(response.superseded_at)}"
            notes.append(f"{newer}: read that one")
        if response.closed_at and not top:
            notes.append(f"closed {_when(response.closed_at)}")
        return f"{top}{body}\n\n({'; '.join(notes)})"
    incident = response.incident.reference or response.incident.id
    if kept is not None:
        return (
            f"{top}{body}\n\n(built just now for this answer, as `rebuild` asked, and not stored: its id "
            f"names nothing that can be fetched later. The latest stored investigation of {incident} is "
            f"{kept}: get_investigation answers it without `rebuild`.)"
        )
    return (
        f"{top}{body}\n\n(built just now for this answer and not stored: no stored "
        f"investigation of {incident} exists, and this one's id names nothing that can be fetched "
        f"later. To keep one, store it with `GET /v1/incidents/{incident}/investigation` or "
        f"`precedent investigate {incident}`; incident.io webhooks store one when an incident is declared.)"
    )


def render_neighbourhood(response: NeighbourhoodResponse) -> str:
    """Nodes by label, then edges, one per line, each end named as the CLI's table names it."""
    lines = [
        f"{len(response.nodes)} nodes, {len(response.edges)} edges"
        + (" (truncated by the node cap)" if response.truncated else "")
    ]
    if response.truncation_note:
        lines.append(response.truncation_note)
    lines += [f"- {_named(node)}" for node in sorted(response.nodes, key=lambda n: (n.label, n.id))]
    # An edge between two ULIDs says nothing to a reader; INC-59 -AFFECTS-> admin-portal does.
    names = {n.id: display_name(n.id, n.label, n.properties) for n in response.nodes}
    lines += [
        f"{names.get(e.source, e.source)} -{e.type}-> {names.get(e.target, e.target)}" for e in response.edges
    ]
    return "\n".join(lines)


def render_search(response: SearchResponse) -> str:
    """Hits, best first, with a snippet of their text."""
    lines = [f"Search {response.query!r}: {len(response.hits)} hits"]
    for hit in response.hits:
        node = hit.node
        # A follow-up's or an incident's status: "outstanding" and "completed" read alike without it.
        status = node.properties.get("status") if node.label in ("FollowUp", "Incident") else None
        said = ", ".join(
            str(x) for x in (f"on {hit.incident_reference}" if hit.incident_reference else None, status) if x
        )
        lines.append(f"- {_named(node)}" + (f" ({said})" if said else "") + f" score {hit.score}")
        if hit.snippet:
            lines.append(f"  {_short(hit.snippet)}")
    return "\n".join(lines)
