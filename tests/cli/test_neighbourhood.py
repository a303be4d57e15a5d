"""``precedent neighbourhood``: the table a responder reads of what surrounds an incident or a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import InvalidQuery
from precedent.responses import NeighbourhoodResponse
from precedent.retrieval import MAX_NEIGHBOURHOOD_NODES
from tests.cli.output import run_main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_the_nodes_are_listed_by_label_as_the_mcp_tool_lists_them(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Sorted by id alone, services, users, severities and statuses came interleaved in ULID order
    # (the demo's service neighbourhood: 200 rows, a Severity between two Services); the MCP tool
    # groups them by label, then id.
    assert await run_main(["neighbourhood", "--service", "ledger", "--json"]) == 0
    nodes = NeighbourhoodResponse.model_validate_json(capsys.readouterr().out).nodes
    assert len({n.label for n in nodes}) > 2
    assert await run_main(["neighbourhood", "--service", "ledger"]) == 0
    table = capsys.readouterr().out
    listed = [n.id for n in nodes if n.id in table]
    assert len(listed) == len(nodes)
    assert sorted(listed, key=table.index) == [n.id for n in sorted(nodes, key=lambda n: (n.label, n.id))]


async def test_a_capped_neighbourhood_says_how_to_narrow_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(["neighbourhood", "--service", "ledger", "--max-nodes", "3"]) == 0
    table = capsys.readouterr().out
    assert "3 nodes (truncated)" in table
    assert "narrow it" in " ".join(table.split())  # rich wraps the note at the terminal's width


async def test_an_unknown_label_is_told_the_labels_it_may_use(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was told to edit graph_schema/schema.toml: a user's remedy is a label the map has.
    assert await run_main(["neighbourhood", "--service", "ledger", "--label", "Servce"]) != 0
    said = " ".join(capsys.readouterr().err.split())
    assert "unknown node label 'Servce'; use one of" in said
    assert "Service" in said.split("use one of", 1)[1]
    assert "schema.toml" not in said


async def test_a_node_cap_over_every_surfaces_is_refused_in_the_apis_words(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI had no cap (the API 5,000, the MCP tool 1,000): one cap now, said as the API says it.
    most = MAX_NEIGHBOURHOOD_NODES
    assert await run_main(["neighbourhood", "--service", "ledger", "--max-nodes", str(most + 1)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert str(InvalidQuery.number_out_of_range("max_nodes", most + 1, 1, most)) in said


async def test_a_change_recorded_from_ci_is_named_as_the_change_list_names_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It has no `name` of its own, so the table and every edge named it by its id
    # (`change:demo-deploy-01DEMO...` on the demo), where `changes list` says "deploy of ... v9".
    record = ["changes", "record", "--service", "ledger", "--version", "v9", "--id", "ci-4711"]
    assert await run_main(record) == 0
    capsys.readouterr()
    assert await run_main(["neighbourhood", "--service", "ledger", "--depth", "1", "--rel", "CHANGED"]) == 0
    table = capsys.readouterr().out
    edges = table.split("edges", 1)[1]
    assert "deploy of ledger v9" in " ".join(edges.split())
    assert "change:ci-4711" not in edges
