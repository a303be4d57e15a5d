"""Poses and measures every labelled query once, for tuning and for ablations.

Each judged incident is posed as it looked when declared (``evaluation.pose_judgment``) and
measured through the finder's measure stage, the one ``find_posed`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import OWNER_VIEWER
from precedent.retrieval.evaluation import pose_judgment
from precedent.retrieval.query import SimilarOptions
from precedent.retrieval.tuning import LabelledQuery

if TYPE_CHECKING:
    from collections.abc import Iterable

    from precedent.retrieval.evaluation import Judgment
    from precedent.retrieval.similar import SimilarIncidentFinder
    from precedent.store.base import GraphStore

__all__ = ["measure_judgments"]


async def measure_judgments(
    finder: SimilarIncidentFinder,
    store: GraphStore,
    judgments: Iterable[Judgment],
    options: SimilarOptions | None = None,
) -> list[LabelledQuery]:
    """Measure every judged incident that has an admissible label.

    Args:
        finder: Poses and measures; its weights' shapes (half-life, floor) shape the signals.
        store: The map, to check which labels each query could have found.
        judgments: Labels per query incident.
        options: Posing options (exclusions, visibility).

    Returns:
        One ``LabelledQuery`` per usable judgment, in the judgments' order.
    """
    # Tuning is the map owner's measurement over the whole history, private incidents included.
    options = options or SimilarOptions(viewer=OWNER_VIEWER)
    half_life = (await finder.weights()).half_life_days
    queries = []
    for judgment in judgments:
        judged = await pose_judgment(finder, store, judgment, options)
        if judged is None:
            continue
        posed, grades = judged
        ids, matrix = (await finder.measure(posed)).matrix()
        queries.append(LabelledQuery(ids, matrix, grades, posed.declared_at, half_life))
    return queries
