"""docs/changes.md says how a change's place weighs its hypothesis, with the weights the code uses.

It gave the hops' weights alone, so a deploy of a sibling service (no dependency path, 0.25)
read as weighed like a dependency's two hops away (0.6).
"""

from __future__ import annotations

from pathlib import Path

from precedent.investigation import hypotheses

DOC = Path(__file__).resolve().parents[2] / "docs" / "changes.md"


def test_the_doc_gives_every_hop_and_path_weight() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    hops = ", ".join(f"{weight:g}" for weight in hypotheses._HOP_WEIGHT)
    assert f"({hops} for 0, 1, 2 hops)" in text
    weights = hypotheses._RELATION_WEIGHT
    assert f"a service depending on one {weights['downstream']:g}" in text
    assert f"one sharing a dependency with it {weights['nearby']:g}" in text
    assert f"depending on both, {weights['unlinked']:g})" in text
    assert weights["affected"] == weights["upstream"] == 1.0  # "counts whole"
