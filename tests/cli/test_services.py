"""``precedent services`` and ``precedent service NAME``: what GET /v1/services and the service page say."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from litestar.testing import AsyncTestClient

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.cli.main import build_parser
from precedent.cli.services import _filter, _filter_flags
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.model import Edge, Node
from precedent.responses import ServiceContextResponse, ServiceListResponse
from precedent.store.embedded import EmbeddedStore
from tests.cli.conftest import DIMENSIONS
from tests.cli.output import run_main, said

if TYPE_CHECKING:
    from pathlib import Path


def _table(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().out.split())


@pytest.fixture
async def recent(data_dir: Path) -> Path:
    """The small map with two incidents on payments-db two days ago, one of them private."""
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    started = datetime.now(UTC) - timedelta(days=2)
    try:
        await store.upsert_nodes(
            [
                Node(
                    f"inc-{n}",
                    "Incident",
                    {"reference": f"INC-{n}", "name": name, "status": "Closed", "severity": "SEV2"},
                    started + timedelta(minutes=n),
                    visibility,
                )
                for n, name, visibility in [(90, "Replica lag", "public"), (91, "Secret rotation", "private")]
            ]
        )
        await store.upsert_edges([Edge(f"inc-{n}", "AFFECTS", "svc-paydb") for n in (90, 91)])
    finally:
        await store.close()
    return data_dir


async def _api_page(data_dir: Path, params: dict[str, str | list[str]]) -> ServiceListResponse:
    """``GET /v1/services`` on the map in ``data_dir``, for a caller who sees private incidents."""
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        token = (await TokenRegistry(store).create(["read", "read:private"], name="t")).secret
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        app = create_app(Settings(data_dir=data_dir, _env_file=None), store=store, embedder=embedder)  # type: ignore[call-arg]
        async with AsyncTestClient(app) as client:
            response = await client.get(
                "/v1/services", params=params, headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        await store.close()
    assert response.status_code == 200, response.text
    return ServiceListResponse.model_validate(response.json())


async def test_the_list_is_the_apis_list(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The CLI could not list services at all; its page is GET /v1/services's, field for field.
    assert await run_main(["services", "--team", "payments", "--json"]) == 0
    cli = ServiceListResponse.model_validate_json(capsys.readouterr().out)
    assert cli == await _api_page(data_dir, {"team": "payments"})
    assert [s.name for s in cli.items] == ["ledger", "payments-api", "payments-db"]


@pytest.fixture
async def catalogued(data_dir: Path) -> Path:
    """The small map with catalog attributes on payments-db and ledger, and ledger archived."""
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await store.upsert_nodes(
            [
                Node(
                    "svc-paydb",
                    "Service",
                    {"name": "payments-db", "attributes": ["Tier: 1", "Engine: postgres"]},
                ),
                Node(
                    "svc-ledger", "Service", {"name": "ledger", "attributes": ["Tier: 2"], "archived": True}
                ),
            ]
        )
    finally:
        await store.close()
    return data_dir


@pytest.mark.parametrize(
    ("flags", "params", "names"),
    [
        (["--tier", "1"], {"tier": "1"}, ["payments-db"]),
        (["--attribute", "engine:Postgres"], {"attribute": ["engine:Postgres"]}, ["payments-db"]),
        (
            ["--attribute", "Tier", "--no-archived"],
            {"attribute": ["Tier"], "archived": "false"},
            ["payments-db"],
        ),
        (["--q", "LEDG", "--archived"], {"q": "LEDG", "archived": "true"}, ["ledger"]),
        (
            ["--q", "pay", "--team", "payments"],
            {"q": "pay", "team": "payments"},
            ["payments-api", "payments-db"],
        ),
    ],
)
async def test_each_filter_of_the_api_is_a_flag_with_the_apis_page(
    catalogued: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    params: dict[str, str | list[str]],
    names: list[str],
) -> None:
    # `precedent services` took --team only: a name, tier, attribute or archived filter of the API
    # could not be asked from the command line.
    assert await run_main(["services", *flags, "--json"]) == 0
    cli = ServiceListResponse.model_validate_json(capsys.readouterr().out)
    assert cli == await _api_page(catalogued, params)
    assert [s.name for s in cli.items] == names


async def test_the_next_page_of_a_filtered_list_is_asked_with_its_filters(
    catalogued: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A cursor is bound to the filters of its list: the line saying how to ask for the next page
    # named the cursor and --team alone, and the API refuses a cursor passed without its filters.
    assert await run_main(["services", "--attribute", "Tier", "--limit", "1"]) == 0
    first = _table(capsys)
    assert "ledger (archived)" in first
    asked = first.split("the next page is ", 1)[1].split(" incidents:", 1)[0].split()
    assert asked[0] == "--cursor"
    assert asked[2:] == ["--attribute=Tier"]
    assert await run_main(["services", "--limit", "1", *asked]) == 0
    second = _table(capsys)
    assert "payments-db" in second
    assert "ledger" not in second


def test_the_next_pages_flags_read_back_as_the_filters_they_came_from() -> None:
    # Printed as `--q -pay`, a value starting with "-" was read by argparse as a flag of its own:
    # the next page's command, pasted, failed with "expected one argument".
    parser = build_parser()
    asked = parser.parse_args(
        ["services", "--q=-pay", "--team=-ops", "--tier=-1", "--attribute=-x:y z", "--no-archived"]
    )
    again = parser.parse_args(["services", *shlex.split(" ".join(_filter_flags(asked)))])
    assert _filter(again) == _filter(asked)
    assert _filter(asked).q == "-pay"


async def test_the_table_pages_as_the_api_does(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_main(["services", "--limit", "2", "--json"]) == 0
    cursor = ServiceListResponse.model_validate_json(capsys.readouterr().out).next_cursor
    assert cursor is not None
    assert await run_main(["services", "--limit", "2"]) == 0
    first = _table(capsys)
    assert "checkout │ web" in first  # a service and its owning team
    assert f"--cursor {cursor}" in first
    assert await run_main(["services", "--limit", "2", "--cursor", cursor]) == 0
    second = _table(capsys)
    assert "payments-api" in second
    assert "checkout" not in second


async def test_incident_counts_leave_out_private_incidents_for_a_public_viewer(
    recent: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(["services", "--team", "payments"]) == 0
    assert "payments-db │ payments │ 2" in _table(capsys)
    assert await run_main(["services", "--team", "payments", "--public-only"]) == 0
    assert "payments-db │ payments │ 1" in _table(capsys)


async def test_one_service_shows_owners_dependencies_incidents_and_changes(
    recent: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = ["changes", "record", "--service", "payments-db", "--version", "v3", "--id", "ci-9"]
    assert await run_main(record) == 0
    capsys.readouterr()
    assert await run_main(["service", "payments-db", "--json"]) == 0
    found = ServiceContextResponse.model_validate_json(capsys.readouterr().out)
    assert [t.name for t in found.service.teams] == ["payments"]
    assert {r.name for r in found.service.downstream} >= {"payments-api", "ledger"}
    assert [i.reference for i in found.service.recent_incidents] == ["INC-91", "INC-90"]
    assert [c.id for c in found.changes] == ["change:ci-9"]

    assert await run_main(["service", "payments-db"]) == 0
    page = _table(capsys)
    for fact in ("Owned by payments", "Depended on by", "ledger", "INC-90 Replica lag", "INC-91"):
        assert fact in page
    assert "deploy of payments-db v3" in page
    assert await run_main(["service", "payments-db", "--public-only"]) == 0
    public = _table(capsys)
    assert "INC-90" in public
    assert "INC-91" not in public


async def test_an_unknown_service_is_refused_as_the_api_refuses_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(["service", "paymnts-db"]) == 1
    refused = said(capsys)
    assert "did you mean payments-db" in refused
    assert "precedent search" in refused


async def test_a_limit_out_of_range_is_a_flag_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        await run_main(["services", "--limit", "0"])
    assert exited.value.code == 2
    assert "limit" in said(capsys)


async def test_a_team_filter_naming_no_team_is_a_flag_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The API's 404 names its `team` field: the flag was misused, 2 as for any flag refused, where
    # it exited 1 as a failure would.
    assert await run_main(["services", "--team", "nobody"]) == 2
    assert "team 'nobody' not found" in said(capsys)
