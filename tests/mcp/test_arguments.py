"""Arguments the SDK rejects before a tool runs come back saying what to send, not pydantic's text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from precedent.api.query_guard import OTHER_NAMES
from precedent.browse import MAX_CHANGE_HOURS
from precedent.errors import InvalidQuery
from precedent.investigation import CHANGE_WINDOW_MAX_HOURS
from tests.mcp.test_errors_and_visibility import error_of

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from precedent.runtime import Runtime


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("get_incident", {}, "`incident` is required: an incident id, or its reference such as INC-123"),
        ("get_incident", {"incident": ""}, '`incident` must be a non-empty string; "" is empty'),
        # An empty name was looked up: "incident '' not found", as if the map lacked it.
        ("find_similar_incidents", {"incident": ""}, '`incident` must be a non-empty string; "" is empty'),
        ("neighbourhood", {"incident": ""}, '`incident` must be a non-empty string; "" is empty'),
        ("neighbourhood", {"service": ""}, '`service` must be a non-empty string; "" is empty'),
        ("recent_changes", {"service": ""}, '`service` must be a non-empty string; "" is empty'),
        # Out of range: the words every route, command and tool use (InvalidQuery.limit_out_of_range).
        (
            "find_similar_incidents",
            {"incident": "INC-1", "limit": 0},
            str(InvalidQuery.limit_out_of_range(0, 100)),
        ),
        # A word for a number: the HTTP API's and the CLI's words too (it was this server's own).
        (
            "find_similar_incidents",
            {"incident": "INC-1", "limit": "five"},
            str(InvalidQuery.number_out_of_range("limit", '"five"', 1, 100)),
        ),
        (
            "find_similar_incidents",
            {"name": "x", "declared_at": "2026-01-01T00:00:00"},
            "`declared_at` must be an ISO 8601 time with a time zone, e.g. 2026-12-03T14:05:00Z; "
            '"2026-01-01T00:00:00" has no time zone: add Z for UTC, or an offset such as +01:00',
        ),
        (
            "find_similar_incidents",
            {"name": "x", "services": "checkout"},
            '`services` must be a list of strings; "checkout" is one value: send a list, ["checkout"]',
        ),
        ("recent_changes", {"hours": 0}, str(InvalidQuery.hours_out_of_range("hours", 0, MAX_CHANGE_HOURS))),
        # A year, as the HTTP API's since_hours (the tool stopped at 720).
        (
            "recent_changes",
            {"hours": MAX_CHANGE_HOURS + 1},
            str(InvalidQuery.hours_out_of_range("hours", MAX_CHANGE_HOURS + 1, MAX_CHANGE_HOURS)),
        ),
        (
            "search",
            {"query": "x", "kinds": ["tickets"]},
            '`kinds[0]` must be one of "incident", "postmortem", "follow_up", "service", "update", '
            'not "tickets"',
        ),
        (
            "search",
            {"query": "x", "mode": "fuzzy"},
            '`mode` must be one of "hybrid", "text", "semantic", not "fuzzy"',
        ),
        # Out of range: the words a word for either is refused in, as the HTTP API and the CLI say them.
        (
            "get_investigation",
            {"incident": "INC-1", "similar": 100},
            str(InvalidQuery.number_out_of_range("similar", 100, 1, 50)),
        ),
        (
            "get_investigation",
            {"incident": "INC-1", "change_window_hours": 0},
            str(InvalidQuery.hours_out_of_range("change_window_hours", 0, CHANGE_WINDOW_MAX_HOURS)),
        ),
        (
            "service_context",
            {"service": "x", "change_window_hours": CHANGE_WINDOW_MAX_HOURS + 1},
            str(
                InvalidQuery.hours_out_of_range(
                    "change_window_hours", CHANGE_WINDOW_MAX_HOURS + 1, CHANGE_WINDOW_MAX_HOURS
                )
            ),
        ),
        # Strings for a flag and a number, refused as the HTTP API refuses them (the SDK took them).
        (
            "get_investigation",
            {"incident": "INC-1", "rebuild": "yes", "similar": "5"},
            '`rebuild` must be true or false, not "yes"; '
            + str(InvalidQuery.number_out_of_range("similar", '"5"', 1, 50)),
        ),
        (
            "search",
            {"query": "x", "limit": "5"},
            str(InvalidQuery.number_out_of_range("limit", '"5"', 1, 100)),
        ),
        (
            "recent_changes",
            {"hours": "24"},
            str(InvalidQuery.hours_out_of_range("hours", '"24"', MAX_CHANGE_HOURS)),
        ),
        ("recent_changes", {"limit": True}, str(InvalidQuery.number_out_of_range("limit", "true", 1, 500))),
    ],
)
async def test_a_rejected_argument_says_what_to_send(
    public_server: MCPServer, tool: str, arguments: dict[str, Any], says: str
) -> None:
    text = await error_of(public_server, tool, **arguments)
    assert text == f"Error executing tool {tool}: invalid arguments: {says}"


# 1e30 overflowed building get_investigation's window: "Error executing tool" with no reason.
@pytest.mark.parametrize("hours", [0, CHANGE_WINDOW_MAX_HOURS + 1, "a day", 1e30])
async def test_a_change_window_is_refused_alike_by_service_context_and_get_investigation(
    public_server: MCPServer, hours: object
) -> None:
    # get_investigation said "the change window must be more than 0 and at most 720 hours (30 days),
    # not 0 hours" where service_context said "change_window_hours must be a number of hours above 0".
    context = await error_of(public_server, "service_context", service="x", change_window_hours=hours)
    investigation = await error_of(
        public_server, "get_investigation", incident="INC-1", change_window_hours=hours
    )
    assert context.split(": ", 1)[1] == investigation.split(": ", 1)[1]


async def test_no_pydantic_text_reaches_the_agent(public_server: MCPServer) -> None:
    text = await error_of(public_server, "recent_changes", until="yesterday", hours=-1, limit=1.5)
    for pydantic_words in ("validation error", "errors.pydantic.dev", "recent_changesArguments", "type="):
        assert pydantic_words not in text
    assert "`until` must be an ISO 8601 time" in text
    assert str(InvalidQuery.hours_out_of_range("hours", -1, MAX_CHANGE_HOURS)) in text
    assert str(InvalidQuery.number_out_of_range("limit", 1.5, 1, 500)) in text


async def test_an_argument_the_tool_does_not_take_is_refused(public_server: MCPServer) -> None:
    # `service` for `services`: answered as if no service was given, were it dropped in silence.
    text = await error_of(public_server, "find_similar_incidents", name="Checkout 500s", service="checkout")
    assert text == (
        "Error executing tool find_similar_incidents: invalid arguments: find_similar_incidents takes no "
        "`service`; it takes incident, name, summary, services, severity, declared_at, before, limit"
    )


async def test_an_unknown_tool_names_the_tools(public_server: MCPServer) -> None:
    text = await error_of(public_server, "delete_everything")
    assert text == (
        "Unknown tool: delete_everything; the tools are find_similar_incidents, get_incident, "
        "get_investigation, neighbourhood, recent_changes, search, service_context"
    )


async def test_an_unknown_resource_names_the_resources(public_server: MCPServer) -> None:
    # "Unknown resource: precedent://nope" alone, where an unknown tool names the tools.
    async with Client(public_server) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource("precedent://nope")
        # The connection is still up, and a resource named answers.
        assert (await client.read_resource("precedent://schema")).contents
    assert refused.value.message == (
        "Unknown resource: precedent://nope; the resources are precedent://schema, precedent://services"
    )


async def test_good_arguments_still_answer(public_server: MCPServer, runtime: Runtime) -> None:
    async with Client(public_server) as client:
        result = await client.call_tool("search", {"query": "errors", "kinds": ["incident"], "limit": 3})
    assert not result.is_error
    assert result.structured_content is not None
    assert 0 < len(result.structured_content["hits"]) <= 3


async def test_a_null_for_an_argument_with_a_default_leaves_it_out(public_server: MCPServer) -> None:
    # Models often send null for every optional argument they mean to leave out: the first call
    # failed with "`label` must be a list ..., not null" or "`hours` must be a number ..., not null".
    async with Client(public_server) as client:
        every = {}
        for tool in (await client.list_tools()).tools:
            optional = set(tool.input_schema["properties"]) - set(tool.input_schema.get("required", ()))
            every[tool.name] = dict.fromkeys(optional)
        calls = {
            "neighbourhood": {**every["neighbourhood"], "incident": "INC-1"},
            "search": {**every["search"], "q": "errors", "query": None},
            "recent_changes": every["recent_changes"],
            "service_context": {**every["service_context"], "service": "no-such-service"},
        }
        results = {tool: await client.call_tool(tool, arguments) for tool, arguments in calls.items()}
        required = await client.call_tool("get_incident", {"incident": None})
    for tool in ("neighbourhood", "search", "recent_changes"):
        assert not results[tool].is_error, results[tool].content
    # Past its arguments: a service the map lacks.
    assert "service 'no-such-service' not found" in results["service_context"].content[0].text  # type: ignore[union-attr]
    # A required argument is not left out: it is still missing.
    assert required.is_error
    assert "`incident` must be a non-empty string, not null" in required.content[0].text  # type: ignore[union-attr]


async def test_each_older_name_a_tool_takes_is_one_the_http_api_refuses_naming_its_own(
    public_server: MCPServer,
) -> None:
    # An agent that learnt `query` from a tool and sends it to GET /v1/search is told to use q.
    older = {}
    for tool in await public_server.list_tools():
        for name, field in tool.input_schema["properties"].items():
            said = re.match(r"the older name of `(\w+)`", field.get("description", ""))
            if said:
                older[name] = said[1]
    assert older == {"query": "q", "labels": "label", "relationships": "rel"}
    assert {name: OTHER_NAMES[name] for name in older} == older
