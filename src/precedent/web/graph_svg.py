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
ROW = 44
TOP = 30
COLUMN_X = (76, 228, 380, 532, 684)
"""Column centres: this incident, affected services, one hop away (and changes), two hops, precedents."""
MAX_PRECEDENTS = 5
MAX_AROUND = 6
MAX_CHANGES = 3
_ARROW = re.compile(r" (?:-[A-Z_]+->|<-[A-Z_]+-) ")
_STEP = re.compile(r" (?:-([A-Z_]+)->|<-([A-Z_]+)-) ")
_RELATION = {"AFFECTS": "affects", "DEPENDS_ON": "depends on", "OWNED_BY": "owned by"}


@dataclass
class DrawnNode:
    """A node placed on the drawing; ``href`` links it to its page when it has one.

    ``label`` is what the drawing writes in the box (shortened); ``name`` is the whole name, for
    the drawing's text alternative.
    """

    key: str
    kind: NodeKind
    label: str
    column: int
    x: float = 0.0
    y: float = 0.0
    href: str | None = None
    linking: bool = False
    name: str = ""


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

    @property
    def unlinked(self) -> list[DrawnNode]:
        """The nodes no edge reaches (this incident, alone in the map), which its edges do not name."""
        ends = {n.key for e in self.edges for n in (e.source, e.target)}
        return [n for n in self.nodes if n.key not in ends]


def path_names(path: str | None) -> list[str]:
    """The node names along a precedent's path (``INC-1 -AFFECTS-> api <-AFFECTS- INC-9``)."""
    return [part.strip() for part in _ARROW.split(path)] if path else []


def path_steps(path: str | None) -> list[tuple[str, str, bool]]:
    """Each step after a path's start: the name reached, the relationship, and whether it points forward.

    ``INC-1 -AFFECTS-> api <-DEPENDS_ON- web`` gives ``[("api", "AFFECTS", True), ("web",
    "DEPENDS_ON", False)]``: web depends on api, which the drawing must say that way round.
    """
    parts = _STEP.split(path) if path else []
    return [
        (parts[i + 2].strip(), parts[i] or parts[i + 1], parts[i] is not None)
        for i in range(1, len(parts) - 2, 3)
    ]


def short(text: str, limit: int = 19) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_investigation(investigation: Investigation, links: dict[str, str]) -> Drawing:
    """Lay out ``investigation``'s neighbourhood.

    Args:
        investigation: The investigation to draw.
        links: Page URLs by node key (``incident:<id>``, ``service:<name>``) for the nodes that have one.
    """
    incident = investigation.incident
    nodes: dict[str, DrawnNode] = {}
    edges: dict[frozenset[str], DrawnEdge] = {}
    linking: set[frozenset[str]] = set()

    def node(key: str, kind: NodeKind, label: str, column: int) -> DrawnNode:
        if key not in nodes:
            nodes[key] = DrawnNode(key, kind, short(label), column, href=links.get(key), name=label)
        return nodes[key]

    def edge(a: DrawnNode, b: DrawnNode, label: str) -> frozenset[str]:
        pair = frozenset((a.key, b.key))
        edges.setdefault(pair, DrawnEdge(a, b, label, False))
        return pair

    centre = node(f"incident:{incident.id or 'new'}", "incident", incident.label, 0)
    affected = set(incident.service_names)
    for name in incident.service_names:
        edge(centre, node(f"service:{name}", "service", name, 1), "affects")
    around = 0
    for context in investigation.services:
        here = node(f"service:{context.name}", "service", context.name, 1)
        for related in (*context.upstream, *context.downstream):
            key = f"service:{related.name}"
            if related.hops > 1 or related.name in affected or (key not in nodes and around >= MAX_AROUND):
                continue
            around += key not in nodes
            other = node(key, "related", related.name, 2)
            # An edge reads source, label, target: a downstream service depends on this one.
            edge(*((here, other) if related.relation == "upstream" else (other, here)), "depends on")
    for change in investigation.changes[:MAX_CHANGES]:
        target = nodes.get(f"service:{change.service_name}")
        if target is not None:
            column = 2 if target.column == 1 else 3
            edge(node(f"change:{change.id}", "change", change.title, column), target, "changed")

    for precedent in investigation.similar[:MAX_PRECEDENTS]:
        past = node(f"incident:{precedent.incident_id}", "precedent", precedent.label, 4)
        # The path runs from this incident through services to the precedent; draw every step,
        # each the way its relationship points ("web depends on api", not "api path web").
        steps = path_steps(precedent.path)[:-1] or [
            (name, "AFFECTS", True) for name in precedent.shared_services[:1]
        ]
        if not steps:  # similar in words or timing only: no path in the map links them
            edge(centre, past, "similar")
            continue
        previous = centre
        for hop, (name, relation, forward) in enumerate(steps):
            kind: NodeKind = "service" if name in affected else "related"
            step = node(f"service:{name}", kind, name, 1 if name in affected else min(2 + hop - 1, 3))
            label = _RELATION.get(relation, relation.lower().replace("_", " "))
            linking.add(edge(*((previous, step) if forward else (step, previous)), label))
            previous = step
        linking.add(edge(previous, past, "affected"))
    if investigation.hypotheses:
        for evidence in investigation.hypotheses[0].evidence:
            found = nodes.get(f"change:{evidence.id}")
            if found is not None:
                linking |= {pair for pair in edges if found.key in pair}
    on_path = {key for pair in linking for key in pair}
    for key in on_path:
        nodes[key].linking = True
    # Linking edges last, so they are drawn over the others.
    ordered = sorted(edges.items(), key=lambda item: item[0] in linking)
    drawn = [DrawnEdge(e.source, e.target, e.label, pair in linking) for pair, e in ordered]
    height = _place(list(nodes.values()))
    return Drawing(list(nodes.values()), drawn, WIDTH, height)


def _place(nodes: list[DrawnNode]) -> int:
    """Place each column's nodes, centred against the tallest column; return the canvas height."""
    columns: dict[int, list[DrawnNode]] = {}
    for n in nodes:
        columns.setdefault(n.column, []).append(n)
    tallest = max((len(c) for c in columns.values()), default=1)
    for column, members in columns.items():
        offset = TOP + (tallest - len(members)) * ROW / 2
        for i, n in enumerate(members):
            n.x, n.y = COLUMN_X[column], offset + i * ROW
    return int(TOP * 2 + ROW * (tallest - 1))
