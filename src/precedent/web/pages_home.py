"""The map at a glance (counts, hotspots, recent investigations, a search box) and search results."""

from __future__ import annotations

from urllib.parse import quote

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, SkipValidation
from litestar.response import Template

from precedent.browse import HOTSPOT_WEEKS, hotspots
from precedent.embedding import Embedder
from precedent.errors import InvalidQuery
from precedent.investigation import Collaborators, latest_per_incident, openable_count
from precedent.model import Viewer
from precedent.responses import NodeResponse, SearchHitResponse, SearchResponse
from precedent.retrieval import SearchQuery, kinds_in
from precedent.store import GraphStore
from precedent.store.analyzer import analyze
from precedent.web.rendering import PAGES, page
from precedent.web.session import PageSession

__all__ = ["HOME_PAGES", "hit_link"]

COUNTED = ("Incident", "Service", "Team", "ChangeEvent", "FollowUp", "Investigation")


@get("/", name="web:home")
async def home_page(
    store: NamedDependency[GraphStore],
    # A dataclass: skip validation, or msgspec would try to rebuild it from its type hints.
    collaborators: NamedDependency[SkipValidation[Collaborators]],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """Counts of what the viewer may see, hotspots, recent incidents' latest investigations, a search box."""
    stats = await store.stats(visibilities=viewer.visibilities)
    recent = await latest_per_incident(collaborators, viewer, limit=8)
    counts = {label: stats.nodes_by_label.get(label, 0) for label in COUNTED}
    # Counted as listed: a build hidden from the viewer is shown to them drawn again.
    counts["Investigation"] = await openable_count(collaborators, viewer, seen=counts["Investigation"])
    return page(
        "home.html",
        session,
        title=None,  # the site's name alone: base.html adds "· Precedent" to a page's own title
        counts=counts,
        hotspots=(await hotspots(store, viewer, weeks=HOTSPOT_WEEKS, limit=8)).items,
        hotspot_weeks=HOTSPOT_WEEKS,
        recent=recent,
    )


def _place(node: NodeResponse) -> str:
    """Where an incident's part is on the incident's page (its ``#`` fragment)."""
    if node.label in ("Postmortem", "PostmortemChunk"):
        return "#postmortem"
    kind = {"IncidentUpdate": "update", "FollowUp": "follow-up"}.get(node.label)
    return f"#{kind}-{quote(node.id, safe='')}" if kind else ""


def hit_link(hit: SearchHitResponse) -> str | None:
    """The page a search hit opens: its incident's for an incident's part, a service's own.

    An update, a follow-up or a post-mortem's section opens the incident's page where it is: on a
    long incident the update that matched was otherwise a scroll through the whole timeline away.
    Each names its incident by reference (``INC-147``), as the hit says "on INC-147"; by id only
    when the incident has none, or the reader may not see it (the search then gives none).
    """
    node = hit.node
    props = node.properties
    if node.label == "Incident":
        return PAGES.incident(str(props.get("reference") or node.id))
    if node.label == "Service":
        return PAGES.service(str(props.get("name", node.id)))
    incident = hit.incident_reference or props.get("incident_id")
    return PAGES.incident(str(incident)) + _place(node) if incident else None


@get("/search", name="web:search")
async def search_page(
    store: NamedDependency[GraphStore],
    embedder: NamedDependency[Embedder],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    q: FromQuery[str] = "",
    kinds: FromQuery[str | None] = None,
) -> Template:
    """Incidents, services, post-mortems, follow-ups and updates matching ``q``, best first.

    The search of every surface with its defaults (``GET /v1/search?q=``); an empty box is the
    empty search page, and a query the search refuses (``InvalidQuery``) is the search page saying
    why, a 400, its words kept in the box to shorten: a pasted stack trace was a page with no box.
    """
    text = q.strip()
    try:
        # Checked before the empty box: a link with kinds=bogus was the search of every kind, in silence.
        wanted = kinds_in(kinds)
        query = SearchQuery(q, kinds=wanted) if text else None
    except InvalidQuery as refused:
        return page(
            "search.html", session, status_code=400, title="Search", q=text, kinds="", refused=str(refused)
        )
    hits = (await SearchResponse.for_query(store, embedder, query, viewer)).hits if query else []
    return page(
        "search.html",
        session,
        title=f"Search: {text}" if text else "Search",
        q=text,
        # Kept in the form: searching again from a page of incidents only searched every kind.
        kinds=",".join(wanted),
        hits=[(hit, hit_link(hit)) for hit in hits],
        only_by_meaning=bool(hits) and not any(_has_a_word(text, hit.node) for hit in hits),
        refused=None,
    )


def _has_a_word(query: str, node: NodeResponse) -> bool:
    """Whether ``node``'s text or name holds one of ``query``'s words.

    Search by meaning always finds a nearest neighbour: when no hit holds a word of the query
    (a mistyped error string), the page says the results are only close in meaning.
    """
    props = node.properties
    seen = " ".join(
        str(v) for v in (node.text, props.get("name"), props.get("title"), props.get("reference")) if v
    )
    # The word search's own analyzer (Lucene's English, as both stores index): "evictions" meets
    # "evicting", and a shared "the" is no shared word.
    return not set(analyze(query)).isdisjoint(analyze(seen))


HOME_PAGES = [home_page, search_page]
