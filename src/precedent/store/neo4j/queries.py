"""Every Cypher statement the Neo4j store runs: named constants and small builders.

Values always travel as ``$params``. Labels and relationship types cannot be parameters, so the
builders splice in names that ``graph_schema`` whitelisted, and check them once more against
``SAFE_IDENTIFIER`` here: this module is the last place a name could slip into a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.errors import SchemaError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from precedent.model import Direction

__all__ = [
    "AWAIT_INDEXES",
    "Collected",
    "DELETE_NODES",
    "EMBEDDING_INDEX",
    "EDGE_COLUMNS",
    "EXISTING_IDS",
    "EXISTING_IDS_ROWS",
    "FACT_COLUMNS",
    "GET_META",
    "GET_NODES",
    "GET_NODES_ROWS",
    "HIDDEN_EDGE_COUNTS",
    "HIDDEN_NODE_COUNTS",
    "INBOX_BACKLOG",
    "INBOX_CANDIDATES",
    "INBOX_COMPLETE",
    "INBOX_FAIL",
    "INBOX_GET",
    "INBOX_LOCK",
    "INBOX_RECENT",
    "INBOX_RECORD",
    "INBOX_RENEW",
    "INBOX_RETRY",
    "INBOX_TAKE",
    "LABELLED_COLUMNS",
    "META_CREATE",
    "META_LOCK",
    "META_REPLACE",
    "SET_META",
    "NEIGHBOUR_COLUMNS",
    "NODE_COLUMNS",
    "SCORE_COLUMNS",
    "SIMILARITIES",
    "SIMILARITIES_ROWS",
    "TEXT_TOP_COLUMNS",
    "TEXT_INDEX",
    "VECTOR_INDEX_DIMENSIONS",
    "count_edges",
    "count_nodes",
    "delete_edges",
    "edges_among",
    "exact_vector_search",
    "find_nodes",
    "graph_node_predicates",
    "incident_facts",
    "index_vector_search",
    "collected",
    "label_predicate",
    "linked_recent",
    "linked_recent_ids",
    "list_nodes",
    "linked_times",
    "neighbours",
    "neighbours_of",
    "next_hop",
    "nodes_and_edges_among",
    "node_fields",
    "safe_identifier",
    "safe_property",
    "scan_edges_page",
    "scan_nodes_page",
    "search_predicates",
    "text_search",
    "text_search_top",
    "upsert_edges",
    "upsert_nodes",
]

SAFE_IDENTIFIER = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
SAFE_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")

EMBEDDING_INDEX = "entity_embedding"
TEXT_INDEX = "entity_text"


def safe_identifier(name: str) -> str:
    """Return ``name`` if it can be spliced into Cypher as a label or relationship type.

    Raises:
        SchemaError: if it is not a plain identifier.
    """
    if not SAFE_IDENTIFIER.match(name):
        raise SchemaError(f"{name!r} is not a safe Cypher identifier; use a name from graph_schema/")
    return name


def safe_property(name: str) -> str:
    """Return ``name`` if it can be spliced into Cypher as a property key.

    Raises:
        SchemaError: if it is not a plain identifier.
    """
    if not SAFE_PROPERTY.match(name):
        raise SchemaError(f"{name!r} is not a safe Cypher property name")
    return name


def node_fields(var: str) -> str:
    """The columns every node read returns: ``props`` (``[key, value]`` pairs) and ``labels``.

    ``embedding`` is left out unless ``$with_embeddings``. A map projection (``n {.*}``) would read
    the embedding, 384 floats from the dynamic array store, even to null it afterwards; listing the
    keys and reading each value by name never loads a value it skips. At 100,000 incidents that
    halved ``linked_recent``'s server time (its rows are Incidents, each with an embedding).
    """
    return f"{_stored_pairs(var, '$with_embeddings')} AS props, labels({var}) AS labels"


def _stored_pairs(var: str, with_embeddings: str | None = None) -> str:
    """A node's stored properties as ``[key, value]`` pairs; the embedding only when ``with_embeddings``.

    ``with_embeddings`` names a boolean parameter; without one the embedding is always left out.
    """
    keep = "key <> 'embedding'" if with_embeddings is None else f"({with_embeddings} OR key <> 'embedding')"
    return f"[key IN keys({var}) WHERE {keep} | [key, {var}[key]]]"


def label_predicate(var: str, labels: Iterable[str]) -> str:
    """Return ``(n:A OR n:B)`` for whitelisted ``labels``."""
    return "(" + " OR ".join(f"{var}:{safe_identifier(label)}" for label in labels) + ")"


@dataclass(frozen=True)
class Collected:
    """A read answered as one record: ``query`` returns a single ``rows`` column of lists.

    Attributes:
        query: The Cypher to run.
        columns: The names of each row list's items, in order.
    """

    query: str
    columns: tuple[str, ...]


def collected(query: str, columns: Sequence[str]) -> Collected:
    """Wrap a read ``query`` returning ``columns`` so its rows, in their order, arrive in one record.

    The async driver turns every record into its own Bolt message, with a few socket reads and
    event-loop wake-ups each: a similar-incident query read about 1,500 records, and that receive
    loop was most of the client's CPU. One record holding every row is read in a handful of chunks.
    The subquery's rows reach ``collect`` in the order it returns them, so its ORDER BY holds.
    """
    for column in columns:
        if not _SAFE_COLUMN.match(column):
            raise SchemaError(f"{column!r} is not a safe Cypher column name")
    return Collected(
        f"CALL () {{\n{query}\n}}\nRETURN collect([{', '.join(columns)}]) AS rows", tuple(columns)
    )


# --- schema and bookkeeping ----------------------------------------------------------------------

AWAIT_INDEXES = "CALL db.awaitIndexes(300)"

VECTOR_INDEX_DIMENSIONS = """
SHOW VECTOR INDEXES YIELD name, options
WHERE name = $name
RETURN options.indexConfig['vector.dimensions'] AS dimensions
"""

GET_META = "MATCH (m:PrecedentMeta {key: $key}) RETURN m.value AS value"

SET_META = "MERGE (m:PrecedentMeta {key: $key}) SET m.value = $value"

# Compare-and-set of a meta value (``replace_meta``). Creating relies on the unique constraint on
# the key, so two concurrent MERGEs make one node and only the creator's token is seen; replacing
# write-locks the node first and compares in a second statement, as the inbox does with leases.
META_CREATE = (
    "MERGE (m:PrecedentMeta {key: $key})\n"
    "ON CREATE SET m.value = $value, m.created_by = $token\n"
    "WITH m, m.created_by = $token AS changed\n"
    "REMOVE m.created_by\n"
    "RETURN changed"
)
META_LOCK = "MATCH (m:PrecedentMeta {key: $key}) SET m.locked = true REMOVE m.locked"
META_REPLACE = (
    "MATCH (m:PrecedentMeta {key: $key}) WHERE m.value = $expected\n"
    "SET m.value = $value RETURN count(m) AS changed"
)

# --- writes --------------------------------------------------------------------------------------


def upsert_nodes(label: str, other_labels: Sequence[str]) -> str:
    """MERGE nodes by id as ``:Entity:<label>``, replacing every property.

    ``SET n = row.props`` drops properties the new version lacks; removing the other schema labels
    keeps a node to one specific label when an upsert changes it.
    """
    remove = "".join(f":{safe_identifier(other)}" for other in other_labels)
    return (
        "UNWIND $rows AS row\n"
        "MERGE (n:Entity {id: row.id})\n"
        + (f"REMOVE n{remove}\n" if remove else "")
        + f"SET n = row.props, n:{safe_identifier(label)}"
    )


def upsert_edges(edge_type: str) -> str:
    """MERGE one relationship per (source, type, target) and replace its properties.

    MATCH (not MERGE) on the endpoints is what makes an edge to a missing node a no-op.
    """
    return (
        "UNWIND $rows AS row\n"
        "MATCH (s:Entity {id: row.source})\n"
        "MATCH (t:Entity {id: row.target})\n"
        f"MERGE (s)-[r:{safe_identifier(edge_type)}]->(t)\n"
        "SET r = row.props"
    )


DELETE_NODES = "UNWIND $ids AS id MATCH (n:Entity {id: id}) DETACH DELETE n"


def delete_edges(edge_type: str) -> str:
    """Delete relationships of one type by (source, target)."""
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (:Entity {{id: row.source}})-[r:{safe_identifier(edge_type)}]->(:Entity {{id: row.target}})\n"
        "DELETE r"
    )


# --- reads ---------------------------------------------------------------------------------------

GET_NODES = f"UNWIND $ids AS id MATCH (n:Entity {{id: id}}) RETURN {node_fields('n')}"

EXISTING_IDS = "UNWIND $ids AS id MATCH (n:Entity {id: id}) RETURN DISTINCT n.id AS id"

# Column names of the reads answered through ``collected`` (one record holding every row).
NODE_COLUMNS = ("props", "labels")
NEIGHBOUR_COLUMNS = ("source", "type", "target", "edge_props", "props", "labels")
EDGE_COLUMNS = ("source", "type", "target", "props")
SCORE_COLUMNS = ("id", "score")
LABELLED_COLUMNS = ("id", "score", "labels", "value")
TEXT_TOP_COLUMNS = ("id", "score", "fetched", "floor")

GET_NODES_ROWS = collected(GET_NODES, NODE_COLUMNS)
EXISTING_IDS_ROWS = collected(EXISTING_IDS, ("id",))


def scan_nodes_page(labels: Sequence[str]) -> str:
    """One page of nodes after ``$after`` in id order, optionally restricted to ``labels``."""
    where = f" AND {label_predicate('n', labels)}" if labels else ""
    return (
        f"MATCH (n:Entity) WHERE n.id > $after{where}\nRETURN {node_fields('n')}\nORDER BY n.id LIMIT $page"
    )


def scan_edges_page(types: Sequence[str]) -> str:
    """The outgoing edges of the next ``$page`` source nodes after ``$after``, in id order.

    Paging over sources keeps each page an index-ordered seek. OPTIONAL MATCH returns every source
    of the page (with a null type when it has no edge) so the caller knows where the page ended.
    """
    rel = ":" + "|".join(safe_identifier(t) for t in types) if types else ""
    return (
        "MATCH (s:Entity) WHERE s.id > $after\n"
        "WITH s ORDER BY s.id LIMIT $page\n"
        f"OPTIONAL MATCH (s)-[r{rel}]->(t:Entity)\n"
        "RETURN s.id AS source, type(r) AS type, t.id AS target, properties(r) AS props"
    )


_COUNT_NODES = "MATCH (n:{label}) RETURN count(n) AS count"
_COUNT_EDGES = "MATCH ()-[r:{type}]->() RETURN count(r) AS count"


# Hidden nodes (private ones, for a public viewer) are few and indexed on visibility; counting
# them and subtracting from the count store's totals keeps stats cheap at any size.
HIDDEN_NODE_COUNTS = (
    "MATCH (n:Entity) WHERE n.visibility IN $hidden\n"
    "RETURN [l IN labels(n) WHERE l <> 'Entity'][0] AS label, count(n) AS count"
)
HIDDEN_EDGE_COUNTS = (
    "MATCH (n:Entity) WHERE n.visibility IN $hidden\n"
    "MATCH (n)-[r]-(:Entity)\n"
    "WITH DISTINCT r\n"
    "RETURN type(r) AS type, count(r) AS count"
)


def count_nodes(label: str) -> str:
    """Count nodes with one label (answered from the count store, not a scan)."""
    return _COUNT_NODES.format(label=safe_identifier(label))


def count_edges(edge_type: str) -> str:
    """Count relationships of one type (answered from the count store, not a scan)."""
    return _COUNT_EDGES.format(type=safe_identifier(edge_type))


# --- traversal -----------------------------------------------------------------------------------


def _rel_pattern(direction: Direction, types: Sequence[str]) -> str:
    rel = "[r" + (":" + "|".join(safe_identifier(t) for t in types) if types else "") + "]"
    return {"out": f"-{rel}->", "in": f"<-{rel}-", "both": f"-{rel}-"}[direction]


def graph_node_predicates(var: str, labels: Sequence[str], *, before: bool, after: bool) -> list[str]:
    """Predicates of a ``GraphFilter`` on a reached node; nodes with no time pass time filters."""
    predicates = [f"{var}.visibility IN $visibilities"]
    if labels:
        predicates.append(label_predicate(var, labels))
    if before:
        predicates.append(f"({var}.occurred_at IS NULL OR {var}.occurred_at < $before)")
    if after:
        predicates.append(f"({var}.occurred_at IS NULL OR {var}.occurred_at >= $after)")
    return predicates


def neighbours(direction: Direction, types: Sequence[str], node_predicates: Sequence[str]) -> str:
    """Edges at ``$id`` with the node at the other end, filtered on the edge and that node."""
    where = " AND ".join(node_predicates)
    return (
        f"MATCH (a:Entity {{id: $id}}){_rel_pattern(direction, types)}(b:Entity)\n"
        f"WHERE {where}\n"
        "RETURN startNode(r).id AS source, type(r) AS type, endNode(r).id AS target,\n"
        f"       properties(r) AS edge_props, {node_fields('b')}"
    )


def neighbours_of(direction: Direction, types: Sequence[str], node_predicates: Sequence[str]) -> str:
    """``neighbours`` of every id in ``$ids``, the first ``$per_node`` of each in the contract's order."""
    where = " AND ".join(node_predicates)
    return (
        "UNWIND $ids AS id\n"
        "CALL (id) {\n"
        f"  MATCH (a:Entity {{id: id}}){_rel_pattern(direction, types)}(b:Entity)\n"
        f"  WHERE {where}\n"
        "  RETURN r, b ORDER BY type(r), b.id, startNode(r).id, endNode(r).id LIMIT $per_node\n"
        "}\n"
        "RETURN id AS anchor, startNode(r).id AS source, type(r) AS type, endNode(r).id AS target,\n"
        f"       properties(r) AS edge_props, {node_fields('b')}"
    )


