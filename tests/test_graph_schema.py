from __future__ import annotations

import pytest

from precedent.errors import SchemaError
from precedent.graph_schema import load_schema

REQUIRED_LABELS = {
    "Incident",
    "IncidentUpdate",
    "Postmortem",
    "PostmortemChunk",
    "Service",
    "CatalogType",
    "Team",
    "User",
    "Schedule",
    "FollowUp",
    "Severity",
    "IncidentType",
    "ChangeEvent",
    "Investigation",
}
REQUIRED_EDGES = {"AFFECTS", "DEPENDS_ON", "OWNED_BY", "HAS_POSTMORTEM", "HAS_FOLLOW_UP", "RELATED_TO"}


def test_schema_declares_the_core_model() -> None:
    schema = load_schema()
    assert schema.node_labels >= REQUIRED_LABELS
    assert schema.edge_types >= REQUIRED_EDGES
    assert {"Incident", "PostmortemChunk"} <= schema.embedded_labels


def test_migrations_are_numbered_in_order_and_idempotent() -> None:
    migrations = load_schema().migrations
    versions = [m.version for m in migrations]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))
    for migration in migrations:
        for statement in migration.statements:
            if statement.startswith("CREATE"):  # schema: indexes and constraints
                assert "IF NOT EXISTS" in statement, statement
            else:  # data: converges, so running it again changes nothing
                assert statement.startswith("MATCH"), statement
                assert "CREATE" not in statement, statement


@pytest.mark.parametrize("label", ["Nope", "Incident) DETACH DELETE (n", "incident"])
def test_unknown_or_unsafe_labels_are_refused(label: str) -> None:
    # The labels a caller may use, not "edit graph_schema/schema.toml": that is not a user's remedy.
    with pytest.raises(SchemaError, match=r"; use one of Action, .*Service, ") as refused:
        load_schema().check_label(label)
    assert "schema.toml" not in str(refused.value)


def test_unknown_relationship_types_are_refused() -> None:
    with pytest.raises(SchemaError):
        load_schema().check_edge_type("LIKES`]->(x) DELETE x//")
