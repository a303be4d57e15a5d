"""The investigation's neighbourhood as a drawing: laid out here, drawn as inline SVG by the template.

Built from the investigation alone (it already holds only what its viewer may see), in four
columns read left to right: the precedents, this incident, the services it affects, and what is
around them (dependencies and recent changes). The edges that link this incident to its
precedents (their service paths) and to the evidence of its top hypothesis are marked
``linking`` so the drawing highlights them. Pure functions: no store, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from precedent.investigation import Investigation

__all__ = ["Drawing", "DrawnEdge", "DrawnNode", "draw_investigation", "path_names"]

NodeKind = Literal["incident", "precedent", "service", "related", "change"]

WIDTH = 760
ROW = 46
TOP = 40
COLUMNS = {"precedent": 90, "incident": 265, "service": 450, "related": 640, "change": 640}
MAX_PRECEDENTS = 5
MAX_AROUND = 8
_ARROW = re.compile(r" (?:-[A-Z_]+->|<-[A-Z_]+-) ")


@dataclass
class DrawnNode:
    """A node placed on the drawing; ``href`` links it to its page when it has one."""

    key: str
    kind: NodeKind
    label: str
    x: float = 0.0
    y: float = 0.0
    href: str | None = None
    linking: bool = False


@dataclass(frozen=True)
class DrawnEdge:
    source: DrawnNode
    target: DrawnNode
    label: str
    linking: bool


@dataclass
class Drawing:
    """Everything the template needs: placed nodes, edges, and the canvas height."""

    nodes: list[DrawnNode] = field(default_factory=list)
    edges: list[DrawnEdge] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0


def path_names(path: str | None) -> list[str]:
    """The node names along a precedent's path (``INC-1 -AFFECTS-> api <-AFFECTS- INC-9``)."""
    return [part.strip() for part in _ARROW.split(path)] if path else []


def short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_investigation(investigation: Investigation, links: dict[str, str]) -> Drawing:
    """Lay out ``investigation``'s neighbourhood.

    Args:
        investigation: The investigation to draw.
        links: Page URLs by node key (``incident:<id>``, ``service:<name>``) for the nodes that have one.
    """
    incident = investigation.incident
    drawing = Drawing()
    nodes: dict[str, DrawnNode] = {}
    edges: dict[tuple[str, str], DrawnEdge] = {}

    def node(key: str, kind: NodeKind, label: str) -> DrawnNode:
        if key not in nodes:
            nodes[key] = DrawnNode(key, kind, short(label), href=links.get(key))
        return nodes[key]

    def edge(a: DrawnNode, b: DrawnNode, label: str) -> None:
        edges.setdefault((a.key, b.key), DrawnEdge(a, b, label, False))

    centre = node(f"incident:{incident.id or 'new'}", "incident", incident.label)
    for name in incident.service_names:
        edge(centre, node(f"service:{name}", "service", name), "affects")
    around = 0
    for context in investigation.services:
        affected = node(f"service:{context.name}", "service", context.name)
        for related in (*context.upstream, *context.downstream):
            if around >= MAX_AROUND or related.hops > 1:
                continue
            if f"service:{related.name}" not in nodes:
                around += 1
            other = node(f"service:{related.name}", "related", related.name)
            if related.relation == "upstream":
                edge(affected, other, "depends on")
            else:
                edge(other, affected, "depends on")
    for change in investigation.changes[:4]:
        target = nodes.get(f"service:{change.service_name}")
        if target is None:
            continue
        edge(node(f"change:{change.id}", "change", change.title), target, "changed")

    linking: set[str] = {centre.key}
    for precedent in investigation.similar[:MAX_PRECEDENTS]:
        past = node(f"incident:{precedent.incident_id}", "precedent", precedent.label)
        names = path_names(precedent.path)
        on_path = [f"service:{n}" for n in names if f"service:{n}" in nodes]
        for service in on_path or [
            f"service:{s}" for s in precedent.shared_services if f"service:{s}" in nodes
        ]:
            edge(past, nodes[service], "affected")
        linking |= {past.key, *on_path}
    if investigation.hypotheses:
        for evidence in investigation.hypotheses[0].evidence:
            for key in (f"change:{evidence.id}", f"incident:{evidence.id}", f"service:{evidence.name}"):
                if key in nodes:
                    linking.add(key)
    for key in linking:
        nodes[key].linking = True
    # An edge is on a linking path when both its ends are: the incident, the services the paths
    # cross, the precedents and the cited evidence.
    drawing.edges = [
        DrawnEdge(e.source, e.target, e.label, e.source.key in linking and e.target.key in linking)
        for e in edges.values()
    ]
    _place(list(nodes.values()))
    drawing.nodes = list(nodes.values())
    rows = max((sum(1 for n in nodes.values() if _column(n) == c) for c in set(COLUMNS.values())), default=1)
    drawing.height = TOP * 2 + ROW * max(rows - 1, 0)
    return drawing


def _column(node: DrawnNode) -> int:
    return COLUMNS[node.kind]


def _place(nodes: list[DrawnNode]) -> None:
    columns: dict[int, list[DrawnNode]] = {}
    for n in nodes:
        columns.setdefault(_column(n), []).append(n)
    tallest = max((len(c) for c in columns.values()), default=1)
    for x, members in columns.items():
        # Each column is centred vertically against the tallest, so short columns sit mid-way.
        offset = TOP + (tallest - len(members)) * ROW / 2
        for i, n in enumerate(members):
            n.x, n.y = x, offset + i * ROW