def next_hop(direction: Direction, types: Sequence[str], node_predicates: Sequence[str]) -> str:
    """The first ``$limit`` new nodes one hop from ``$frontier`` that pass the node filter.

    Columns ``id`` and ``labels`` (its labels besides ``Entity``), in the order ``subgraph`` keeps
    nodes under its cap: by ``$rank`` (a label's rank; ``$unranked`` for the rest), the
    newest ``occurred_at`` first (undated after), then id. Limiting here keeps a hub (a service
    with thousands of incidents) from shipping every neighbour id when only the room left under
    ``max_nodes`` can be used.
    """
    where = " AND ".join(["NOT b.id IN $visited", *node_predicates])
    return (
        "UNWIND $frontier AS fid\n"
        f"MATCH (a:Entity {{id: fid}}){_rel_pattern(direction, types)}(b:Entity)\n"
        f"WHERE {where}\n"
        "WITH DISTINCT b, [label IN labels(b) WHERE label <> 'Entity'] AS labels\n"
        "RETURN b.id AS id, labels\n"
        "ORDER BY coalesce($rank[head(labels)], $unranked), b.occurred_at IS NULL, b.occurred_at DESC, id\n"
        "LIMIT $limit"
    )


def edges_among(types: Sequence[str]) -> str:
    """Every edge (of ``types``, or any) whose two ends are both in ``$ids``."""
    return (
        "UNWIND $ids AS id\n"
        f"MATCH (a:Entity {{id: id}}){_rel_pattern('out', types)}(b:Entity)\n"
        "WHERE b.id IN $ids\n"
        "RETURN a.id AS source, type(r) AS type, b.id AS target, properties(r) AS props"
    )


