"""CommonMark to Slack ``mrkdwn``, by walking markdown-it-py's token stream (never by regexes).

Slack's dialect differs from CommonMark where it matters: bold is ``*x*`` (CommonMark's ``**x**``),
italic ``_x_``, strike ``~x~``, links ``<url|text>``, no headings and no list syntax (items are
written out as ``•`` and ``1.`` lines), and ``&``, ``<`` and ``>`` must be escaped as entities or
Slack reads them as its own markup (a stray ``<!channel>`` would ping everyone). Line breaks are
kept as they were written: Slack shows text as laid out, and the summary is written line by line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from markdown_it.token import Token

__all__ = ["escape_mrkdwn", "to_mrkdwn"]

_PARSER = MarkdownIt("commonmark").enable("strikethrough")
_INLINE_MARKS = {
    "strong_open": "*",
    "strong_close": "*",
    "em_open": "_",
    "em_close": "_",
    "s_open": "~",
    "s_close": "~",
}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack reads as control sequences (its documented rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_url(url: str) -> str:
    # Inside <url|text> a "|" or ">" would end the URL early; percent-encode them.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _inline(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    link: list[str] | None = None  # text of the link being read
    href = ""
    for token in tokens:
        kind = token.type
        if kind == "link_open":
            link, href = [], str(token.attrGet("href") or "")
            continue
        if kind == "link_close":
            text = "".join(link or ()) or href
            out.append(f"<{_link_url(href)}|{text}>" if href else text)
            link = None
            continue
        target = link if link is not None else out
        if kind in ("text", "html_inline"):
            target.append(escape_mrkdwn(token.content))
        elif kind == "code_inline":
            target.append(f"`{escape_mrkdwn(token.content)}`")
        elif kind in ("softbreak", "hardbreak"):
            if target:  # the spaces before a break are markup, not text
                target[-1] = target[-1].rstrip(" ")
            target.append("\n")
        elif kind == "image":
            src = str(token.attrGet("src") or "")
            target.append(f"<{_link_url(src)}|{escape_mrkdwn(token.content) or src}>")
        elif kind in _INLINE_MARKS and link is None:
            # Slack link text cannot carry formatting; elsewhere the marks map one to one.
            target.append(_INLINE_MARKS[kind])
    return "".join(out)


class _Renderer:
    """Block structure: paragraphs and headings become lines, lists become marked lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self._pending_marker: str | None = None
        self._quote = 0

    def _emit(self, text: str) -> None:
        prefix = "> " * self._quote
        depth = max(len(self._lists) - 1, 0)
        for n, line in enumerate(text.split("\n")):
            if n == 0 and self._pending_marker is not None:
                lead = "    " * depth + self._pending_marker
                self._pending_marker = None
            else:
                lead = "    " * depth + ("   " if self._lists else "")
            self.lines.append(prefix + lead + line)

    def render(self, tokens: Sequence[Token]) -> str:
        heading = False
        for token in tokens:
            kind = token.type
            if kind == "bullet_list_open":
                self._lists.append([])
            elif kind == "ordered_list_open":
                self._lists.append([int(token.attrGet("start") or 1)])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self._lists.pop()
            elif kind == "list_item_open":
                counter = self._lists[-1]
                if counter:
                    self._pending_marker = f"{counter[0]}. "
                    counter[0] += 1
                else:
                    self._pending_marker = "• "
            elif kind == "blockquote_open":
                self._quote += 1
            elif kind == "blockquote_close":
                self._quote -= 1
            elif kind == "heading_open":
                heading = True
            elif kind == "heading_close":
                heading = False
            elif kind == "inline":
                text = _inline(token.children or [])
                self._emit(f"*{text}*" if heading and text else text)
            elif kind in ("fence", "code_block"):
                self._emit("```\n" + escape_mrkdwn(token.content.rstrip("\n")) + "\n```")
            elif kind == "hr":
                self._emit("───")
            elif kind == "html_block":
                self._emit(escape_mrkdwn(token.content.rstrip("\n")))
        return "\n".join(self.lines)


def to_mrkdwn(markdown: str) -> str:
    """Render CommonMark as Slack mrkdwn.

    Args:
        markdown: CommonMark text (``**bold**``, ``_em_``, lists, links, code).

    Returns:
        The same content in Slack's mrkdwn, one line per paragraph, heading or list item, with
        ``&``, ``<`` and ``>`` in the text escaped.
    """
    return _Renderer().render(_PARSER.parse(markdown))
