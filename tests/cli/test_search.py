"""``precedent search``: the API's search at a terminal, and where a missing incident points to.

These read by words only (``--mode text``), which loads no model: the map is embedded with the
hashing embedder. ``tests/test_one_search.py`` asks every surface the default, words and meaning.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import build_parser, main
from precedent.embedding import HashEmbedder
from precedent.errors import InvalidQuery
from precedent.model import OWNER_VIEWER
from precedent.responses import SearchResponse
from precedent.retrieval import SearchQuery, search_map
from precedent.store.embedded import EmbeddedStore
from tests.cli.output import run_main, said

if TYPE_CHECKING:
    from pathlib import Path

DIMENSIONS = 384
WORDS = ["--mode", "text"]


@pytest.mark.usefixtures("data_dir")
async def test_a_hit_names_its_incident_by_reference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one row a line
    assert await run_main(["search", "payments", "pool", *WORDS]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "INC-10 Payments database connection pool exhausted" in out
    # An update is named by its incident's reference, never the internal id (inc-10).
    assert await run_main(["search", "rolled", "back", "--kind", "update", *WORDS]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "update │ on INC-10 │ Rolled back config" in out
    assert "inc-10" not in out
    assert "incident │" not in out


async def test_json_is_the_apis_search_response(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["search", "payments", "pool", "--json", *WORDS]) == 0
    out = capsys.readouterr().out.strip()
    response = SearchResponse.model_validate_json(out)
    assert out == response.model_dump_json()
    # What GET /v1/search?q=payments pool&mode=text answers: words only, 20 hits, the owner's view.
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        query = SearchQuery("payments pool", mode="text")
        hits = await search_map(store, HashEmbedder(dimensions=DIMENSIONS), query, viewer=OWNER_VIEWER)
    finally:
        await store.close()
    assert out == SearchResponse.from_hits("payments pool", hits).model_dump_json()
    parts = [h for h in response.hits if h.node.label != "Incident" and h.node.properties.get("incident_id")]
    assert parts
    assert {h.node.properties["incident_id"]: h.incident_reference for h in parts}["inc-10"] == "INC-10"


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        # A word is said as a number out of range is, in the one wording of a limit.
        (["--limit", "many"], f"argument --limit: {InvalidQuery.limit_out_of_range('many', 100)}"),
        # Out of range as a word is, worded as every route, command and tool words a limit.
        (["--limit", "0"], f"argument --limit: {InvalidQuery.limit_out_of_range(0, 100)}"),
        (["--limit", "101"], f"argument --limit: {InvalidQuery.limit_out_of_range(101, 100)}"),
        (["--kind", "incidnet"], "argument --kind: invalid choice: 'incidnet'"),
        (["--mode", "words"], "argument --mode: invalid choice: 'words'"),
    ],
)
def test_a_bad_flag_is_refused_before_searching(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["search", "pool", *flags])
    assert exited.value.code == 2
    assert expected in said(capsys)


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["search", "pool", "--after", "yesterday"], "error: 'yesterday' is not an ISO 8601 time"),
        (
            ["search", "pool", "--after", "2024-02-01", "--before", "2024-01-01"],
            "error: after (2024-02-01T00:00:00+00:00) is not earlier",
        ),
        (["search", "  "], "error: nothing to search for: give some words"),
        (["search"], "error: nothing to search for: give some words"),
        (["search", "pool", "--q", "cache"], "error: give the words once: as TEXT or as --q (the API's q)"),
        (["search", "pool", "--kinds", "incidnet"], "error: unknown kind 'incidnet' in kinds"),
    ],
)
async def test_bad_input_is_said_in_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(argv) == 2
    assert expected in said(capsys)


@pytest.mark.usefixtures("data_dir")
async def test_the_apis_names_find_what_the_commands_own_do(capsys: pytest.CaptureFixture[str]) -> None:
    # `precedent search` took its words positionally and --kind, where GET /v1/search and the MCP
    # tool say q and kinds: a responder who learnt those had no way to type them here.
    own = ["search", "payments", "pool", "--kind", "incident", "--kind", "update", "--json", *WORDS]
    assert await run_main(own) == 0
    by_own_names = capsys.readouterr().out
    apis = ["search", "--q", "payments pool", "--kinds", "incident,update", "--json", *WORDS]
    assert await run_main(apis) == 0
    assert capsys.readouterr().out == by_own_names
    assert {hit.node.label for hit in SearchResponse.model_validate_json(by_own_names).hits} == {
        "Incident",
        "IncidentUpdate",
    }


def test_the_help_names_the_api_parameter_of_each_option() -> None:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    search = commands.choices["search"]
    api_names = {"text": "q", "q": "q", "kind": "kinds", "kinds": "kinds", "mode": "mode", "limit": "limit"}
    api_names |= {"after": "after", "before": "before"}
    helps = {action.dest: action.help or "" for action in search._actions}
    for dest, api_name in api_names.items():
        assert f"the API's {api_name}" in helps[dest], dest


@pytest.mark.usefixtures("data_dir")
async def test_no_hit_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["search", "zzqx", *WORDS]) == 0
    assert "nothing matches 'zzqx'; try fewer or other words" in " ".join(capsys.readouterr().out.split())
    assert await run_main(["search", "zzqx", "--json", *WORDS]) == 0
    empty = SearchResponse(query="zzqx", hits=[])
    assert SearchResponse.model_validate_json(capsys.readouterr().out) == empty


@pytest.mark.usefixtures("data_dir")
async def test_a_window_keeps_only_what_occurred_in_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["search", "payments", "pool", "--before", "2023-06-01", "--json", *WORDS]) == 0
    response = SearchResponse.model_validate_json(capsys.readouterr().out)
    dated = [h.node.occurred_at for h in response.hits if h.node.occurred_at]
    assert dated
    assert all(t.isoformat() < "2023-06-01" for t in dated)


@pytest.mark.usefixtures("data_dir")
async def test_words_only_loads_no_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beside `serve` on a small machine, or with no model installed, the words still find INC-10.
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", "precedent-tests/no-such-model")
    assert await run_main(["search", "payments", "pool", "--json", *WORDS]) == 0
    response = SearchResponse.model_validate_json(capsys.readouterr().out)
    assert "inc-10" in [hit.node.id for hit in response.hits]
    assert await run_main(["search", "payments", "pool", "--json"]) == 1  # by meaning: it needs the model
    assert "PRECEDENT_EMBEDDING_MODEL" in said(capsys)


@pytest.mark.usefixtures("data_dir")
async def test_an_incident_not_found_points_to_search(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["neighbourhood", "--incident", "INC-999"]) == 1
    text = said(capsys)
    advice = "find the incident by its words with `precedent search WORDS`"
    assert f"error: incident 'INC-999' not found; {advice}" in text


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.usefixtures("data_dir")
async def test_similar_to_an_unknown_incident_points_to_search(capsys: pytest.CaptureFixture[str]) -> None:
    # It said only "incident 'INC-999' not found", and nothing at the terminal could find it.
    assert await run_main(["similar", "INC-999"]) == 1
    assert "not found; find the incident by its words with `precedent search WORDS`" in said(capsys)