def nodes_and_edges_among(types: Sequence[str]) -> str:
    """``GET_NODES`` and ``edges_among`` of ``$ids`` in one statement: columns ``nodes`` and ``edges``.

    Each is a list of rows (``NODE_COLUMNS``, ``EDGE_COLUMNS``): a subgraph walk ends with both,
    and one round trip instead of two shortens the similar-incident query's service walk.
    """
    # Each collected read answers exactly one row, even when it found nothing.
    nodes = collected(GET_NODES, NODE_COLUMNS).query
    edges = collected(edges_among(types), EDGE_COLUMNS).query
    return (
        f"CALL () {{\n{nodes}\n}}\nWITH rows AS nodes\nCALL () {{\n{edges}\n}}\nRETURN nodes, rows AS edges"
    )


def _linked_match(label: str, edge_type: str, *, before: bool, after: bool) -> str:
    """The MATCH and WHERE of the newest-linked questions, run once per ``anchor``."""
    predicates = ["n.visibility IN $visibilities"]
    if before:
        predicates.append("n.occurred_at < $before")
    if after:
        predicates.append("n.occurred_at >= $after")
    pattern = f"(n:Entity:{safe_identifier(label)})-[:{safe_identifier(edge_type)}]->(:Entity {{id: anchor}})"
    return f"  MATCH {pattern}\n  WHERE {' AND '.join(predicates)}\n"


