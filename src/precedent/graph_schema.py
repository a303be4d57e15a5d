"""Loads ``graph_schema/`` (labels, relationship types, Neo4j migrations) as data.

The schema is the whitelist for every label and relationship type that reaches a store, which is
what lets the Neo4j store splice them into Cypher safely.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from precedent.errors import SchemaError

__all__ = ["GraphSchema", "LabelInfo", "Migration", "RelationshipInfo", "describe_schema", "load_schema"]

_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")


def _schema_dir() -> Path:
    # A source checkout (and an editable install) reads the top-level graph_schema/; a wheel
    # carries a copy inside the package (see pyproject's force-include).
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "graph_schema", here / "_graph_schema"):
        if (candidate / "schema.toml").is_file():
            return candidate
    raise SchemaError("graph_schema/schema.toml not found; reinstall precedent")


@dataclass(frozen=True)
class Migration:
    """One versioned Cypher migration."""

    version: int
    name: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class GraphSchema:
    """Node labels and relationship types allowed in the knowledge map."""

    node_labels: frozenset[str]
    edge_types: frozenset[str]
    embedded_labels: frozenset[str]
    migrations: tuple[Migration, ...]

    def check_label(self, label: str) -> str:
        """Return ``label`` if the schema allows it.

        Raises:
            SchemaError: if it is not a known node label.
        """
        if label not in self.node_labels or not _IDENTIFIER.match(label):
            raise SchemaError(
                # What a user may pass (--label, ?label=): editing the schema is not their remedy.
                f"unknown node label {label!r}; use one of {', '.join(sorted(self.node_labels))}",
                field="label",
            )
        return label

    def check_edge_type(self, edge_type: str) -> str:
        """Return ``edge_type`` if the schema allows it.

        Raises:
            SchemaError: if it is not a known relationship type.
        """
        if edge_type not in self.edge_types or not _IDENTIFIER.match(edge_type):
            raise SchemaError(
                f"unknown relationship type {edge_type!r}; use one of {', '.join(sorted(self.edge_types))}",
                field="rel",
            )
        return edge_type


def _split_statements(text: str) -> tuple[str, ...]:
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return tuple(s.strip() for s in "\n".join(lines).split(";") if s.strip())


@cache
def load_schema() -> GraphSchema:
    """Read and validate ``graph_schema/`` once per process."""
    root = _schema_dir()
    data = tomllib.loads((root / "schema.toml").read_text(encoding="utf-8"))
    nodes: dict[str, dict[str, object]] = data.get("nodes", {})
    edges: dict[str, dict[str, object]] = data.get("edges", {})
    for name in [*nodes, *edges]:
        if not _IDENTIFIER.match(name):
            raise SchemaError(f"graph_schema: {name!r} is not a safe identifier")
    migrations = []
    for path in sorted((root / "migrations").glob("*.cypher")):
        match = _MIGRATION.match(path.name)
        if match is None:
            raise SchemaError(f"graph_schema: migration {path.name} must be named NNNN_name.cypher")
        statements = _split_statements(path.read_text(encoding="utf-8"))
        migrations.append(Migration(int(match.group(1)), match.group(2), statements))
    return GraphSchema(
        node_labels=frozenset(nodes),
        edge_types=frozenset(edges),
        embedded_labels=frozenset(k for k, v in nodes.items() if v.get("embedded")),
        migrations=tuple(migrations),
    )


@dataclass(frozen=True)
class LabelInfo:
    """A node label as ``schema.toml`` describes it, for people and agents."""

    name: str
    description: str
    properties: tuple[str, ...]
    time: str | None


@dataclass(frozen=True)
class RelationshipInfo:
    """A relationship type as ``schema.toml`` describes it: what links to what, and what it means."""

    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    description: str


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@cache
def describe_schema() -> tuple[tuple[LabelInfo, ...], tuple[RelationshipInfo, ...]]:
    """The labels and relationship types of the map with their descriptions, in file order."""
    data = tomllib.loads((_schema_dir() / "schema.toml").read_text(encoding="utf-8"))
    labels = tuple(
        LabelInfo(
            name,
            str(spec.get("description", "")),
            _strings(spec.get("properties")),
            str(spec["time"]) if "time" in spec else None,
        )
        for name, spec in data.get("nodes", {}).items()
    )
    relationships = tuple(
        RelationshipInfo(
            name, _strings(spec.get("from")), _strings(spec.get("to")), str(spec.get("description", ""))
        )
        for name, spec in data.get("edges", {}).items()
    )
    return labels, relationships
