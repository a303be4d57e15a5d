"""Recurrences: a failure that keeps coming back on an affected service, as a hypothesis.

Pure, as the other kinds (``hypotheses``) are. A recurrence is the precedents on a service whose
root causes agree, said in one of their words, with its open follow-ups (a precedent still open
at the declaration is said to be, never "the fix that worked").
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.investigation.hypotheses import TOLD_WEIGHT, listed
from precedent.investigation.results import Evidence, Hypothesis
from precedent.retrieval.lessons import cause_in_brief, causes_agree

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.investigation.results import InvestigatedIncident, Precedent, ServiceContext

__all__ = ["above_members", "recurrence_hypotheses", "said_by_recurrences"]


def _told_text(told: Sequence[str], grouped: int) -> str:
    """Which causes of a recurrence's ``grouped`` precedents were read from status updates, if any."""
    if not told:
        return ""
    if len(told) == grouped:
        return "; causes as their status updates said"
    if len(told) == 1:
        return f"; {told[0]}'s cause as its status updates said"
    return f"; causes of {', '.join(told[:-1])} and {told[-1]} as their status updates said"


def _still_open_text(labels: Sequence[str]) -> str:
    """``INC-7 is still open: its responders may know more`` (no fix is known to have worked)."""
    if len(labels) == 1:
        return f"{labels[0]} is still open: its responders may know more"
    return f"{listed(labels, 3, ', ')} are still open: their responders may know more"


def recurrence_hypotheses(
    incident: InvestigatedIncident,
    services: Sequence[ServiceContext],
    precedents: Sequence[Precedent],
    still_open: frozenset[str] = frozenset(),
) -> list[Hypothesis]:
    """A failure that keeps recurring on an affected service: precedents on it whose causes agree.

    Two or more precedents on the service whose root causes agree (``_same_cause``); none when
    they disagree. A cause read from status updates counts when another precedent's cause agrees
    with it: two incidents whose responders named the same failure are a recurrence whether or not
    anyone wrote a post-mortem. The statement then says where the causes came from, and the
    hypothesis weighs a little less than one resting on post-mortems alone. It says the failure
    they share (``_shared_cause``), then the fix or the unfinished work.

    A precedent in ``still_open`` (ids of incidents not resolved at the declaration) has no fix
    known to have worked: the advice says it is still open rather than "apply the fix".
    """
    out = []
    counted: set[frozenset[str]] = set()
    for service in services:
        on_it = _same_cause([p for p in precedents if service.name in p.shared_services and p.root_cause])
        members = frozenset(p.incident_id for p in on_it)
        # Incidents that affected two of the affected services made the same recurrence twice.
        if len(on_it) < 2 or members in counted:
            continue
        counted.add(members)
        told = [p.label for p in on_it if p.from_updates]
        open_items = [f for p in on_it for f in p.follow_ups]
        unresolved = [p.label for p in on_it if p.incident_id in still_open]
        resolved = [p.label for p in on_it if p.incident_id not in still_open]
        said = []
        # The fix is named beside the unfinished follow-ups too: the precedent hypotheses of the
        # incidents counted are dropped for it (``said_by_recurrences``), and theirs named it.
        if not unresolved and (_last_fix(on_it) or not open_items):
            said.append(f"apply the fix that worked last time{_last_fix(on_it)}")
        elif resolved and unresolved and (_last_fix(on_it, still_open) or not open_items):
            fix = _last_fix(on_it, still_open, named=len(resolved) > 1)
            said.append(f"apply the fix that worked in {listed(resolved, 3, ', ')}{fix}")
        if open_items:
            titles = listed([f.said for f in open_items], 2, "; ")
            # Named, not "from them": the incidents counted may have failed in different ways,
            # and a responder should see which one the unfinished work came from.
            sources = list(dict.fromkeys(f.incident_reference or f.incident_id for f in open_items))
            still = "follow-up" if len(open_items) == 1 else "follow-ups"
            verb = "is" if len(open_items) == 1 else "are"
            said.append(
                f"{len(open_items)} {still} from {listed(sources, 3, ', ')} {verb} still open "
                f"({titles}): apply their fixes"
            )
        if unresolved:
            said.append(_still_open_text(unresolved))
        advice = "; ".join(said)
        # The cause comes first and the incidents after it: a short form (Slack's line) cuts what
        # precedes the advice from its end, and the failure says more than the list of its dates.
        cause = _shared_cause(on_it)
        statement = (
            f"{service.name} keeps failing this way{': ' + cause if cause else ''} "
            f"({len(on_it)} similar incidents on it: {listed([p.label for p in on_it], 4, ', ')}"
            f"{_told_text(told, len(on_it))}); {advice}."
        )
        confidence = min(0.45, 0.15 + 0.05 * len(on_it) + (0.05 if open_items else 0.0))
        if told:
            confidence *= TOLD_WEIGHT
        evidence = [
            Evidence("incident", p.incident_id, p.label, f"similar incident on {service.name}") for p in on_it
        ]
        evidence += [Evidence("follow_up", f.id, f.title, f.why) for f in open_items[:5]]
        out.append(Hypothesis(statement, round(confidence, 3), "recurrence", tuple(evidence), advice))
    return out


