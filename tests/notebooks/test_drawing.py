"""precedent.notebook.drawing: the interactive view and the static picture of a neighbourhood."""

from __future__ import annotations

import matplotlib
import networkx as nx
import plotly.graph_objects as go
import pytest
from matplotlib.figure import Figure

from precedent.notebook.drawing import draw, path_names

matplotlib.use("Agg")


def _graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_node("inc-9", label="Incident", reference="INC-9", name="db down")
    graph.add_node("inc-3", label="Incident", reference="INC-3", name="db slow")
    graph.add_node("svc-db", label="Service", name="payments-db")
    graph.add_node("team", label="Team", name="payments")
    graph.add_edge("inc-9", "svc-db", key="AFFECTS")
    graph.add_edge("inc-3", "svc-db", key="AFFECTS")
    graph.add_edge("svc-db", "team", key="OWNED_BY")
    return graph


def test_path_names_reads_an_explanation_path() -> None:
    assert path_names("INC-9 -AFFECTS-> payments-db <-AFFECTS- INC-3") == ["INC-9", "payments-db", "INC-3"]
    assert path_names("INC-9 -AFFECTS-> a -DEPENDS_ON-> b <-AFFECTS- INC-3") == ["INC-9", "a", "b", "INC-3"]
    assert path_names(None) == []


def test_the_interactive_view_highlights_the_path() -> None:
    figure = draw(_graph(), highlight=path_names("INC-9 -AFFECTS-> payments-db <-AFFECTS- INC-3"))
    assert isinstance(figure, go.Figure)
    plain, on_path, nodes = figure.data
    assert len([x for x in on_path.x if x is not None]) == 4  # two highlighted edges
    assert len([x for x in plain.x if x is not None]) == 2  # the owner's edge is not on the path
    assert dict(zip(nodes.text, nodes.marker.size, strict=True)) == {
        "INC-9": 18,
        "INC-3": 18,
        "payments-db": 18,
        "payments": 11,
    }


def test_the_static_picture_is_matplotlib() -> None:
    figure = draw(_graph(), highlight=["INC-9", "payments-db"], title="t", interactive=False)
    try:
        assert isinstance(figure, Figure)
        assert figure.axes[0].get_title() == "t"
        assert {t.get_text() for t in figure.axes[0].texts} == {"INC-9", "INC-3", "payments-db", "payments"}
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)


@pytest.mark.parametrize("interactive", [True, False])
def test_an_empty_graph_draws(interactive: bool) -> None:
    figure = draw(nx.MultiDiGraph(), interactive=interactive)
    if isinstance(figure, Figure):
        import matplotlib.pyplot as plt

        plt.close(figure)