# ``occurred_at IS NULL`` first keeps undated nodes last (Cypher sorts null as the largest value,
# so DESC alone would put them first).
_NEWEST_FIRST = "n.occurred_at IS NULL, n.occurred_at DESC, n.id"


def linked_recent(label: str, edge_type: str, *, before: bool, after: bool) -> str:
    """Per anchor in ``$anchors``, its newest ``$per_anchor`` ``label`` nodes linked into it by ``edge_type``.

    The subquery runs once per anchor, so LIMIT caps each anchor's list rather than the total.
    """
    return (
        "UNWIND $anchors AS anchor\n"
        "CALL (anchor) {\n"
        f"{_linked_match(label, edge_type, before=before, after=after)}"
        f"  RETURN n ORDER BY {_NEWEST_FIRST} LIMIT $per_anchor\n"
        "}\n"
        f"RETURN anchor, {node_fields('n')}"
    )


def linked_recent_ids(label: str, edge_type: str, *, before: bool, after: bool) -> str:
    """``linked_recent`` answered with ids only: one row per anchor, its ids newest first.

    Reading no property but the id, the time and the visibility is most of the saving: at
    100,000 incidents the node version read each incident's text and properties for the 400 or
    so rows a similar-incident query asks for, only for the caller to keep the ids.
    """
    return (
        "UNWIND $anchors AS anchor\n"
        "CALL (anchor) {\n"
        f"{_linked_match(label, edge_type, before=before, after=after)}"
        f"  WITH n ORDER BY {_NEWEST_FIRST} LIMIT $per_anchor\n"
        "  RETURN collect(n.id) AS ids\n"
        "}\n"
        "RETURN anchor, ids"
    )


FACT_COLUMNS = ("props", "labels", "score", "affected", "related", "chunks", "follow_ups")


def _brief(var: str, label: str) -> str:
    """A node as ``[id, label, occurred_at, visibility]``, its label the expression ``label``."""
    return f"[{var}.id, {label}, {var}.occurred_at, {var}.visibility]"


