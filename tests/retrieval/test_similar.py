"""End-to-end similar-incident search on a hand-built organisation, in both stores, with the real model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.errors import NotFound
from precedent.model import OWNER_VIEWER
from precedent.responses import SimilarResponse
from precedent.retrieval import (
    DescribedQuery,
    IncidentQuery,
    SimilarIncidentFinder,
    SimilarOptions,
)
from tests.retrieval.small_org import at, build, payments_db_outage

if TYPE_CHECKING:
    from precedent.embedding import Embedder
    from precedent.store import GraphStore

pytestmark = [pytest.mark.model]


@pytest.fixture
async def finder(store: GraphStore, real_embedder: Embedder) -> SimilarIncidentFinder:
    await build(store, real_embedder)
    return SimilarIncidentFinder(store, real_embedder)


async def test_planted_precedent_ranks_first_with_reasons_and_path(finder: SimilarIncidentFinder) -> None:
    answer = await finder.find(IncidentQuery("INC-20"))
    assert answer.query.incident_id == "inc-20"
    assert "Root cause" not in answer.query.text  # posed as declared: first two updates only
    assert answer.query.before == at("2024-01-15T09:00:00")
    top = answer.results[0]
    assert top.reference == "INC-10"
    explanation = top.explanation
    assert str(explanation.path) == (
        "INC-20 -AFFECTS-> checkout -DEPENDS_ON-> payments-api -DEPENDS_ON-> payments-db <-AFFECTS- INC-10"
    )
    points = {c.signal: c.points for c in explanation.contributions}
    assert points["semantic"] > 0
    assert points["dependency_path"] > 0
    assert points["same_severity"] > 0
    assert {"connection", "pool", "payments-db"} <= set(explanation.matched_terms)
    lesson = explanation.lesson
    assert lesson.root_cause == "A config deploy halved the connection pool size on payments-db."
    assert lesson.resolution == "We rolled back the config and raised the pool size."
    assert [(f.title, f.open) for f in lesson.follow_ups] == [
        ("Alert on pool saturation", True),
        ("Review config deploys", False),
    ]


async def test_described_query_finds_the_precedent(finder: SimilarIncidentFinder) -> None:
    answer = await finder.find(payments_db_outage(), SimilarOptions(limit=3))
    assert answer.query.service_ids == ("svc-paydb",)
    assert answer.results[0].reference == "INC-10"
    assert str(answer.results[0].explanation.path) == "query -AFFECTS-> payments-db <-AFFECTS- INC-10"


@pytest.mark.contract
async def test_before_cutoff_is_strict(finder: SimilarIncidentFinder) -> None:
    everything = await finder.find(IncidentQuery("inc-20"), SimilarOptions(limit=50))
    returned = {r.incident_id for r in everything.results}
    assert "inc-15" not in returned  # started after the query
    assert "inc-20" not in returned  # never the query itself
    early = await finder.find(IncidentQuery("inc-20"), SimilarOptions(before=at("2023-03-01T09:00:00")))
    assert {r.incident_id for r in early.results} == {"inc-10"}


@pytest.mark.contract
async def test_exclusions(finder: SimilarIncidentFinder) -> None:
    answer = await finder.find(IncidentQuery("inc-20"), SimilarOptions(exclude=frozenset({"inc-10"})))
    assert "inc-10" not in {r.incident_id for r in answer.results}
    assert answer.results


@pytest.mark.contract
async def test_private_incident_never_returned_for_public_query(finder: SimilarIncidentFinder) -> None:
    public = await finder.find(IncidentQuery("inc-20"), SimilarOptions(limit=50, viewer=OWNER_VIEWER))
    assert "inc-14" not in {r.incident_id for r in public.results}
    described = DescribedQuery(name="payments database connection pool exhausted", services=("payments-db",))
    hidden = await finder.find(described, SimilarOptions(limit=50))
    assert "inc-14" not in {r.incident_id for r in hidden.results}
    allowed = await finder.find(described, SimilarOptions(limit=50, viewer=OWNER_VIEWER))
    assert "inc-14" in {r.incident_id for r in allowed.results}


@pytest.mark.contract
async def test_ranking_is_deterministic(finder: SimilarIncidentFinder) -> None:
    first = SimilarResponse.from_results(await finder.find(IncidentQuery("INC-20"), SimilarOptions(limit=50)))
    second = SimilarResponse.from_results(
        await finder.find(IncidentQuery("INC-20"), SimilarOptions(limit=50))
    )
    assert first == second


async def test_unknown_incident_raises_not_found(finder: SimilarIncidentFinder) -> None:
    with pytest.raises(NotFound):
        await finder.find(IncidentQuery("INC-999"))
