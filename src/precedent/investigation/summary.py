"""The Slack-ready summary of an investigation: at most about 15 lines, most useful first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.investigation.hypotheses import age_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.investigation.results import (
        Change,
        Hypothesis,
        InvestigatedIncident,
        Precedent,
        ServiceContext,
    )

__all__ = ["summary_markdown"]

_LINE = 220


def _cut(text: str, limit: int = _LINE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _precedent_line(p: Precedent, incident: InvestigatedIncident) -> str:
    when = ""
    if incident.declared_at and p.started_at:
        when = f" ({age_text((incident.declared_at - p.started_at).total_seconds() / 60)} ago)"
    lesson = "; ".join(
        x
        for x in (
            f"cause: {p.root_cause}" if p.root_cause else "",
            f"fix: {p.resolution}" if p.resolution else "",
        )
        if x
    )
    return _cut(f"• *{p.label}*{when} {p.name}" + (f": {lesson}" if lesson else ""))


def _people_line(services: Sequence[ServiceContext]) -> str | None:
    parts = []
    for service in services[:3]:
        teams = ", ".join(t.name for t in service.teams) or "no owner in the map"
        on_call = ", ".join(dict.fromkeys(o.person.name for o in service.on_call))
        parts.append(f"{service.name}: {teams}" + (f" (on call: {on_call})" if on_call else ""))
    return _cut("*Owners*: " + "; ".join(parts), 300) if parts else None


def _changes_line(changes: Sequence[Change]) -> str | None:
    if not changes:
        return None
    shown = [
        f"{c.title}" + (f" ({age_text(c.minutes_before)} before)" if c.minutes_before is not None else "")
        for c in changes[:3]
    ]
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return _cut("*Recent changes*: " + ", ".join(shown) + more, 300)


def summary_markdown(
    incident: InvestigatedIncident,
    hypotheses: Sequence[Hypothesis],
    precedents: Sequence[Precedent],
    services: Sequence[ServiceContext],
    changes: Sequence[Change],
    *,
    page: str | None = None,
) -> str:
    """Render the top hypotheses, three precedents, owners and on-call, and recent changes.

    Args:
        incident: The incident as declared.
        hypotheses: Ranked best first.
        precedents: Similar past incidents, best first.
        services: The affected services' contexts.
        changes: Changes near the incident, newest first.
        page: The investigation's web page, linked on the last line when given.

    Returns:
        Slack mrkdwn (``*bold*``), at most 15 lines.
    """
    title = f"*{incident.label}: {incident.name}*" if incident.reference else f"*{incident.name}*"
    lines = [_cut(title + (f" ({incident.severity})" if incident.severity else ""))]
    if hypotheses:
        lines.append("*Likely causes*")
        lines += [
            _cut(f"{n}. {h.statement} ({round(h.confidence * 100)}%)")
            for n, h in enumerate(hypotheses[:3], 1)
        ]
    else:
        lines.append("_No hypothesis: the map holds no change, precedent or dependency incident near it._")
    if precedents:
        lines.append("*Precedents*")
        lines += [_precedent_line(p, incident) for p in precedents[:3]]
    lines += [x for x in (_people_line(services), _changes_line(changes)) if x]
    if page:
        return "\n".join([*lines[:14], f"<{page}|Read the whole investigation>"])
    return "\n".join(lines[:15])
