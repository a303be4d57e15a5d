"""Nothing Precedent embeds is cut by the model: every text sent fits all-MiniLM-L6-v2's 256 tokens.

A generated organisation is imported with the real model's tokenizer and budget; the texts the
loader sends to the model are recorded (vectors come from the hashing fake: what is measured
here is the text, not the vector) and re-tokenized independently, special tokens included.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from transformers import AutoTokenizer

from precedent.embedding import DEFAULT_MODEL, HashEmbedder, resolve_model_path
from precedent.graph_schema import load_schema
from precedent.ingest import Loader, import_export
from precedent.sources.synthetic import generate

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from precedent.embedding import Embedder, TokenCounter
    from precedent.store import GraphStore

pytestmark = [pytest.mark.model, pytest.mark.slow]


class RecordingModel:
    """The real model's measure of text; records every text it is asked to embed."""

    def __init__(self, real: Embedder) -> None:
        self._real = real
        self._vectors = HashEmbedder(dimensions=384)
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self._real.name

    @property
    def dimensions(self) -> int:
        return 384

    async def token_counter(self) -> TokenCounter:
        return await self._real.token_counter()

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts.extend(texts)
        return await self._vectors.embed(texts)


async def test_no_embedded_text_of_a_generated_organisation_is_truncated(
    real_embedder: Embedder, embedded_store: GraphStore, tmp_path: Path
) -> None:
    export = tmp_path / "generated"
    generate(export, incidents=120, seed=5)
    model = RecordingModel(real_embedder)
    await import_export(export, Loader(embedded_store, model))

    # Read the model's limit and tokenizer from its files, independently of the embedder.
    path = Path(resolve_model_path(DEFAULT_MODEL))
    max_seq_length = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
    tokenizer = AutoTokenizer.from_pretrained(path)
    lengths = [len(ids) for ids in tokenizer(model.texts, verbose=False)["input_ids"]]
    assert max_seq_length == 256
    assert len(model.texts) > 500
    assert max(lengths) <= max_seq_length

    # What each node's vector is of: the whole text, except for an incident whose name, summary
    # and update messages run longer than the model reads; its vector is of their leading part.
    sent = set(model.texts)
    embedded = load_schema().embedded_labels
    whole: Counter[str] = Counter()
    head: Counter[str] = Counter()
    async for node in embedded_store.scan_nodes():
        if node.label not in embedded or not node.text:
            continue
        if node.text in sent:
            whole[node.label] += 1
        else:
            assert node.label == "Incident", node.id
            assert any(node.text.startswith(text) for text in sent)
            head[node.label] += 1
    assert whole["PostmortemChunk"] > 100
    assert whole["IncidentUpdate"] > 100
    assert whole["FollowUp"] > 0
    assert set(head) <= {"Incident"}
    print(f"embedded whole: {dict(whole)}; leading part only: {dict(head)}")
