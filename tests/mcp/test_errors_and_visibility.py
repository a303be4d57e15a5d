"""Bad arguments give a tool error that says what to change; private incidents stay private."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from precedent.errors import SchemaError, StoreError
from precedent.graph_schema import load_schema
from precedent.mcp.errors import tool_errors

if TYPE_CHECKING:
    from collections.abc import Callable

    from mcp.server.mcpserver import MCPServer

    from tests.mcp.conftest import Org


def _refusal(check: Callable[[str], str], name: str) -> str:
    with pytest.raises(SchemaError) as raised:
        check(name)
    return f"invalid arguments: {raised.value}"


UNKNOWN_LABEL = _refusal(load_schema().check_label, "Nope")
UNKNOWN_REL = _refusal(load_schema().check_edge_type, "NOPE")


async def error_of(server: MCPServer, tool: str, **arguments: Any) -> str:
    """Call ``tool`` expecting a tool error; return its text."""
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
        assert result.is_error, result.content
        # The server is still up: the next call on the same connection works.
        assert not (await client.call_tool("recent_changes", {"hours": 1})).is_error
    return result.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("get_incident", {"incident": "INC-999999"}, "incident 'INC-999999' not found: pass an incident id"),
        (
            "get_incident",
            {"incident": "nope"},
            "not found: pass an incident id or a reference such as INC-123 (the `search` tool finds them)",
        ),
        ("get_investigation", {"incident": "nope"}, "incident 'nope' not found"),
        (
            "get_investigation",
            {"incident": "inv:0000000000001:INC-1"},
            "that is an investigation's id, not an incident's",
        ),
        ("find_similar_incidents", {"incident": "INC-999999"}, "not found"),
        ("find_similar_incidents", {}, "pass exactly one of `incident`"),
        (
            "find_similar_incidents",
            {"name": "Checkout 500s", "severity": "SEV9"},
            "invalid arguments: unknown severity 'SEV9': the map knows 'Critical', 'Major', 'Minor'",
        ),
        ("find_similar_incidents", {"incident": "INC-1", "name": "x"}, "pass exactly one of `incident`"),
        # Dropped in silence, they were: the answer never weighed the services the agent suspected.
        (
            "find_similar_incidents",
            {"incident": "INC-1", "services": ["checkout-api"], "summary": "5xx"},
            "invalid arguments: `summary`, `services` describe an incident that is not in the map (with "
            "`name`); 'INC-1' is matched as the map holds it (its own services, severity and start): "
            "leave them out, or describe the incident with `name` instead of `incident`",
        ),
        (
            "find_similar_incidents",
            {"incident": "INC-1", "severity": "Minor"},
            "`severity` describes an incident that is not in the map",
        ),
        # The advice is said once: how to name a service, then where the agent finds one.
        (
            "service_context",
            {"service": "no-such-service"},
            "service 'no-such-service' not found; name it by id, name, external id or alias (the "
            "precedent://services resource lists them; the `search` tool finds one by its words)",
        ),
        ("recent_changes", {"service": "no-such-service"}, "precedent://services"),
        ("neighbourhood", {"service": "no-such-service"}, "service 'no-such-service' not found"),
        ("neighbourhood", {"incident": "INC-1", "service": "x"}, "name exactly one centre"),
        # In the schema's words, as the HTTP API and the CLI say them (the tool had its own).
        ("neighbourhood", {"incident": "INC-1", "label": ["Nope"]}, UNKNOWN_LABEL),
        ("neighbourhood", {"incident": "INC-1", "labels": ["Nope"]}, UNKNOWN_LABEL),
        ("neighbourhood", {"incident": "INC-1", "rel": ["NOPE"]}, UNKNOWN_REL),
        ("neighbourhood", {"incident": "INC-1", "relationships": ["NOPE"]}, UNKNOWN_REL),
        # The API's names and the tool's first ones are both taken; both at once is refused naming them.
        (
            "neighbourhood",
            {"service": "x", "label": ["Service"], "labels": ["Team"]},
            "invalid arguments: pass `label` or its older name `labels`, not both",
        ),
        (
            "neighbourhood",
            {"service": "x", "rel": ["OWNED_BY"], "relationships": ["DEPENDS_ON"]},
            "pass `rel` or its older name `relationships`, not both",
        ),
        (
            "search",
            {"q": "x", "query": "y"},
            "invalid arguments: pass `q` or its older name `query`, not both",
        ),
        ("search", {}, "invalid arguments: `q` is required: the words to look for (`query`, its older name"),
        ("search", {"q": ""}, "invalid arguments: nothing to search for: give some words"),
        # Worded as the CLI and the HTTP API word it (it was the argument validator's own text).
        (
            "neighbourhood",
            {"service": "x", "depth": 9},
            "invalid arguments: depth must be from 0 to 4 hops, not 9; ",
        ),
        ("recent_changes", {"until": "yesterday"}, "until"),
        ("recent_changes", {"until": "2026-03-01T10:00:00"}, "has no time zone"),
        ("recent_changes", {"hours": 0}, "hours"),
        # Worded as the CLI, the HTTP API and the page word them (tests/test_one_search.py).
        ("search", {"query": ""}, "invalid arguments: nothing to search for: give some words"),
        ("search", {"query": "x", "kinds": ["tickets"]}, "kinds"),
        (
            "search",
            {"q": "x", "limit": 500},
            "invalid arguments: limit must be a whole number from 1 to 100, not 500",
        ),
        (
            "recent_changes",
            {"limit": 0},
            "invalid arguments: limit must be a whole number from 1 to 500, not 0",
        ),
        ("get_incident", {}, "incident"),
        (
            "search",
            {"query": "x", "after": "2026-06-01T00:00:00Z", "before": "2026-01-01T00:00:00Z"},
            "after (2026-06-01T00:00:00+00:00) is not earlier than before (2026-01-01T00:00:00+00:00)",
        ),
        (
            "neighbourhood",
            {"incident": "INC-1", "after": "2026-06-01T00:00:00Z", "before": "2026-01-01T00:00:00Z"},
            "so nothing can fall between them: swap them, or leave one out",
        ),
    ],
)
async def test_bad_arguments_say_what_to_change(
    public_server: MCPServer, tool: str, arguments: dict[str, Any], says: str
) -> None:
    assert says in await error_of(public_server, tool, **arguments)


async def test_unknown_tool_is_an_error(public_server: MCPServer) -> None:
    assert "Unknown tool" in await error_of(public_server, "delete_everything")


async def test_private_incident_hidden_from_a_public_viewer(public_server: MCPServer, org: Org) -> None:
    ref = str(org.private.properties["reference"])
    for tool in ("get_incident", "get_investigation", "find_similar_incidents"):
        assert "not found" in await error_of(public_server, tool, incident=ref)
    assert "not found" in await error_of(public_server, "neighbourhood", incident=org.private.id)
    name = str(org.private.properties["name"])
    async with Client(public_server) as client:
        found = await client.call_tool("search", {"query": name, "kinds": ["incident"], "limit": 50})
        context = await client.call_tool("service_context", {"service": org.service.id})
    assert found.structured_content is not None
    assert all(h["node"]["visibility"] == "public" for h in found.structured_content["hits"])
    assert org.private.id not in str(found.structured_content)
    assert org.private.id not in str(context.structured_content)


async def test_private_incident_shown_to_a_viewer_allowed_it(owner_server: MCPServer, org: Org) -> None:
    ref = str(org.private.properties["reference"])
    async with Client(owner_server) as client:
        result = await client.call_tool("get_incident", {"incident": ref})
        found = await client.call_tool(
            "search", {"query": str(org.private.properties["name"]), "kinds": ["incident"], "limit": 50}
        )
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["incident"]["visibility"] == "private"
    assert org.private.id in str(found.structured_content)


def test_a_store_failure_is_told_without_the_driver_words_which_go_to_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A tool quoted the store's message, the database driver's text with it, to the agent.
    driver_words = "Neo4j failed while reading nodes: {code: Neo.DatabaseError.General.UnknownError}"
    caplog.set_level(logging.ERROR, logger="precedent.mcp")
    with pytest.raises(ToolError) as raised, tool_errors():
        raise StoreError(driver_words)
    assert "Neo.DatabaseError" not in str(raised.value)
    assert str(raised.value) == StoreError.CLIENT_DETAIL
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == [driver_words]
