"""Extracts what a past incident teaches (root cause, resolution, learnings, follow-ups) from its nodes.

Pure: takes the incident's post-mortem chunks and follow-ups as ``Node`` values the caller fetched.
Post-mortems are written freely, so sections are found by heading first and, for a write-up
without headings (GitHub's final status update), by the first sentence that names a cause or fix.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precedent.model import stored_time
from precedent.retrieval.results import FollowUpSummary, Lesson

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.model import Node

__all__ = ["DONE_STATUSES", "extract_lesson", "follow_up_summary", "said_in_updates", "section_of"]

_SECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("root_cause", re.compile(r"root[\s_-]*cause|contributing factor|cause|why it happened|what happened")),
    (
        "resolution",
        re.compile(r"resolution|remediation|mitigation|recovery|how (we|it was) (fixed|resolved)|fix"),
    ),
    ("learnings", re.compile(r"lesson|learn|takeaway|went well|went wrong|next steps|prevent")),
)
# Strongest first: "the root cause was" beats "due to" wherever each appears.
_CAUSE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (r"root cause (was|is|of)", r"(was|were) caused by", r"caused by|triggered by", r"due to")
)
_FIX_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"mitigated (the incident |this )?by|resolved (the incident |this )?by|fixed by|to mitigate",
        r"rolled back|roll(ed)? back|reverted|failed over|restarted|redeployed|scaled",
    )
)
# Progress notes ("we are investigating the root cause") name a cause without giving one.
_NOT_A_FINDING = re.compile(r"investigat|continue to|working on|identified the root cause and", re.IGNORECASE)
_LOG_PREFIX = re.compile(r"^\W*\[[^\]]*\]\s*(\*\*[^*]+\*\*:?)?\s*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s+.*$", re.MULTILINE)

DONE_STATUSES = frozenset(
    {"completed", "complete", "done", "closed", "not_doing", "cancelled", "canceled", "deleted"}
)
"""Follow-up statuses that mean no work is left."""

_MAX_CHARS = 400


def section_of(heading: str) -> str | None:
    """Return which lesson field a post-mortem heading feeds, or ``None``."""
    lowered = heading.lower()
    for field, pattern in _SECTIONS:
        if pattern.search(lowered):
            return field
    return None


def _shorten(text: str) -> str:
    text = " ".join(_MARKDOWN_HEADING.sub(" ", text).split())
    if len(text) <= _MAX_CHARS:
        return text
    return text[: _MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _first_sentence(texts: Sequence[str], patterns: tuple[re.Pattern[str], ...]) -> str | None:
    sentences = [
        _LOG_PREFIX.sub("", sentence)
        for text in texts
        for line in text.splitlines()
        for sentence in _SENTENCE.split(line.strip())
    ]
    for pattern in patterns:
        for sentence in sentences:
            if pattern.search(sentence) and not _NOT_A_FINDING.search(sentence):
                return _shorten(sentence)
    return None


def _text(node: Node) -> str:
    text = node.text or node.properties.get("text") or node.properties.get("content") or ""
    return str(text)


def follow_up_summary(node: Node) -> FollowUpSummary:
    """Summarise a FollowUp node; it is open unless its status says the work is done."""
    props = node.properties
    status = str(props["status"]) if "status" in props else None
    done = (status is not None and status.lower() in DONE_STATUSES) or "completed_at" in props
    return FollowUpSummary(
        title=str(props.get("title", node.id)),
        status=status,
        priority=str(props["priority"]) if "priority" in props else None,
        open=not done,
        url=str(props["external_issue_url"]) if "external_issue_url" in props else None,
    )


def extract_lesson(incident: Node, chunks: Sequence[Node], follow_ups: Sequence[Node]) -> Lesson:
    """Build the ``Lesson`` of ``incident`` from its post-mortem chunks and follow-ups.

    Args:
        incident: The past Incident node.
        chunks: Its PostmortemChunk nodes, in any order.
        follow_ups: Its FollowUp nodes, in any order.
    """
    ordered = sorted(chunks, key=lambda c: (_position(c), c.id))
    found: dict[str, str] = {}
    for chunk in ordered:
        heading = str(chunk.properties.get("heading", ""))
        field = section_of(heading) if heading else None
        text = _without_heading(_text(chunk), heading)
        if field and field not in found and text.strip():
            found[field] = _shorten(text)
    texts = [_text(c) for c in ordered]
    props = incident.properties
    duration = props.get("duration_seconds")
    return Lesson(
        root_cause=found.get("root_cause") or _first_sentence(texts, _CAUSE_PATTERNS),
        resolution=found.get("resolution") or _first_sentence(texts, _FIX_PATTERNS),
        learnings=found.get("learnings"),
        duration_seconds=int(duration) if isinstance(duration, int | float) else None,
        severity=str(props["severity"]) if "severity" in props else None,
        incident_type=str(props["incident_type"]) if "incident_type" in props else None,
        follow_ups=tuple(
            follow_up_summary(f)
            for f in sorted(follow_ups, key=lambda f: (str(f.properties.get("title", "")), f.id))
        ),
    )


def said_in_updates(incident: Node, updates: Sequence[Node]) -> tuple[str | None, str | None]:
    """``(cause, fix)`` as the responders posted them, for an incident without a post-mortem.

    incident.io stamps ``Identified at`` and ``Fixed at`` when an incident reaches those statuses,
    and the update posted then is the one that says what was found and what was done ("We've
    identified the cause: the node pool max was too low"). Each is the first update posted at or
    after its stamp; ``None`` when the incident has no such stamp or no update then.

    Args:
        incident: The past Incident node (its ``identified_at`` and ``fixed_at`` properties).
        updates: Its IncidentUpdate nodes, in any order.
    """
    dated = sorted((u.occurred_at, u.id, _update_text(u)) for u in updates if u.occurred_at is not None)

    def posted_at(stamp: str) -> str | None:
        at = stored_time(incident.properties.get(stamp))
        if at is None:
            return None
        return next((_shorten(text) for when, _, text in dated if when >= at and text.strip()), None)

    return posted_at("identified_at"), posted_at("fixed_at")


def _update_text(update: Node) -> str:
    message = update.properties.get("message")
    return str(message) if message else _text(update)


def _without_heading(text: str, heading: str) -> str:
    # Chunkers often keep the heading as the chunk's first line; the lesson should not repeat it.
    first, _, rest = text.strip().partition("\n")
    if heading and first.lstrip("# ").strip().casefold() == heading.lstrip("# ").strip().casefold():
        return rest
    return text


def _position(chunk: Node) -> int:
    position = chunk.properties.get("position", 0)
    return int(position) if isinstance(position, int | float) else 0