def _pair(var: str, label: str, *, brief: bool = False) -> str:
    """A node as ``[props, labels]`` without its embedding, or with ``brief`` as ``_brief``."""
    return _brief(var, label) if brief else f"[{_stored_pairs(var)}, labels({var})]"


def incident_facts(*, before: bool, scored: bool, lessons: bool, brief: bool = False) -> str:
    """Per visible Incident among ``$ids`` (started before ``$before``), what ranking needs of it.

    One row per incident, its lists built by COLLECT subqueries (each ordered by id, at most
    ``$per_list`` long): the Service and Team nodes it affects, each with the teams owning it;
    the ids of related incidents; with ``lessons``, its post-mortem chunks and follow-ups.
    ``scored`` adds the cosine (Neo4j's ``(1 + cos) / 2``) with ``$vector``. Replacing five
    batched reads (and two more for lessons) by this one saves round trips per query.
    ``brief`` reads of each node only its id, time, visibility and (the incident) the stored
    keys in ``$keys``: a few hundred candidates' whole nodes cost more to ship and decode than
    everything else ranking does.
    """
    # Brief rows are positional: fewer, smaller values for the driver to decode.
    chunk, follow_up = _pair("c", "'PostmortemChunk'", brief=brief), _pair("f", "'FollowUp'", brief=brief)
    owner = _pair("t", "'Team'", brief=brief)
    props = "[n.id, n.occurred_at, n.visibility, [key IN $keys | n[key]]]" if brief else _stored_pairs("n")
    service = (
        "s.id, CASE WHEN s:Service THEN 'Service' ELSE 'Team' END, s.occurred_at, s.visibility"
        if brief
        else f"{_stored_pairs('s')}, labels(s)"
    )
    where = ["n.visibility IN $visibilities"]
    related = ["m.visibility IN $visibilities", "m.id <> n.id"]
    if before:
        where.append("n.occurred_at < $before")
        related.append("(m.occurred_at IS NULL OR m.occurred_at < $before)")
    score = (
        "CASE WHEN n.embedding IS NULL THEN null ELSE vector.similarity.cosine(n.embedding, $vector) END"
        if scored
        else "null"
    )
    parts = "[] AS chunks, [] AS follow_ups"
    if lessons:
        parts = (
            "COLLECT {\n"
            "    MATCH (n)-[:HAS_POSTMORTEM]->(p:Entity:Postmortem)\n"
            "          -[:HAS_CHUNK]->(c:Entity:PostmortemChunk)\n"
            "    WHERE p.visibility IN $visibilities AND c.visibility IN $visibilities\n"
            f"    WITH DISTINCT c ORDER BY c.id LIMIT $per_list RETURN {chunk}\n"
            "  } AS chunks,\n"
            "  COLLECT {\n"
            "    MATCH (n)-[:HAS_FOLLOW_UP]->(f:Entity:FollowUp) WHERE f.visibility IN $visibilities\n"
            f"    WITH DISTINCT f ORDER BY f.id LIMIT $per_list RETURN {follow_up}\n"
            "  } AS follow_ups"
        )
    return (
        "UNWIND $ids AS id\n"
        "MATCH (n:Entity:Incident {id: id})\n"
        f"WHERE {' AND '.join(where)}\n"
        f"RETURN {props} AS props, labels(n) AS labels, {score} AS score,\n"
        "  COLLECT {\n"
        "    MATCH (n)-[:AFFECTS]->(s:Entity) WHERE s:Service OR s:Team\n"
        "    WITH DISTINCT s ORDER BY s.id LIMIT $per_list\n"
        f"    RETURN [{service}, CASE WHEN s:Service THEN COLLECT {{\n"
        "      MATCH (s)-[:OWNED_BY]->(t:Entity:Team)\n"
        f"      WITH DISTINCT t ORDER BY t.id LIMIT $per_list RETURN {owner}\n"
        "    } ELSE [] END]\n"
        "  } AS affected,\n"
        "  COLLECT {\n"
        "    MATCH (n)-[:RELATED_TO]-(m:Entity:Incident)\n"
        f"    WHERE {' AND '.join(related)}\n"
        "    WITH DISTINCT m.id AS related ORDER BY related LIMIT $per_list RETURN related\n"
        "  } AS related,\n"
        f"  {parts}"
    )


