"""Pure hypotheses from gathered evidence, of four kinds: no store, no model, no I/O.

Each kind is made only from evidence it cites by id:

* ``same_service``: another incident open on an affected service itself at the declaration: the
  strongest hint that the two are one failure (or this one its duplicate), ranked above a
  dependency's.

* ``change``: a change on an affected service or near it, shortly before the declaration. Closer
  in time and in the graph ranks higher, and more so when similar past incidents were caused by
  a change; one with no dependency path to an affected service (a sibling) ranks far lower and
  says so. The statement says the path.
* ``precedent``: a close similar incident whose root cause (or fix) is known, with what to do if
  this is it again (its fix, its follow-ups still open and whom each is with, or whom to ask);
  one far in meaning (``Precedent.closeness``) weighs less, however it ranked among the rest.
* ``dependency``: an upstream service with an incident active at the declaration, or started
  shortly before it.

The fifth, ``recurrence``, is in ``recurrence``; ``ranking`` puts them together. Confidences are
in [0, 1] and comparable across kinds.
"""

from __future__ import annotations

import math
import re
from datetime import UTC
from typing import TYPE_CHECKING

from precedent.investigation.results import Evidence, Hypothesis
from precedent.retrieval.shortening import shortened

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.investigation.results import (
        Change,
        IncidentBrief,
        InvestigatedIncident,
        Precedent,
        ServiceContext,
    )

__all__ = [
    "TOLD_WEIGHT",
    "age_before",
    "age_text",
    "change_confidence",
    "change_hypotheses",
    "change_share",
    "dependency_hypotheses",
    "listed",
    "precedent_hypotheses",
    "same_service_hypotheses",
    "supports",
]

# How strongly each feature counts; see benchmarks/investigation.py for how they were checked.
_HOP_WEIGHT = (1.0, 0.8, 0.6)
# No dependency path (``unlinked``: only a service depending on both joins them) weighs least: a
# sibling's deploy ranked beside a dependency's.
_RELATION_WEIGHT = {"affected": 1.0, "upstream": 1.0, "downstream": 0.9, "nearby": 0.8, "unlinked": 0.25}
_KIND_WEIGHT = {"deploy": 1.0, "config": 1.0, "feature_flag": 0.95, "infrastructure": 0.9, "other": 0.75}
_TIME_SCALE_MINUTES = 120.0  # a change 2 h before counts half as much as one just before
_MIN_CONFIDENCE = 0.03
_SAME_SERVICE_CONFIDENCE = 0.7  # above an active upstream incident's 0.5 and any precedent's
_RECENT_DEPENDENCY_HOURS = 6.0
_PRECEDENT_CEILING = 0.35
# A precedent this close in meaning (``Precedent.closeness``, a cosine of 0.55) or closer counts
# whole; one further off counts in proportion. On the demo's map a close precedent measures 0.45
# to 0.85, and the best match of a description no past incident resembles ("the zorblax
# telemetry emitter spews gribbles") 0.17, which was ranked at the ceiling (25%) as the best of
# its list.
_CLOSE_ENOUGH = 0.5


def age_text(minutes: float) -> str:
    """``under a minute``, ``12 min``, ``3 h``, ``4 days``, ``3 weeks``, ``5 months``: how long."""
    if minutes < 0.5:
        # CI records a deploy and the incident is declared seconds later: "0 min before" read as
        # a clock or data error on the likeliest cause of all.
        return "under a minute"
    if minutes < 90:
        return f"{max(0, round(minutes))} min"
    hours = minutes / 60
    if hours < 36:
        return f"{round(hours)} h"
    days = hours / 24
    if days < 14:
        return f"{round(days)} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30)} months"


def age_before(incident: InvestigatedIncident, precedent: Precedent) -> str | None:
    """How long before ``incident`` was declared ``precedent`` started (``age_text``); ``None`` when
    either time is unknown. Counted back from the declaration, never from now: "ago" would be wrong
    once the investigation is read later."""
    if incident.declared_at is None or precedent.started_at is None:
        return None
    return age_text((incident.declared_at - precedent.started_at).total_seconds() / 60)


