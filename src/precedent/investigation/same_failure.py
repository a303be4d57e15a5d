"""Precedent hypotheses that tell one failure, merged into the first of them.

Pure, as the other kinds are. Two precedents on different services whose root causes agree
(``lessons.causes_agree``) made two hypotheses with the same cause and the same fix, one under
the other ("pgbouncer in front of accounts-db hit max_client_conn ...", then the same of
ledger-db): the first now says the other failed the same way and cites it. Precedents on one
affected service whose causes agree are a recurrence instead (``recurrence``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.investigation.hypotheses import age_before, listed
from precedent.investigation.results import Evidence
from precedent.retrieval.lessons import causes_agree

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.investigation.results import Hypothesis, InvestigatedIncident, Precedent

__all__ = ["merge_same_failures"]


def merge_same_failures(
    incident: InvestigatedIncident,
    hypotheses: Sequence[Hypothesis],
    precedents: Sequence[Precedent],
    still_open: frozenset[str] = frozenset(),
) -> list[Hypothesis]:
    """Each precedent hypothesis whose cause agrees with a better one's, said in that one instead.

    The better one keeps its confidence and its advice (its own fix): only what it cites and the
    sentence naming the others are added, so no other hypothesis moves down. A precedent still
    open at the declaration is never merged: "part of it; join its responders" is its own advice.

    Args:
        incident: The incident as declared (ages count back from its declaration).
        hypotheses: ``precedent`` hypotheses, each citing its incident first.
        precedents: The precedents they were made from.
        still_open: Ids of the precedents not yet resolved at the declaration.
    """
    by_id = {p.incident_id: p for p in precedents}
    leads: list[tuple[Hypothesis, Precedent | None, list[Precedent]]] = []
    for hypothesis in sorted(hypotheses, key=lambda h: (-h.confidence, h.statement)):
        found = by_id.get(hypothesis.evidence[0].id) if hypothesis.evidence else None
        lead = next((entry for entry in leads if found and _agree(entry[1], found, still_open)), None)
        if lead is not None and found is not None:
            lead[2].append(found)
        else:
            leads.append((hypothesis, found, []))
    return [_said_with(incident, h, p, same) if p and same else h for h, p, same in leads]


def _agree(lead: Precedent | None, other: Precedent, still_open: frozenset[str]) -> bool:
    if lead is None or not (lead.root_cause and other.root_cause):
        return False
    if still_open & {lead.incident_id, other.incident_id}:
        return False
    names = (*lead.shared_services, *other.shared_services)
    return causes_agree(lead.root_cause, other.root_cause, names)


def _said_with(
    incident: InvestigatedIncident, hypothesis: Hypothesis, lead: Precedent, same: Sequence[Precedent]
) -> Hypothesis:
    """``...; INC-89 ('ledger-db requests timing out', 2 months before) failed the same way; ...``."""
    named = []
    for p in same:
        age = age_before(incident, p)
        named.append(f"{p.label} ({p.name!r}{f', {age} before' if age else ''})")
    verb = {1: "failed", 2: "both failed"}.get(len(same), "all failed")
    also = f"{listed(named, 3, ', ')} {verb} the same way"
    # The advice stays last: a short form (Slack's line) cuts what precedes it.
    advice = f"{hypothesis.advice}."
    if hypothesis.advice and hypothesis.statement.endswith(advice):
        statement = f"{hypothesis.statement.removesuffix(advice)}{also}; {advice}"
    else:
        statement = f"{hypothesis.statement.removesuffix('.')}; {also}."
    cited = [
        Evidence("incident", p.incident_id, p.label, f"the same root cause as {lead.label}") for p in same
    ]
    return replace(hypothesis, statement=statement, evidence=(*hypothesis.evidence, *cited))