def list_nodes(
    label: str,
    properties: Sequence[str],
    *,
    link_type: str | None,
    edge_property: str | None,
    among: bool,
    before: bool,
    after: bool,
    start: bool,
    ids_only: bool = False,
) -> str:
    """One page of ``label`` nodes, newest ``occurred_at`` first then id, after ``($start_at, $start_id)``.

    With ``ids_only``, the ids of every node selected (no page): no other property is read.
    Property ``i`` must be IN ``$values{i}``. Without a link or id filter the walk starts from
    the ``occurred_at`` index, in its order, so a page reads about as many nodes as it returns
    (when the filters are not too selective); a link (``$anchors``) or ids (``$among``) start
    from those few nodes instead.
    """
    node = f"n:Entity:{safe_identifier(label)}"
    predicates = ["n.occurred_at IS NOT NULL", "n.visibility IN $visibilities"]
    if link_type is not None:
        rel = f"[r:{safe_identifier(link_type)}]"
        match = f"MATCH (a:Entity) WHERE a.id IN $anchors\nMATCH ({node})-{rel}->(a)\n"
        if edge_property is not None:
            match += f"WHERE r.{safe_property(edge_property)} CONTAINS $edge_text\n"
        match += "WITH DISTINCT n\n"
        if among:
            predicates.append("n.id IN $among")
    elif among:
        match = f"UNWIND $among AS id MATCH ({node} {{id: id}})\n"
    else:
        # The hint makes the planner read the index in order rather than sort every node.
        match = f"MATCH ({node}) USING INDEX n:Entity(occurred_at)\n"
    if before:
        predicates.append("n.occurred_at < $before")
    if after:
        predicates.append("n.occurred_at >= $after")
    if start:
        # A plain range on occurred_at first: the planner then seeks the index in order and stops after
        # a page; written as one OR it unions two seeks and sorts everything older (seconds at 100,000).
        predicates.append("n.occurred_at <= $start_at")
        predicates.append("(n.occurred_at < $start_at OR n.id > $start_id)")
    predicates += [f"n.p_{safe_property(name)} IN $values{i}" for i, name in enumerate(properties)]
    returned = "n.id AS id" if ids_only else node_fields("n")
    return (
        f"{match}WHERE {' AND '.join(predicates)}\n"
        f"RETURN {returned}\n"
        "ORDER BY n.occurred_at DESC, n.id ASC" + ("" if ids_only else "\nLIMIT $limit")
    )


# --- search --------------------------------------------------------------------------------------


def search_predicates(var: str, labels: Sequence[str], *, before: bool, after: bool, exclude: bool) -> str:
    """Predicates of a ``SearchFilter``; nodes with no time fail any time filter."""
    predicates = [f"{var}.visibility IN $visibilities"]
    if labels:
        predicates.append(label_predicate(var, labels))
    if before:
        predicates.append(f"{var}.occurred_at < $before")
    if after:
        predicates.append(f"{var}.occurred_at >= $after")
    if exclude:
        predicates.append(f"NOT {var}.id IN $exclude")
    return " AND ".join(predicates)


def _vector_columns(labelled: bool) -> str:
    """The columns of a vector search row: id and score, with ``labelled`` its labels and ``$key``'s value."""
    return "n.id AS id, score" + (", labels(n) AS labels, n[$key] AS value" if labelled else "")


def exact_vector_search(predicates: str, *, labelled: bool = False) -> str:
    """Brute-force cosine over every candidate, so the order matches an exact numpy search.

    ``vector.similarity.cosine`` answers ``(1 + cos) / 2``; the store maps it back to cosine.
    """
    return (
        "MATCH (n:Entity)\n"
        f"WHERE n.embedding IS NOT NULL AND {predicates}\n"
        "WITH n, vector.similarity.cosine(n.embedding, $vector) AS score\n"
        "WHERE score IS NOT NULL\n"
        f"RETURN {_vector_columns(labelled)}\n"
        "ORDER BY score DESC, id ASC\n"
        "LIMIT $k"
    )


def index_vector_search(predicates: str, *, labelled: bool = False) -> str:
    """Approximate search through the HNSW index: over-fetch ``$fetch`` hits, filter, re-score.

    The index may quantise vectors, so its scores are approximate; re-scoring the candidates with
    the exact function keeps scores comparable with the exact path and orders them exactly.
    """
    return (
        f"CALL db.index.vector.queryNodes('{EMBEDDING_INDEX}', $fetch, $vector) YIELD node AS n\n"
        f"WHERE {predicates}\n"
        "WITH n, vector.similarity.cosine(n.embedding, $vector) AS score\n"
        f"RETURN {_vector_columns(labelled)}\n"
        "ORDER BY score DESC, id ASC\n"
        "LIMIT $k"
    )


SIMILARITIES = """
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE n.embedding IS NOT NULL
RETURN n.id AS id, vector.similarity.cosine(n.embedding, $vector) AS score
"""
SIMILARITIES_ROWS = collected(SIMILARITIES, SCORE_COLUMNS)


def text_search(predicates: str) -> str:
    """Full-text search over ``n.text`` (Lucene query in ``$query``), filtered afterwards.

    Every hit is scored and filtered: exact, but it reads every matching node.
    """
    return (
        f"CALL db.index.fulltext.queryNodes('{TEXT_INDEX}', $query) YIELD node AS n, score\n"
        f"WHERE {predicates}\n"
        "RETURN n.id AS id, score\n"
        "ORDER BY score DESC, id ASC\n"
        "LIMIT $k"
    )


