"""A generated organisation and a real incident history (GitHub's status pages) import into both
stores with the counts their export files promise, and give the same graph shape in each.

The hashing embedder stands in for the model: these tests are about mapping and loading, and the
real model would make the 1,851-incident corpus take minutes (retrieval tests use the real one).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.sources.statuspage import convert_statuspage
from precedent.sources.synthetic import generate

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.model import StoreStats
    from precedent.store import GraphStore

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

GITHUB = (
    "eval/raw/github-status/github-incident-history/incidents.jsonl",
    "eval/raw/github-status/github-statuses/incidents.jsonl",
)


def _items(export: Path, file: str, key: str) -> list[dict[str, Any]]:
    data = json.loads((export / file).read_text())
    pages = data if isinstance(data, list) else [data]
    return [item for page in pages for item in page[key]]


def _expected(export: Path) -> dict[str, int]:
    """Counts read straight from the export files, not from the mapping under test."""
    incidents = [
        i
        for i in _items(export, "v2_incidents.json", "incidents")
        if i["mode"] in {"standard", "retrospective"}
    ]
    return {
        "Incident": len(incidents),
        "IncidentUpdate": len(_items(export, "v2_incident_updates.json", "incident_updates")),
        "Postmortem": len(_items(export, "v1_postmortem_documents.json", "postmortem_documents")),
        "AFFECTS": sum(
            len(entry["values"])
            for i in incidents
            for entry in i.get("custom_field_entries", [])
            if entry["custom_field"]["name"] == "Affected services"
        ),
    }


async def _load(export: Path, store: GraphStore) -> StoreStats:
    await import_export(export, Loader(store, HashEmbedder(dimensions=384)))
    return await store.stats()


def _assert_counts(stats: StoreStats, expected: dict[str, int]) -> None:
    assert min(expected.values()) > 0, expected
    for label in ("Incident", "IncidentUpdate", "Postmortem"):
        assert stats.nodes_by_label.get(label, 0) == expected[label], label
    assert stats.edges_by_type.get("AFFECTS", 0) == expected["AFFECTS"]


async def test_github_history_imports_alike_into_both_stores(
    shared_dir: Path, tmp_path: Path, embedded_store: GraphStore, neo4j_store: GraphStore
) -> None:
    export = tmp_path / "github"
    report = convert_statuspage([shared_dir / path for path in GITHUB], export)
    expected = _expected(export)
    assert expected["Incident"] == report.incidents > 1000

    embedded, neo4j = await _load(export, embedded_store), await _load(export, neo4j_store)

    _assert_counts(embedded, expected)
    assert embedded.nodes_by_label["Service"] == len(
        _items(export, "v3_catalog_entries.json", "catalog_entries")
    )
    assert dict(embedded.nodes_by_label) == dict(neo4j.nodes_by_label)
    assert dict(embedded.edges_by_type) == dict(neo4j.edges_by_type)


async def test_generated_organisation_imports_alike_into_both_stores(
    tmp_path: Path, embedded_store: GraphStore, neo4j_store: GraphStore
) -> None:
    export = tmp_path / "generated"
    generate(export, incidents=120, seed=5)
    expected = _expected(export)

    embedded, neo4j = await _load(export, embedded_store), await _load(export, neo4j_store)

    _assert_counts(embedded, expected)
    for label in ("Service", "Team", "User", "Schedule", "FollowUp", "ChangeEvent", "PostmortemChunk"):
        assert embedded.nodes_by_label.get(label, 0) > 0, label
    for edge in ("DEPENDS_ON", "OWNED_BY", "ON_CALL", "CAUSED_BY", "RELATED_TO", "HAS_FOLLOW_UP"):
        assert embedded.edges_by_type.get(edge, 0) > 0, edge
    assert dict(embedded.nodes_by_label) == dict(neo4j.nodes_by_label)
    assert dict(embedded.edges_by_type) == dict(neo4j.edges_by_type)
