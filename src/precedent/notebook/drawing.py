"""Drawing a neighbourhood of the map: an interactive plotly view, or a static matplotlib picture.

Both draw the same layout, colour nodes by label and highlight what the caller names (say, the
path that links two similar incidents). plotly and matplotlib are imported only when drawing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import networkx as nx

from precedent.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["COLOURS", "draw", "node_label", "path_names"]

COLOURS = {
    "Incident": "#d62728",
    "Service": "#1f77b4",
    "Team": "#2ca02c",
    "User": "#9467bd",
    "Schedule": "#ff7f0e",
    "ChangeEvent": "#8c564b",
    "FollowUp": "#e377c2",
}
_OTHER = "#7f7f7f"
_HIGHLIGHT = "#ffbf00"
_ARROW = re.compile(r"\s+(?:-[A-Z_]+->|<-[A-Z_]+-)\s+")


def node_label(data: dict[str, Any], node: str) -> str:
    """What a node is called on a picture: its reference, name or title, else its id."""
    return str(data.get("reference") or data.get("name") or data.get("title") or node)


def path_names(path: str | None) -> list[str]:
    """The nodes along an explanation's path (``INC-9 -AFFECTS-> db <-AFFECTS- INC-3``), in order."""
    return [part for part in _ARROW.split(path.strip())] if path else []


def _highlighted(graph: nx.MultiDiGraph, names: Collection[str]) -> set[str]:
    wanted = set(names)
    return {n for n, d in graph.nodes(data=True) if n in wanted or node_label(d, n) in wanted}


def draw(
    graph: nx.MultiDiGraph,
    *,
    highlight: Collection[str] = (),
    title: str = "",
    interactive: bool | None = None,
    seed: int = 1,
) -> Any:
    """Draw ``graph`` (from ``Map.to_networkx``), highlighting the nodes named in ``highlight``.

    Args:
        graph: Nodes with a ``label`` attribute, as ``to_networkx`` returns them.
        highlight: Node ids, references or names to highlight, with the edges between them.
        title: The picture's title.
        interactive: A plotly figure (hover, zoom) when ``True``; a matplotlib one when ``False``;
            when ``None``, plotly if it is installed.
        seed: The layout's seed, so a picture is the same on every run.

    Returns:
        The figure: a ``plotly.graph_objects.Figure`` or a ``matplotlib.figure.Figure``.

    Raises:
        ConfigError: if the drawing library asked for is not installed.
    """
    marked = _highlighted(graph, highlight)
    pos = nx.spring_layout(nx.Graph(graph), seed=seed, k=1.6 / max(1, len(graph)) ** 0.5)
    if interactive is None:
        try:
            import plotly  # noqa: F401
        except ImportError:
            interactive = False
        else:
            interactive = True
    if interactive:
        return _plotly(graph, pos, marked, title)
    return _matplotlib(graph, pos, marked, title)


def _plotly(graph: nx.MultiDiGraph, pos: dict[str, Any], marked: set[str], title: str) -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise ConfigError("the interactive view needs plotly: pip install 'precedent[notebooks]'") from exc
    traces = []
    for on_path in (False, True):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for source, target in graph.edges():
            if ((source in marked) and (target in marked)) == on_path:
                xs += [pos[source][0], pos[target][0], None]
                ys += [pos[source][1], pos[target][1], None]
        width, colour = (4, _HIGHLIGHT) if on_path else (1, "#bbbbbb")
        traces.append(
            go.Scatter(x=xs, y=ys, mode="lines", line={"width": width, "color": colour}, hoverinfo="skip")
        )
    nodes = list(graph.nodes(data=True))
    traces.append(
        go.Scatter(
            x=[pos[n][0] for n, _ in nodes],
            y=[pos[n][1] for n, _ in nodes],
            mode="markers+text",
            text=[node_label(d, n)[:24] for n, d in nodes],
            textposition="top center",
            hovertext=[f"{d.get('label')}: {d.get('name') or n}" for n, d in nodes],
            hoverinfo="text",
            marker={
                "size": [18 if n in marked else 11 for n, _ in nodes],
                "color": [COLOURS.get(str(d.get("label")), _OTHER) for _, d in nodes],
                "line": {"width": [3 if n in marked else 0 for n, _ in nodes], "color": _HIGHLIGHT},
            },
        )
    )
    figure = go.Figure(traces)
    figure.update_layout(
        title=title, showlegend=False, height=600, xaxis={"visible": False}, yaxis={"visible": False}
    )
    return figure


def _matplotlib(graph: nx.MultiDiGraph, pos: dict[str, Any], marked: set[str], title: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError("pictures need matplotlib: pip install 'precedent[notebooks]'") from exc
    figure, ax = plt.subplots(figsize=(11, 7))
    simple = nx.Graph(graph)
    on_path = [(s, t) for s, t in simple.edges() if s in marked and t in marked]
    nx.draw_networkx_edges(simple, pos, ax=ax, edge_color="#bbbbbb")
    nx.draw_networkx_edges(simple, pos, edgelist=on_path, ax=ax, edge_color=_HIGHLIGHT, width=4)
    nx.draw_networkx_nodes(
        simple,
        pos,
        ax=ax,
        node_size=[420 if n in marked else 200 for n in simple],
        node_color=[COLOURS.get(str(graph.nodes[n].get("label")), _OTHER) for n in simple],
        edgecolors=[_HIGHLIGHT if n in marked else "white" for n in simple],
        linewidths=2,
    )
    nx.draw_networkx_labels(
        simple, pos, ax=ax, font_size=7, labels={n: node_label(graph.nodes[n], n)[:20] for n in simple}
    )
    ax.set_title(title)
    ax.axis("off")
    return figure
