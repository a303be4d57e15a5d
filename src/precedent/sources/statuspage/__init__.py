"""Convert a Statuspage incident history (JSON Lines) into the export format.

Two line shapes are understood: Atlassian Statuspage's own ``incident.json`` documents
(``{"page": ..., "incident": {...}}``, as mirrored by GitHub-Incident-History) and the flat records of
the mrshu/github-statuses mirror (``{"id", "url", "title", "updates": [{"at", "status", "message"}]}``).

De-duplication: records are the same incident when they share the Statuspage incident code (the
``incident.id`` of the first shape, the last path segment of ``url`` in the second); a record without
either falls back to its name and start minute. Of two records for one code we keep the one with more
updates; on a tie, the one with more update text (GitHub edits final updates afterwards, for example
to add the root-cause write-up, so the later crawl can be longer); then the one read first. Affected
components are unioned.

Scheduled maintenance is skipped (it is not an incident), as are placeholder components such as
"Visit www.githubstatus.com for more information". From 2023 GitHub ends each incident with a long
root-cause write-up: a final resolved update of 250+ characters on an incident that started in 2023 or
later becomes a post-mortem document, and is not written as an update: an incident with only one or
two updates would otherwise have it among the early updates a "similar incident" query is built from.
GitHub's incidents before 2019 were migrated as one update listing the whole timeline, on a record
resolved when it started: each listed entry becomes an update at its own time and the last entry's
time is the resolution, so a query posed from the updates before the resolution sees the symptoms.
"""

from precedent.sources.statuspage.reader import (
    ConversionReport,
    StatusIncident,
    StatusUpdate,
    read_statuspage,
)
from precedent.sources.statuspage.writer import convert_statuspage, write_export

__all__ = [
    "ConversionReport",
    "StatusIncident",
    "StatusUpdate",
    "convert_statuspage",
    "read_statuspage",
    "write_export",
]