def said_by_recurrences(
    recurrences: Sequence[Hypothesis],
    precedents: Sequence[Precedent],
    still_open: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """Ids of the incidents counted by ``recurrences`` whose own precedent hypothesis says nothing more.

    A recurrence says the failure its incidents share, the fix of the latest resolved, every
    open follow-up: beside it, "Check whether this is INC-105 again ...; apply its fix again
    (...)" repeated the same fix a line lower. An incident counted with a different fix keeps its
    hypothesis (that fix is worth trying too), and so does one still open at the declaration:
    "this may be part of it; join its responders" is not said by the recurrence.

    Args:
        recurrences: The recurrence hypotheses kept.
        precedents: The precedents they were made from.
        still_open: Ids of the precedents not yet resolved at the declaration.
    """
    by_id = {p.incident_id: p for p in precedents}
    said: set[str] = set()
    for recurrence in recurrences:
        on_it = [by_id[e.id] for e in recurrence.evidence if e.kind == "incident" and e.id in by_id]
        fixed = [p for p in on_it if p.resolution and p.incident_id not in still_open]
        named = _latest(fixed) if fixed else None
        for p in on_it:
            if p.incident_id in still_open:
                continue
            if not p.resolution or (named is not None and _same_fix(p, named)):
                said.add(p.incident_id)
    return frozenset(said)


def _same_fix(first: Precedent, second: Precedent) -> bool:
    a, b = (" ".join((p.resolution or "").casefold().rstrip(".").split()) for p in (first, second))
    return a == b or causes_agree(a, b, (*first.shared_services, *second.shared_services))


def _last_fix(
    on_it: Sequence[Precedent], still_open: frozenset[str] = frozenset(), *, named: bool = True
) -> str:
    """`` (INC-194: we added nodes)``: what resolved the latest of them that was resolved, if said.

    "The fix that worked last time" alone sent the responder to read each incident to find it.
    ``named=False`` leaves out the incident when the statement has just named it.
    """
    fixed = [p for p in on_it if p.resolution and p.incident_id not in still_open]
    if not fixed:
        return ""
    latest = _latest(fixed)
    fix = (latest.resolution or "").rstrip(".")
    return f" ({latest.label}: {fix})" if named else f" ({fix})"


def _shared_cause(on_it: Sequence[Precedent]) -> str:
    """The failure a recurrence's precedents share, as the latest written up says it (``cause_in_brief``).

    Their causes agree, so one stands for all: "keeps failing this way" alone sent the responder
    to read each incident to learn which way. A cause told in status updates speaks only when
    none was written up: beside "INC-3's cause as its status updates said", a cause shown
    without saying whose is read as the written-up one.
    """
    written = [p for p in on_it if not p.from_updates]
    latest = _latest(written or on_it)
    return cause_in_brief(latest.root_cause or "", latest.shared_services).rstrip(".\u3002")


def _latest(precedents: Sequence[Precedent]) -> Precedent:
    return max(precedents, key=lambda p: p.started_at.timestamp() if p.started_at else -math.inf)


def above_members(recurrences: Sequence[Hypothesis], precedents: Sequence[Hypothesis]) -> list[Hypothesis]:
    """Each recurrence ranked just above the best hypothesis of one incident it counts.

    It says all they say (the cause they share, the fix, the unfinished follow-ups) and that it
    happened more than once: below them, it came after two or three near copies of itself.
    """
    alone = {h.evidence[0].id: h.confidence for h in precedents if h.evidence}
    out = []
    for h in recurrences:
        best = max((alone.get(e.id, 0.0) for e in h.evidence if e.kind == "incident"), default=0.0)
        out.append(replace(h, confidence=round(max(h.confidence, best + 0.01), 3)))
    return out


def _same_cause(on_service: Sequence[Precedent]) -> list[Precedent]:
    """The most precedents whose root causes all agree (``lessons.causes_agree``).

    Ties go to the group led by the closer precedent. Precedents that failed in different ways
    are not "this way" again: two incidents on one service with unrelated causes made a
    recurrence whose fix "worked last time" was another failure's.
    """
    best: list[Precedent] = []
    for lead, first in enumerate(on_service):
        group = [first]
        for other in on_service[lead + 1 :]:
            if all(_agree(member, other) for member in group):
                group.append(other)
        if len(group) > len(best):
            best = group
    return best


def _agree(first: Precedent, second: Precedent) -> bool:
    names = (*first.shared_services, *second.shared_services)
    return causes_agree(first.root_cause or "", second.root_cause or "", names)
