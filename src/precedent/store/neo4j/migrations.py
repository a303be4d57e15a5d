"""Brings a Neo4j database up to ``graph_schema/migrations`` and records the version applied.

The applied version lives in ``(:PrecedentMeta {key: 'schema_version'})``; each migration newer
than it runs statement by statement (schema changes cannot share a transaction with data writes),
then the version is recorded. Every schema statement is ``IF NOT EXISTS`` and every data statement
(converting what an older Precedent wrote) converges, so a half-applied migration is safe to run
again.

The vector index needs the embedder's dimension (``{dimensions}`` in the migration). When the
store is opened without one, that statement is deferred rather than guessed: an existing index is
kept as it is, and a missing one is created by the first ``open()`` that knows the dimension.
Exact vector search does not need the index, so nothing else waits for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import StoreError
from precedent.store.neo4j import queries
from precedent.store.neo4j.connection import fetch

if TYPE_CHECKING:
    from precedent.graph_schema import GraphSchema
    from precedent.store.neo4j.connection import Connection, Runner

__all__ = ["SCHEMA_VERSION_KEY", "migrate", "vector_index_dimensions"]

SCHEMA_VERSION_KEY = "schema_version"
_DIMENSIONS = "{dimensions}"


async def _get_version(tx: Runner) -> int:
    records = await fetch(tx, queries.GET_META, {"key": SCHEMA_VERSION_KEY})
    return int(records[0]["value"]) if records else 0


async def _statement(connection: Connection, statement: str) -> None:
    await connection.execute(statement, {}, "applying a schema migration")


async def _set_version(connection: Connection, version: int) -> None:
    params = {"key": SCHEMA_VERSION_KEY, "value": str(version)}
    await connection.execute(queries.SET_META, params, "recording the schema version")


async def vector_index_dimensions(connection: Connection) -> int | None:
    """The vector index's dimension, or ``None`` while there is no index."""
    params = {"name": queries.EMBEDDING_INDEX}
    records = await connection.query(queries.VECTOR_INDEX_DIMENSIONS, params, "reading the vector index")
    return int(records[0]["dimensions"]) if records else None


async def _ensure_vector_index(connection: Connection, schema: GraphSchema, dimensions: int) -> None:
    existing = await vector_index_dimensions(connection)
    if existing == dimensions:
        return
    if existing is not None:
        raise StoreError(
            f"the Neo4j vector index {queries.EMBEDDING_INDEX} has {existing} dimensions but the embedder "
            f"gives {dimensions}; use the embedder the map was built with, or DROP INDEX "
            f"{queries.EMBEDDING_INDEX} and re-embed every node"
        )
    for migration in schema.migrations:
        for statement in migration.statements:
            if _DIMENSIONS in statement:
                await _statement(connection, statement.replace(_DIMENSIONS, str(int(dimensions))))


async def migrate(connection: Connection, schema: GraphSchema, dimensions: int | None) -> int:
    """Apply pending migrations, ensure the vector index when ``dimensions`` is known, await indexes.

    Returns:
        The schema version now recorded.

    Raises:
        StoreError: if a statement fails, the vector index has another dimension, or a newer
            Precedent has recorded a schema version this one does not know.
    """
    current = await connection.read(_get_version, "reading the schema version")
    known = max((m.version for m in schema.migrations), default=0)
    if current > known:
        # A newer Precedent migrated it: this one would write what the newer one converted away.
        raise StoreError(
            f"the Neo4j database's Precedent schema is version {current}, newer than this "
            f"Precedent's ({known}): a newer Precedent has upgraded the map. Run that version on every "
            "serve, worker and command that opens it, or restore the backup taken before the upgrade"
        )
    for migration in schema.migrations:
        if migration.version <= current:
            continue
        for statement in migration.statements:
            if _DIMENSIONS not in statement:
                await _statement(connection, statement)
            # The templated vector index is created below, by the same path that repairs it.
        await _set_version(connection, migration.version)
        current = migration.version
    if dimensions is not None:
        await _ensure_vector_index(connection, schema, dimensions)

    await connection.query(queries.AWAIT_INDEXES, {}, "waiting for indexes to come online")
    return current
