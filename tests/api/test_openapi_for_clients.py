"""The OpenAPI document as a client generator reads it: names, groups, examples and nullable enums.

Teams generate typed clients from ``/schema/openapi.json`` (openapi-python-client,
openapi-typescript). Each test states what such a client got wrong from the document before:
function names built from litestar's operation ids, every route in one "default" group, random
example values, three identical enum classes for one nullable field, and ``DTO`` in body types.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from precedent import responses
from precedent.api.app import create_app
from precedent.config import Settings
from precedent.responses.base import ResponseModel

# The names a generated client calls (openapi-python-client's functions, openapi-typescript's
# `operations` keys): renaming one breaks every client built from the document, so a change here
# is a change to the API.
OPERATION_IDS = {
    ("get", "/health"): "getHealth",
    ("get", "/ready"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
    ("get", "/v1/stats"): "getStats",
    ("get", "/v1/nodes/{node_id}"): "getNode",
    ("get", "/v1/incidents"): "listIncidents",
    ("get", "/v1/incidents/{incident}"): "getIncident",
    ("get", "/v1/incidents/{incident}/updates"): "listIncidentUpdates",
    ("get", "/v1/incidents/{incident}/postmortem"): "listIncidentPostmortems",
    ("get", "/v1/incidents/{incident}/follow-ups"): "listIncidentFollowUps",
    ("get", "/v1/incidents/{incident}/actions"): "listIncidentActions",
    ("get", "/v1/incidents/{incident}/related"): "listRelatedIncidents",
    ("get", "/v1/incidents/{incident}/similar"): "findSimilarToIncident",
    ("post", "/v1/similar"): "findSimilarToDescription",
    ("get", "/v1/incidents/{incident}/neighbourhood"): "getIncidentNeighbourhood",
    ("get", "/v1/services/{service}/neighbourhood"): "getServiceNeighbourhood",
    ("get", "/v1/incidents/{incident}/investigation"): "getIncidentInvestigation",
    ("get", "/v1/investigations/{investigation_id}"): "getInvestigation",
    ("get", "/v1/investigations"): "listInvestigations",
    ("post", "/v1/investigations"): "createInvestigation",
    ("post", "/v1/changes"): "recordChange",
    ("get", "/v1/services/{service}/changes"): "listServiceChanges",
    ("get", "/v1/search"): "search",
    ("get", "/v1/stats/incidents-per-week"): "getIncidentsPerWeek",
    ("get", "/v1/stats/recurring"): "listRecurringFailures",
    ("get", "/v1/stats/sync"): "getSyncStatus",
    ("get", "/v1/admin/sync"): "getSyncProgress",
    ("post", "/v1/admin/sync"): "startSync",
    ("post", "/v1/webhooks/incident-io"): "receiveIncidentIoWebhook",
    ("get", "/v1/webhooks/deliveries"): "listWebhookDeliveries",
    ("post", "/v1/webhooks/deliveries/{delivery_id}/retry"): "retryWebhookDelivery",
    ("get", "/v1/services"): "listServices",
    ("get", "/v1/services/{service}"): "getService",
    ("get", "/v1/services/{service}/incidents"): "listServiceIncidents",
    ("get", "/v1/services/{service}/upstream"): "listServiceUpstream",
    ("get", "/v1/services/{service}/downstream"): "listServiceDownstream",
    ("get", "/v1/services/{service}/owners"): "getServiceOwners",
    ("get", "/v1/services/{service}/on-call"): "getServiceOnCall",
    ("get", "/v1/services/{service}/hotspots"): "getServiceHotspots",
    ("get", "/v1/hotspots"): "listHotspots",
    ("get", "/v1/teams"): "listTeams",
    ("get", "/v1/teams/{team}"): "getTeam",
    ("get", "/v1/teams/{team}/members"): "listTeamMembers",
    ("get", "/v1/teams/{team}/services"): "listTeamServices",
    ("get", "/v1/users/{user}"): "getUser",
    ("get", "/v1/users/{user}/incidents"): "listUserIncidents",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    return app.openapi_schema.to_schema()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


def test_every_operation_has_its_stable_readable_id(document: dict[str, Any]) -> None:
    # Litestar's ids (`V1IncidentsUpdatesUpdates`) made `v1_incidents_updates_updates()` and a
    # `V1SearchSearchMode` enum in a generated client, and changed with a handler's name.
    ids = {key: operation.get("operationId") for key, operation in _operations(document).items()}
    assert ids == OPERATION_IDS
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name) for name in ids.values())


def test_every_operation_is_in_one_declared_group(document: dict[str, Any]) -> None:
    # Without tags every route of a generated client landed in one `default` module.
    declared = [tag["name"] for tag in document["tags"]]
    assert len(declared) == len(set(declared))
    assert all(tag.get("description") for tag in document["tags"])
    groups = {key: operation.get("tags") for key, operation in _operations(document).items()}
    assert {key: len(tags or []) for key, tags in groups.items()} == dict.fromkeys(OPERATION_IDS, 1)
    used = {tags[0] for tags in groups.values() if tags}
    assert used == set(declared)
    assert groups[("get", "/v1/incidents/{incident}/follow-ups")] == ["incidents"]
    assert groups[("post", "/v1/changes")] == ["changes"]


def test_problem_answers_carry_no_invented_examples(document: dict[str, Any]) -> None:
    # Litestar generated random examples for every problem answer (`"status": 8793`, a title of
    # twenty random letters): the pages showed them as what the API answers.
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert "examples" not in json.dumps(problem, default=str)
    assert problem["properties"]["status"] == {"type": "integer", "description": "the HTTP status code"}
    for operation in _operations(document).values():
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")) and "application/problem+json" in answer.get("content", {}):
                assert "examples" not in answer["content"]["application/problem+json"]


def _enums(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if "enum" in node else []
        return found + [e for value in node.values() for e in _enums(value)]
    if isinstance(node, list):
        return [e for value in node for e in _enums(value)]
    return []


def test_a_nullable_enum_is_one_of_the_enum_and_null(document: dict[str, Any]) -> None:
    # `Literal[...] | None` was one enum holding null under `type: [null, string]`, from which
    # openapi-python-client built three identical enum classes for `path_kind`.
    assert [e for e in _enums(document) if None in e["enum"] or isinstance(e.get("type"), list)] == []
    path_kind = document["components"]["schemas"]["ExplanationResponse"]["properties"]["path_kind"]
    assert path_kind == {
        "oneOf": [
            {"type": "string", "enum": ["same_service", "dependency", "same_team"]},
            {"type": "null"},
        ]
    }


def test_request_bodies_are_named_for_what_they_hold(document: dict[str, Any]) -> None:
    # A generated client's body classes were `ChangeRequestDTO` and `InvestigationRequestDTO`.
    schemas = document["components"]["schemas"]
    assert [name for name in schemas if name.endswith("DTO")] == []
    operations = _operations(document)
    bodies = {
        ("post", "/v1/changes"): "ChangeRequest",
        ("post", "/v1/investigations"): "InvestigationRequest",
    }
    for key, name in bodies.items():
        body = operations[key]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}
        assert schemas[name]["additionalProperties"] is False


def test_every_answers_schema_is_named_as_a_response(document: dict[str, Any]) -> None:
    # A generated client's types are named from the response models: `InvestigationListItem`
    # stood alone among `...Response` classes. A problem's shapes keep RFC 9457's names.
    schemas = document["components"]["schemas"]
    answers = {
        name
        for name in responses.__all__
        if isinstance(getattr(responses, name), type) and issubclass(getattr(responses, name), ResponseModel)
    }
    assert sorted(n for n in answers if not n.endswith("Response")) == ["FieldProblem", "ProblemDetails"]
    listed = schemas["InvestigationListResponse"]["properties"]["items"]["items"]
    assert listed == {"$ref": "#/components/schemas/InvestigationItemResponse"}


def test_the_webhook_receiver_declares_the_event_it_reads(document: dict[str, Any]) -> None:
    # The receiver reads its body raw (the signature is over the bytes), so the document declared
    # none: a generated client's `receive_incident_io_webhook()` had no body parameter at all.
    body = _operations(document)[("post", "/v1/webhooks/incident-io")]["requestBody"]
    assert body["required"] is True
    event = body["content"]["application/json"]["schema"]
    assert (event["type"], event["required"]) == ("object", ["event_type"])
    assert event["properties"]["event_type"]["type"] == "string"
    assert event["additionalProperties"] is True  # the resource, under the event type's name
    assert "https://api-docs.incident.io/tag/Webhooks" in event["description"]


def test_every_operation_declares_its_500_as_a_problem(document: dict[str, Any]) -> None:
    # A generated client parses only the answers a route declares: a 500 was `None` (or an
    # "unexpected status" error) instead of a problem whose detail and request id a report needs.
    for key, operation in _operations(document).items():
        answer = operation["responses"].get("500")
        assert answer is not None, key
        assert answer["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/ProblemDetails"
        }
        assert "X-Request-ID" in answer["description"]


def test_a_problems_refused_fields_are_typed(document: dict[str, Any]) -> None:
    # `errors` was a list of free-form maps: a client read `errors[0]["field"]` untyped.
    schemas = document["components"]["schemas"]
    errors = schemas["ProblemDetails"]["properties"]["errors"]
    assert errors["oneOf"][0] == {"items": {"$ref": "#/components/schemas/FieldProblem"}, "type": "array"}
    assert errors["oneOf"][1] == {"type": "null"}
    field = schemas["FieldProblem"]
    assert field["required"] == ["field", "message", "source"]
    assert {name: spec["type"] for name, spec in field["properties"].items()} == dict.fromkeys(
        ("field", "source", "message"), "string"
    )


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return own.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_every_property_a_response_writes_is_required(document: dict[str, Any]) -> None:
    # Every field of a response is written (`null` when empty), but one with a default was marked
    # optional, so a generated client typed `NodeResponse.text` and `Change.through` as maybe absent.
    schemas = document["components"]["schemas"]
    answers = [operation["responses"] for operation in _operations(document).values()]
    reached, todo = set(), _refs(answers)
    while todo:
        name = todo.pop()
        reached.add(name)
        todo |= _refs(schemas[name]) - reached
    assert {"NodeResponse", "Change", "Hypothesis", "InvestigationResponse", "ProblemDetails"} <= reached
    optional = {
        name: sorted(set(schemas[name].get("properties", {})) - set(schemas[name].get("required", [])))
        for name in reached
    }
    assert {name: fields for name, fields in optional.items() if fields} == {}
    # A request body's defaults stay optional: a client need not send them.
    assert schemas["ChangeRequest"]["required"] == ["service"]
    assert schemas["InvestigationRequest"]["required"] == ["name"]


def test_every_operation_is_summed_up_in_words(document: dict[str, Any]) -> None:
    # Litestar's summaries were the handlers' names run together (`ServiceWeeks`, `Related`,
    # `Updates`): the pages' menu and a generated function's first docstring line.
    summaries = {key: operation.get("summary") for key, operation in _operations(document).items()}
    assert all(isinstance(s, str) and not re.search(r"[a-z][A-Z]", s) for s in summaries.values()), summaries
    assert len(set(summaries.values())) == len(summaries)
    assert summaries[("get", "/v1/incidents/{incident}/updates")] == "An incident's status updates"
    assert summaries[("get", "/v1/services/{service}/hotspots")] == "A service's incidents per week"


def test_the_webhook_receiver_s_401_says_its_signature_did_not_verify(document: dict[str, Any]) -> None:
    # The receiver takes no token; its 401 said "no valid API token was given", sending whoever
    # read it to look for a token incident.io never sends instead of at the secret or the clock.
    operations = _operations(document)
    refused = operations[("post", "/v1/webhooks/incident-io")]["responses"]["401"]["description"]
    assert "signature did not verify" in refused
    assert "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET" in refused
    assert "clock" in refused
    assert "token" not in refused
    # Every other route's 401 is still about the token.
    others = {
        route: operation["responses"]["401"]["description"]
        for route, operation in operations.items()
        if "401" in operation["responses"] and route != ("post", "/v1/webhooks/incident-io")
    }
    assert others
    assert set(others.values()) == {"no valid API token was given"}
