"""Every kind of hypothesis together, best first, a few of each: ties break by statement, so the
order is the same on every run and store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.investigation.hypotheses import (
    change_hypotheses,
    dependency_hypotheses,
    precedent_hypotheses,
    same_service_hypotheses,
)
from precedent.investigation.recurrence import above_members, recurrence_hypotheses, said_by_recurrences
from precedent.investigation.same_failure import merge_same_failures

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from precedent.investigation.results import (
        Change,
        Hypothesis,
        IncidentBrief,
        InvestigatedIncident,
        Precedent,
        ServiceContext,
    )

__all__ = ["rank_hypotheses"]

_MAX_PER_KIND = {"same_service": 3, "change": 5, "precedent": 3, "dependency": 3, "recurrence": 2}


def _active(nearby_incidents: Mapping[str, Sequence[IncidentBrief]]) -> frozenset[str]:
    return frozenset(b.id for briefs in nearby_incidents.values() for b in briefs if b.active)


def rank_hypotheses(
    incident: InvestigatedIncident,
    changes: Sequence[Change],
    precedents: Sequence[Precedent],
    services: Sequence[ServiceContext],
    nearby_incidents: Mapping[str, Sequence[IncidentBrief]],
    still_open: frozenset[str] = frozenset(),
) -> tuple[Hypothesis, ...]:
    """Every hypothesis the evidence supports, best first, a few per kind.

    Args:
        incident: The incident as declared.
        changes: Changes near it, each with minutes before and hops away.
        precedents: Similar past incidents, best first.
        services: The affected services' contexts.
        nearby_incidents: Incidents on every service within two hops, by service id.
        still_open: Ids of the precedents not yet resolved at the declaration
            (``precedents.still_open``).
    """
    active = _active(nearby_incidents) | still_open
    same = same_service_hypotheses(incident, services, nearby_incidents, precedents)
    # One statement per open incident: "the same failure as INC-9" says more than "part of INC-9".
    said = {h.evidence[0].id for h in same}
    alone = [h for h in precedent_hypotheses(incident, precedents, active) if h.evidence[0].id not in said]
    recurrences = _best(above_members(recurrence_hypotheses(incident, services, precedents, active), alone))
    # One hypothesis per failure: a recurrence says what each incident it counts would say.
    counted = said_by_recurrences(recurrences, precedents, active)
    kinds = (
        same,
        change_hypotheses(incident, changes, precedents),
        merge_same_failures(
            incident, [h for h in alone if h.evidence[0].id not in counted], precedents, active
        ),
        dependency_hypotheses(incident, services, nearby_incidents),
    )
    kept = [*recurrences, *(h for found in kinds for h in _best(found))]
    return tuple(sorted(kept, key=lambda h: (-h.confidence, h.statement)))


def _best(found: Sequence[Hypothesis]) -> list[Hypothesis]:
    """The best few of one kind, by confidence then statement."""
    ordered = sorted(found, key=lambda h: (-h.confidence, h.statement))
    return [h for h in ordered if h.evidence][: _MAX_PER_KIND[ordered[0].kind] if ordered else 0]
