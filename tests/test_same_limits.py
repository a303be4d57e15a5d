"""One cap per number, on every surface: the HTTP API, the MCP tools and the CLI publish the same.

The MCP tools had caps of their own: 200 changes where the API pages 500, 20 precedents in an
investigation where the API builds 50, a node cap of 1,000 where the API's is 5,000. An agent
refused a number a responder's script sends (or the other way round) learns nothing from the
other surface, so each cap is one constant and this test reads each surface's published bounds.
"""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from mcp import Client

from precedent.api.app import create_app
from precedent.browse import MAX_CHANGE_HOURS, MAX_CHANGES
from precedent.cli.main import main
from precedent.cli.similar import register as register_similar
from precedent.config import Settings
from precedent.errors import InvalidQuery
from precedent.investigation import CHANGE_WINDOW_MAX_HOURS, SIMILAR_PRECEDENTS_MAX
from precedent.mcp import build_server
from precedent.model import PUBLIC_VIEWER
from precedent.retrieval import (
    MAX_NEIGHBOURHOOD_DEPTH,
    MAX_NEIGHBOURHOOD_NODES,
    SEARCH_MAX_RESULTS,
    SIMILAR_DEFAULT_RESULTS,
    SIMILAR_MAX_RESULTS,
    SimilarOptions,
)

# (MCP tool, its argument), (a GET route's path or a request body's schema, its parameter or field), the cap.
SAME = [
    (("recent_changes", "limit"), ("/v1/services/{service}/changes", "limit"), MAX_CHANGES),
    (("recent_changes", "hours"), ("/v1/services/{service}/changes", "since_hours"), MAX_CHANGE_HOURS),
    (("get_investigation", "similar"), ("InvestigationRequest", "similar"), SIMILAR_PRECEDENTS_MAX),
    (
        ("neighbourhood", "max_nodes"),
        ("/v1/services/{service}/neighbourhood", "max_nodes"),
        MAX_NEIGHBOURHOOD_NODES,
    ),
    (
        ("neighbourhood", "depth"),
        ("/v1/incidents/{incident}/neighbourhood", "depth"),
        MAX_NEIGHBOURHOOD_DEPTH,
    ),
    (("search", "limit"), ("/v1/search", "limit"), SEARCH_MAX_RESULTS),
    (("find_similar_incidents", "limit"), ("/v1/incidents/{incident}/similar", "limit"), SIMILAR_MAX_RESULTS),
]


def _no_runtime() -> Any:
    raise AssertionError("listing the tools runs none")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    return app.openapi_schema.to_schema()


async def _tool_schemas() -> dict[str, dict[str, Any]]:
    async with Client(build_server(_no_runtime, viewer=PUBLIC_VIEWER)) as client:
        return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}


def _api_maximum(openapi: dict[str, Any], where: str, name: str) -> object:
    if where.startswith("/"):
        [parameter] = [p for p in openapi["paths"][where]["get"]["parameters"] if p["name"] == name]
        return parameter["schema"]["maximum"]
    return openapi["components"]["schemas"][where]["properties"][name]["maximum"]


@pytest.mark.parametrize(("tool", "route", "cap"), SAME, ids=[f"{t}.{a}" for (t, a), _, _ in SAME])
async def test_the_mcp_tool_and_the_api_publish_one_cap(
    openapi: dict[str, Any], tool: tuple[str, str], route: tuple[str, str], cap: int
) -> None:
    schemas = await _tool_schemas()
    assert schemas[tool[0]]["properties"][tool[1]]["maximum"] == cap
    assert _api_maximum(openapi, *route) == cap


def _api_schema(openapi: dict[str, Any], where: str, name: str) -> dict[str, Any]:
    if where.startswith("/"):
        [parameter] = [p for p in openapi["paths"][where]["get"]["parameters"] if p["name"] == name]
        return dict(parameter["schema"])
    return dict(openapi["components"]["schemas"][where]["properties"][name])


# (MCP tool, its argument), (a GET route's path or a request body's schema, its field), the cap.
WINDOWS = [
    (("recent_changes", "hours"), ("/v1/services/{service}/changes", "since_hours"), MAX_CHANGE_HOURS),
    (
        ("get_investigation", "change_window_hours"),
        ("InvestigationRequest", "change_window_hours"),
        CHANGE_WINDOW_MAX_HOURS,
    ),
]