def listed(items: Sequence[str], shown: int, sep: str) -> str:
    """The first ``shown`` items, and how many more: a count never disagrees with the names beside it."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return sep.join(items[:shown]) + more


def change_share(precedents: Sequence[Precedent], top: int = 5) -> float:
    """The share of the closest precedents that a change caused (0 when there are none)."""
    close = list(precedents[:top])
    return sum(p.caused_by_change for p in close) / len(close) if close else 0.0


def change_confidence(change: Change, share: float) -> float:
    """How likely ``change`` caused the incident.

    Args:
        change: A change before the declaration, with its minutes before and hops away.
        share: The share of similar past incidents caused by a change (``change_share``).
    """
    minutes = max(change.minutes_before or 0.0, 0.0)
    time_weight = 1.0 / (1.0 + minutes / _TIME_SCALE_MINUTES)
    graph_weight = _HOP_WEIGHT[min(change.hops, len(_HOP_WEIGHT) - 1)] * _RELATION_WEIGHT[change.relation]
    prior = 0.7 + 0.25 * share
    return round(0.95 * time_weight * graph_weight * _KIND_WEIGHT[change.kind] * prior, 3)


def _hops(hops: int) -> str:
    return "1 hop" if hops == 1 else f"{hops} hops"


def _where(change: Change) -> str:
    """Where the change was, by its dependency path to the affected service (the one it cites)."""
    here, via, between = change.service_name, change.via, " and ".join(change.through)
    # Two hops away is said so: "which depends on auth-api" read as a direct dependent. The
    # services between are named when known (not in investigations stored before they were).
    through = (
        f" through {between}" if between else (f", {_hops(change.hops)} away" if change.hops > 1 else "")
    )
    if change.relation == "affected":
        return f"on {here}, an affected service"
    if change.relation == "upstream":
        return f"on {here}, which {via} depends on{through}"
    if change.relation == "downstream":
        return f"on {here}, which depends on {via}{through}"
    if change.relation == "unlinked":
        # Found within two hops through the one service depending on both.
        parent = f" ({between} depends on both)" if len(change.through) == 1 else ""
        return f"on {here}, with no known dependency path to {via}{parent}"
    if between:
        return f"on {here}, which shares a dependency with {via}{through}"
    return f"on {here}, {_hops(change.hops)} from {via}"


def _named(change: Change) -> str:
    """The change as its hypothesis names it: ``deploy of checkout 1.4.2``, or, with no version, what
    else tells it apart (when it started, and what its summary says or its commit).

    Two deploys of one service without a version made two hypotheses that read word for word the
    same; which one to roll back could not be told.
    """
    if change.version:
        return change.title
    parts = [f"started {change.started_at.astimezone(UTC):%H:%M} UTC"] if change.started_at else []
    if change.summary_line:
        parts.append(f'"{shortened(change.summary_line, 60)}"')
    elif change.commit_sha:
        parts.append(f"commit {change.commit_sha[:12]}")
    return f"{change.title} ({', '.join(parts)})" if parts else change.title


def supports(precedent: Precedent, change: Change) -> bool:
    """Whether a similar past incident caused by a change speaks for ``change`` in particular.

    It does when one of its suspected changes was to the same service and of the same kind (an
    unknown kind matches any), or when its root cause or resolution names the service ("We
    rolled back auth-api to ...": many incidents record no suspected change), unless every
    change it records was to another service: "A payments-api config change made checkout time
    out" followed a change to payments-api, not to checkout.
    """
    if not precedent.caused_by_change:
        return False
    suspected = precedent.suspected_changes
    # Each tool spells a service its own way ("Checkout", "checkout"); the cause's text is read
    # ignoring case too.
    here = change.service_name.casefold()
    if any(
        (s.service_name or "").casefold() == here
        and (s.kind == change.kind or "other" in {s.kind, change.kind})
        for s in suspected
    ):
        return True
    if suspected and all(s.service_name is not None and s.service_name.casefold() != here for s in suspected):
        return False
    named = re.compile(rf"(?<![\w-]){re.escape(change.service_name)}(?![\w-])", re.IGNORECASE)
    return any(named.search(text or "") for text in (precedent.root_cause, precedent.resolution))


def change_hypotheses(
    incident: InvestigatedIncident, changes: Sequence[Change], precedents: Sequence[Precedent]
) -> list[Hypothesis]:
    """One hypothesis per change before the declaration, citing it and the precedents that support it.

    Only a close precedent caused by a change like this one (``supports``) is cited: every
    change hypothesis cited the same change-caused precedents, whatever service or kind of
    change each was about.
    """
    share = change_share(precedents)
    caused = [p for p in precedents[:5] if p.caused_by_change]
    out = []
    for change in changes:
        if change.minutes_before is None or change.minutes_before < 0:
            continue
        confidence = change_confidence(change, share)
        if confidence < _MIN_CONFIDENCE:
            continue
        who = f" by {change.author}" if change.author else ""
        advice = "roll it back if the symptoms started after it"
        backing = [p for p in caused if supports(p, change)][:3]
        to = f"to {change.service_name}"
        if backing:
            labels = [p.label for p in backing]
            if len(labels) == 1:
                advice += f" ({labels[0]}, a similar incident, followed a change {to})"
            else:
                advice += (
                    f" ({', '.join(labels[:-1])} and {labels[-1]}, similar incidents, followed changes {to})"
                )
        statement = (
            f"Check the {_named(change)}{who}, {age_text(change.minutes_before)} before {incident.label} "
            f"was declared, {_where(change)}: {advice}."
        )
        kind = change.kind.replace("_", " ")
        why = f"{kind} {age_text(change.minutes_before)} before declaration, {_where(change)}"
        evidence = [Evidence("change", change.id, change.title, why)]
        evidence += [
            Evidence("incident", p.incident_id, p.label, f"a similar past incident caused by a change {to}")
            for p in backing
        ]
        out.append(Hypothesis(statement, confidence, "change", tuple(evidence), advice))
    return out


def _lesson_parts(precedent: Precedent, *, fix: bool = True) -> list[str]:
    """``root cause: ...`` and (unless not ``fix``) ``resolved by: ...``, as far as they are known."""
    parts = []
    if precedent.root_cause:
        parts.append(f"{precedent.cause_said}: {precedent.root_cause.rstrip('.')}")
    if fix and precedent.resolution:
        parts.append(f"{precedent.fix_said}: {precedent.resolution.rstrip('.')}")
    return parts


def precedent_hypotheses(
    incident: InvestigatedIncident, precedents: Sequence[Precedent], active: frozenset[str] = frozenset()
) -> list[Hypothesis]:
    """``Check whether this is INC-47 (3 weeks before) again ...; root cause: ...; if it is, ...``.

    Made for a precedent whose root cause or fix is known. It ends with what to do if it is
    (``Hypothesis.advice``): apply its fix again, apply its follow-ups still open, or ask its
    responders how they resolved it.

    Ages are counted back from the declaration, as every time in an investigation is ("7 min
    before"), never from now: an investigation is read, and replayed, long after it was built.

    A precedent in ``active`` (ids of incidents still open at the declaration) is not over, so
    this cannot be it "again": it is asked whether this is part of it.
    """
    if not precedents:
        return []
    top = max(p.score for p in precedents) or 1.0
    out = []
    for rank, precedent in enumerate(precedents):
        still_open = precedent.incident_id in active
        # One still open then has no resolution yet; whether this is part of it is worth asking.
        if not (precedent.root_cause or precedent.resolution or still_open):
            continue
        age = age_before(incident, precedent)
        elsewhere = _elsewhere(precedent)
        if still_open:
            since = f", started {age} before" if age else ""
            parts = [
                f"Check whether this is part of {precedent.label}, still open when {incident.label} "
                f"was declared{since}{', ' + elsewhere if elsewhere else ''}, {precedent.name!r}"
            ]
        else:
            said = ", ".join(x for x in (f"{age} before" if age else "", elsewhere) if x)
            before = f" ({said})" if said else ""
            parts = [f"Check whether this is {precedent.label}{before} again, {precedent.name!r}"]
        # The fix is said in the advice (``_precedent_advice``), once.
        parts += _lesson_parts(precedent, fix=False)
        advice = _precedent_advice(precedent, still_open)
        strength = precedent.score / top
        confidence = (
            _PRECEDENT_CEILING
            * strength
            * (0.85**rank)
            * _lesson_weight(precedent)
            * _closeness_weight(precedent)
        )
        if precedent.shared_services:
            confidence += 0.05
        # "; " as the pages join them: a reason names its shared words with ", ".
        reasons = "; ".join(precedent.reasons) or "similar"
        evidence = [Evidence("incident", precedent.incident_id, precedent.label, f"similar: {reasons}")]
        evidence += [Evidence("follow_up", f.id, f.title, f.why) for f in precedent.follow_ups[:5]]
        statement = "; ".join([*parts, advice]) + "."
        out.append(Hypothesis(statement, round(confidence, 3), "precedent", tuple(evidence), advice))
    return out


def _elsewhere(precedent: Precedent) -> str:
    """``on search-api`` for a precedent that affected none of the investigated incident's services.

    Its words matched ("Search results missing") but not its place: said as "this is INC-160
    again", the fix of another service's failure read as one for this service.
    """
    if precedent.shared_services or not precedent.services:
        return ""
    return f"on {listed(precedent.services, 2, ', ')}"


def _precedent_advice(precedent: Precedent, still_open: bool) -> str:
    """What to do if this is ``precedent`` again: its fix, its unfinished follow-ups, or whom to ask.

    The fix is in the advice, not before it: a short form (Slack's line) keeps the advice and
    cuts what precedes it, and "apply its fix again" without the fix sends the responder to read
    the incident.
    """
    if still_open:
        # Not over: no fix is known to have worked, and its responders are at work on it now.
        said = ["join its responders"]
    elif precedent.resolution:
        said = [f"apply its fix again ({precedent.fix_said}: {precedent.resolution.rstrip('.')})"]
    elif not precedent.follow_ups:
        said = ["ask its responders how they resolved it: no fix is recorded"]
    else:
        said = []
    if precedent.follow_ups:
        # Whom each is assigned to is said beside it: "apply it" left the responder to find who
        # had the unfinished work, and how far it got.
        titles = listed([f.said for f in precedent.follow_ups], 2, "; ")
        if len(precedent.follow_ups) == 1:
            said.append(f"its follow-up is still open ({titles}): apply it")
        else:
            said.append(f"its {len(precedent.follow_ups)} follow-ups are still open ({titles}): apply them")
    return "if it is, " + "; ".join(said)


TOLD_WEIGHT = 0.7
"""A cause read from status updates is what responders believed then, not a written-up finding:
it weighs as a resolution alone does. Counted as written-up ones, these lessons pushed the change
later named as the cause out of the first place on 8 of 96 incidents
(notebooks/04_investigation_review on the demo's map)."""


def _closeness_weight(precedent: Precedent) -> float:
    """1 for a precedent close in meaning (or not measured), less for one further off."""
    if precedent.closeness is None:
        return 1.0
    return min(1.0, max(0.0, precedent.closeness) / _CLOSE_ENOUGH)


def _lesson_weight(precedent: Precedent) -> float:
    return 1.0 if precedent.root_cause and not precedent.from_updates else TOLD_WEIGHT


def _open_on_affected(
    incident: InvestigatedIncident,
    services: Sequence[ServiceContext],
    nearby_incidents: Mapping[str, Sequence[IncidentBrief]],
) -> dict[str, tuple[ServiceContext, IncidentBrief]]:
    """Other incidents active on an affected service itself at the declaration, by id (first service)."""
    found: dict[str, tuple[ServiceContext, IncidentBrief]] = {}
    for service in services:
        for brief in nearby_incidents.get(service.id, ()):
            if brief.active and brief.id != incident.id:
                found.setdefault(brief.id, (service, brief))
    return found


def same_service_hypotheses(
    incident: InvestigatedIncident,
    services: Sequence[ServiceContext],
    nearby_incidents: Mapping[str, Sequence[IncidentBrief]],
    precedents: Sequence[Precedent] = (),
) -> list[Hypothesis]:
    """``Check whether this is the same failure as INC-9001 ..., open on checkout-api itself``.

    An incident already open on the same service is the likeliest explanation of all: one
    failure reported twice, or this one a duplicate. Said as such, never as "upstream", even when
    it also touches a dependency. What a precedent knows of it (a cause or fix already found) is
    said too: ``rank_hypotheses`` then makes no precedent hypothesis of it.
    """
    known = {p.incident_id: p for p in precedents}
    out = []
    for service, brief in _open_on_affected(incident, services, nearby_incidents).values():
        label = brief.reference or brief.id
        since = ""
        if incident.declared_at and brief.started_at:
            minutes = (incident.declared_at - brief.started_at).total_seconds() / 60
            since = f", started {age_text(minutes)} before {incident.label} was declared"
        statement = (
            f"Check whether this is the same failure as {label} {brief.name!r}, still open on "
            f"{service.name} itself{since}: join its responders, or close this one as its duplicate"
        )
        lesson = known.get(brief.id)
        statement = "; ".join([statement, *(_lesson_parts(lesson) if lesson else ())])
        evidence = (
            Evidence("incident", brief.id, label, f"open on {service.name}, an affected service"),
            Evidence("service", service.id, service.name, "an affected service"),
        )
        out.append(Hypothesis(statement + ".", _SAME_SERVICE_CONFIDENCE, "same_service", evidence))
    return out


def dependency_hypotheses(
    incident: InvestigatedIncident,
    services: Sequence[ServiceContext],
    nearby_incidents: Mapping[str, Sequence[IncidentBrief]],
) -> list[Hypothesis]:
    """An upstream service with an incident active at the declaration, or started shortly before.

    An incident on an affected service itself is never "upstream", whatever dependencies it also
    touches (nor is the incident itself): open, it is left to ``same_service_hypotheses``;
    resolved, it is a precedent if the finder found it one, and said nowhere else.
    """
    at = incident.declared_at
    # Every incident on an affected service, resolved ones too: one on checkout and its database,
    # resolved an hour before, read as "Check upstream catalog-db".
    here = {incident.id, *(b.id for s in services for b in nearby_incidents.get(s.id, ()))}
    out: dict[str, Hypothesis] = {}
    for service in services:
        for dep in service.upstream:
            for brief in nearby_incidents.get(dep.id, ()):
                if at is None or brief.started_at is None or brief.id in here:
                    continue
                minutes = (at - brief.started_at).total_seconds() / 60
                recent = minutes <= _RECENT_DEPENDENCY_HOURS * 60
                if not (brief.active or recent):
                    continue
                base = 0.5 if brief.active else 0.3 * math.exp(-minutes / 180)
                confidence = round(base * (1.0 if dep.hops == 1 else 0.75), 3)
                state = "active" if brief.active else "started"
                label = brief.reference or brief.id
                statement = (
                    f"Check upstream {dep.name}, which {service.name} depends on: {label} {brief.name!r} "
                    f"{state} on it {age_text(minutes)} before {incident.label} was declared"
                )
                evidence = (
                    Evidence(
                        "incident", brief.id, label, f"{state} on {dep.name} {age_text(minutes)} before"
                    ),
                    Evidence(
                        "service", dep.id, dep.name, f"{service.name} depends on it ({_hops(dep.hops)})"
                    ),
                )
                hypothesis = Hypothesis(statement + ".", confidence, "dependency", evidence)
                if brief.id not in out or out[brief.id].confidence < confidence:
                    out[brief.id] = hypothesis
    return list(out.values())
