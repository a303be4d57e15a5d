"""Resources an agent reads to orient itself: the map's schema, and the organisation's services."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from precedent.graph_schema import describe_schema

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from precedent.mcp.state import ToolState
    from precedent.store import GraphStore

__all__ = ["SCHEMA_URI", "SERVICES_URI", "register_resources", "schema_markdown", "services_markdown"]

SCHEMA_URI = "precedent://schema"
SERVICES_URI = "precedent://services"


def schema_markdown() -> str:
    """The map's labels and relationships, each with what it means (from graph_schema/schema.toml)."""
    labels, relationships = describe_schema()
    lines = [
        "# Precedent's knowledge map",
        "",
        "Nodes have an id, one label, properties, a time (when it happened) and a visibility",
        "(public or private; private incidents and their parts are shown only to viewers allowed them).",
        "",
        "## Labels",
    ]
    for label in labels:
        when = f" Time: {label.time}." if label.time else ""
        lines.append(
            f"- **{label.name}**: {label.description}{when} Properties: {', '.join(label.properties)}."
        )
    lines += ["", "## Relationships (source -TYPE-> target)"]
    for rel in relationships:
        lines.append(
            f"- {'|'.join(rel.sources)} -**{rel.name}**-> {'|'.join(rel.targets)}: {rel.description}"
        )
    return "\n".join(lines) + "\n"


async def services_markdown(store: GraphStore) -> str:
    """Every service with its id, owning teams and direct dependencies, by name."""
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    scan = store.scan_nodes(["Service", "Team"])
    async with contextlib.aclosing(scan) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            names[node.id] = str(node.properties.get("name", node.id))
            if node.label == "Service":
                found = node.properties.get("aliases")
                aliases[node.id] = ", ".join(str(a) for a in found) if isinstance(found, list) else ""
    owners: dict[str, list[str]] = {}
    depends: dict[str, list[str]] = {}
    edges = store.scan_edges(["OWNED_BY", "DEPENDS_ON"])
    async with contextlib.aclosing(edges) as found_edges:  # type: ignore[type-var]
        async for edge in found_edges:
            if edge.source in aliases and edge.target in names:
                into = owners if edge.type == "OWNED_BY" else depends
                into.setdefault(edge.source, []).append(names[edge.target])
    lines = ["# Services", "", "name [id]: owners; depends on; aliases"]
    for service_id in sorted(aliases, key=lambda s: (names[s].casefold(), s)):
        parts = [
            f"owned by {', '.join(sorted(owners[service_id]))}" if service_id in owners else "no owner",
            f"depends on {', '.join(sorted(depends[service_id]))}" if service_id in depends else "",
            f"aliases {aliases[service_id]}" if aliases[service_id] else "",
        ]
        lines.append(f"- {names[service_id]} [{service_id}]: " + "; ".join(p for p in parts if p))
    return "\n".join(lines) + "\n"


def register_resources(server: MCPServer, state: ToolState) -> None:
    """Add the schema and services resources to ``server``."""

    @server.resource(
        SCHEMA_URI,
        name="schema",
        title="The knowledge map's schema",
        description="Node labels and relationship types, and what each means.",
        mime_type="text/markdown",
    )
    def schema() -> str:
        return schema_markdown()

    @server.resource(
        SERVICES_URI,
        name="services",
        title="The organisation's services",
        description="Every service with its id, owning teams, dependencies and aliases.",
        mime_type="text/markdown",
    )
    async def services() -> str:
        return await services_markdown(state.runtime().store)
