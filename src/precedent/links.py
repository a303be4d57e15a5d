"""Links to Precedent's web pages, built from the one base URL responders reach the service at.

Slack messages, the CLI, the demo, the MCP server and the pages themselves all link to the same
places; this is the one module that knows their paths. It sits at the bottom of the layers (beside
``model``) so that any layer may print a link without importing the web pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

__all__ = ["Links"]

# A Markdown link's target that is a page of this site, "](/ui/...": not one whose "]" is escaped
# (preceded by an odd number of backslashes), which is text from the map shown as it is.
_SITE_TARGET = re.compile(r"(?<!\\)((?:\\\\)*)\]\((/ui/)")


def _segment(value: str) -> str:
    # A service or team name or a reference may hold "/" or spaces; each becomes one escaped path segment.
    return quote(value, safe="")


@dataclass(frozen=True)
class Links:
    """URLs of the web pages under ``base`` (``PRECEDENT_PUBLIC_URL``, or ``http://host:port``)."""

    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def home(self) -> str:
        return f"{self.base}/ui/"

    def investigation(self, investigation_id: str) -> str:
        return f"{self.base}/ui/investigations/{_segment(investigation_id)}"

    def incident_investigation(self, incident: str) -> str:
        """The latest investigation of an incident, by id or reference (``INC-123``)."""
        return f"{self.base}/ui/incidents/{_segment(incident)}/investigation"

    def incident(self, incident: str) -> str:
        return f"{self.base}/ui/incidents/{_segment(incident)}"

    def service(self, name: str) -> str:
        return f"{self.base}/ui/services/{_segment(name)}"

    def team(self, name: str) -> str:
        return f"{self.base}/ui/teams/{_segment(name)}"

    def search(self, words: str) -> str:
        return f"{self.base}/ui/search?{urlencode({'q': words})}"

    def under_base(self, markdown: str) -> str:
        """``markdown`` with its links to the pages, written site-relative (``[x](/ui/...)``), under ``base``.

        A stored summary links to the pages so (``investigation.summary_links``): each surface that
        shows it puts its own base in front, so its links open wherever the service is served now.
        """
        if not self.base:
            return markdown
        return _SITE_TARGET.sub(lambda m: f"{m.group(1)}]({self.base}{m.group(2)}", markdown)

    def api(self, path: str) -> str:
        """An API URL: ``links.api("/v1/incidents/INC-1")``."""
        return f"{self.base}{path if path.startswith('/') else '/' + path}"
