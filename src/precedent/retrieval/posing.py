"""Poses a query as it looked when declared: the part of ranking that reads the query incident.

An incident in the map is posed from what was known when it was declared: its name and first
updates posted before it was resolved, its affected services, its severity at the declaration,
its type and start time; never its final summary, post-mortem, resolution update or a later
escalation, which give the answer away (a replay ranks on what a run at the declaration saw).
A described incident is taken as given, with services resolved against the catalog (a
service the map does not hold yet is kept and reported, with the services it may have meant)
and its severity and type checked against the map's: a value the map does not know would
silently match nothing, so it is refused naming the known ones (in any case: ``sev1`` is posed
as the map's ``SEV1``). A map that holds no severities or types yet (before its first sync)
takes any value, as there is nothing to check.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from precedent.model import CLOSED_CATEGORIES, GraphFilter, Node, stored_time
from precedent.retrieval.catalog import suggest_services
from precedent.retrieval.query import DescribedQuery, PosedQuery, SimilarOptions, SimilarQuery

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.retrieval.catalog import Catalog
    from precedent.store.base import GraphStore

__all__ = ["FIRST_UPDATES", "pose"]

FIRST_UPDATES = 2
"""How many of the earliest updates posted before resolution describe an incident "as declared"."""

_DECLARED = GraphFilter(rel_types=("HAS_UPDATE", "AFFECTS", "HAS_SEVERITY", "HAS_TYPE"), direction="out")


def _name(node: Node) -> str:
    return str(node.properties.get("name", node.id))


def _not_in_the_map(incident: Node, affected: Sequence[Node]) -> tuple[str, ...]:
    """The services the incident names as affected that the map does not hold (yet).

    incident.io's catalog may have an entry the last sync did not bring: the incident's edge to
    it is not made, and its investigation had no service, no owner and no word of why.
    """
    named = incident.properties.get("affected_entries")
    if not isinstance(named, list | tuple):
        return ()
    held = {_name(node).casefold() for node in affected}
    return tuple(str(name) for name in named if str(name).casefold() not in held)


def _optional(node: Node, key: str) -> str | None:
    value = node.properties.get(key)
    return str(value) if value is not None and str(value) else None


def _message(update: Node) -> str:
    return str(update.properties.get("message") or update.text or "")


def _declared_summary(incident: Node, known: Sequence[Node]) -> str:
    """What was said at the declaration: the first of the ``known`` updates (posted before it was
    resolved) that says something, else its summary while it is still open.

    A resolved incident's summary is often its post-incident write-up, and an update posted when it
    was resolved is the resolution (a public status page's single "resolved" update is the whole
    write-up): a replay at the declaration would show what no responder knew then.
    """
    for update in known:
        said = _message(update).strip()
        if said:
            return said
    if _still_open(incident):
        return str(incident.properties.get("summary") or "").strip()
    return ""


def _declared_status(incident: Node, known: Sequence[Node]) -> str | None:
    """Its status at the declaration: the first one a ``known`` update set, else its status while
    it is still open, else unknown (``None``).

    A resolved incident's status ("Closed") is where it ended: a replay at the declaration would
    show the outcome in its header.
    """
    over = not _still_open(incident)
    final = _optional(incident, "status")
    for update in known:
        status = _optional(update, "new_status")
        # An update timed before the resolution may still have set where it ended (untidy data).
        if status and not (over and status == final):
            return status
    return None if over else final


def _declared_severity(incident: Node, known: Sequence[Node], current: str | None) -> str | None:
    """Its severity at the declaration: the first one a ``known`` update recorded, else
    ``current`` while it is still open, else unknown (``None``).

    Its severity now may be an escalation made later. When no update recorded one, a resolved
    incident's severity is unknown rather than ``current``: nothing tells a later escalation from
    the declared value, and ranking on an escalation would pull the replay towards incidents of the
    outcome's severity. Unknown costs little: the same-severity signal is then zero for every
    candidate (a small tie-breaker; ``DEFAULT_WEIGHTS`` gives it 0.02) and the other signals
    decide; the header shows the same unknown the ranking used.
    """
    for update in known:
        severity = _optional(update, "new_severity")
        if severity:
            return severity
    return current if _still_open(incident) else None


def _before_resolution(incident: Node, updates: Sequence[Node]) -> list[Node]:
    """``updates`` posted before ``incident`` was resolved: what was known while it was live.

    Without a resolution time, all of them while it is still open; once it is over, all but those
    that set where it ended (the closing update, or a duplicate's "merging into INC-…", which names
    the answer).
    """
    resolved = stored_time(incident.properties.get("resolved_at"))
    if resolved is not None:
        return [u for u in updates if u.occurred_at is not None and u.occurred_at < resolved]
    final = _optional(incident, "status")
    if _still_open(incident) or final is None:
        return list(updates)
    return [u for u in updates if _optional(u, "new_status") != final]


def _still_open(incident: Node) -> bool:
    category = str(incident.properties.get("status_category", "")).lower()
    return stored_time(incident.properties.get("resolved_at")) is None and category not in CLOSED_CATEGORIES


async def pose(
    store: GraphStore, catalog: Catalog, query: SimilarQuery, options: SimilarOptions
) -> PosedQuery:
    """Resolve ``query`` against the map into what ranking sees.

    Raises:
        NotFound: if an incident query names no incident in the map.
        InvalidQuery: if a described incident's severity or type is not one the map knows.
    """
    if isinstance(query, DescribedQuery):
        return await _pose_described(store, catalog, query, options)
    # Every update, service, severity and type of one incident: small, and all of it is needed.
    # The key is nearly always the incident's id (webhooks, links, the API), so its neighbours are
    # read while the catalog resolves it, saving a round trip; a reference is read again by id.
    guess = asyncio.ensure_future(store.neighbours(query.incident, _DECLARED))
    try:
        incident = await catalog.incident(query.incident, options.viewer)
    except BaseException:
        guess.cancel()
        await asyncio.gather(guess, return_exceptions=True)  # retrieve it: nothing left pending
        raise
    declared = await guess
    if incident.id != query.incident:
        declared = await store.neighbours(incident.id, _DECLARED)
    neighbours = [node for _, node in declared]
    updates = sorted(
        (n for n in neighbours if n.label == "IncidentUpdate"),
        key=lambda n: (n.occurred_at is None, n.occurred_at, n.id),
    )
    # A replay of a resolved incident sees only what was posted before it was resolved: with one
    # or two updates, one may be the resolution. None left, the name alone is what was known.
    known = _before_resolution(incident, updates)
    messages = [_message(u) for u in known[:FIRST_UPDATES]]
    services = sorted((n for n in neighbours if n.label == "Service"), key=lambda n: n.id)
    unknown = _not_in_the_map(incident, [node for edge, node in declared if edge.type == "AFFECTS"])
    meant = await suggest_services(store, unknown) if unknown else {}
    current = _optional(incident, "severity") or next(
        (_name(n) for n in neighbours if n.label == "Severity"), None
    )
    incident_type = _optional(incident, "incident_type") or next(
        (_name(n) for n in neighbours if n.label == "IncidentType"), None
    )
    return PosedQuery(
        incident_id=incident.id,
        reference=_optional(incident, "reference"),
        name=_name(incident),
        text="\n".join(t for t in [_name(incident), *messages] if t.strip()),
        service_ids=tuple(s.id for s in services),
        service_names=tuple(_name(s) for s in services),
        unknown_services=unknown,
        services_meant=meant,
        severity=_declared_severity(incident, known, current),
        incident_type=incident_type,
        declared_at=incident.occurred_at,
        before=options.before or incident.occurred_at,
        visibilities=options.viewer.visibilities_about(incident.visibility),
        exclude=options.exclude | {incident.id},
        declared_summary=_declared_summary(incident, known),
        declared_status=_declared_status(incident, known),
    )


async def _pose_described(
    store: GraphStore, catalog: Catalog, query: DescribedQuery, options: SimilarOptions
) -> PosedQuery:
    severity = await catalog.known("Severity", "severity", query.severity)
    incident_type = await catalog.known("IncidentType", "type", query.incident_type)
    services, unknown = await catalog.services(query.services)
    # Said with every answer that names them, as a 404 for one service says it.
    meant = await suggest_services(store, unknown) if unknown else {}
    return PosedQuery(
        incident_id=None,
        reference=None,
        name=query.name,
        text="\n".join(t for t in (query.name, query.summary) if t.strip()),
        service_ids=tuple(s.id for s in services),
        service_names=tuple(_name(s) for s in services),
        unknown_services=tuple(unknown),
        services_meant=meant,
        severity=severity,
        incident_type=incident_type,
        declared_at=query.declared_at,
        before=options.before or query.declared_at,
        visibilities=options.viewer.visibilities,
        exclude=options.exclude,
        declared_summary=query.summary.strip(),
    )
