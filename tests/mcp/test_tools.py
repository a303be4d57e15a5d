"""Every tool and resource through the SDK's own client, in process, on a generated organisation."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from mcp import Client

from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.graph_schema import load_schema
from precedent.investigation import build_investigation, save
from precedent.mcp import SCHEMA_URI, SERVICES_URI
from precedent.model import PUBLIC_VIEWER
from precedent.retrieval import SIMILAR_MAX_RESULTS, IncidentQuery, NeighbourhoodQuery, find_neighbourhood
from precedent.runtime import Runtime
from precedent.store.embedded import EmbeddedStore
from precedent.webhooks import StoreInvestigationCloser
from tests.mcp.conftest import server_for

if TYPE_CHECKING:
    from pathlib import Path

    from mcp.server.mcpserver import MCPServer

    from tests.mcp.conftest import Org

TOOLS = {
    "find_similar_incidents",
    "get_investigation",
    "get_incident",
    "service_context",
    "neighbourhood",
    "search",
    "recent_changes",
}


async def call(server: MCPServer, tool: str, **arguments: Any) -> tuple[dict[str, Any], str]:
    """Call ``tool``; return its structured content and its text, failing on a tool error."""
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    assert result.structured_content is not None
    return result.structured_content, text


async def test_lists_every_tool_with_schemas_an_agent_can_follow(public_server: MCPServer) -> None:
    async with Client(public_server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description, tool.name
        # Dedented: the docstring's source indentation is noise in an agent's context.
        assert not any(line.startswith(" ") for line in tool.description.splitlines()), tool.name
        assert tool.description == tool.description.strip(), tool.name
        assert tool.output_schema, tool.name
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint
        for name, spec in tool.input_schema["properties"].items():
            assert spec.get("description"), f"{tool.name}.{name} has no description"
    assert tools["get_incident"].input_schema["required"] == ["incident"]
    # The names a neighbourhood takes are in its schema: the model had to guess "SERVICE" or
    # "depends_on", be refused, and call again, as the resource naming them is often not readable.
    walk = tools["neighbourhood"].input_schema["properties"]
    schema = load_schema()
    for argument, names in (("label", schema.node_labels), ("labels", schema.node_labels)):
        assert walk[argument]["items"]["enum"] == sorted(names)
    for argument, names in (("rel", schema.edge_types), ("relationships", schema.edge_types)):
        assert walk[argument]["items"]["enum"] == sorted(names)


async def test_the_instructions_say_how_to_start_on_a_new_incident_in_names_the_tools_take(
    public_server: MCPServer,
) -> None:
    # They listed the tools, but not which to call first when an incident was just declared, and
    # not that one the map does not hold yet is described with find_similar_incidents' `name`.
    async with Client(public_server) as client:
        instructions = client.instructions or ""
        tools = {t.name: t for t in (await client.list_tools()).tools}
    start = instructions.split("When an incident was just declared:", 1)[1]
    assert {tool for tool in tools if tool in start} == {
        "find_similar_incidents",
        "get_investigation",
        "service_context",
    }
    for argument in re.findall(r"`(\w+)`", start):
        assert argument in tools["find_similar_incidents"].input_schema["properties"], argument
    # Said where the tool is described too: not every client hands the model the instructions.
    investigation = tools["get_investigation"].description or ""
    assert "not synced yet, describe it\nto find_similar_incidents (`name`" in investigation


async def test_find_similar_by_reference_and_by_description(public_server: MCPServer, org: Org) -> None:
    ref = str(org.public.properties["reference"])
    body, text = await call(public_server, "find_similar_incidents", incident=ref, limit=3)
    assert body["query"]["reference"] == ref
    assert 0 < len(body["results"]) <= 3
    assert all(r["incident_id"] != org.public.id for r in body["results"])
    assert ref in text
    name = str(org.service.properties["name"])
    body, _ = await call(
        public_server, "find_similar_incidents", name="Elevated errors", summary="5xx spike", services=[name]
    )
    assert body["query"]["services"] == [name]
    assert body["results"]


async def test_a_described_incidents_unknown_service_is_said_with_the_services_meant(
    public_server: MCPServer, org: Org
) -> None:
    # It said "Services not in the map: <typo>", where the API's 404 for one service suggests.
    name = str(org.service.properties["name"])
    typo = name[:-1]
    body, text = await call(public_server, "find_similar_incidents", name="Elevated errors", services=[typo])
    assert body["query"]["unknown_services"] == [typo]
    assert name in body["query"]["services_meant"][typo]
    assert f"not in the map, so left out: {typo} (did you mean " in text
    assert name in text.split("did you mean ")[1].split("?")[0]


async def test_the_similar_limit_is_the_one_every_surface_shares(public_server: MCPServer, org: Org) -> None:
    # The tool stopped at 50 where the API took 100: one limit now, SIMILAR_MAX_RESULTS.
    ref = str(org.public.properties["reference"])
    body, _ = await call(public_server, "find_similar_incidents", incident=ref, limit=SIMILAR_MAX_RESULTS)
    assert body["results"]
    async with Client(public_server) as client:
        refused = await client.call_tool(
            "find_similar_incidents", {"incident": ref, "limit": SIMILAR_MAX_RESULTS + 1}
        )
    assert refused.is_error
    assert str(SIMILAR_MAX_RESULTS) in refused.content[0].text  # type: ignore[union-attr]


async def test_get_incident_has_its_parts(public_server: MCPServer, org: Org) -> None:
    body, text = await call(public_server, "get_incident", incident=str(org.public.properties["reference"]))
    assert body["incident"]["id"] == org.public.id
    assert body["services"]
    assert body["updates"], "every generated incident has updates"
    times = [u["occurred_at"] for u in body["updates"]]
    assert times == sorted(times)
    assert {"root_cause", "resolution", "follow_ups"} <= set(body["lesson"])
    assert str(org.public.properties["name"]) in text


async def test_get_investigation_builds_one(public_server: MCPServer, org: Org) -> None:
    body, text = await call(public_server, "get_investigation", incident=org.public.id, similar=3)
    assert body["incident"]["id"] == org.public.id
    assert body["id"].startswith("inv:")
    assert len(body["similar"]) <= 3
    assert body["services"]
    assert body["summary_markdown"]
    # Built for this answer and not stored: the text said "(investigation inv:..., built ...)" as
    # if that id could be fetched; it says plainly none is stored and how to keep one.
    ref = str(org.public.properties["reference"])
    assert f"(investigation {body['id']}" not in text
    assert f"not stored: no stored investigation of {ref} exists" in text
    assert f"precedent investigate {ref}" in text


async def test_get_investigations_text_names_its_open_follow_ups_and_changes(
    public_server: MCPServer, runtime: Runtime
) -> None:
    # The text was the Slack summary alone: no follow-ups, three changes named without ids, so
    # an agent reading it was told of no open follow-up the structured content held.
    incidents = [n.id async for n in runtime.store.scan_nodes(["Incident"]) if n.visibility == "public"]
    texts = {}
    for incident in sorted(incidents)[-8:]:  # the newest: they have the most precedents
        body, text = await call(public_server, "get_investigation", incident=incident, similar=10)
        texts[incident] = (body, text)
    with_follow_ups = [(b, t) for b, t in texts.values() if b["follow_ups"]]
    assert with_follow_ups, "some investigation of the generated history cites open follow-ups"
    for body, text in with_follow_ups:
        for follow_up in body["follow_ups"]:
            assert f"- {follow_up['title']} (" in text
            assert f"[{follow_up['id']}]" in text
            # And whom it is with, which the text left out.
            owner = f"assigned to {follow_up['assignee']}" if follow_up["assignee"] else "unassigned"
            assert f"{owner}), from " in text
    assert any(f["assignee"] for b, _ in with_follow_ups for f in b["follow_ups"])
    for body, text in texts.values():
        for change in body["changes"][:10]:
            assert f"[{change['id']}]" in text
        if not body["follow_ups"]:
            assert "Open follow-ups of similar incidents: none" in text


async def test_get_investigation_names_a_stored_one_by_its_id(org: Org, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(org.data_dir, data_dir)
    store = EmbeddedStore(data_dir / "graph", dimensions=384)
    await store.open()
    try:
        async with Runtime(store=store, embedder=HashEmbedder(dimensions=384)) as runtime:
            investigation = await build_investigation(
                IncidentQuery(org.public.id), runtime.investigation_collaborators, PUBLIC_VIEWER
            )
            await save(store, investigation)
            body, text = await call(server_for(runtime), "get_investigation", incident=org.public.id)
            _, rebuilt = await call(
                server_for(runtime), "get_investigation", incident=org.public.id, rebuild=True
            )
            # Closed with its incident: the tool says so, in the text and the structured answer.
            closed_at = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
            assert await StoreInvestigationCloser(store, clock=lambda: closed_at)(org.public.id)
            closed, closed_text = await call(server_for(runtime), "get_investigation", incident=org.public.id)
    finally:
        await store.close()
    assert body["id"] == investigation.id
    assert f"(stored investigation {investigation.id}, built" in text
    assert "not stored" not in text
    assert body["superseded_by"] is None
    # Built afresh as rebuild asked: the text said "no stored investigation of INC-n exists".
    assert "no stored investigation" not in rebuilt
    assert (
        f"The latest stored investigation of {org.public.properties['reference']} is {investigation.id}"
        in rebuilt
    )
    # Its incident was closed before this build: the text said nothing of it, and closed_at was
    # null, so an agent read it as a live incident where the page said "(now Closed)".
    ref, status = org.public.properties["reference"], org.public.properties["status"]
    assert (body["incident_closed"], body["incident_status_now"]) == (True, status)
    assert body["closed_at"] is None  # built after the close: no close of its own was recorded
    assert text.startswith(f"{ref} is closed ({status}): this investigation is what was known")
    assert closed["closed_at"] == "2026-12-04T09:30:00.000000Z"
    assert closed_text.startswith(f"{ref} is closed ({status}) since 2026-12-04 09:30 UTC")


async def test_a_neighbourhood_shows_an_investigation_without_its_serialised_result(
    org: Org, tmp_path: Path
) -> None:
    # Each Investigation node carried result_json, the whole investigation as escaped JSON: the
    # demo's INC-201 at one hop was 25 kB, four fifths of it that one string.
    data_dir = tmp_path / "data"
    shutil.copytree(org.data_dir, data_dir)
    store = EmbeddedStore(data_dir / "graph", dimensions=384)
    await store.open()
    try:
        async with Runtime(store=store, embedder=HashEmbedder(dimensions=384)) as runtime:
            investigation = await build_investigation(
                IncidentQuery(org.public.id), runtime.investigation_collaborators, PUBLIC_VIEWER
            )
            await save(store, investigation)
            body, _ = await call(server_for(runtime), "neighbourhood", incident=org.public.id, depth=1)
    finally:
        await store.close()
    (node,) = [n for n in body["nodes"] if n["label"] == "Investigation"]
    assert node["id"] == investigation.id
    assert node["properties"]["incident_id"] == org.public.id
    assert "result_json" not in node["properties"]


async def test_service_context_and_its_changes(public_server: MCPServer, org: Org) -> None:
    name = str(org.service.properties["name"])
    body, text = await call(public_server, "service_context", service=name, change_window_hours=24 * 7)
    service = body["service"]
    assert service["id"] == org.service.id
    assert service["teams"], "every generated service has an owner"
    assert {"on_call", "upstream", "downstream", "recent_incidents"} <= set(service)
    assert body["changes"], "the busiest service has changed in the last week"
    assert name in text


async def test_recent_changes_per_service_and_across_the_map(public_server: MCPServer, org: Org) -> None:
    name = str(org.service.properties["name"])
    body, _ = await call(public_server, "recent_changes", service=name, hours=24 * 30, limit=5)
    assert 0 < len(body["changes"]) <= 5
    assert {c["service_id"] for c in body["changes"]} == {org.service.id}
    starts = [c["started_at"] for c in body["changes"]]
    assert starts == sorted(starts, reverse=True)
    everywhere, text = await call(public_server, "recent_changes", hours=24 * 30, limit=20)
    assert len({c["service_id"] for c in everywhere["changes"]}) > 1
    assert all(c["service_name"] for c in everywhere["changes"])
    assert "whole map" in text
    long_ago = (datetime.now(UTC) - timedelta(days=3650)).isoformat()
    empty, _ = await call(public_server, "recent_changes", until=long_ago, hours=1)
    assert empty["changes"] == []


async def test_recent_changes_says_when_the_window_holds_more_than_it_lists(
    public_server: MCPServer, org: Org
) -> None:
    # Cut at `limit` in silence: an agent read the 50 newest of a busy week as all of that week.
    name = str(org.service.properties["name"])
    every, _ = await call(public_server, "recent_changes", service=name, hours=24 * 90, limit=500)
    assert not every["truncated"]
    assert len(every["changes"]) > 2
    cut, text = await call(public_server, "recent_changes", service=name, hours=24 * 90, limit=2)
    assert cut["truncated"]
    assert [c["id"] for c in cut["changes"]] == [c["id"] for c in every["changes"][:2]]
    assert "(only the newest 2: the window holds more; raise `limit`" in text
    exact, text = await call(
        public_server, "recent_changes", service=name, hours=24 * 90, limit=len(every["changes"])
    )
    assert not exact["truncated"]
    assert "only the newest" not in text


async def test_neighbourhood_of_an_incident_and_of_a_service(public_server: MCPServer, org: Org) -> None:
    body, _ = await call(public_server, "neighbourhood", incident=org.public.id, depth=1)
    ids = {n["id"] for n in body["nodes"]}
    assert org.public.id in ids
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    body, _ = await call(
        public_server, "neighbourhood", service=org.service.id, depth=2, label=["Service"], max_nodes=3
    )
    assert {n["label"] for n in body["nodes"]} == {"Service"}
    assert len(body["nodes"]) <= 3


async def test_a_neighbourhood_asked_without_depth_or_cap_is_the_apis_and_the_clis(
    public_server: MCPServer, runtime: Runtime, org: Org
) -> None:
    # The tool walked 1 hop capped at 100 nodes where the API and the CLI walk 2 capped at 200:
    # an agent and a responder asking alike saw different neighbourhoods.
    async with Client(public_server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    published = tools["neighbourhood"].input_schema["properties"]
    assert (published["depth"]["default"], published["max_nodes"]["default"]) == (2, 200)
    body, _ = await call(public_server, "neighbourhood", incident=org.public.id)
    query = NeighbourhoodQuery(incident=org.public.id)
    walked = await find_neighbourhood(runtime.store, runtime.catalog, query, PUBLIC_VIEWER)
    assert {n["id"] for n in body["nodes"]} == {n.id for n in walked.nodes}


async def test_a_capped_neighbourhood_says_how_to_narrow_it(public_server: MCPServer, org: Org) -> None:
    body, text = await call(public_server, "neighbourhood", service=org.service.id, depth=2, max_nodes=3)
    assert body["truncated"]
    assert "narrow it" in body["truncation_note"]
    assert body["truncation_note"] in text


async def test_neighbourhood_and_search_take_the_apis_names_and_their_older_ones(
    public_server: MCPServer, org: Org
) -> None:
    # The API (and the CLI) say `label`, `rel` and `q`; the tools said `labels`, `relationships`
    # and `query`. Both are taken, and give the same answer.
    centre = {"service": org.service.id, "depth": 2}
    by_api_names, _ = await call(
        public_server, "neighbourhood", **centre, label=["Service"], rel=["DEPENDS_ON"]
    )
    by_older, _ = await call(
        public_server, "neighbourhood", **centre, labels=["Service"], relationships=["DEPENDS_ON"]
    )
    assert by_api_names == by_older
    assert {e["type"] for e in by_api_names["edges"]} <= {"DEPENDS_ON"}
    words = str(org.public.properties["name"])
    by_q, _ = await call(public_server, "search", q=words, mode="text")
    by_query, _ = await call(public_server, "search", query=words, mode="text")
    assert by_q == by_query
    assert by_q["hits"]


async def test_search_by_kind(public_server: MCPServer, org: Org) -> None:
    words = str(org.public.properties["name"])
    body, text = await call(public_server, "search", q=words, kinds=["incident"], mode="text")
    # Generated titles repeat across incidents: the incident is among the best, not always first.
    assert org.public.id in {h["node"]["id"] for h in body["hits"][:5]}
    assert {h["node"]["label"] for h in body["hits"]} == {"Incident"}
    body, _ = await call(public_server, "search", q="root cause", kinds=["postmortem", "follow_up"])
    assert {h["node"]["label"] for h in body["hits"]} <= {"Postmortem", "PostmortemChunk", "FollowUp"}
    assert words in text
    service = str(org.service.properties["name"])
    body, _ = await call(public_server, "search", q=service, kinds=["service"])
    assert body["hits"][0]["node"]["id"] == org.service.id


async def test_a_search_hit_from_an_incident_names_its_reference(public_server: MCPServer) -> None:
    # An update's line read "(incident <internal id>)", which no other tool shows or the web names.
    body, text = await call(public_server, "search", q="investigating", kinds=["update"], mode="text")
    assert body["hits"]
    for hit in body["hits"]:
        reference = hit["incident_reference"]
        assert reference.startswith("INC-"), hit
        assert f"(on {reference})" in text
        assert f"(incident {hit['node']['properties']['incident_id']})" not in text


async def test_a_follow_up_or_incident_hit_says_its_status(public_server: MCPServer) -> None:
    # A completed follow-up and an outstanding one read alike: an agent looking for what is still
    # owed took every hit for open.
    body, text = await call(public_server, "search", q="add", kinds=["follow_up", "incident"], limit=50)
    assert {h["node"]["label"] for h in body["hits"]} == {"FollowUp", "Incident"}
    lines = text.splitlines()
    for hit in body["hits"]:
        node = hit["node"]
        (line,) = [line for line in lines if f"[{node['id']}]" in line]
        assert (
            f", {node['properties']['status']}) score" in line
            or f"({node['properties']['status']}) score" in line
        )


async def test_similar_names_the_open_follow_ups_of_each_result(public_server: MCPServer, org: Org) -> None:
    # It said "open follow-ups: 2", a count naming nothing an agent could act on or look up.
    name = str(org.service.properties["name"])
    body, text = await call(
        public_server, "find_similar_incidents", name="Elevated errors", services=[name], limit=30
    )
    owing = [r for r in body["results"] if any(f["open"] for f in r["explanation"]["lesson"]["follow_ups"])]
    assert owing, "some similar incident of the generated history has an open follow-up"
    for result in owing:
        still_open = [f for f in result["explanation"]["lesson"]["follow_ups"] if f["open"]]
        assert f"open follow-ups ({len(still_open)}): {still_open[0]['title']}" in text


async def test_resources_describe_the_schema_and_the_services(public_server: MCPServer, org: Org) -> None:
    async with Client(public_server) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        schema = (await client.read_resource(SCHEMA_URI)).contents[0].text  # type: ignore[union-attr]
        services = (await client.read_resource(SERVICES_URI)).contents[0].text  # type: ignore[union-attr]
    assert {SCHEMA_URI, SERVICES_URI} <= uris
    assert "**Incident**" in schema
    assert "-**AFFECTS**->" in schema
    assert f"{org.service.properties['name']} [{org.service.id}]" in services


async def test_an_investigation_built_on_the_spot_links_to_no_page(org: Org, tmp_path: Path) -> None:
    # It is not stored, so a link to its web page would lead to "not found".
    settings = Settings(data_dir=tmp_path, public_url="https://precedent.example.com")
    store = EmbeddedStore(org.data_dir / "graph", read_only=True)
    await store.open()
    try:
        async with Runtime(store=store, embedder=HashEmbedder(dimensions=384), settings=settings) as runtime:
            assert runtime.investigation_collaborators.links is not None  # a stored one would link
            body, text = await call(server_for(runtime), "get_investigation", incident=org.public.id)
    finally:
        await store.close()
    assert body["summary_markdown"]
    assert "precedent.example.com" not in body["summary_markdown"]
    assert "/ui/investigations/" not in text


async def test_a_stored_investigation_links_under_the_public_url_of_the_server_reading_it(
    org: Org, tmp_path: Path
) -> None:
    # Built by a process serving its pages on one port, read by the MCP server of another
    # (over stdio, or after a restart): the links stored with it led to the first, long gone.
    data_dir = tmp_path / "data"
    shutil.copytree(org.data_dir, data_dir)
    store = EmbeddedStore(data_dir / "graph", dimensions=384)
    builder = Settings(data_dir=tmp_path, public_url="http://127.0.0.1:18931")
    reader = Settings(data_dir=tmp_path, public_url="https://precedent.example.com")
    await store.open()
    try:
        async with Runtime(store=store, embedder=HashEmbedder(dimensions=384), settings=builder) as runtime:
            investigation = await build_investigation(
                IncidentQuery(org.public.id), runtime.investigation_collaborators, PUBLIC_VIEWER
            )
            await save(store, investigation)
        async with Runtime(store=store, embedder=HashEmbedder(dimensions=384), settings=reader) as runtime:
            body, text = await call(server_for(runtime), "get_investigation", incident=org.public.id)
    finally:
        await store.close()
    assert body["id"] == investigation.id
    targets = re.findall(r"\]\(([^)\s]+)\)", body["summary_markdown"])
    assert targets
    assert all(t.startswith("https://precedent.example.com/ui/") for t in targets), targets
    # The latest: linked by its incident's reference, not by its build id.
    reference = org.public.properties["reference"]
    assert f"https://precedent.example.com/ui/incidents/{reference}/investigation" in targets
    assert body["summary_markdown"] in text
    assert "127.0.0.1:18931" not in text


async def test_the_neighbourhood_text_names_both_ends_of_each_edge(
    public_server: MCPServer, org: Org
) -> None:
    ref = str(org.public.properties["reference"])
    body, text = await call(public_server, "neighbourhood", incident=org.public.id, depth=1)
    services = {n["id"]: n["properties"]["name"] for n in body["nodes"] if n["label"] == "Service"}
    affects = [e for e in body["edges"] if e["type"] == "AFFECTS" and e["source"] == org.public.id]
    assert affects
    for edge in affects:
        assert f"{ref} -AFFECTS-> {services[edge['target']]}" in text.splitlines()
    updates = [n["id"] for n in body["nodes"] if n["label"] == "IncidentUpdate"]
    assert updates
    # A node without a name is listed once by its id, not twice.
    assert f"- IncidentUpdate [{updates[0]}]" in text.splitlines()
