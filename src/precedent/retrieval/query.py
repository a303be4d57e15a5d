"""What a caller asks for: an incident in the map, or a described incident, plus options.

``posing.py`` resolves either into a ``PosedQuery``: the incident as it looked when declared
(name and first updates, never the final summary or post-mortem), which is what ranking sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from precedent.errors import InvalidQuery
from precedent.model import PUBLIC_VIEWER, Viewer

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from precedent.model import Visibility

__all__ = [
    "EXCLUDE_MAX",
    "NAME_MAX_CHARS",
    "SERVICES_MAX",
    "SIMILAR_MAX_RESULTS",
    "SUMMARY_MAX_CHARS",
    "DescribedQuery",
    "IncidentQuery",
    "PosedQuery",
    "SimilarOptions",
    "SimilarQuery",
    "check_window",
]

# The most of a described incident any surface takes. The model reads its first 256 tokens and
# BM25 the rest: megabytes more only cost CPU (a 3 MB summary took 10 s of it).
NAME_MAX_CHARS = 1_000
SUMMARY_MAX_CHARS = 20_000
# Likewise the lists: an incident affects a handful of services, and 800,000 names held the
# event loop (webhook acknowledgements too) for 14 s.
SERVICES_MAX = 100
EXCLUDE_MAX = 1_000

SIMILAR_MAX_RESULTS = 100
"""The most similar incidents one question returns, on every surface (API, MCP, CLI, notebooks).

Each result carries its explanation and lesson, read from the store: a larger page would cost
seconds and say nothing a responder reads."""

SIMILAR_DEFAULT_RESULTS = 10
"""How many similar incidents a question returns when it does not say, on every surface (the
API's ``limit``, ``precedent similar --limit``, the MCP tool's ``limit``, the notebook's): the MCP
tool returned 5 where the API and the CLI returned 10."""


@dataclass(frozen=True)
class IncidentQuery:
    """An incident already in the map, by id or by reference (``INC-123``)."""

    incident: str


@dataclass(frozen=True)
class DescribedQuery:
    """An incident described by the caller; it need not be in the map.

    Attributes:
        name: Its title (it or ``summary`` must hold words).
        summary: What is known so far.
        services: Affected services, by id or by name (blank ones are dropped).
        severity: Severity name (``SEV1``...), if known.
        incident_type: Incident type name, if known.
        declared_at: When it was declared; also the default ``before`` cutoff.
    """

    name: str
    summary: str = ""
    services: tuple[str, ...] = ()
    severity: str | None = None
    incident_type: str | None = None
    declared_at: datetime | None = None

    def __post_init__(self) -> None:
        # With no words, every signal but the services is silent: a blank title answered 200 with
        # no results, as if nothing like it had ever happened.
        if not (self.name.strip() or self.summary.strip()):
            raise InvalidQuery(
                "a described incident needs words to match: give its name (its title) or a summary "
                "of what is known, not only spaces; for an incident in the map, ask by its id or "
                "reference (INC-123)",
                field="name",
            )
        # A naive time cannot be compared with the map's: it was a TypeError from deep in the store.
        if self.declared_at is not None and self.declared_at.tzinfo is None:
            raise InvalidQuery.no_time_zone("declared_at", self.declared_at)
        # A blank service names nothing (a form's empty field, a CI variable left unset): kept, it
        # was said as a service not in the map, "left out: (check the name)" with no name.
        object.__setattr__(self, "services", tuple(s for s in self.services if s.strip()))


SimilarQuery: TypeAlias = IncidentQuery | DescribedQuery


@dataclass(frozen=True)
class SimilarOptions:
    """How to search.

    Attributes:
        before: Only incidents that started strictly before this (default: the query's start).
        exclude: Incident ids never to return (the query's own id is always excluded).
        limit: How many results, from 1 to ``SIMILAR_MAX_RESULTS``.
        viewer: Who is asking (``model.Viewer``). Even a viewer allowed private incidents gets
            only public ones for a public query incident.
    """

    before: datetime | None = None
    exclude: frozenset[str] = frozenset()
    limit: int = SIMILAR_DEFAULT_RESULTS
    viewer: Viewer = PUBLIC_VIEWER

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= SIMILAR_MAX_RESULTS:
            raise InvalidQuery.limit_out_of_range(self.limit, SIMILAR_MAX_RESULTS)
        if self.before is not None and self.before.tzinfo is None:
            raise InvalidQuery.no_time_zone("before", self.before)
        if len(self.exclude) > EXCLUDE_MAX:
            raise ValueError(f"exclude names at most {EXCLUDE_MAX} incidents, not {len(self.exclude)}")


@dataclass(frozen=True)
class PosedQuery:
    """A query resolved against the map, as it looked when declared.

    Attributes:
        incident_id: The incident's id when the query is an incident in the map.
        reference: Its reference (``INC-123``), if any.
        name: Its title.
        text: What ranking matches on: name plus summary (described), or name plus the first
            updates posted before it was resolved (in the map; the name alone when none was).
        service_ids: Affected services found in the map.
        service_names: Their names, in the same order.
        unknown_services: Services the caller named that the map does not hold.
        services_meant: For each of ``unknown_services``, the services of the map it may have
            meant (``catalog.suggest_services``; none when no name is like it).
        severity: Its severity at the declaration, if known: the one given (described); in the
            map, the first severity an update recorded before it was resolved, else its severity
            while it is still open, else ``None``; never a later escalation. Ranking and an
            investigation's header both read it.
        incident_type: Incident type name, if known.
        declared_at: When it was declared.
        before: The effective cutoff: only incidents that started strictly earlier.
        visibilities: Which visibilities results may have.
        exclude: Ids never returned (including the query's own).
        declared_summary: What was said of it at the declaration, for people (an investigation's
            header): the summary given (described), or its first update posted before it was
            resolved, else its summary while it is still open (in the map); never a final
            write-up. Ranking does not read it.
        declared_status: Its status at the declaration, by the same rule (in the map): the first
            status an update set before it was resolved, else its status while it is still open,
            else ``None``; never where it ended ("Closed"). ``None`` when described.
    """

    incident_id: str | None
    reference: str | None
    name: str
    text: str
    service_ids: tuple[str, ...]
    service_names: tuple[str, ...]
    unknown_services: tuple[str, ...]
    severity: str | None
    incident_type: str | None
    declared_at: datetime | None
    before: datetime | None
    visibilities: tuple[Visibility, ...]
    exclude: frozenset[str]
    declared_summary: str = ""
    declared_status: str | None = None
    services_meant: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How paths name the query: its reference, else ``query``."""
        return self.reference or self.incident_id or "query"


def check_window(after: datetime | None, before: datetime | None) -> None:
    """Refuse a time window with nothing in it (``after`` and ``before`` swapped, most often).

    Raises:
        InvalidQuery: if a bound has no time zone (it cannot be compared with the map's times), or
            both are given and ``after`` is not earlier than ``before``, naming the bound at
            fault (``after`` for a swapped pair), which the API lists in ``errors``.
    """
    for name, bound in (("after", after), ("before", before)):
        if bound is not None and bound.tzinfo is None:
            raise InvalidQuery(f"{name} needs a time zone, e.g. 2026-03-01T10:00:00Z", field=name)
    if after is not None and before is not None and after >= before:
        raise InvalidQuery(
            f"after ({after.isoformat()}) is not earlier than before ({before.isoformat()}), so nothing "
            "can fall between them: swap them, or leave one out",
            field="after",
        )
