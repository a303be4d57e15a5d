"""Finding similar past incidents and neighbourhoods, with explanations.

Generators (``candidates``) ask the store for candidates, ``fusion`` scores them with pure
functions and ``weights``, ``explain`` says why; ``precedent.responses`` renders the results.
"""

from precedent.retrieval.candidates import Limits
from precedent.retrieval.catalog import Catalog
from precedent.retrieval.detail import IncidentDetail, incident_detail
from precedent.retrieval.neighbourhood import (
    DEFAULT_NEIGHBOURHOOD_DEPTH,
    DEFAULT_NEIGHBOURHOOD_NODES,
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    NeighbourhoodQuery,
    find_neighbourhood,
    truncation_note,
)
from precedent.retrieval.query import (
    EXCLUDE_MAX,
    NAME_MAX_CHARS,
    SERVICES_MAX,
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    SUMMARY_MAX_CHARS,
    DescribedQuery,
    IncidentQuery,
    PosedQuery,
    SimilarOptions,
    SimilarQuery,
)
from precedent.retrieval.results import (
    Explanation,
    FollowUpSummary,
    GraphPath,
    Lesson,
    SimilarIncident,
    SimilarResults,
)
from precedent.retrieval.search import (
    KINDS,
    KINDS_PATTERN,
    SEARCH_DEFAULT_LIMIT,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_RESULTS,
    MapHit,
    SearchKind,
    SearchMode,
    SearchQuery,
    incidents_named,
    kinds_in,
    search_map,
)
from precedent.retrieval.similar import SimilarIncidentFinder
from precedent.retrieval.weights import DEFAULT_WEIGHTS, Weights

__all__ = [
    "EXCLUDE_MAX",
    "NAME_MAX_CHARS",
    "SERVICES_MAX",
    "SIMILAR_DEFAULT_RESULTS",
    "SIMILAR_MAX_RESULTS",
    "SUMMARY_MAX_CHARS",
    "SEARCH_DEFAULT_LIMIT",
    "SEARCH_MAX_CHARS",
    "SEARCH_MAX_RESULTS",
    "DEFAULT_NEIGHBOURHOOD_DEPTH",
    "DEFAULT_NEIGHBOURHOOD_NODES",
    "MAX_NEIGHBOURHOOD_DEPTH",
    "MAX_NEIGHBOURHOOD_NODES",
    "DEFAULT_WEIGHTS",
    "KINDS",
    "KINDS_PATTERN",
    "Catalog",
    "DescribedQuery",
    "Explanation",
    "FollowUpSummary",
    "GraphPath",
    "IncidentDetail",
    "IncidentQuery",
    "Lesson",
    "Limits",
    "MapHit",
    "NeighbourhoodQuery",
    "PosedQuery",
    "SearchKind",
    "SearchMode",
    "SearchQuery",
    "SimilarIncident",
    "SimilarIncidentFinder",
    "SimilarOptions",
    "SimilarQuery",
    "SimilarResults",
    "Weights",
    "find_neighbourhood",
    "truncation_note",
    "incident_detail",
    "incidents_named",
    "kinds_in",
    "search_map",
]
