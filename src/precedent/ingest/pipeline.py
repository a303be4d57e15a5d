"""Loads mapped records into a store: hash, skip unchanged, embed in large batches, write.

Batches flow through two overlapping stages: *prepare* (look up what exists, hash, embed the part
of each text the model reads whole) and
*write* (upsert nodes, drop stale edges, upsert edges). While batch k is written, batch k+1 is
embedded, so the embedding model is never idle waiting on the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import TYPE_CHECKING

from precedent.graph_schema import load_schema
from precedent.ingest.hashing import HASH_PROPERTY, record_hash
from precedent.ingest.journal import UnfinishedJournal
from precedent.ingest.mapping import head_that_fits
from precedent.ingest.progress import NULL_PROGRESS, LoadStats, Progress
from precedent.model import Edge, EdgeKey, GraphFilter, Node

if TYPE_CHECKING:
    from precedent.embedding import Embedder, TokenCounter
    from precedent.ingest.mapping import MappedRecord
    from precedent.store import GraphStore

__all__ = ["Loader", "PreparedBatch", "embedded_texts"]

_EDGE_CHUNK = 2000


@dataclasses.dataclass
class PreparedBatch:
    """A batch ready to write: only what changed, with hashes and embeddings attached."""

    nodes: list[Node] = dataclasses.field(default_factory=list)
    edges: list[Edge] = dataclasses.field(default_factory=list)
    deferred: list[Edge] = dataclasses.field(default_factory=list)
    owners: set[str] = dataclasses.field(default_factory=set)
    settled: set[str] = dataclasses.field(default_factory=set)
    replaced: list[MappedRecord] = dataclasses.field(default_factory=list)


async def _aiter(
    records: Iterable[MappedRecord] | AsyncIterable[MappedRecord],
) -> AsyncIterator[MappedRecord]:
    if isinstance(records, AsyncIterable):
        async for record in records:
            yield record
    else:
        for record in records:
            yield record


class Loader:
    """Writes records to a store idempotently, reporting created/updated/unchanged per label.

    Args:
        store: Where the knowledge map lives.
        embedder: Embeds the text of nodes whose label is embedded, or the leading part its
            model reads whole (wrap it in ``CachedEmbedder``).
        batch_size: Records per batch; each batch embeds its texts in one call.
        progress: Receives ``advance`` per batch.
    """

    def __init__(
        self,
        store: GraphStore,
        embedder: Embedder,
        *,
        batch_size: int = 512,
        progress: Progress | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._batch_size = batch_size
        self._progress = progress or NULL_PROGRESS
        self._embedded_labels = load_schema().embedded_labels
        self._hashes: dict[str, str] = {}  # node id -> hash in the store, or queued to be
        self._known: set[str] = set()  # node ids known to exist once queued writes land
        self._deferred: list[Edge] = []
        self._journal = UnfinishedJournal(store)
        self._forced: set[str] = set()
        self._tokens: TokenCounter | None = None

    @property
    def store(self) -> GraphStore:
        """The store this loader writes to."""
        return self._store

    async def load(
        self, records: Iterable[MappedRecord] | AsyncIterable[MappedRecord], resource: str
    ) -> LoadStats:
        """Load every record; when this returns, all of it is durably written.

        Args:
            records: Records in any order (nodes are written before the edges that need them).
            resource: Name for progress and statistics.

        Returns:
            Counts of created, updated and unchanged nodes per label, and edges written.
        """
        stats = LoadStats()
        self._forced |= await self._journal.open()
        pending: asyncio.Task[None] | None = None
        batch: list[MappedRecord] = []
        try:
            async for record in _aiter(records):
                batch.append(record)
                if len(batch) >= self._batch_size:
                    pending = await self._hand_over(batch, pending, stats, resource)
                    batch = []
            if batch:
                pending = await self._hand_over(batch, pending, stats, resource)
            if pending is not None:
                await pending
                pending = None
            await self._flush_deferred(stats)
            self._journal.finish(self._hashes)
            await self._journal.close()
        finally:
            if pending is not None:
                # A failing source must not cut a prepared batch in half: let it land.
                with contextlib.suppress(Exception):
                    await pending
        return stats

    async def _hand_over(
        self,
        batch: list[MappedRecord],
        pending: asyncio.Task[None] | None,
        stats: LoadStats,
        resource: str,
    ) -> asyncio.Task[None]:
        prepared = await self._prepare(batch, stats)
        if pending is not None:
            await pending  # writes stay in order: batch k lands before batch k+1
        self._progress.advance(resource, len(batch))
        return asyncio.create_task(self._write(prepared, stats))

    async def _prepare(self, batch: list[MappedRecord], stats: LoadStats) -> PreparedBatch:
        by_id: dict[str, MappedRecord] = {}
        linkers: list[MappedRecord] = []
        for record in batch:
            if record.node is None:
                linkers.append(record)
            else:
                by_id[record.node.id] = record  # a later copy of the same object wins
        stubs = {s.id: s for r in batch for s in r.stubs if s.id not in by_id}
        endpoints = {x for r in batch for e in r.edges for x in (e.source, e.target)}
        lookup = [i for i in {*by_id, *stubs, *endpoints} if i not in self._known]
        existing = {n.id: n for n in await self._store.get_nodes(lookup)} if lookup else {}
        for node in existing.values():
            self._hashes.setdefault(node.id, str(node.properties.get(HASH_PROPERTY, "")))
        hashes = await asyncio.to_thread(lambda: {i: record_hash(r) for i, r in by_id.items()})
        out = PreparedBatch()
        for node_id, record in by_id.items():
            assert record.node is not None
            before = self._hashes.get(node_id)
            if node_id in self._forced:
                self._forced.discard(node_id)
                before = ""  # written by a run that died before its edges landed
            if before == hashes[node_id]:
                stats.count(record.node.label, "unchanged")
                continue
            created = before is None and node_id not in self._known
            stats.count(record.node.label, "created" if created else "updated")
            out.nodes.append(_with_hash(record.node, hashes[node_id]))
            out.edges.extend(record.edges)
            if record.edges or record.scopes:
                out.owners.add(node_id)
            if record.scopes and not created:
                out.replaced.append(record)
            self._hashes[node_id] = hashes[node_id]
        for stub_id, stub in stubs.items():
            if stub_id in existing or stub_id in self._known:
                continue
            stats.count(stub.label, "created")
            out.nodes.append(_with_hash(stub, "stub"))
            self._hashes[stub_id] = "stub"
        for record in linkers:
            out.edges.extend(record.edges)
            out.replaced.append(record)
        self._known.update(existing)
        self._known.update(n.id for n in out.nodes)
        # Decide now which edges can land with this batch: by the time it is written, every
        # earlier batch is too, but later ones (being prepared meanwhile) are not.
        edges, out.edges = out.edges, []
        for edge in edges:
            ready = edge.source in self._known and edge.target in self._known
            (out.edges if ready else out.deferred).append(edge)
        waiting = {
            i
            for i in out.owners
            for e in by_id[i].edges
            if e.source not in self._known or e.target not in self._known
        }
        out.settled = out.owners - waiting
        out.nodes = await self._embed(out.nodes, stats)
        return out

    async def token_counter(self) -> TokenCounter:
        """How the embedder's model measures text; mapping sizes post-mortem chunks with it."""
        if self._tokens is None:
            self._tokens = await self._embedder.token_counter()
        return self._tokens

    async def _embed(self, nodes: list[Node], stats: LoadStats) -> list[Node]:
        wanted = [i for i, n in enumerate(nodes) if n.text and n.label in self._embedded_labels]
        if not wanted:
            return nodes
        tokens = await self.token_counter()
        texts = await asyncio.to_thread(embedded_texts, [nodes[i].text or "" for i in wanted], tokens)
        vectors = await self._embedder.embed(texts)
        stats.embedded += len(wanted)
        for row, index in enumerate(wanted):
            nodes[index] = dataclasses.replace(nodes[index], embedding=vectors[row])
        return nodes

    async def _write(self, batch: PreparedBatch, stats: LoadStats) -> None:
        await self._journal.begin(batch.owners)
        if batch.nodes:
            await self._store.upsert_nodes(batch.nodes)
        await self._drop_stale(batch.replaced, stats)
        self._deferred.extend(batch.deferred)
        await self._upsert_edges(batch.edges, stats)
        self._journal.finish(batch.settled)

    async def _drop_stale(self, records: list[MappedRecord], stats: LoadStats) -> None:
        stale_edges: dict[EdgeKey, None] = {}
        stale_nodes: dict[str, None] = {}
        for record in records:
            anchor = record.anchor_id
            if anchor is None:
                continue
            keep = {e.key for e in record.edges}
            types = tuple(sorted({s.type for s in record.scopes}))
            for edge, other in await self._store.neighbours(anchor, GraphFilter(rel_types=types)):
                for scope in record.scopes:
                    outward = scope.direction == "out" and edge.source == anchor
                    inward = scope.direction == "in" and edge.target == anchor
                    if edge.type == scope.type and (outward or inward) and edge.key not in keep:
                        stale_edges[edge.key] = None
                        if scope.cascade:
                            stale_nodes[other.id] = None
                            stale_nodes.update(dict.fromkeys(await self._owned(other.id, scope.owns)))
        if stale_edges:
            await self._store.delete_edges(list(stale_edges))
            stats.edges_deleted += len(stale_edges)
        if stale_nodes:
            await self._store.delete_nodes(list(stale_nodes))
            stats.nodes_deleted += len(stale_nodes)
            self._known.difference_update(stale_nodes)

    async def _owned(self, node_id: str, types: tuple[str, ...]) -> list[str]:
        """The nodes ``node_id`` owns by ``types`` edges (none asked: none)."""
        if not types:
            return []
        found = await self._store.neighbours(node_id, GraphFilter(rel_types=types, direction="out"))
        return [other.id for _, other in found]

    async def _upsert_edges(self, edges: list[Edge], stats: LoadStats) -> None:
        for start in range(0, len(edges), _EDGE_CHUNK):
            chunk = edges[start : start + _EDGE_CHUNK]
            await self._store.upsert_edges(chunk)
            stats.edges_written += len(chunk)

    async def _flush_deferred(self, stats: LoadStats) -> None:
        """Write edges whose endpoints were unknown when their batch was written (forward links)."""
        deferred, self._deferred = self._deferred, []
        if not deferred:
            return
        ids = list({x for e in deferred for x in (e.source, e.target)} - self._known)
        if ids:
            self._known.update(n.id for n in await self._store.get_nodes(ids))
        await self._upsert_edges(
            [e for e in deferred if e.source in self._known and e.target in self._known], stats
        )


def embedded_texts(texts: list[str], tokens: TokenCounter) -> list[str]:
    """What the model is given for each text: all of it, or the head it reads whole.

    Post-mortem chunks are sized to fit when mapped; an incident's text (name, summary, update
    messages) may be longer, and then its vector is of the leading part, cut at a paragraph,
    sentence or word boundary instead of mid-word by the model. The node keeps its whole text
    for full-text search. Blocking: call it from a worker thread.

    Args:
        texts: Node texts.
        tokens: The model's measure of text.

    Returns:
        One text per input, each read whole by the model.
    """
    counts = tokens.count_tokens(texts)
    return [
        text if count <= tokens.max_tokens else head_that_fits(text, tokens.fits)
        for text, count in zip(texts, counts, strict=True)
    ]


def _with_hash(node: Node, digest: str) -> Node:
    return dataclasses.replace(node, properties={**node.properties, HASH_PROPERTY: digest})