# --- webhook inbox ---------------------------------------------------------------------------------
# (:WebhookDelivery) nodes are bookkeeping beside the map (never :Entity); see store/neo4j/inbox.py.
# Times are epoch milliseconds. Statements that change a leased delivery first take its write lock
# (INBOX_LOCK) and only then check who holds the lease, in a second statement of the same
# transaction, so two workers can never both act on one lease.
# Leases and due times (available_at) run on the database's clock: $inbox_now is null and
# timestamp() is the time, so the receiver and workers on machines whose clocks disagree agree on
# whether a lease is live and a delivery due (a worker an hour ahead would otherwise take every
# lease as run out, and one an hour behind a receiver wait an hour for each delivery). Arrivals,
# starts and finishes keep the caller's time. Tests that move time by hand pass $inbox_now.
_INBOX_NOW = "coalesce($inbox_now, timestamp())"

INBOX_RECORD = (
    "MERGE (d:WebhookDelivery {id: $id})\n"
    "ON CREATE SET d += $props, d.attempts = 0, d.created_by = $token,\n"
    f"    d.available_at = CASE WHEN $pending THEN {_INBOX_NOW} END\n"
    "RETURN d.created_by = $token AS created"
)
# Claimable: pending and due, or its lease ran out; and one delivery of an incident at a time,
# oldest first (``Inbox.claim``): no other delivery of its incident is leased now, nor claimable
# and received before it.
_INBOX_CLAIMABLE = (
    f"((d.state = 'pending' AND d.available_at <= {_INBOX_NOW})\n"
    f"   OR (d.state = 'leased' AND d.lease_expires_at <= {_INBOX_NOW}))\n"
    "  AND (d.incident_id IS NULL OR NOT EXISTS {\n"
    "    MATCH (o:WebhookDelivery {incident_id: d.incident_id})\n"
    f"    WHERE o.id <> d.id AND ((o.state = 'leased' AND o.lease_expires_at > {_INBOX_NOW})\n"
    f"      OR ((o.state = 'leased' OR (o.state = 'pending' AND o.available_at <= {_INBOX_NOW}))\n"
    "          AND (o.received_at < d.received_at OR (o.received_at = d.received_at AND o.id < d.id))))\n"
    "  })\n"
)
# Locks each candidate and the other live deliveries of its incident, so that a worker claiming
# one of those at the same time waits, then finds this claim in INBOX_TAKE's second look.
INBOX_CANDIDATES = (
    "MATCH (d:WebhookDelivery)\n"
    "WHERE " + _INBOX_CLAIMABLE + "WITH d ORDER BY d.received_at, d.id LIMIT $limit\n"
    "OPTIONAL MATCH (o:WebhookDelivery {incident_id: d.incident_id}) WHERE o.state IN ['pending', 'leased']\n"
    "WITH d, collect(o) AS others\n"
    "FOREACH (n IN [d] + others | SET n.locked = true REMOVE n.locked)\n"
    "RETURN d.id AS id"
)
INBOX_TAKE = (
    "MATCH (d:WebhookDelivery) WHERE d.id IN $ids\n"
    "  AND "
    + _INBOX_CLAIMABLE
    + f"SET d.state = 'leased', d.lease_owner = $owner, d.lease_expires_at = {_INBOX_NOW} + $lease_ms,\n"
    "    d.attempts = d.attempts + 1, d.started_at = coalesce(d.started_at, $now)\n"
    "RETURN d {.*} AS delivery"
)
INBOX_LOCK = "MATCH (d:WebhookDelivery {id: $id}) SET d.locked = true REMOVE d.locked"
_INBOX_HELD = "MATCH (d:WebhookDelivery {id: $id}) WHERE d.state = 'leased' AND d.lease_owner = $owner\n"
INBOX_RENEW = _INBOX_HELD + f"SET d.lease_expires_at = {_INBOX_NOW} + $lease_ms RETURN count(d) AS changed"
INBOX_COMPLETE = (
    _INBOX_HELD + "SET d.state = 'done', d.outcome = $outcome, d.error = null, d.finished_at = $now,\n"
    "    d.lease_expires_at = null\n"
    "RETURN count(d) AS changed"
)
INBOX_FAIL = (
    _INBOX_HELD + "SET d.state = $state, d.error = $error, d.attempts = d.attempts - $uncounted,\n"
    f"    d.available_at = CASE WHEN $delay_ms IS NULL THEN null ELSE {_INBOX_NOW} + $delay_ms END,\n"
    "    d.finished_at = $finished, d.lease_expires_at = null\n"
    "RETURN count(d) AS changed"
)
INBOX_GET = "MATCH (d:WebhookDelivery {id: $id}) RETURN d {.*} AS delivery"
# A page after the key ($at, $after_id) of the previous page's last delivery (null: the first page).
INBOX_RECENT = (
    "MATCH (d:WebhookDelivery)\n"
    "WHERE $at IS NULL OR d.received_at < $at OR (d.received_at = $at AND d.id > $after_id)\n"
    "RETURN d {.*} AS delivery ORDER BY d.received_at DESC, d.id ASC LIMIT $limit"
)
INBOX_BACKLOG = (
    "MATCH (d:WebhookDelivery) WHERE d.state IN ['pending', 'leased']\n"
    "RETURN count(d) AS waiting, min(d.received_at) AS oldest"
)
INBOX_RETRY = (
    "MATCH (d:WebhookDelivery {id: $id}) WHERE NOT d.state IN ['pending', 'leased']\n"
    f"SET d.state = 'pending', d.attempts = 0, d.available_at = {_INBOX_NOW}, d.finished_at = null,\n"
    "    d.lease_expires_at = null"
)
# Pruning: the candidates (final, finished before $before) are write-locked first, then checked
# again and deleted in a second statement, so one retried meanwhile (pending again) stays.
INBOX_PRUNE_CANDIDATES = (
    "MATCH (d:WebhookDelivery) WHERE d.state IN $states AND d.finished_at < $before\n"
    "WITH d LIMIT $batch SET d.locked = true REMOVE d.locked RETURN d.id AS id"
)
INBOX_PRUNE = (
    "MATCH (d:WebhookDelivery) WHERE d.id IN $ids AND d.state IN $states AND d.finished_at < $before\n"
    "DETACH DELETE d RETURN count(*) AS deleted"
)