@pytest.mark.parametrize(("tool", "route", "cap"), WINDOWS, ids=[f"{t}.{a}" for (t, a), _, _ in WINDOWS])
async def test_a_window_takes_any_hours_above_0_up_to_one_cap(
    openapi: dict[str, Any], tool: tuple[str, str], route: tuple[str, str], cap: int
) -> None:
    # The API took since_hours up to 8,760 where the MCP tool stopped at 720, and a change window
    # from 0.1 hours where the MCP tool took any above 0.
    schemas = await _tool_schemas()
    for schema in (schemas[tool[0]]["properties"][tool[1]], _api_schema(openapi, *route)):
        assert (schema.get("exclusiveMinimum"), schema.get("minimum"), schema["maximum"]) == (0, None, cap)


@pytest.mark.parametrize("sent", ["0", str(MAX_CHANGE_HOURS + 1)])
def test_the_cli_refuses_a_change_listings_hours_as_the_api_does(
    sent: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # --since-hours had no cap: 100000 listed every change ever recorded.
    with pytest.raises(SystemExit):
        main(["changes", "list", "--service", "ledger", "--since-hours", sent])
    said = InvalidQuery.hours_out_of_range("since_hours", sent, MAX_CHANGE_HOURS)
    assert f"argument --since-hours: {said}" in capsys.readouterr().err


async def test_a_service_contexts_change_window_is_an_investigations() -> None:
    schemas = await _tool_schemas()
    around = schemas["service_context"]["properties"]["change_window_hours"]
    investigated = schemas["get_investigation"]["properties"]["change_window_hours"]
    for schema in (around, investigated):
        assert (schema["exclusiveMinimum"], schema["maximum"]) == (0, CHANGE_WINDOW_MAX_HOURS)


# (MCP tool, its argument), (a GET route's path or a request body's schema, its parameter or field).
SAME_DEFAULT = [
    (("find_similar_incidents", "limit"), ("/v1/incidents/{incident}/similar", "limit")),
    (("find_similar_incidents", "limit"), ("DescribedIncidentRequest", "limit")),
    (("search", "limit"), ("/v1/search", "limit")),
    (("get_investigation", "similar"), ("InvestigationRequest", "similar")),
    (("get_investigation", "change_window_hours"), ("InvestigationRequest", "change_window_hours")),
    (("service_context", "change_window_hours"), ("InvestigationRequest", "change_window_hours")),
    (("neighbourhood", "depth"), ("/v1/incidents/{incident}/neighbourhood", "depth")),
    (("neighbourhood", "max_nodes"), ("/v1/incidents/{incident}/neighbourhood", "max_nodes")),
    # recent_changes read 24 hours back where the API and `changes list` read a week.
    (("recent_changes", "hours"), ("/v1/services/{service}/changes", "since_hours")),
    (("recent_changes", "limit"), ("/v1/services/{service}/changes", "limit")),
]


@pytest.mark.parametrize(
    ("tool", "route"), SAME_DEFAULT, ids=[f"{t}.{a}-{w}" for (t, a), (w, _) in SAME_DEFAULT]
)
async def test_the_mcp_tool_and_the_api_take_one_default(
    openapi: dict[str, Any], tool: tuple[str, str], route: tuple[str, str]
) -> None:
    # find_similar_incidents returned 5 where GET .../similar, POST /v1/similar and `precedent
    # similar` return 10: an agent and a script asking the same question saw different lists.
    schemas = await _tool_schemas()
    assert schemas[tool[0]]["properties"][tool[1]]["default"] == _api_schema(openapi, *route)["default"]


def test_the_cli_takes_the_apis_similar_default() -> None:
    parser = argparse.ArgumentParser()
    register_similar(parser.add_subparsers())
    assert parser.parse_args(["similar", "INC-1"]).limit == SIMILAR_DEFAULT_RESULTS == SimilarOptions().limit


async def test_a_change_window_is_described_in_the_apis_words(openapi: dict[str, Any]) -> None:
    # service_context said "how far back to read changes near the service", get_investigation "how
    # far before the declaration to read changes", the API "changes read this far back, in hours".
    said = _api_schema(openapi, "InvestigationRequest", "change_window_hours")["description"]
    schemas = await _tool_schemas()
    for tool in ("service_context", "get_investigation"):
        assert schemas[tool]["properties"]["change_window_hours"]["description"] == said, tool
