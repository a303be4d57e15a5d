"""An investigation as a Slack message: Block Kit blocks and the plain-text fallback Slack requires.

Pure functions over the investigation, so the message can be tested without Slack. Limits are
Slack's: a section's text is at most 3,000 characters, a button's URL 3,000, a message 50 blocks;
the summary is at most 15 lines, so it fits in one or two sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.investigation import shown_summary
from precedent.notify.mrkdwn import escape_mrkdwn, to_mrkdwn

if TYPE_CHECKING:
    from precedent.investigation import Investigation
    from precedent.links import Links

__all__ = ["SlackMessage", "investigation_message"]

_SECTION_LIMIT = 3000
_FALLBACK_LIMIT = 3000
OPEN_ACTION_ID = "precedent_open_investigation"

Block = dict[str, object]


@dataclass(frozen=True)
class SlackMessage:
    """What ``chat.postMessage`` and ``chat.update`` send.

    Attributes:
        text: The notification and accessibility fallback (plain text, escaped).
        blocks: The Block Kit layout.
    """

    text: str
    blocks: tuple[Block, ...]


def _sections(mrkdwn: str) -> list[Block]:
    """Split mrkdwn into sections of at most 3,000 characters, at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in mrkdwn.split("\n"):
        while len(line) > _SECTION_LIMIT:  # one line longer than a section: cut it
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:_SECTION_LIMIT])
            line = line[_SECTION_LIMIT:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > _SECTION_LIMIT:
            chunks.append(current)
            candidate = line
        current = candidate
    if current.strip():
        chunks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def investigation_message(investigation: Investigation, links: Links) -> SlackMessage:
    """Render ``investigation``'s summary as Block Kit with a button to its page.

    Args:
        investigation: A stored investigation.
        links: Where Precedent's pages are now (``PRECEDENT_PUBLIC_URL``): the summary's links
            and the button's are under it, whatever address it was built under.

    Returns:
        The message to post or to update.
    """
    incident = investigation.incident
    # The message is redrawn whenever a newer build supersedes it, so it links the incident's
    # latest investigation by reference (/ui/incidents/INC-201/investigation), the build it
    # shows, rather than by that build's opaque id. The reference is the message's own incident,
    # which its title names already; the incidents it cites are as its channel may see them.
    url = links.investigation(investigation.id)
    if incident.id is not None:
        url = links.incident_investigation(incident.reference or incident.id)
    built = investigation.built_at.strftime("%Y-%m-%d %H:%M UTC")
    # Its links under the pages' address now: the one stored with it may be another's.
    summary = shown_summary(investigation, links, latest=True)
    blocks: list[Block] = [
        *_sections(to_mrkdwn(summary)),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the investigation"},
                    "url": url,
                    "action_id": OPEN_ACTION_ID,
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Precedent · built {built} in {investigation.build_ms:.0f} ms · <{url}|details>",
                }
            ],
        },
    ]
    title = f"{incident.label}: {incident.name}" if incident.reference else incident.name
    text = escape_mrkdwn(f"Precedent's first look at {title}")[:_FALLBACK_LIMIT]
    return SlackMessage(text, tuple(blocks))
