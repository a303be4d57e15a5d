"""The HTTP API end to end on the embedded store, loaded from the sample export through the importer.

Plumbing tests (see conftest.py): the hashing embedder stands in for the model, and the client
presents a ``read`` token.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from litestar.testing import AsyncTestClient

from precedent.api.app import create_app
from precedent.api.auth import route_scopes
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.errors import ConfigError
from precedent.retrieval import SIMILAR_MAX_RESULTS
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pathlib import Path

    from httpx import AsyncClient

    from tests.api.conftest import Api


@pytest.fixture
def client(api: Api) -> AsyncClient:
    """The app's client presenting a ``read`` token (a public viewer: no private incidents)."""
    api.client.headers["Authorization"] = f"Bearer {api.tokens.read}"
    return api.client


async def test_health(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_stats_count_what_was_imported(client: AsyncClient) -> None:
    body = (await client.get("/v1/stats")).json()
    # inc-3 is a test-mode incident: not imported by default; inc-2 is private, so not counted.
    assert body["nodes"]["Incident"] == 1
    assert body["edges"]["AFFECTS"] >= 1


async def test_incident_by_reference(client: AsyncClient) -> None:
    response = await client.get("/v1/incidents/INC-1")
    assert response.status_code == 200
    assert response.json()["incident"]["id"] == "inc-1"
    assert response.json()["incident"]["label"] == "Incident"


async def test_unknown_incident_is_a_404_problem(client: AsyncClient) -> None:
    response = await client.get("/v1/incidents/INC-999/similar")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "INC-999" in response.json()["detail"]


async def test_similar_for_a_described_incident(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/similar",
        json={"name": "Payments API returning 500s again", "services": ["payments-api"], "limit": 5},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["name"] == "Payments API returning 500s again"
    ids = [r["incident_id"] for r in body["results"]]
    assert "inc-1" in ids
    # inc-2 is private and the caller did not ask for private incidents.
    assert "inc-2" not in ids
    first = body["results"][0]
    assert set(first["explanation"]["contributions"]) >= {"semantic", "lexical"}


async def test_a_post_with_a_query_parameter_its_route_does_not_take_is_refused(client: AsyncClient) -> None:
    # The limit of POST /v1/similar is in the body: ?limit=50 answered the default 10 as if
    # asked for 50, and a typo on any POST went unnoticed, as it no longer does on a GET.
    response = await client.post("/v1/similar", params={"limit": 50}, json={"name": "Checkout 500s"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == (
        "unknown query parameter 'limit'; /v1/similar takes none; send its fields in the JSON body"
    )


@pytest.mark.parametrize(
    ("path", "params", "use"),
    [
        ("/v1/search", {"query": "pool"}, "use q, not query"),
        ("/v1/incidents", {"query": "pool"}, "use q, not query"),
        ("/v1/search", {"q": "pool", "kind": "incident"}, "use kinds, not kind"),
        ("/v1/incidents/INC-1/neighbourhood", {"labels": "Service"}, "use label, not labels"),
        (
            "/v1/services/payments-api/neighbourhood",
            {"relationships": "OWNED_BY"},
            "use rel, not relationships",
        ),
        # The MCP tool recent_changes calls a listing's window `hours`.
        ("/v1/services/payments-api/changes", {"hours": "48"}, "use since_hours, not hours"),
    ],
)
async def test_a_name_another_surface_gives_a_parameter_is_refused_naming_the_apis(
    client: AsyncClient, path: str, params: dict[str, str], use: str
) -> None:
    # The MCP tools take query, labels and relationships as older names and hours for since_hours,
    # the CLI --kind: the API answered only "unknown query parameter 'query'", leaving the caller to
    # find q in the list.
    response = await client.get(path, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    refused = use.rsplit(" ", 1)[-1]
    assert f"unknown query parameter {refused!r}: {use} " in response.json()["detail"]


async def test_a_parameter_given_twice_that_takes_one_value_is_refused(client: AsyncClient) -> None:
    # ?severity=Minor&severity=Major (how many clients send a list) kept the last value and listed
    # the Major incidents alone, read as every Minor and Major one.
    response = await client.get("/v1/incidents", params=[("severity", "SEV1"), ("severity", "SEV2")])
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "query parameter 'severity' is given 2 times and takes one value; give it once "
        "(several values comma-separated where it takes them: severity=a,b)"
    )
    # A parameter that takes a list is given once per value, as its OpenAPI entry says.
    repeated = await client.get("/v1/services", params=[("attribute", "tier"), ("attribute", "tier:x")])
    assert repeated.status_code == 200, repeated.text


async def test_a_body_time_without_a_zone_says_how_to_give_one(client: AsyncClient) -> None:
    # The CLI and the MCP tool say to add Z or an offset; the API said only pydantic's words.
    response = await client.post(
        "/v1/similar", json={"name": "Checkout 500s", "declared_at": "2026-12-01T00:00:00"}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "declared_at"
    assert "add Z for UTC" in error["message"]


async def test_a_described_incident_of_an_unknown_severity_or_type_is_refused_naming_the_known(
    client: AsyncClient,
) -> None:
    # Silently ignored before: "SEV9" matched no incident, and the caller never knew.
    for field, value, known in (("severity", "SEV9", "'Critical', 'Minor'"), ("type", "Outage?", "'Outage'")):
        response = await client.post("/v1/similar", json={"name": "Checkout 500s", field: value})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        detail = response.json()["detail"]
        assert f"unknown {field} {value!r}: the map knows {known}" in detail, detail
        assert f"leave {field} out" in detail
    # The map's own names in any case, posed as the map spells them.
    response = await client.post("/v1/similar", json={"name": "Checkout 500s", "severity": "critical"})
    assert response.status_code == 200, response.text
    assert response.json()["query"]["severity"] == "Critical"


async def test_the_similar_limit_is_the_one_every_surface_shares(client: AsyncClient) -> None:
    body = {"name": "Payments API returning 500s again"}
    assert (await client.post("/v1/similar", json={**body, "limit": SIMILAR_MAX_RESULTS})).status_code == 200
    refused = await client.post("/v1/similar", json={**body, "limit": SIMILAR_MAX_RESULTS + 1})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "limit"
    assert str(SIMILAR_MAX_RESULTS) in refused.json()["errors"][0]["message"]
    path = "/v1/incidents/INC-1/similar"
    assert (await client.get(path, params={"limit": SIMILAR_MAX_RESULTS})).status_code == 200
    refused = await client.get(path, params={"limit": SIMILAR_MAX_RESULTS + 1})
    assert refused.status_code == 400
    assert "limit" in refused.json()["detail"]


async def test_similar_refuses_a_bad_body(client: AsyncClient) -> None:
    response = await client.post("/v1/similar", json={"name": "", "limit": 0})
    assert response.status_code == 400


async def test_a_described_incident_without_words_is_a_400_saying_what_to_send(client: AsyncClient) -> None:
    # A blank name answered 200 with no results, as if nothing like it had ever happened.
    for body in ({"name": "   "}, {"name": " ", "summary": "\t", "services": ["payments-api"]}):
        refused = await client.post("/v1/similar", json=body)
        assert refused.status_code == 400, refused.text
        assert "give its name (its title) or a summary" in refused.json()["detail"]
    described = await client.post("/v1/similar", json={"name": " ", "summary": "checkout times out"})
    assert described.status_code == 200


async def test_a_described_incident_of_megabytes_is_refused_before_any_work(client: AsyncClient) -> None:
    # A 3 MB summary took 10 s of CPU; the model reads 256 tokens of it.
    long_summary = await client.post("/v1/similar", json={"name": "Checkout 500s", "summary": "x " * 10_001})
    assert long_summary.status_code == 400, long_summary.text
    assert "summary" in long_summary.json()["detail"]
    long_name = await client.post("/v1/similar", json={"name": "n" * 1_001})
    assert long_name.status_code == 400, long_name.text
    assert "name" in long_name.json()["detail"]
    # 800,000 service names held the event loop (webhook acknowledgements included) for 14 s.
    for field, most in (("services", 100), ("exclude", 1_000)):
        names = [f"s{i}" for i in range(most + 1)]
        too_many = await client.post("/v1/similar", json={"name": "Checkout 500s", field: names})
        assert too_many.status_code == 400, (field, too_many.text)
        assert field in too_many.json()["detail"]
        fine = await client.post("/v1/similar", json={"name": "Checkout 500s", field: names[:most]})
        assert fine.status_code == 200, (field, fine.text)
    excluded = await client.get(
        "/v1/incidents/INC-1/similar", params={"exclude": [f"s{i}" for i in range(1_001)]}
    )
    assert excluded.status_code == 400, excluded.text


async def test_neighbourhood_of_an_incident(client: AsyncClient) -> None:
    response = await client.get("/v1/incidents/INC-1/neighbourhood", params={"depth": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {n["id"] for n in body["nodes"]}
    assert "inc-1" in ids
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    assert body["truncated"] is False


async def test_neighbourhood_of_a_service_by_name(client: AsyncClient) -> None:
    response = await client.get("/v1/services/payments-api/neighbourhood", params={"depth": 1})
    assert response.status_code == 200, response.text
    nodes = response.json()["nodes"]
    assert {"id", "label", "properties", "occurred_at", "visibility"} <= set(nodes[0])
    assert "inc-2" not in {n["id"] for n in nodes}  # private: a public viewer never sees it


async def test_private_incident_is_hidden_from_a_public_viewer(client: AsyncClient) -> None:
    for path in ("/v1/incidents/inc-2", "/v1/nodes/inc-2", "/v1/incidents/inc-2/similar"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/stats")).json()["nodes"]["Incident"] == 1


async def test_every_error_is_problem_json(client: AsyncClient) -> None:
    cases = [
        ("GET", "/v1/incidents/INC-1/similar?limit=abc", 400),
        ("GET", "/v1/incidents/INC-1/similar?limit=0", 400),
        ("GET", "/v1/services/payments-api/neighbourhood?rel=NO_SUCH_TYPE", 400),
        # A time without a zone cannot be compared with the map's times.
        ("GET", "/v1/services/payments-api/neighbourhood?before=2024-01-01T00:00:00", 400),
        ("GET", "/v1/incidents/INC-1/neighbourhood?after=2024-01-01T00:00:00", 400),
        ("GET", "/v1/no-such-route", 404),
        ("DELETE", "/v1/stats", 405),
        ("POST", "/v1/similar", 400),
    ]
    for method, path, status in cases:
        response = await client.request(method, path, content=b"{not json" if method == "POST" else None)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), path
        body = response.json()
        assert body["status"] == status
        assert body["detail"]


@pytest.mark.parametrize(
    "path", ["/v1/incidents/INC-1/neighbourhood", "/v1/services/payments-api/neighbourhood"]
)
@pytest.mark.parametrize("depth", [-1, 9])
async def test_a_depth_beyond_the_cap_is_said_as_every_surface_says_it(
    client: AsyncClient, path: str, depth: int
) -> None:
    # The CLI, the MCP tool and this API each worded it their own way (a validator's "less than or
    # equal to 4" here); one message now, from the error tree.
    response = await client.get(path, params={"depth": depth})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"depth must be from 0 to 4 hops, not {depth}; ")


async def test_a_store_without_its_embedder_is_refused(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    with pytest.raises(ConfigError, match="embedder"):
        create_app(Settings(data_dir=tmp_path, _env_file=None), store=store)  # type: ignore[call-arg]


async def test_openapi_schema_lists_the_routes_and_their_problems(client: AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {
        "/v1/similar",
        "/v1/incidents/{incident}/neighbourhood",
        "/v1/services/{service}/neighbourhood",
        "/v1/incidents/{incident}/similar",
    } <= set(paths)
    not_found = paths["/v1/incidents/{incident}/similar"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_found["content"]


async def test_every_503_answer_declares_its_retry_after_header(client: AsyncClient) -> None:
    # A store that cannot be reached answers 503 with Retry-After; the document did not say so.
    document = (await client.get("/schema/openapi.json")).json()
    unavailable = [
        (path, method, operation["responses"]["503"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "503" in operation.get("responses", {})
    ]
    assert len(unavailable) > 20
    for path, method, response in unavailable:
        header = response.get("headers", {}).get("Retry-After")
        assert header is not None, (method, path)
        assert header["schema"] == {"type": "integer", "minimum": 0}
        assert header["required"] is False  # a 503 for webhooks not configured sends none
    # The YAML document (and the pages) are rendered from the same declarations.
    assert (await client.get("/schema/openapi.yaml")).text.count("Retry-After:") == len(unavailable)


async def test_a_bad_parameter_names_where_it_came_from(client: AsyncClient) -> None:
    body = (await client.get("/v1/incidents", params={"limit": "abc"})).json()
    assert body["errors"][0]["field"] == "limit"
    assert body["errors"][0]["source"] == "query"


async def test_a_bad_body_field_names_the_body_as_where_it_came_from(client: AsyncClient) -> None:
    # A query parameter said "query"; a body field said "" (pydantic's errors carry no source).
    body = (await client.post("/v1/similar", json={"name": 123})).json()
    assert [(e["field"], e["source"]) for e in body["errors"]] == [("name", "body")]


async def test_a_body_that_is_not_json_says_so(client: AsyncClient, api: Api) -> None:
    response = await client.post(
        "/v1/similar", content=b'{"name": "Checkout 502s"', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "InvalidBody"
    assert "not valid JSON" in body["detail"]
    assert "Content-Type: application/json" in body["detail"]
    # Storing an investigation needs write as well as read: the admin token holds both.
    for path, token in (("/v1/similar", api.tokens.read), ("/v1/investigations", api.tokens.admin)):
        headers = {"content-type": "application/json", **api.auth(token)}
        empty = (await client.post(path, headers=headers)).json()
        assert (empty["status"], empty["title"]) == (400, "InvalidBody"), path
        assert "has no body" in empty["detail"], path
        # A list where an object belongs said only "Validation failed for POST /v1/similar".
        listed = (await client.post(path, json=[{"name": "Checkout 502s"}], headers=headers)).json()
        assert (listed["status"], listed["title"]) == (400, "InvalidBody"), path
        assert "must be one JSON object" in listed["detail"], path


async def test_a_json_body_that_is_not_utf8_is_refused_as_bad_json(client: AsyncClient, api: Api) -> None:
    # A byte that is not UTF-8 inside a string (a Latin-1 title pasted by a script) was a 500
    # "unexpected error": msgspec raises UnicodeDecodeError, which Litestar does not wrap.
    body = b'{"name": "Caf\xe9 checkout down", "service": "checkout", "kind": "deploy"}'
    for path, token in (("/v1/similar", api.tokens.read), ("/v1/changes", api.tokens.admin)):
        headers = {"content-type": "application/json", **api.auth(token)}
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["title"] == "InvalidBody"
        assert problem["detail"].startswith(
            "the request body is not valid JSON (JSON must be UTF-8, and byte 0xe9 is not"
        ), problem["detail"]


@pytest.mark.parametrize("escape", ["\\ud800", "\\uDC00", "\\ud83d x"])
async def test_a_json_string_with_half_a_surrogate_pair_is_refused_saying_so(
    client: AsyncClient, api: Api, escape: str
) -> None:
    # msgspec's words were "Input data was truncated", for a body that was whole.
    body = ('{"name": "checkout ' + escape + '", "service": "checkout"}').encode()
    headers = {"content-type": "application/json", **api.auth(api.tokens.admin)}
    response = await client.post("/v1/changes", content=body, headers=headers)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["title"] == "InvalidBody"
    assert "truncated" not in problem["detail"]
    lone = escape.split()[0]
    assert f"{lone} is half of a UTF-16 surrogate pair" in problem["detail"], problem["detail"]


async def test_a_json_string_with_a_whole_surrogate_pair_is_taken(client: AsyncClient, api: Api) -> None:
    body = b'{"name": "checkout \\ud83d\\ude00"}'
    response = await client.post(
        "/v1/similar", content=body, headers={"content-type": "application/json", **api.auth(api.tokens.read)}
    )
    assert response.status_code == 200, response.text
    assert response.json()["query"]["name"] == "checkout \U0001f600"


async def test_every_documented_problem_is_problem_json(client: AsyncClient) -> None:
    # Litestar documents a 400 of its own (application/json, another shape) on a route that does
    # not list one; a client generated from the document would then fail to read the real answer.
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if int(status) >= 400:
                    assert set(response.get("content", {})) == {"application/problem+json"}, (
                        method,
                        path,
                        status,
                    )
            if path.startswith("/v1/"):
                assert "400" in operation["responses"], (method, path)  # an unknown query parameter
    response = await client.get("/v1/stats", params={"servise": "db"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_openapi_describes_each_route_and_the_scope_it_needs(client: AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("description"), (method, path)
    assert "not a `next_cursor`" in paths["/v1/webhooks/deliveries"]["get"]["description"]
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            scopes = route_scopes(handler)
            if scopes != ("read",):
                method = next(iter(handler.http_methods)).lower()
                operation = paths[re.sub(r":\w+}", "}", route.path)][method]
                for scope in scopes:
                    assert f"`{scope}`" in operation["description"], route.path
                # ...and machine-readably, for a client generator or a gateway.
                assert operation["security"] == [{"bearer": list(scopes)}], route.path
    assert paths["/v1/investigations"]["post"]["security"] == [{"bearer": ["read", "write"]}]


async def start_on_a_closed_port(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, wait: float, closed: int
) -> None:
    """Start the app on a Neo4j port nothing listens on (``closed``), waiting ``wait`` s for it."""
    settings = Settings(  # type: ignore[call-arg]
        store="neo4j",
        neo4j_uri=f"bolt://127.0.0.1:{closed}",
        neo4j_start_wait_seconds=wait,
        data_dir=tmp_path,
        _env_file=None,
    )
    app = create_app(settings, embedder=HashEmbedder(dimensions=384))
    with caplog.at_level("INFO", logger="precedent"), pytest.raises(Exception):  # noqa: B017, PT011
        async with AsyncTestClient(app):
            pass


async def test_a_store_it_cannot_open_is_one_line_saying_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    closed = refused_port
    await start_on_a_closed_port(tmp_path, caplog, wait=0, closed=closed)
    # The server prints a long traceback (an exception group) after it; this line comes first.
    [line] = [r.getMessage() for r in caplog.records if r.name == "precedent.api"]
    assert line.startswith(f"precedent cannot start: Neo4j at bolt://127.0.0.1:{closed} is unreachable")
    assert "Check the server is running" in line
    # 0 s of waiting: one attempt, as before the wait was configurable.
    assert not [r for r in caplog.records if r.name == "precedent.store"]


async def test_a_neo4j_not_up_yet_is_waited_for_one_line_per_attempt_then_fails_saying_what_to_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    # compose or systemd start Neo4j beside `serve`, which exited (code 3) when it was not up yet.
    closed = refused_port
    await start_on_a_closed_port(tmp_path, caplog, wait=1, closed=closed)
    waits = [r for r in caplog.records if r.name == "precedent.store" and r.levelname == "WARNING"]
    assert waits, "no attempt was logged"
    for n, record in enumerate(waits, start=1):
        message = record.getMessage()
        assert message.startswith(
            f"waiting for the store: attempt {n} failed (Neo4j at bolt://127.0.0.1:{closed}"
        )
        assert record.exc_info is None
    [gave_up] = [
        r.getMessage() for r in caplog.records if r.name == "precedent.store" and r.levelname == "ERROR"
    ]
    assert gave_up == f"the store did not come up in 1 s ({len(waits) + 1} attempts)"
    [line] = [r.getMessage() for r in caplog.records if r.name == "precedent.api"]
    assert line.startswith(f"precedent cannot start: Neo4j at bolt://127.0.0.1:{closed} is unreachable")


async def test_a_404_says_what_to_do_next(client: AsyncClient) -> None:
    # The CLI pointed at `precedent search` for an unknown incident; the API's 404 said only
    # "not found", and ?team=nosuch on a list gave no hint while /v1/teams/nosuch did.
    incident = (await client.get("/v1/incidents/INC-999")).json()["detail"]
    assert incident == (
        "incident 'INC-999' not found; find the incident by its words with GET /v1/search?q=WORDS"
    )
    by_path = (await client.get("/v1/teams/nosuch")).json()["detail"]
    by_filter = (await client.get("/v1/incidents", params={"team": "nosuch"})).json()["detail"]
    assert by_filter == by_path
    assert "list the teams" in by_filter
    service = (await client.get("/v1/incidents", params={"service": "nosuch"})).json()["detail"]
    assert service == (await client.get("/v1/services/nosuch")).json()["detail"]
    assert "GET /v1/search?q=WORDS" in service


async def test_a_path_or_method_no_route_takes_says_where_the_routes_are(client: AsyncClient) -> None:
    # Both said only "Not Found" / "Method Not Allowed": a newcomer opening the server's root in a
    # browser, or a client with a mistyped path, was left without a next step.
    for path in ("/", "/v1/no-such-route"):
        response = await client.get(path)
        assert response.status_code == 404, path
        detail = response.json()["detail"]
        assert detail.startswith(f"no route matches GET {path}"), detail
        assert "/schema" in detail
        assert "/ui/" in detail
    wrong = await client.delete("/v1/stats")
    assert wrong.status_code == 405
    assert wrong.json()["detail"] == "/v1/stats takes GET, not DELETE; /schema lists what each route takes"