def text_search_top(predicates: str) -> str:
    """Full-text search over Lucene's best ``$fetch`` hits only, filtered afterwards.

    Each row also carries how many hits Lucene gave (``fetched``) and the lowest score among
    them (``floor``), so the caller can tell whether the answer is the exact one: it is when
    Lucene ran out of hits before ``$fetch``, or the k-th answer scores above ``floor`` (so no
    hit past the cut could rank before it or tie with it).
    """
    return (
        f"CALL db.index.fulltext.queryNodes('{TEXT_INDEX}', $query, {{limit: $fetch}}) YIELD node, score\n"
        "WITH collect({node: node, score: score}) AS hits\n"
        "WITH hits, size(hits) AS fetched, reduce(low = null, h IN hits | "
        "CASE WHEN low IS NULL OR h.score < low THEN h.score ELSE low END) AS floor\n"
        "UNWIND hits AS hit\n"
        "WITH hit.node AS n, hit.score AS score, fetched, floor\n"
        f"WHERE {predicates}\n"
        "RETURN n.id AS id, score, fetched, floor\n"
        "ORDER BY score DESC, id ASC\n"
        "LIMIT $k"
    )


def linked_times(label: str, edge_type: str, *, before: bool, after: bool) -> str:
    """Per anchor in ``$anchors``, ``occurred_at`` (micros) of its newest ``$per_anchor`` dated nodes.

    Only the times cross the wire: counting incidents per week on every service needs no more.
    """
    predicates = ["n.visibility IN $visibilities", "n.occurred_at IS NOT NULL"]
    if before:
        predicates.append("n.occurred_at < $before")
    if after:
        predicates.append("n.occurred_at >= $after")
    pattern = f"(n:Entity:{safe_identifier(label)})-[:{safe_identifier(edge_type)}]->(:Entity {{id: anchor}})"
    return (
        "UNWIND $anchors AS anchor\n"
        "CALL (anchor) {\n"
        f"  MATCH {pattern}\n"
        f"  WHERE {' AND '.join(predicates)}\n"
        "  WITH n.occurred_at AS at ORDER BY at DESC LIMIT $per_anchor\n"
        "  RETURN collect(at) AS times\n"
        "}\n"
        "RETURN anchor, times"
    )


def find_nodes(label: str) -> str:
    """The ``label`` nodes one of whose stored properties ``$keys`` equals ``$value`` (a ``match_key``).

    A list property matches when any item does; each is put in ``match_key`` form here: lower-cased,
    split on ``$spaces`` (``store.matching.WHITESPACE``), its words joined by one space. Matching on
    the label alone reads that label's nodes (services, teams, users), never the incidents and their
    parts.
    """
    words = "[w IN split(toLower(toString(v)), $spaces) WHERE w <> '']"
    return (
        f"MATCH (n:Entity:{safe_identifier(label)})\n"
        "WHERE any(key IN $keys WHERE any(v IN CASE WHEN valueType(n[key]) STARTS WITH 'LIST' "
        f"THEN n[key] ELSE [n[key]] END WHERE reduce(s = '', w IN {words} | "
        "s + CASE s WHEN '' THEN '' ELSE ' ' END + w) = $value))\n"
        f"RETURN {node_fields('n')}\n"
        "ORDER BY n.id"
    )
