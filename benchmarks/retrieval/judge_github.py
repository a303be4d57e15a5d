"""Relevance judgments for the GitHub status corpus, made without Precedent's embedding model.

What it measures: nothing by itself; it writes the labels ``quality.py`` and ``tune.py`` score
the ranking against. Two label sets, written under the dataset directory (never into the repo):

``judgments-taxonomy.jsonl`` (the primary labels, independent of the ranking's model)
    A rule-based root-cause taxonomy (``CATEGORIES``: keyword/regex rules, an incident may get
    several) applied to each incident's *write-up*: its post-mortem if it has one (GitHub's
    root-cause write-up, from 2023; its Summary section only, as the Timeline repeats the early
    updates), else its updates after the first two. The posed query is
    the name plus the first two updates, so the labels are made from text the query never sees.
    Sentences about follow-up work ("we are working to...", "to prevent...") are dropped before
    matching, so a category is the cause, not the remediation. For a query incident Q and an
    earlier incident C (started before Q):

    - grade 2: C shares a category with Q and at least one affected component;
    - grade 1: C shares a category with Q, no component;
    - excluded: C started within 24 h of Q on a shared component (the same event reported
      twice is judged apart, not as a precedent), or C has no write-up categories.

``judgments-silver.jsonl`` (second, model-based label set)
    The previous engineer's silver labels: earlier incidents whose post-mortem embedding (mean
    of its chunk vectors, Precedent's own MiniLM model) has cosine >= 0.85 (grade 2) or >= 0.75
    (grade 1) to the query's post-mortem, same-day incidents excluded. Correlated with the
    ranking's semantic signal, so read it as a second opinion only. (The chunks include the
    post-mortem's Timeline, which repeats the query's own first updates: a further bias towards
    systems that match the query's text.)

Also written: ``pool-taxonomy.txt`` and ``pool-silver.txt``, the incidents each label set can
judge at all (a categorised write-up; a post-mortem). Every other incident is unjudged, not
irrelevant; ``quality.py`` also scores rankings restricted to these pools.

Run: ``uv run python benchmarks/retrieval/judge_github.py [DIR]`` (``DIR`` as for
``prepare.py``, default ``.precedent/bench``); ``--stats`` prints category counts. The same rules
judge the other development shapes (``--dataset azure|gcp|aws|gh24 --no-silver``): their
write-ups are the vendors' post-incident reviews or, without one, the updates after the first two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from precedent.config import Settings
from precedent.model import SearchFilter
from precedent.retrieval.posing import FIRST_UPDATES
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.model import Node
    from precedent.store.base import GraphStore

DEFAULT_DIR = Path(".precedent/bench")
DAY_SECONDS = 86_400.0
DIMENSIONS = 384  # all-MiniLM-L6-v2, the model the map was imported with

CATEGORIES: dict[str, tuple[str, ...]] = {
    "database": (
        r"\bdatabases?\b",
        r"\bmysql\b",
        r"\bvitess\b",
        r"\bsql\b",
        r"\b(primary|replica|replicas|replication)\b",
        r"\bdb\b",
        r"\bquer(y|ies)\b",
        r"\bschema\b",
    ),
    "deploy_config": (
        r"\bdeploy(ed|ment|ments|s|ing)?\b",
        r"\bconfiguration\b",
        r"\bconfig\b",
        r"\bmisconfigur",
        r"\broll(ed)? ?back\b",
        r"\brevert(ed|ing)?\b",
        r"\bfeature flag",
        r"\broll ?out\b|\brolled out\b",
        r"\b(a|the|recent|code|configuration|network|infrastructure) changes?\b",
        r"\bupgrade\b",
    ),
    "capacity_load": (
        r"\bcapacity\b",
        r"\b(high|increased|unexpected|elevated|spike in|surge in|heavy) "
        r"(load|traffic|volume|demand|usage)\b",
        r"\bresource (exhaustion|contention|saturation)\b",
        r"\bexhaust(ed|ion)\b",
        r"\bsaturat(ed|ion)\b",
        r"\bcpu\b",
        r"\bmemory\b",
        r"\bscal(e|ing) (up|out)\b",
        r"\bautoscal",
        r"\boverload",
    ),
    "network_dns": (
        r"\bnetwork(ing)?\b",
        r"\bdns\b",
        r"\bbgp\b",
        r"\brout(er|ers|ing)\b",
        r"\bconnectivity\b",
        r"\bload balancer",
        r"\bpacket loss\b",
        r"\bdata ?cent(er|re)s?\b",
    ),
    "third_party": (
        r"\bthird[- ]party\b",
        r"\bupstream\b",
        r"\b(cloud|external|service) provider\b",
        r"\bvendor\b",
        r"\bpartner\b",
        r"\bazure\b",
        r"\baws\b",
        r"\bexternal (service|dependency)\b",
    ),
    "cert_auth": (
        r"\bcertificates?\b",
        r"\btls\b",
        r"\bssl\b",
        r"\bauthenticat",
        r"\bauthoriz",
        r"\btokens?\b",
        r"\bcredentials?\b",
        r"\boauth\b",
        r"\bsso\b",
        r"\bsign[- ]?in\b|\blog ?in\b",
        r"\bsecrets?\b",
    ),
    "storage": (
        r"\bstorage\b",
        r"\bdisks?\b",
        r"\bfile ?servers?\b",
        r"\bfile ?system\b",
        r"\bblob\b",
        r"\bvolumes?\b",
    ),
    "cache": (r"\bcach(e|es|ed|ing)\b", r"\bmemcache", r"\bredis\b"),
    "queue_jobs": (
        r"\bqueue[ds]?\b",
        r"\bqueueing\b",
        r"\bbackground (job|jobs|processing|workers?)\b",
        r"\bjob (processing|queue)",
        r"\bworkers?\b",
        r"\bbacklog\b",
        r"\bkafka\b",
    ),
    "rate_limit_abuse": (
        r"\brate[- ]limit",
        r"\babuse\b|\babusive\b",
        r"\bspam\b",
        r"\bddos\b|\bdenial of service\b",
        r"\battack\b",
        r"\bmalicious\b",
        r"\bbot traffic\b|\bcrawler",
    ),
}
_RULES = {name: re.compile("|".join(rules), re.IGNORECASE) for name, rules in CATEGORIES.items()}
_OWN = re.compile(r"^\\b(azure|aws)\\b$")  # the vendors' own names, in the cloud shapes
_PRIMARY_RULES = {
    name: re.compile("|".join(r for r in rules if not _OWN.match(r)), re.IGNORECASE)
    for name, rules in CATEGORIES.items()
}
_FOLLOW_UP = re.compile(
    r"\b(we are working|we're working|we will|we'll|to prevent|going forward|in the future|"
    r"future|we have (also )?(added|implemented|improved)|improv(e|ing) (our|the)|to reduce the)\b",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


_CAUSE_SENTENCE = re.compile(
    r"\b(root cause|caused|causing|due to|because|triggered|resulted from|led to|contributing)\b",
    re.IGNORECASE,
)


def primary_categories(writeup: str) -> frozenset[str]:
    """The root-cause categories a long write-up is mostly about (rules for the cloud shapes).

    Long post-incident reviews touch every category somewhere, so only sentences that state a
    cause count, each category scores its number of matching sentences, and the best-scoring
    categories (ties kept) are the write-up's. The vendor's own name is not a third party.
    """
    sentences = [s for s in _SENTENCES.split(writeup) if s.strip() and not _FOLLOW_UP.search(s)]
    causes = [s for s in sentences if _CAUSE_SENTENCE.search(s)] or sentences
    counts = Counter(name for s in causes for name, rule in _PRIMARY_RULES.items() if rule.search(s))
    if not counts:
        return frozenset()
    top = max(counts.values())
    return frozenset(name for name, count in counts.items() if count == top)


def categorise(writeup: str) -> frozenset[str]:
    """Root-cause categories of a write-up: every rule matching a sentence that is not follow-up work."""
    cause = " ".join(s for s in _SENTENCES.split(writeup) if s.strip() and not _FOLLOW_UP.search(s))
    return frozenset(name for name, rule in _RULES.items() if rule.search(cause))


@dataclass(frozen=True)
class Judged:
    """What the judge knows of one incident."""

    id: str
    started: datetime
    components: frozenset[str]
    categories: frozenset[str]


def _summary(chunks: list[Node]) -> str:
    """The post-mortem's Summary section, without its heading line.

    The Timeline section is left out: it repeats every update, including the first two the
    query is posed from, and the heading repeats the incident's name.
    """
    ordered = sorted(chunks, key=lambda n: (int(str(n.properties.get("position", 0))), n.id))
    texts = []
    for chunk in ordered:
        heading = str(chunk.properties.get("heading", ""))
        if heading.rsplit(" > ", 1)[-1].strip().lower() != "summary":
            continue
        text = chunk.text or ""
        texts.append(text[len(heading) :] if text.startswith(heading) else text)
    return "\n".join(texts)


async def _incidents(store: GraphStore, primary: bool = False) -> list[Judged]:
    updates: dict[str, list[Node]] = defaultdict(list)
    async for node in store.scan_nodes(["IncidentUpdate"]):
        updates[str(node.properties["incident_id"])].append(node)
    chunks: dict[str, list[Node]] = defaultdict(list)
    async for node in store.scan_nodes(["PostmortemChunk"]):
        chunks[str(node.properties["incident_id"])].append(node)
    components: dict[str, set[str]] = defaultdict(set)
    async for edge in store.scan_edges(["AFFECTS"]):
        components[edge.source].add(edge.target)
    judged = []
    async for incident in store.scan_nodes(["Incident"]):
        if incident.occurred_at is None:
            continue
        if incident.id in chunks:
            writeup = _summary(chunks[incident.id])
        else:
            # the same order posing uses; the first FIRST_UPDATES are what the query shows
            ordered = sorted(updates[incident.id], key=lambda n: (n.occurred_at is None, n.occurred_at, n.id))
            writeup = "\n".join(u.text or "" for u in ordered[FIRST_UPDATES:])
        judged.append(
            Judged(
                incident.id,
                incident.occurred_at,
                frozenset(components[incident.id]),
                primary_categories(writeup) if primary else categorise(writeup),
            )
        )
    return sorted(judged, key=lambda j: (j.started, j.id))


def taxonomy_judgments(incidents: list[Judged]) -> list[dict[str, object]]:
    """Grade each earlier incident sharing a root-cause category with each query (module docstring)."""
    lines = []
    for i, query in enumerate(incidents):
        if not query.categories:
            continue
        relevant = []
        for past in incidents[:i]:
            if past.started >= query.started or not (past.categories & query.categories):
                continue
            shared = bool(past.components & query.components)
            if shared and (query.started - past.started).total_seconds() < DAY_SECONDS:
                continue  # same event reported twice: judged apart
            relevant.append({"id": past.id, "grade": 2 if shared else 1})
        if relevant:
            relevant.sort(key=lambda r: str(r["id"]))
            lines.append({"query_id": query.id, "relevant": relevant})
    return lines


async def silver_judgments(store: GraphStore) -> list[dict[str, object]]:
    """Post-mortem-to-post-mortem cosine labels (the stored MiniLM chunk vectors; see the docstring)."""
    chunks: dict[str, list[Node]] = defaultdict(list)
    async for node in store.scan_nodes(["PostmortemChunk"], with_embeddings=True):
        chunks[str(node.properties["incident_id"])].append(node)
    incidents = {n.id: n for n in await store.get_nodes(sorted(chunks))}
    owner_of: dict[str, str] = {}
    lines = []
    for qid, parts in sorted(chunks.items()):
        query = incidents.get(qid)
        if query is None or query.occurred_at is None:
            continue
        vector = np.mean([p.embedding for p in parts if p.embedding is not None], axis=0)
        vector /= np.linalg.norm(vector)
        hits = await store.vector_search(
            vector.astype(np.float32), k=30, search_filter=SearchFilter(labels=("PostmortemChunk",))
        )
        missing = [h.node_id for h in hits if h.node_id not in owner_of]
        for node in await store.get_nodes(missing):
            owner_of[node.id] = str(node.properties["incident_id"])
        grades: dict[str, int] = {}
        for hit in hits:
            owner = owner_of[hit.node_id]
            past = incidents.get(owner)
            if past is None:
                past = incidents[owner] = (await store.get_nodes([owner]))[0]
            if owner == qid or past.occurred_at is None or past.occurred_at >= query.occurred_at:
                continue
            if (query.occurred_at - past.occurred_at).total_seconds() < DAY_SECONDS:
                continue  # same event reported twice: judged apart
            grade = 2 if hit.score >= 0.85 else 1 if hit.score >= 0.75 else 0
            if grade:
                grades[owner] = max(grades.get(owner, 0), grade)
        if grades:
            relevant = [{"id": k, "grade": v} for k, v in sorted(grades.items())]
            lines.append({"query_id": qid, "relevant": relevant})
    return lines


def _write(path: Path, lines: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, sort_keys=True) + "\n")


async def main(argv: list[str] | None = None) -> int:
    """Write the label sets for ``DIR/<dataset>``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--stats", action="store_true", help="print category and label counts")
    parser.add_argument("--dataset", default="github", help="dataset folder under DIR (default github)")
    parser.add_argument("--primary", action="store_true", help="primary cause categories (cloud shapes)")
    parser.add_argument("--no-silver", action="store_true", help="write the taxonomy labels only")
    args = parser.parse_args(argv)
    dataset = args.dir / args.dataset
    runtime = await Runtime.from_settings(Settings(data_dir=dataset / "data"), model=False).open()
    store = runtime.store
    try:
        incidents = await _incidents(store, args.primary)
        taxonomy = taxonomy_judgments(incidents)
        silver = [] if args.no_silver else await silver_judgments(store)
        postmortems = {str(n.properties["incident_id"]) async for n in store.scan_nodes(["Postmortem"])}
    finally:
        await runtime.close()
    _write(dataset / "judgments-taxonomy.jsonl", taxonomy)
    if not args.no_silver:
        _write(dataset / "judgments-silver.jsonl", silver)
    # the incidents each label set could judge at all (quality.py's "judged pool" rows)
    (dataset / "pool-taxonomy.txt").write_text("".join(f"{j.id}\n" for j in incidents if j.categories))
    (dataset / "pool-silver.txt").write_text("".join(f"{i}\n" for i in sorted(postmortems)))
    print(f"taxonomy: {len(taxonomy)} queries; silver: {len(silver)} queries -> {dataset}")
    if args.stats:
        counts = Counter(c for j in incidents for c in j.categories)
        with_cats = sum(1 for j in incidents if j.categories)
        print(f"{len(incidents)} incidents, {with_cats} with a categorised write-up")
        for name, count in counts.most_common():
            print(f"  {name:18s} {count}")
        sizes = [len(line["relevant"]) for line in taxonomy]  # type: ignore[arg-type]
        if sizes:
            print(f"relevant per query: median {int(np.median(sizes))}, max {max(sizes)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
