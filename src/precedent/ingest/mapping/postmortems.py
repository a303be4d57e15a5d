"""Post-mortem documents and their markdown, split into section chunks that are embedded alone.

Chunks are sized in the embedding model's tokens (``MappingContext.tokens``), so the model reads
every chunk whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.embedding import WORD_TOKENS
from precedent.ingest.mapping.fitting import head_that_fits, split_to_fit
from precedent.ingest.mapping.records import (
    EdgeScope,
    MappedRecord,
    Raw,
    RecordBuilder,
    opt_str,
    parse_time,
    record_id_of,
    require_str,
)
from precedent.model import Node, clean_properties

if TYPE_CHECKING:
    from precedent.embedding import TokenCounter
    from precedent.ingest.mapping.context import MappingContext

__all__ = ["Section", "map_postmortem", "split_sections"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    """A piece of a markdown document under its heading trail (``Timeline > 2024-06-15``)."""

    heading: str
    body: str

    @property
    def text(self) -> str:
        """What is embedded: the heading trail, a blank line, the body."""
        return f"{self.heading}\n\n{self.body}" if self.heading else self.body


def split_sections(markdown: str, tokens: TokenCounter = WORD_TOKENS) -> list[Section]:
    """Split markdown into sections by heading, each section's text read whole by the model.

    Every chunk keeps its heading trail; a section too long for ``tokens.max_tokens`` is split
    at paragraphs, then lines, sentences and words (see ``fitting.py``). A trail longer than a
    third of the budget is shortened. Sections with no body are folded into the heading trail of
    the next one.

    Args:
        markdown: The document.
        tokens: The embedding model's measure of text (``Embedder.token_counter()``).

    Returns:
        The sections in document order.
    """
    trail: list[tuple[int, str]] = []
    raw_sections: list[tuple[str, list[str]]] = [("", [])]
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match is None:
            raw_sections[-1][1].append(line)
            continue
        level = len(match.group(1))
        trail = [(lvl, text) for lvl, text in trail if lvl < level] + [(level, match.group(2))]
        raw_sections.append((" > ".join(text for _, text in trail), []))
    sections: list[Section] = []
    budget = tokens.max_tokens
    for heading, lines in raw_sections:
        body = "\n".join(lines).strip()
        if not body:
            continue
        if heading:
            heading = head_that_fits(heading, lambda h: tokens.count_tokens([h])[0] <= budget // 3)

        def fits(candidate: str, heading: str = heading) -> bool:
            return tokens.count_tokens([Section(heading, candidate).text])[0] <= budget

        sections.extend(Section(heading, piece) for piece in split_to_fit(body, fits))
    return sections


def map_postmortem(raw: Raw, ctx: MappingContext, markdown: str | None = None) -> list[MappedRecord]:
    """Map a ``PostmortemDocumentV1`` and, when given, its markdown content.

    Returns:
        The ``Postmortem`` record (owning its ``HAS_CHUNK`` edges, stale chunks deleted) followed
        by one ``PostmortemChunk`` record per section.

    Raises:
        MissingField: if ``id`` or ``incident_id`` is missing.
    """
    doc_id = record_id_of(raw, "postmortem document")
    incident_id = require_str(raw, "incident_id", doc_id)
    created = parse_time(raw.get("created_at"))
    visibility = ctx.visibility(incident_id)
    out = RecordBuilder()
    out.edge(incident_id, "HAS_POSTMORTEM", doc_id)
    chunks: list[MappedRecord] = []
    for position, section in enumerate(split_sections(markdown or "", ctx.tokens)):
        chunk_id = f"{doc_id}:{position}"
        out.edge(doc_id, "HAS_CHUNK", chunk_id)
        props = {"postmortem_id": doc_id, "incident_id": incident_id, "heading": section.heading or None}
        chunks.append(
            MappedRecord(
                Node(
                    chunk_id,
                    "PostmortemChunk",
                    clean_properties({**props, "position": position}),
                    occurred_at=created,
                    visibility=visibility,
                    text=section.text,
                )
            )
        )
    node = Node(
        doc_id,
        "Postmortem",
        clean_properties(
            {
                "incident_id": incident_id,
                "title": opt_str(raw, "title") or "Post-mortem",
                "status": opt_str(raw, "status"),
                "url": opt_str(raw, "document_url"),
                "document_type": opt_str(raw, "type"),
            }
        ),
        occurred_at=created,
        visibility=visibility,
    )
    # Without content the chunks are unknown, not gone: only a document with markdown owns them.
    scopes = (EdgeScope("HAS_CHUNK", cascade=True),) if markdown is not None else ()
    return [out.build(node, scopes), *chunks]
