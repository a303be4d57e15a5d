"""Search the map's text: incidents, post-mortems, follow-ups and services, by words and by meaning.

The one search of every surface (HTTP API, CLI, web page, MCP tool): ``SearchQuery`` checks what
was asked in the same words everywhere, and ``search_map`` asks the store's ``text_search`` and
``vector_search`` (through ``GraphStore`` only), matches service names (services carry no indexed
text), and fuses the rankings with reciprocal rank fusion, a pure function of the lists.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from precedent.errors import InvalidQuery
from precedent.model import SearchFilter
from precedent.retrieval.query import check_window
from precedent.store.analyzer import analyze

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.embedding import Embedder
    from precedent.model import Node, ScoredNode, Viewer
    from precedent.store.base import GraphStore

__all__ = [
    "KINDS",
    "KINDS_PATTERN",
    "SEARCH_DEFAULT_LIMIT",
    "SEARCH_MAX_CHARS",
    "SEARCH_MAX_RESULTS",
    "MapHit",
    "SearchKind",
    "SearchMode",
    "SearchQuery",
    "incidents_named",
    "kinds_in",
    "rrf",
    "search_map",
    "service_match",
    "without_references",
]

SearchKind = Literal["incident", "postmortem", "follow_up", "service", "update"]
SearchMode = Literal["hybrid", "text", "semantic"]

KINDS: dict[SearchKind, tuple[str, ...]] = {
    "incident": ("Incident",),
    "postmortem": ("Postmortem", "PostmortemChunk"),
    "follow_up": ("FollowUp",),
    "service": ("Service",),
    "update": ("IncidentUpdate",),
}
SEARCH_MAX_RESULTS = 100
"""The most hits one search returns, on every surface: a ranked answer to read, not a list to walk."""
SEARCH_DEFAULT_LIMIT = 20
SEARCH_MAX_CHARS = 500
"""The longest search, on every surface: a pasted stack trace only costs the analyzer and the
model (which reads 256 tokens) time; its distinctive words find the same incidents."""
_DEPTH = SEARCH_DEFAULT_LIMIT * 3
"""How deep each half of a search looks for any limit up to the default (three times the limit
beyond it): an answer of up to the default's length is the start of the default's answer."""
_RRF_K = 60  # the usual constant: rank 1 scores 1/61, so no single list dominates


def rrf(rankings: Sequence[Sequence[str]], k: int = _RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ``sum(1 / (k + rank))`` over the rankings, best first, then by id."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, node_id in enumerate(ranking, start=1):
            scores[node_id] = scores.get(node_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _terms(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.casefold()) if len(t) > 1}


def service_match(query: str, service: Node) -> int:
    """How many of ``query``'s words a service's name, aliases or catalog attributes contain (0: none)."""
    props = service.properties
    fields = [props.get("name"), props.get("external_id"), props.get("aliases"), props.get("attributes")]
    words: set[str] = set()
    for value in fields:
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                words |= _terms(str(item))
    exact = str(props.get("name", "")).casefold() == query.strip().casefold()
    # A service named exactly as asked beats one that merely shares its words.
    return len(_terms(query) & words) + (100 if exact else 0)


async def _services_by_name(store: GraphStore, text: str, k: int) -> list[str]:
    scored: list[tuple[int, str]] = []
    scan = store.scan_nodes(["Service"])
    async with contextlib.aclosing(scan) as services:  # type: ignore[type-var]
        async for service in services:
            score = service_match(text, service)
            if score:
                scored.append((-score, service.id))
    return [service_id for _, service_id in sorted(scored)[:k]]


@dataclass(frozen=True)
class MapHit:
    """A search hit: the node, its fused score, and for an incident's part the incident's reference.

    ``incident_reference`` (INC-37) names the incident an update, follow-up or post-mortem belongs
    to; without it a part's text reads alone. ``None`` for incidents, services, and parts whose
    incident the viewer may not see.
    """

    node: Node
    score: float
    incident_reference: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """What to search for, checked alike for every surface.

    Attributes:
        text: What to look for (surrounding spaces are dropped).
        kinds: Which kinds of node (all when empty).
        mode: ``hybrid`` (words and meaning, the default everywhere), ``text`` (words only, the
            store's BM25) or ``semantic`` (meaning only).
        limit: How many hits, from 1 to ``SEARCH_MAX_RESULTS``.
        after: Only nodes that occurred at or after this time.
        before: Only nodes that occurred strictly before this time.

    Raises:
        InvalidQuery: for no words, more than ``SEARCH_MAX_CHARS``, a limit out of range, or a
            window with nothing in it; the message says what to send instead.
    """

    text: str
    kinds: tuple[SearchKind, ...] = ()
    mode: SearchMode = "hybrid"
    limit: int = SEARCH_DEFAULT_LIMIT
    after: datetime | None = None
    before: datetime | None = None

    def __post_init__(self) -> None:
        # Measured as sent, before the spaces go: the API's schema publishes the same bound.
        if len(self.text) > SEARCH_MAX_CHARS:
            raise InvalidQuery(
                f"a search takes at most {SEARCH_MAX_CHARS} characters, not {len(self.text)}: "
                "search for its distinctive words (an error's message, not the whole stack trace)",
                field="q",
            )
        # Frozen, so normalised through object.__setattr__: " pool " and "pool" are one search.
        object.__setattr__(self, "text", self.text.strip())
        object.__setattr__(self, "kinds", tuple(self.kinds))
        # The word index drops "the", "a", "of"...: a search of those alone matched by meaning only
        # and answered services with empty snippets, as if they had been found.
        if not analyze(self.text):
            raise InvalidQuery(
                "nothing to search for: give some words, e.g. checkout timeout"
                + (f" ({self.text!r} has no words the search can match)" if self.text else ""),
                field="q",
            )
        if not 1 <= self.limit <= SEARCH_MAX_RESULTS:
            raise InvalidQuery.limit_out_of_range(self.limit, SEARCH_MAX_RESULTS)
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown:
            raise InvalidQuery(f"unknown kind {unknown[0]!r}; use any of {', '.join(KINDS)}", field="kinds")
        check_window(self.after, self.before)


_KIND_NAMES = ", ".join(KINDS)
_KIND = "(" + "|".join(KINDS) + ")"
KINDS_PATTERN = rf"^ *{_KIND} *(, *{_KIND} *)*$"
"""What a ``kinds`` parameter matches: kinds separated by commas."""


def kinds_in(given: str | None) -> tuple[SearchKind, ...]:
    """The kinds of a ``kinds`` parameter (``incident,service``), as the API and the page take it.

    Raises:
        InvalidQuery: for a kind that does not exist or a list that is not comma-separated kinds;
            the message names the kinds that exist.
    """
    wanted = tuple(part.strip() for part in (given or "").split(",") if part.strip())
    unknown = [kind for kind in wanted if kind not in KINDS]
    if unknown:
        raise InvalidQuery(
            f"unknown kind {unknown[0]!r} in kinds; use any of {_KIND_NAMES}, separated by commas",
            field="kinds",
        )
    if given is not None and re.fullmatch(KINDS_PATTERN, given) is None:
        raise InvalidQuery(
            f"kinds {given!r} is not a list of kinds: give one or more of {_KIND_NAMES}, separated by "
            "commas, or leave kinds out to search them all",
            field="kinds",
        )
    return tuple(cast("SearchKind", kind) for kind in wanted)


async def search_map(
    store: GraphStore, embedder: Embedder, query: SearchQuery, *, viewer: Viewer
) -> list[MapHit]:
    """Search nodes of ``query.kinds`` the viewer may see, best first: what every surface answers.

    Args:
        store: The knowledge map.
        embedder: Embeds the text for the semantic half (not called for ``mode="text"``).
        query: What to look for.
        viewer: Who is asking.

    Returns:
        Up to ``query.limit`` hits.
    """
    text, kinds, limit = query.text, query.kinds, query.limit
    labels = tuple(label for kind in (kinds or tuple(KINDS)) for label in KINDS[kind])
    search_filter = SearchFilter(
        labels=labels, after=query.after, before=query.before, visibilities=viewer.visibilities
    )
    # Each half looks further than the answer, so fusion has overlap to work with, and as far for
    # every limit up to the default: at three times the limit, limit=1 fused two lists of three
    # and its hit was not the first of limit=20 when the best ranked first in one half and fourth
    # in the other. Not deeper for small limits: every hit read costs a node read on Neo4j, and
    # a k-NN deeper than a filtered map's few hundred nodes falls back to the exact scan.
    wide = max(_DEPTH, limit * 3)
    rankings: list[list[ScoredNode]] = []
    if query.mode in ("hybrid", "text"):
        rankings.append(await store.text_search(text, k=wide, search_filter=search_filter))
    if query.mode in ("hybrid", "semantic"):
        vector = (await embedder.embed([text]))[0]
        rankings.append(await store.vector_search(vector, k=wide, search_filter=search_filter))
    ranked = [[hit.node_id for hit in ranking] for ranking in rankings]
    if "incident" in (kinds or KINDS):
        # An incident's reference (INC-194) is not in its indexed text: the words "inc" and "194"
        # found other incidents' updates ("Duplicate of INC-111") and never the incident named.
        # One named is what was asked for, so it leads every half.
        named = await incidents_named(store, text, search_filter)
        ranked = [named + [i for i in ranking if i not in named] for ranking in ranked]
    if "service" in (kinds or KINDS) and query.after is None and query.before is None:
        # Services carry no text to index (a name, aliases, catalog attributes): match those here.
        # A service has no time, so a search within a window finds none, as the store's halves do.
        ranked.append(await _services_by_name(store, text, wide))
    seen = await _first_seen(store, viewer, rrf(ranked), limit)
    references = await _incident_references(store, viewer, [node for node, _ in seen])
    return [MapHit(node, score, references.get(_incident_of(node) or "")) for node, score in seen]


async def _first_seen(
    store: GraphStore, viewer: Viewer, fused: list[tuple[str, float]], limit: int
) -> list[tuple[Node, float]]:
    """The first ``limit`` fused hits the viewer may see, their nodes read a batch at a time.

    Cut after the viewer's filter: one the halves let through and the viewer may not see (a
    service named like a private incident's parts) would otherwise cost a place in the answer.
    Read in batches because the fused list runs to a few hundred ids, each a whole node.
    """
    seen: list[tuple[Node, float]] = []
    batch = max(2 * limit, 20)
    for start in range(0, len(fused), batch):
        chunk = fused[start : start + batch]
        nodes = {n.id: n for n in await store.get_nodes([node_id for node_id, _ in chunk])}
        seen.extend((nodes[i], score) for i, score in chunk if i in nodes and viewer.can_see(nodes[i]))
        if len(seen) >= limit:
            break
    return seen[:limit]


_REFERENCE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*-[0-9]+\b")


def without_references(text: str) -> str:
    """``text`` without the words shaped like an incident's reference (INC-42), for a word filter.

    Matched as words, INC-42 is "inc" or "42": every incident whose text names any other
    ("Same failure as INC-108") or says 42. ``incidents_named`` finds the incident it names.
    """
    return " ".join(_REFERENCE.sub(" ", text).split())


async def incidents_named(store: GraphStore, text: str, search_filter: SearchFilter) -> list[str]:
    """The ids of the incidents ``text`` names by reference (INC-194), in the order named.

    An incident's reference is not in its indexed text, so neither half of a search finds it.

    Args:
        store: The knowledge map.
        text: What was asked; every word shaped like a reference (letters, a dash, digits) counts.
        search_filter: Its time window and visibilities apply (its labels do not).
    """
    named: list[str] = []
    for word in dict.fromkeys(_REFERENCE.findall(text)):
        for node in await store.find_nodes("Incident", word, fields=("reference",)):
            at = node.occurred_at
            if node.visibility not in search_filter.visibilities or node.id in named:
                continue
            if search_filter.after is not None and (at is None or at < search_filter.after):
                continue
            if search_filter.before is not None and (at is None or at >= search_filter.before):
                continue
            named.append(node.id)
    return named


def _incident_of(node: Node) -> str | None:
    incident = node.properties.get("incident_id")
    return str(incident) if incident and node.label != "Incident" else None


async def _incident_references(store: GraphStore, viewer: Viewer, nodes: Sequence[Node]) -> dict[str, str]:
    """The reference (INC-37) of each visible incident the parts among ``nodes`` belong to, by id."""
    ids = sorted({i for i in map(_incident_of, nodes) if i})
    incidents = await store.get_nodes(ids) if ids else []
    return {n.id: str(n.properties.get("reference") or n.id) for n in incidents if viewer.can_see(n)}
