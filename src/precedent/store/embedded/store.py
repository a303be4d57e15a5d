"""``EmbeddedStore``: the default ``GraphStore``, in process and persisted under one directory.

Files: ``snapshot`` (the state at the last compaction), ``wal`` (every batch since, one fsynced
record each) and ``lock``. A write validates its batch, appends it to the log, fsyncs, and only
then changes memory, so a write that returned is on disk and a crash loses at most the write in
flight. Compaction folds the log into a new snapshot when the log grows large and on close.

One writer, many readers: the writing process holds ``lock``; any number of other processes may
open the same directory with ``read_only=True``. A reader loads the snapshot and the log written
so far, takes no lock, writes nothing, and follows the log (see ``follow``) every quarter second
and on ``refresh()``, so it sees the writer's batches within a second.

Concurrency: one event loop. Writers take ``_write_lock`` (one batch at a time). Reads that run
on the loop see a consistent state because memory only changes on the loop between awaits.
Vector searches over large matrices run on the store's one search thread, so they and the
in-memory apply of a write take ``_index_lock``; a compaction only reads, under ``_write_lock``.
A reader applies the writer's batches the same way, under both locks.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from precedent.errors import (
    InvalidQuery,
    ReadOnlyStore,
    SchemaError,
    StoreError,
    StoreUnavailable,
    StoreWriteFailed,
)
from precedent.model import LabelledHit, SearchFilter, StoreStats
from precedent.store.embedded import snapshot
from precedent.store.embedded.approximate import follow, load_or_build
from precedent.store.embedded.durable import DirectoryLock, fsync_dir
from precedent.store.embedded.facts import incident_facts
from precedent.store.embedded.filters import search_allows
from precedent.store.embedded.follow import LogFollower
from precedent.store.embedded.linked import find_nodes, linked_recent, linked_times
from precedent.store.embedded.listing import list_nodes
from precedent.store.embedded.ops import (
    DeleteEdges,
    DeleteNodes,
    SetDimensions,
    SetMeta,
    UpsertEdges,
    UpsertNodes,
    decode_op,
    encode_op,
)
from precedent.store.embedded.upgrade import upgrade_ops
from precedent.store.embedded.validation import (
    check_dimensions,
    check_edge_types,
    check_labels,
    check_property_names,
    prepare_edges,
    prepare_nodes,
)
from precedent.store.embedded.wal import WriteAheadLog
from precedent.store.embedded.walk import neighbours, subgraph
from precedent.store.export import to_networkx
from precedent.store.listing import check_listing

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    import networkx as nx

    from precedent.model import (
        Edge,
        EdgeKey,
        GraphFilter,
        IncidentFacts,
        ListingKey,
        Node,
        NodeListing,
        ScoredNode,
        Subgraph,
        Vector,
        Visibility,
    )
    from precedent.store.embedded.approximate import ApproximateIndex
    from precedent.store.embedded.ops import Op
    from precedent.store.embedded.state import GraphState
    from precedent.store.embedded.vectors import VectorIndex

__all__ = ["EmbeddedStore"]

_T = TypeVar("_T")

logger = logging.getLogger(__name__)

_COMPACT_AFTER_BYTES = 64 * 1024 * 1024
# Below this many matrix cells a search is faster inline than the hop to a worker thread.
_INLINE_SEARCH_CELLS = 2_000_000
_SCAN_CHUNK = 1000
# The approximate path asks the HNSW index for max(_MIN_FETCH, _FETCH_PER_HIT * k) candidates
# (measured: recall@120 stays ≥ 0.95 at 4x; 20x costs 5x more in the exact re-scoring), scaled
# by the share of the map the filter allows, since the filter only applies after the walk.
_MIN_FETCH = 200
_HNSW_FILE = "hnsw"
_FETCH_PER_HIT = 4
# Up to this many embeddings the exact scan answers instead of the HNSW index: it costs no more
# (384 dims, 2 busy cores, fastest of 150 queries: scan 0.83 ms vs walk and re-score 2.6 ms at
# 10,000 vectors, 5.9 ms vs 8.8 ms at 50,000), and the walk's int8 ordering missed true
# neighbours on a 2,766-vector map (recall 0.93-0.96 of the exact top k).
_EXACT_BELOW = 50_000
# How often a read-only store looks for the writer's new batches: one stat of the log when idle.
_FOLLOW_INTERVAL = 0.25


def _inline(index: VectorIndex) -> bool:
    """Whether a search over ``index`` is cheaper on the loop than the hop to the search thread."""
    return len(index) * index.dimensions <= _INLINE_SEARCH_CELLS


def _check_graph_filter(graph_filter: GraphFilter | None) -> None:
    if graph_filter is not None:
        check_labels((*graph_filter.labels, *graph_filter.stop_labels))
        check_edge_types(graph_filter.rel_types)


def check_writable(path: Path) -> None:
    """Fail at once if this user cannot write the map in ``path`` or another process writes it.

    A writer calls this before its slow start (loading the model), so a directory it cannot write
    or a second ``serve`` on one map is refused in a second rather than after the model has
    loaded. Nothing is taken or left: a file is made and dropped in the nearest directory there
    is (``open`` makes the rest).

    Raises:
        StoreUnavailable: if the directory, or the nearest one there is, cannot be written.
        StoreLocked: naming the process that holds the map.
    """
    nearest = path
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    try:
        with tempfile.TemporaryFile(dir=nearest):
            pass
    except OSError as exc:
        raise StoreUnavailable(_cannot_write(path, exc)) from exc
    DirectoryLock(path / "lock").check_free()


def _cannot_write(path: Path, exc: OSError) -> str:
    return (
        f"cannot open the map in {path} for writing: {exc}. Check the directory is writable "
        "by this user and its disk has space (commands that only read the map need no write access)"
    )


class EmbeddedStore:
    """A knowledge-map store in process memory, durable under ``path``.

    Args:
        path: The store's directory (created on ``open``).
        dimensions: The embedding length; None keeps the one the store was created with, or
            takes the first embedding's length.
        compact_after_bytes: Fold the log into a snapshot once it holds this many bytes.
        exact_search: Scan every embedding for kNN (exact, linear cost). When False, an HNSW
            index proposes an over-fetched candidate set that is filtered and re-scored exactly
            (approximate recall, near-constant cost); it is built when the store opens and kept
            up to date by every write.
        scan_below: With ``exact_search`` False, still scan every embedding while the map holds
            at most this many (the default is where the scan stops being cheaper than the index).
        read_only: Open alongside the process that writes the map: load its snapshot and log,
            follow its new batches (within a second, or at once on ``refresh()``), take no lock
            and write nothing (not even the HNSW index). Writes raise ``ReadOnlyStore``.
    """

    def __init__(
        self,
        path: Path,
        *,
        dimensions: int | None = None,
        compact_after_bytes: int = _COMPACT_AFTER_BYTES,
        exact_search: bool = True,
        scan_below: int = _EXACT_BELOW,
        read_only: bool = False,
    ) -> None:
        self._path = path
        self._follower = LogFollower(path) if read_only else None
        self._following: asyncio.Task[None] | None = None
        self._follow_failure: str | None = None
        self._dimensions = dimensions
        self._exact_search = exact_search
        self._scan_below = scan_below
        self._approximate: ApproximateIndex | None = None
        self._approximate_saved = False
        self._compact_after_bytes = compact_after_bytes
        self._outdated_snapshot = False
        self._state: GraphState | None = None
        self._wal = WriteAheadLog(path / "wal")
        self._lock = DirectoryLock(path / "lock")
        self._write_lock = asyncio.Lock()
        self._index_lock = asyncio.Lock()
        self._searcher: ThreadPoolExecutor | None = None

    @property
    def path(self) -> Path:
        """The store's directory."""
        return self._path

    @property
    def read_only(self) -> bool:
        """Whether this store reads a map another process writes."""
        return self._follower is not None

    async def open(self) -> None:
        """Load the snapshot, replay the log and check the embedding dimension.

        A writer then brings a map an older Precedent wrote up to date (see ``upgrade``), through
        the log like any write. A read-only store follows the writer's log in the background until
        ``close``; it opens a directory that does not exist yet as an empty map, and creates nothing.

        Raises:
            StoreLocked: if another process has the directory open for writing (not read-only).
            StoreUnavailable: if the files cannot be read, or created or written (not read-only).
            StoreCorrupt: if the files are damaged beyond a torn last write.
            SchemaError: if ``dimensions`` differs from the embeddings already stored.
        """
        if self._state is not None:
            return
        load = self._load if self._follower is None else self._load_read_only
        loading = asyncio.ensure_future(asyncio.to_thread(load))
        try:
            self._state = await asyncio.shield(loading)
        except asyncio.CancelledError:
            # The load runs on in its thread; give the directory back once it is done.
            loading.add_done_callback(self._abandon)
            raise
        except OSError as exc:
            raise StoreUnavailable(self._cannot_open(exc)) from exc
        # Searches hold _index_lock, so one thread serves them all; one long-lived thread measured
        # about 5 ms faster at p95 than asyncio's shared pool.
        self._searcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="precedent-vector-search")
        if self._follower is not None:
            self._following = asyncio.create_task(self._follow_writer())

    def _cannot_open(self, exc: OSError) -> str:
        if self._follower is not None:
            return f"cannot read the map in {self._path}: {exc}; check this user may read the directory"
        return _cannot_write(self._path, exc)

    def _abandon(self, loading: asyncio.Future[GraphState]) -> None:
        if not loading.cancelled() and loading.exception() is None:
            self._wal.close()
            self._lock.release()
            if self._follower is not None:
                self._follower.close()

    def _load(self) -> GraphState:
        if not self._path.is_dir():
            # exist_ok: another opener (a cancelled open still finishing in its thread, another
            # process) may create it between the check and here; the lock below decides who writes.
            self._path.mkdir(parents=True, exist_ok=True)
            # The new directory's own entry must be durable before anything in it claims to be.
            fsync_dir(self._path.parent)
        self._lock.acquire()
        try:
            snapshot.remove_leftovers(self._path / "snapshot")
            state, generation, snapshot_format = snapshot.read_snapshot(self._path / "snapshot")
            replayed = []
            for payload in self._wal.open(generation):
                replayed.append(decode_op(payload))
                state.apply(replayed[-1])
            if snapshot_format != snapshot.FORMAT:
                # Logged, so readers following the log see the upgrade; the next compaction
                # (at the latest on close) writes the current format and this is not done again.
                for op in upgrade_ops(state):
                    self._wal.append(encode_op(op))
                    state.apply(op)
                    replayed.append(op)
                self._outdated_snapshot = snapshot_format is not None
            state.links.index_busy(state)
            wanted = self._dimensions
            if wanted is not None and wanted != state.dimensions:
                if state.vectors is not None and len(state.vectors):
                    check_dimensions("the configured embedding", wanted, state.dimensions)
                op = SetDimensions(wanted)
                self._wal.append(encode_op(op))
                state.apply(op)
                replayed.append(op)
            if not self._exact_search:
                self._approximate, built = load_or_build(self._path / _HNSW_FILE, state, generation, replayed)
                self._approximate_saved = not built and not replayed
                if built:
                    # Saved at once so that readers in other processes load it, not build their own.
                    self._save_approximate()
        except BaseException:
            self._wal.close()
            self._lock.release()
            raise
        return state

    def _load_read_only(self) -> GraphState:
        try:
            state, self._approximate = self._read_map()
            wanted = self._dimensions
            if wanted is not None and state.vectors is not None and len(state.vectors):
                check_dimensions("the configured embedding", wanted, state.dimensions)
        except BaseException:
            assert self._follower is not None
            self._follower.close()
            raise
        return state

    def _read_map(self) -> tuple[GraphState, ApproximateIndex | None]:
        """Load the snapshot and log another process writes, and their HNSW index if wanted."""
        assert self._follower is not None
        state, replayed = self._follower.load()
        state.links.index_busy(state)
        if self._exact_search:
            return state, None
        generation = self._follower.generation
        approximate, _ = load_or_build(self._path / _HNSW_FILE, state, generation, replayed)
        return state, approximate

    async def refresh(self) -> None:
        """Apply what the writing process wrote since the last look (read-only stores).

        A read-only store also does this by itself every quarter second; a writer is always
        current, so this does nothing there. Reads see the map as of one writer batch or
        another, never half a batch.

        Raises:
            StoreUnavailable: if the store is not open, or its files cannot be read.
            StoreCorrupt: if the files are damaged.
        """
        self._open_state()
        if self._follower is not None:
            await asyncio.shield(self._refresh_locked(self._follower))

    async def _refresh_locked(self, follower: LogFollower) -> None:
        async with self._write_lock:
            state = self._state
            if state is None:  # closed while this refresh waited
                return
            try:
                ops = await asyncio.to_thread(follower.poll)
                if ops is None:
                    reloaded, approximate = await asyncio.to_thread(self._read_map)
                    async with self._index_lock:
                        self._state, self._approximate = reloaded, approximate
                    return
            except OSError as exc:
                raise StoreUnavailable(f"cannot read {self._path}: {exc}") from exc
            for op in ops:
                analyzed = (
                    await asyncio.to_thread(state.analyze, op.nodes) if isinstance(op, UpsertNodes) else None
                )
                await self._apply(state, op, analyzed)

    async def _follow_writer(self) -> None:
        while self._state is not None:
            await asyncio.sleep(_FOLLOW_INTERVAL)
            try:
                await self.refresh()
            except StoreError as exc:
                # Keep serving the last state read and try again; say so once per kind of failure.
                if str(exc) != self._follow_failure:
                    logger.warning(
                        "following the writer of %s: %s (this reader serves the map as last read)",
                        self._path,
                        exc,
                    )
                self._follow_failure = str(exc)
            else:
                self._follow_failure = None

    async def _apply(
        self, state: GraphState, op: Op, analyzed: list[tuple[list[str], list[str]]] | None
    ) -> None:
        async with self._index_lock:
            state.apply(op, analyzed)
            if not self._exact_search:
                self._approximate = await asyncio.to_thread(follow, self._approximate, op, state)
                self._approximate_saved = False

    async def close(self) -> None:
        """Compact the log into the snapshot and release the directory. Idempotent.

        A read-only store stops following the log and writes nothing.
        """
        if self._state is None:
            return
        if self._following is not None:
            self._following.cancel()
            # wait() rather than await: a cancellation of close() itself must not be swallowed.
            await asyncio.wait([self._following])
            self._following = None
        async with self._index_lock:  # no search is running on the thread
            searcher, self._searcher = self._searcher, None
        if searcher is not None:
            searcher.shutdown(wait=False)
        async with self._write_lock:
            state, self._state = self._state, None
            if state is None:  # another close() won the lock
                return
            if self._follower is not None:
                self._approximate = None
                self._follower.close()
                return
            try:
                if self._wal.record_bytes or self._outdated_snapshot:
                    await asyncio.to_thread(self._compact, state)
                else:
                    await asyncio.to_thread(self._save_approximate)
            except OSError as exc:
                # Every write is durable in the log, which the next open replays: closing succeeds.
                logger.warning(
                    "compacting %s on close failed (the log keeps every write): %s", self._path, exc
                )
            finally:
                self._approximate = None
                self._wal.close()
                self._lock.release()

    def _compact(self, state: GraphState) -> None:
        next_generation = self._wal.generation + 1
        snapshot.write_snapshot(self._path / "snapshot", state, next_generation)
        self._outdated_snapshot = False
        self._wal.reset(next_generation)
        if self._approximate is not None:
            self._approximate_saved = False
            self._save_approximate()

    async def _off_loop(self, search: Callable[[], _T]) -> _T:
        """Run ``search`` on the search thread; the caller holds ``_index_lock``."""
        if self._searcher is None:
            raise StoreUnavailable("the embedded store was closed during a search; open it again")
        return await asyncio.get_running_loop().run_in_executor(self._searcher, search)

    def _open_state(self) -> GraphState:
        if self._state is None:
            raise StoreUnavailable("the embedded store is not open; call open() first")
        return self._state

    async def _write(self, batch: Callable[[GraphState], Op | None]) -> None:
        if self._follower is not None:
            raise ReadOnlyStore(
                f"{self._path} is open read-only here; write through the process that owns the map "
                "(the one holding it open for writing), or stop it and open the map for writing"
            )
        self._open_state()
        # Shielded, lock included, so a cancelled caller neither leaves a logged batch unapplied
        # in memory nor lets the next writer append to the log while this one still is.
        await asyncio.shield(self._write_locked(batch))

    async def _write_locked(self, batch: Callable[[GraphState], Op | None]) -> None:
        async with self._write_lock:
            state = self._open_state()  # close() may have run while this write waited
            op = batch(state)
            if op is None:
                return
            if self._wal.closed:
                # A compaction wrote its snapshot but not the fresh log after it (a full disk): the
                # log stays closed until the compaction is done again, here, before this batch.
                try:
                    await asyncio.to_thread(self._compact, state)
                except OSError as exc:
                    raise StoreWriteFailed(self._path, exc) from exc
            analyzed = await asyncio.to_thread(self._log, op, state)
            await self._apply(state, op, analyzed)
            if self._wal.record_bytes > self._compact_after_bytes:
                try:
                    await asyncio.to_thread(self._compact, state)
                except OSError as exc:
                    # The batch is durable in the log; a failed compaction is retried next write.
                    logger.warning("compacting %s failed: %s", self._path, exc)

    def _save_approximate(self) -> None:
        if self._approximate is None or self._approximate_saved:
            return
        try:
            self._approximate.save(self._path / _HNSW_FILE, self._wal.generation)
            self._approximate_saved = True
        except OSError as exc:
            # Only a cache of the matrix: the next open rebuilds it.
            logger.warning("saving the HNSW index under %s failed: %s", self._path, exc)

    def _log(self, op: Op, state: GraphState) -> list[tuple[list[str], list[str]]] | None:
        self._wal.append(encode_op(op))
        # Analyzing text here keeps it off the event loop; apply only updates the index.
        return state.analyze(op.nodes) if isinstance(op, UpsertNodes) else None

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        """Create or replace nodes in one batch; when this returns, the batch is durable.

        Raises:
            SchemaError: if a label, property or embedding is not allowed (nothing is written).
        """

        def batch(state: GraphState) -> Op | None:
            prepared = prepare_nodes(nodes, state.dimensions)
            return UpsertNodes(prepared) if prepared else None

        await self._write(batch)

    async def upsert_edges(self, edges: Sequence[Edge]) -> None:
        """Create or replace edges in one batch; edges to missing nodes are ignored.

        Raises:
            SchemaError: if a relationship type or property is not allowed (nothing is written).
        """

        def batch(state: GraphState) -> Op | None:
            prepared = prepare_edges(edges)
            kept = tuple(e for e in prepared if e.source in state.nodes and e.target in state.nodes)
            return UpsertEdges(kept) if kept else None

        await self._write(batch)

    async def delete_nodes(self, ids: Sequence[str]) -> None:
        """Delete nodes and every edge touching them. Missing ids are ignored."""

        def batch(state: GraphState) -> Op | None:
            present = tuple(dict.fromkeys(i for i in ids if i in state.nodes))
            return DeleteNodes(present) if present else None

        await self._write(batch)

    async def delete_edges(self, keys: Sequence[EdgeKey]) -> None:
        """Delete edges by key. Missing edges are ignored."""

        def batch(state: GraphState) -> Op | None:
            present = tuple(dict.fromkeys(k for k in keys if state.edge(k) is not None))
            return DeleteEdges(present) if present else None

        await self._write(batch)

    async def set_meta(self, key: str, value: str) -> None:
        """Write a small bookkeeping value durably."""
        await self._write(lambda _: SetMeta(key, value))

    async def replace_meta(self, key: str, value: str, *, expected: str | None) -> bool:
        """Write ``value`` only if the key holds ``expected`` now (``None``: absent), atomically."""
        replaced = False

        def batch(state: GraphState) -> Op | None:
            nonlocal replaced
            # Compared under the write lock, so no other write lands between the look and the set.
            replaced = state.meta.get(key) == expected
            return SetMeta(key, value) if replaced else None

        await self._write(batch)
        return replaced

    async def get_meta(self, key: str) -> str | None:
        """Read a small bookkeeping value."""
        return self._open_state().meta.get(key)

    async def get_nodes(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Node]:
        """Return the nodes that exist among ``ids``, in the order of ``ids`` (each once)."""
        state = self._open_state()
        found = [state.nodes[i] for i in dict.fromkeys(ids) if i in state.nodes]
        return [self._with_embedding(state, n) for n in found] if with_embeddings else found

    @staticmethod
    def _with_embedding(state: GraphState, node: Node) -> Node:
        vector = state.vectors.vector(node.id) if state.vectors is not None else None
        if vector is None:
            return node
        return type(node)(
            node.id, node.label, node.properties, node.occurred_at, node.visibility, node.text, vector
        )

    async def neighbours(
        self, node_id: str, graph_filter: GraphFilter | None = None
    ) -> list[tuple[Edge, Node]]:
        """Return the edges at ``node_id`` allowed by the filter with the node at the other end.

        Ordered by edge type, then neighbour id. A missing node has no neighbours.

        Raises:
            SchemaError: if the filter names a label or relationship type not in ``graph_schema/``.
        """
        _check_graph_filter(graph_filter)
        return neighbours(self._open_state(), node_id, graph_filter)

    async def neighbours_of(
        self, ids: Sequence[str], graph_filter: GraphFilter | None = None, *, per_node: int = 100
    ) -> dict[str, list[tuple[Edge, Node]]]:
        """``neighbours`` of each of ``ids``, at most ``per_node`` each; every id is a key.

        Raises:
            SchemaError: if the filter names a label or relationship type not in ``graph_schema/``.
            InvalidQuery: if ``per_node`` < 1.
        """
        state = self._open_state()
        _check_graph_filter(graph_filter)
        if per_node < 1:
            raise InvalidQuery(f"per_node must be at least 1, not {per_node}")
        return {node_id: neighbours(state, node_id, graph_filter)[:per_node] for node_id in ids}

    async def subgraph(
        self,
        seeds: Sequence[str],
        *,
        depth: int,
        graph_filter: GraphFilter | None = None,
        max_nodes: int = 500,
        label_ranks: Mapping[str, int] | None = None,
    ) -> Subgraph:
        """Return the ``depth``-hop neighbourhood of ``seeds`` (breadth first, by hop then id).

        Raises:
            SchemaError: if the filter or ``label_ranks`` names a label or relationship type not
                in ``graph_schema/``.
        """
        _check_graph_filter(graph_filter)
        check_labels(label_ranks or ())
        return subgraph(self._open_state(), seeds, depth, graph_filter, max_nodes, label_ranks or {})

    async def incident_facts(
        self,
        ids: Sequence[str],
        *,
        visibilities: tuple[Visibility, ...] = ("public",),
        before: datetime | None = None,
        embedding: Vector | None = None,
        lessons: bool = False,
        per_list: int = 200,
        properties: Sequence[str] | None = None,
    ) -> dict[str, IncidentFacts]:
        """What ranking needs of each visible incident among ``ids`` (see ``GraphStore``).

        Raises:
            SchemaError: if ``embedding`` is not a vector of the store's dimension, or a name in
                ``properties`` is not an identifier.
            InvalidQuery: if ``per_list`` < 1.
        """
        state = self._open_state()
        query = None if embedding is None else self._query_vector(state, embedding)
        if per_list < 1:
            raise InvalidQuery(f"per_list must be at least 1, not {per_list}")
        if properties is not None:
            check_property_names(properties)
        vectors = state.vectors
        return incident_facts(
            state,
            ids,
            visibilities=visibilities,
            before=before,
            lessons=lessons,
            per_list=per_list,
            properties=properties,
            cosines=None if query is None or vectors is None else partial(vectors.similarities, query),
        )

    async def list_nodes(
        self, listing: NodeListing, *, limit: int, start_after: ListingKey | None = None
    ) -> list[Node]:
        """One page of the nodes ``listing`` selects, newest first (see ``GraphStore.list_nodes``).

        Raises:
            SchemaError: if a label, relationship type or property name is not allowed.
            InvalidQuery: if ``limit`` < 1.
        """
        check_listing(listing, limit)
        state = self._open_state()
        return list_nodes(state, state.order, listing, limit, start_after)

    async def list_node_ids(self, listing: NodeListing) -> list[str]:
        """The ids of every node ``listing`` selects, newest first (see ``GraphStore.list_node_ids``).

        Raises:
            SchemaError: if a label, relationship type or property name is not allowed.
        """
        check_listing(listing, 1)
        state = self._open_state()
        # Every node at most: one page holds them all.
        return [node.id for node in list_nodes(state, state.order, listing, len(state.nodes) + 1, None)]

    async def linked_recent(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 50,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[Node]]:
        """For each anchor, its newest ``label`` nodes linked into it by ``edge_type`` (see ``GraphStore``).

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        state = self._open_state()
        _check_link(label, edge_type, per_anchor)
        return linked_recent(
            state,
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )

    async def linked_recent_ids(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 50,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[str]]:
        """``linked_recent`` answered with ids only (see ``GraphStore.linked_recent_ids``).

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        found = await self.linked_recent(
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )
        return {anchor: [node.id for node in nodes] for anchor, nodes in found.items()}

    async def linked_times(
        self,
        anchors: Sequence[str],
        *,
        label: str,
        edge_type: str,
        before: datetime | None = None,
        after: datetime | None = None,
        per_anchor: int = 10_000,
        visibilities: tuple[Visibility, ...] = ("public",),
    ) -> dict[str, list[datetime]]:
        """For each anchor, when its linked ``label`` nodes occurred, newest first (see ``GraphStore``).

        Raises:
            SchemaError: if ``label`` or ``edge_type`` is not in ``graph_schema/``.
            InvalidQuery: if ``per_anchor`` < 1.
        """
        state = self._open_state()
        _check_link(label, edge_type, per_anchor)
        return linked_times(
            state,
            anchors,
            label=label,
            edge_type=edge_type,
            before=before,
            after=after,
            per_anchor=per_anchor,
            visibilities=visibilities,
        )

    async def find_nodes(self, label: str, value: str, *, fields: Sequence[str]) -> list[Node]:
        """The ``label`` nodes one of whose ``fields`` equals ``value`` (see ``GraphStore``), by id.

        Reads only the label's nodes (the state keeps ids by label).

        Raises:
            SchemaError: if ``label`` is not in ``graph_schema/`` or a field is not an identifier.
        """
        state = self._open_state()
        check_labels([label])
        check_property_names(fields)
        return find_nodes(state, label, value, fields)

    async def vector_search(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """The k nearest neighbours by cosine similarity among nodes with embeddings.

        Exact with ``exact_search=True`` (the constructor's default): a scan of the matrix.
        Otherwise, on a map of more than ``scan_below`` embeddings, the HNSW index proposes ``max(200, 4k)``
        candidates per share of the map the filter allows, which are filtered and re-scored
        exactly; a smaller map, a selective filter, or too few candidates passing the filter,
        falls back to the scan.

        Raises:
            SchemaError: if ``embedding`` is not a vector of the store's dimension, or the filter
                names a label not in ``graph_schema/``.
        """
        state = self._open_state()
        if search_filter is not None:
            check_labels(search_filter.labels)
        query = self._query_vector(state, embedding)
        index = state.vectors
        if index is None or k <= 0:
            return []
        search_filter = search_filter or SearchFilter()
        if self._approximate is not None:
            async with self._index_lock:
                hits = await self._approximate_search(index, query, k, search_filter)
            if hits is not None:
                return hits
        if _inline(index):
            return index.search(query, k, search_filter)
        async with self._index_lock:
            return await self._off_loop(partial(index.search, query, k, search_filter))

    async def vector_search_labelled(
        self, embedding: Vector, *, k: int, search_filter: SearchFilter | None = None, key: str
    ) -> list[LabelledHit]:
        """``vector_search``'s hits with each one's label and ``key``'s value (see ``GraphStore``).

        Raises:
            SchemaError: as ``vector_search``, or if ``key`` is not a property name.
        """
        check_property_names([key])
        hits = await self.vector_search(embedding, k=k, search_filter=search_filter)
        nodes = self._open_state().nodes
        # A hit deleted by a write during the search is left out, as a read of its node would.
        found = [(hit, nodes.get(hit.node_id)) for hit in hits]
        return [
            LabelledHit(hit.node_id, hit.score, node.label, node.properties.get(key))
            for hit, node in found
            if node is not None
        ]

    async def similarities(self, embedding: Vector, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of ``embedding`` with each of ``ids`` that has an embedding, in the order of ``ids``.

        Raises:
            SchemaError: if ``embedding`` is not a vector of the store's dimension.
        """
        state = self._open_state()
        query = self._query_vector(state, embedding)
        return state.vectors.similarities(query, ids) if state.vectors is not None else {}

    @staticmethod
    def _query_vector(state: GraphState, embedding: Vector) -> Vector:
        query = np.asarray(embedding, dtype=np.float32)
        if query.ndim != 1 or not np.isfinite(query).all():
            raise SchemaError("a query embedding must be a 1-D vector of finite numbers")
        check_dimensions("the query embedding", len(query), state.dimensions)
        return query

    async def _approximate_search(
        self, index: VectorIndex, query: Vector, k: int, search_filter: SearchFilter
    ) -> list[ScoredNode] | None:
        """Over-fetch from the HNSW index, filter and re-score exactly; None means scan instead.

        The caller holds ``_index_lock``.
        """
        approximate = self._approximate
        if approximate is None or len(index) <= self._scan_below:
            return None  # a small or medium map: the exact scan is as cheap and needs no guesswork
        allowed = index.count(search_filter)
        # Ceiling division: enough candidates that about max(_MIN_FETCH, _FETCH_PER_HIT * k) pass.
        fetch = -(-max(_MIN_FETCH, _FETCH_PER_HIT * k) * len(index) // max(allowed, 1))
        if fetch * 2 >= len(index):
            return None  # a selective filter: the scan gathers the few rows it allows
        walk = partial(approximate.candidates, query, fetch)
        # usearch releases the GIL: on the search thread the HNSW walk (about 13 ms of a 45 ms
        # similar-incident query at 100,000 incidents) runs on another core while the query's
        # text search and graph reads go on. Only the walk: Python work there would wait for the GIL.
        candidates = walk() if _inline(index) else await self._off_loop(walk)
        hits = index.rescore(query, candidates, k, search_filter)
        return hits if len(hits) >= k else None

    async def text_search(
        self, query: str, *, k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredNode]:
        """BM25 over node text analyzed as Neo4j's ``english`` index does (see ``analyzer``).

        Any query string is safe to pass.

        Raises:
            SchemaError: if the filter names a label not in ``graph_schema/``.
        """
        state = self._open_state()
        search_filter = search_filter or SearchFilter()
        check_labels(search_filter.labels)
        return state.text.search(query, k, lambda i: search_allows(state.nodes[i], search_filter))

    async def stats(self, *, visibilities: Sequence[Visibility] = ("public", "private")) -> StoreStats:
        """Count visible nodes per label and edges per type (labels and types with none are left out)."""
        state = self._open_state()
        nodes, edges = Counter(state.label_counts), Counter(state.type_counts)
        if not {"public", "private"} <= set(visibilities):
            # One pass over the nodes; the hidden ones (private incidents and their parts) are few.
            hidden = [n for n in state.nodes.values() if n.visibility not in visibilities]
            nodes.subtract(n.label for n in hidden)
            touching = {
                key: edge
                for node in hidden
                for by_key in (state.outgoing.get(node.id, {}), state.incoming.get(node.id, {}))
                for key, edge in by_key.items()
            }
            edges.subtract(edge.type for edge in touching.values())
        return StoreStats(
            {k: v for k, v in sorted(nodes.items()) if v > 0},
            {k: v for k, v in sorted(edges.items()) if v > 0},
        )

    async def scan_nodes(
        self, labels: Sequence[str] = (), *, with_embeddings: bool = False
    ) -> AsyncIterator[Node]:
        """Iterate over every node with one of ``labels`` (all when empty), ordered by id.

        Raises:
            SchemaError: if a label is not in ``graph_schema/``.
        """
        state = self._open_state()
        check_labels(labels)
        # Through the label index: listing the services of a large map reads the services only.
        ids = sorted(
            {i for label in labels for i in state.by_label.get(label, ())} if labels else state.nodes
        )
        for position, node_id in enumerate(ids, 1):
            node = state.nodes.get(node_id)
            if node is not None:
                yield self._with_embedding(state, node) if with_embeddings else node
            if position % _SCAN_CHUNK == 0:
                await asyncio.sleep(0)

    async def scan_edges(self, types: Sequence[str] = ()) -> AsyncIterator[Edge]:
        """Iterate over every edge of one of ``types`` (all when empty), by (source, type, target).

        Raises:
            SchemaError: if a relationship type is not in ``graph_schema/``.
        """
        state = self._open_state()
        check_edge_types(types)
        wanted = set(types)
        edges = [
            e for by_key in state.outgoing.values() for e in by_key.values() if not wanted or e.type in wanted
        ]
        edges.sort(key=lambda e: (e.source, e.type, e.target))
        for position, edge in enumerate(edges, 1):
            if state.edge(edge.key) is edge:
                yield edge
            if position % _SCAN_CHUNK == 0:
                await asyncio.sleep(0)

    async def export(self, subgraph: Subgraph | None = None) -> nx.MultiDiGraph:
        """Return ``subgraph`` (or the whole map) as a networkx MultiDiGraph, edges keyed by type."""
        if subgraph is not None:
            return to_networkx(subgraph.nodes, subgraph.edges)
        state = self._open_state()
        nodes = list(state.nodes.values())
        edges = [e for by_key in state.outgoing.values() for e in by_key.values()]
        return await asyncio.to_thread(to_networkx, nodes, edges)


def _check_link(label: str, edge_type: str, per_anchor: int) -> None:
    """The arguments ``linked_recent`` and ``linked_times`` share, checked alike."""
    check_labels([label])
    check_edge_types([edge_type])
    if per_anchor < 1:
        raise InvalidQuery(f"per_anchor must be at least 1, not {per_anchor}")
