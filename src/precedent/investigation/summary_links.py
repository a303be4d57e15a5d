"""The links in an investigation's summary: stored site-relative, shown under the reader's base.

A summary used to be stored with absolute links under the base in force when it was built
(``PRECEDENT_PUBLIC_URL``, or the address the process served: ``http://127.0.0.1:18931`` for a
demo on another port). Read after a restart on another address, or by another process (the MCP
server over stdio, the CLI), every link in it was dead. It is now stored with site-relative links
(``[INC-105](/ui/incidents/INC-105)``); each surface that shows it puts its own base in front
(``shown_summary``), and one stored before is read with its base taken off (``site_relative``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precedent.links import Links

if TYPE_CHECKING:
    from precedent.investigation.results import Investigation

__all__ = ["SITE", "shown_summary", "site_relative"]

SITE = Links("")
"""The pages' links as a stored summary holds them: site-relative, under no base."""


def site_relative(summary: str, investigation_id: str) -> str:
    """``summary`` with the base its links were stored under taken off.

    That base is found in front of the summary's link to its own page (``Read the whole
    investigation``), which every stored one has; the same base is then taken off every link to
    the pages. A summary already site-relative, or with no page link, is returned as it is.
    """
    page = re.escape(SITE.investigation(investigation_id))
    found = re.search(r"\]\(([^\s()]+?)" + page + r"\)", summary)
    if found is None:
        return summary
    return summary.replace(f"]({found.group(1)}/ui/", "](/ui/")


def shown_summary(investigation: Investigation, links: Links, *, latest: bool) -> str:
    """The summary as a surface shows it: every link to the pages under ``links``' base.

    Args:
        investigation: Read from the map or just built.
        links: Where the reader reaches the pages now.
        latest: Whether it is its incident's latest investigation (a Slack message is redrawn
            when superseded; an API answer says ``superseded_by``): its own page is then linked
            by the incident's reference (``/ui/incidents/INC-201/investigation``, which shows the
            same build), not by its build id (``/ui/investigations/inv%3A8203...``).
    """
    summary = investigation.summary_markdown
    incident = investigation.incident
    if latest and incident.id is not None:
        by_build = f"]({SITE.investigation(investigation.id)})"
        by_reference = f"]({SITE.incident_investigation(incident.reference or incident.id)})"
        summary = summary.replace(by_build, by_reference)
    return links.under_base(summary)
