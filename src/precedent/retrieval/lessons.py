"""Extracts what a past incident teaches (root cause, resolution, learnings, follow-ups) from its nodes.

Pure: takes the incident's post-mortem chunks and follow-ups as ``Node`` values the caller fetched.
Post-mortems are written freely, so sections are found by heading first and, for a write-up
without headings (GitHub's final status update), by the first sentence that names a cause or fix.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.model import stored_time
from precedent.retrieval.cjk import cjk_terms, cjk_words_in, without_cjk
from precedent.retrieval.fusion import overlap
from precedent.retrieval.results import FollowUpSummary, Lesson
from precedent.retrieval.shortening import shortened
from precedent.retrieval.terms import STOP_WORDS, terms

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from precedent.model import Node

__all__ = [
    "DONE_STATUSES",
    "cause_in_brief",
    "causes_agree",
    "extract_lesson",
    "follow_up_summary",
    "informative_part",
    "said_in_updates",
    "section_of",
    "with_updates",
]

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
# Chinese and Japanese end a sentence with an ideographic full stop (or a full-width "!" or "?")
# and no space after it.
_IDEOGRAPHIC_ENDS = "\u3002\uff01\uff1f"
_IDEOGRAPHIC_END = re.compile(f"(?<=[{_IDEOGRAPHIC_ENDS}])")
_SENTENCE = re.compile(f"(?<=[.!?])\\s+|(?<=[{_IDEOGRAPHIC_ENDS}])\\s*")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s+.*$", re.MULTILINE)
# Words a status update uses to say where the work stands, not what broke or what was done
# ("The issue has been identified and a fix is being implemented", "We are monitoring to ensure
# stability"), on top of the stop words, which already hold status-page boilerplate.
_STATUS_TEXT = """
    fix fixes fixed implemented implementing deployed deploying rolled rolling out mitigated mitigating
    mitigation mitigations mitigate actively cause causes root problem suspected potential possible
    found believe degradation stability stable ensure results result progress recovery recovering
    recovered resolution fully full normally normal operating eta next provide keep keeping eye
    work works applied applying place underway confirmed determined underlying affecting hour soon
    shortly systems operational improvement improvements improving improved ve re ll
    """
_STATUS_WORDS = STOP_WORDS | frozenset(_STATUS_TEXT.split())
# A lead-in before the first colon or comma ("Identified:", "We've identified the cause:",
# "Mitigation applied:", "Cause identified,"); a space must follow, so "14:00" is no lead-in.
_LEAD_IN = re.compile(r"^([^:,]{0,60})[:,]\s+")
# A word (letters or digits) of any script written with spaces: ``terms`` reads ASCII words only.
_WORD = re.compile(r"[^\W_]+")

# Two causes agree when they share this many words that say what broke, and this much of them.
_AGREEING_TERMS = 2
_AGREEING_OVERLAP = 0.2

DONE_STATUSES = frozenset(
    {"completed", "complete", "done", "closed", "not_doing", "cancelled", "canceled", "deleted"}
)
"""Follow-up statuses that mean no work is left."""

_MAX_CHARS = 400
# A cause in brief stands in a sentence about several incidents ("keeps failing this way"): one
# of the generated failure modes' causes, its service and version filled in, fits whole.
_BRIEF_CHARS = 120


def section_of(heading: str) -> str | None:
    """Return which lesson field a post-mortem heading feeds, or ``None``."""
    lowered = heading.lower()
    for field, pattern in _SECTIONS:
        if pattern.search(lowered):
            return field
    return None


def _lesson_text(text: str, limit: int = _MAX_CHARS) -> str:
    """``text`` on one line without Markdown headings, cut between words to at most ``limit`` characters."""
    return shortened(_MARKDOWN_HEADING.sub(" ", text), limit)


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
                return _lesson_text(sentence)
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
            found[field] = _lesson_text(text)
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


def with_updates(lesson: Lesson, told: tuple[str | None, str | None]) -> Lesson:
    """``lesson``, or, when no post-mortem names a root cause or a resolution, what the updates told.

    The one rule every reader of a lesson follows (similar incidents, investigations, an
    incident's page): a written-up lesson wins whole; without one, the ``(cause, fix)`` of
    ``said_in_updates`` is used and the lesson is flagged ``from_updates``.
    """
    if lesson.root_cause or lesson.resolution:
        return lesson
    cause, fix = told
    return replace(lesson, root_cause=cause, resolution=fix, from_updates=bool(cause or fix))


def said_in_updates(
    incident: Node, updates: Sequence[Node], names: Iterable[str] = ()
) -> tuple[str | None, str | None]:
    """``(cause, fix)`` as the responders posted them, for an incident without a post-mortem.

    incident.io stamps ``Identified at`` and ``Fixed at`` when an incident reaches those statuses,
    and the update posted then is the one that says what was found and what was done ("We've
    identified the cause: the node pool max was too low"). Each is the first update posted at or
    after its stamp; ``None`` when the incident has no such stamp or no update then.

    Only its informative part is kept (``informative_part``): an update that only says where the
    work stands gives no cause or fix (``None``).

    Args:
        incident: The past Incident node (its ``identified_at`` and ``fixed_at`` properties).
        updates: Its IncidentUpdate nodes, in any order.
        names: Names of the services it affected: a sentence that only names one of them besides
            status words ("The degradation affecting Actions has been mitigated") says nothing.
    """
    dated = sorted((u.occurred_at, u.id, _update_text(u)) for u in updates if u.occurred_at is not None)
    ignored = _ignoring(names)

    def posted_at(stamp: str) -> str | None:
        at = stored_time(incident.properties.get(stamp))
        if at is None:
            return None
        text = next((text for when, _, text in dated if when >= at and text.strip()), None)
        kept = informative_part(text, ignored) if text else None
        return _lesson_text(kept) if kept else None

    return posted_at("identified_at"), posted_at("fixed_at")


def informative_part(text: str, ignored: frozenset[str] = _STATUS_WORDS) -> str | None:
    """What a status update says beyond where the work stands, or ``None`` when that is nothing.

    The rule: split the update into sentences; drop a sentence's lead-in before its first colon
    or comma, and then the whole sentence, when every word in it (``terms``, or a word of another
    script) is in ``ignored`` (stop words and status words by default). So "We've identified the
    cause: the node pool max was too low. Working on a fix now." keeps "the node pool max was too
    low.", and "A fix has been implemented and we are monitoring the results." keeps nothing.

    Args:
        text: The update's message.
        ignored: The words that carry no finding.
    """
    kept = _informative_sentences(text, ignored)
    # Chinese and Japanese sentences follow one another without a space.
    return (
        "".join(
            s if not n or kept[n - 1].endswith(tuple(_IDEOGRAPHIC_ENDS)) else f" {s}"
            for n, s in enumerate(kept)
        )
        or None
    )


def cause_in_brief(cause: str, names: Iterable[str] = ()) -> str:
    """A root cause's first sentence that says what broke, cut between words: the cause in a line.

    What a recurrence says its incidents share: they agree (``causes_agree``), so one of them,
    in its own words, names the failure. A lead-in that says nothing ("Identified:") is dropped,
    as ``informative_part`` drops it; a cause with no such sentence is kept as it is.

    Args:
        cause: The root cause, as a lesson holds it.
        names: Names of the services it affected (a sentence only naming one says nothing).
    """
    first = next(iter(_informative_sentences(cause, _ignoring(names))), None)
    return _lesson_text(first or _IDEOGRAPHIC_END.split(cause, maxsplit=1)[0], _BRIEF_CHARS)


def _informative_sentences(text: str, ignored: frozenset[str]) -> list[str]:
    kept = []
    for line in text.splitlines():
        for sentence in _SENTENCE.split(_LOG_PREFIX.sub("", line.strip())):
            lead_in = _LEAD_IN.match(sentence)
            if lead_in and _says_nothing(lead_in.group(1), ignored):
                sentence = sentence[lead_in.end() :]
            if not _says_nothing(sentence, ignored):
                kept.append(sentence)
    return kept


def _says_nothing(text: str, ignored: frozenset[str]) -> bool:
    return all(word in ignored for word in _words(text))


def _ignoring(names: Iterable[str]) -> frozenset[str]:
    # Status words, and the words of the services' names: naming the service says nothing.
    return _STATUS_WORDS | frozenset(w for name in names for w in _words(name))


def _words(text: str) -> list[str]:
    # ``terms``, and the words in other scripts it cannot see: an update in Japanese or Russian
    # has no ASCII words, and was taken for status chatter whatever it said. Chinese and Japanese
    # have no spaces to split a phrase into words: their terms are ``cjk_terms``.
    spaced = [w for w in _WORD.findall(without_cjk(text.lower())) if not w.isascii()]
    return terms(text) + spaced + cjk_terms(text)


def causes_agree(first: str, second: str, names: Iterable[str] = ()) -> bool:
    """Whether two root causes tell the same failure, by the words that say what broke.

    Those words are each cause's ``terms`` (and its words in other scripts) less status words,
    words with digits (versions, sizes) and the words of ``names`` (the services both affect:
    every cause there names them).
    The causes agree when they share at least two of them and their Ochiai overlap
    (``fusion.overlap``) is at least 0.2. Strict on purpose: of the generated organisations'
    failure modes (``sources.synthetic.failure_modes``, causes deliberately worded apart, the
    services' names left out), 5 of 45 pairs of one mode's differently worded causes agree, and 7
    of 858 pairs of different modes' causes. Identical wording agrees when it has two such words.
    Chinese and Japanese, written without spaces, are read as ``cjk.cjk_terms`` (katakana words
    and bigrams of ideographs), and their shared words counted as ``cjk.cjk_words_in`` counts
    them, so a shared "数据库" (database) is one word, as "database" is.

    Args:
        first: One root cause.
        second: The other.
        names: Names whose words say nothing of the cause.
    """
    ignored = _ignoring(names)
    a, b = (
        frozenset(t for t in _words(text) if t not in ignored and not any(c.isdigit() for c in t))
        for text in (first, second)
    )
    shared = a & b
    spaceless = min(cjk_words_in(first, shared), cjk_words_in(second, shared))
    words = len(shared - frozenset(cjk_terms(first))) + spaceless
    return words >= _AGREEING_TERMS and overlap(a, b) >= _AGREEING_OVERLAP


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
