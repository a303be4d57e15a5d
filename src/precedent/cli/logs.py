"""Logging set up once, at the entry point: text for people, one JSON object a line for collectors.

Whatever the format, a filter masks anything shaped like a Precedent token or a bearer header, so
a secret pasted into an error message or a library's debug line is not written out.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal

__all__ = ["JsonFormatter", "RedactSecrets", "configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Precedent tokens, bearer headers, and Slack tokens (xoxb-, xoxp-...) in case a message quotes one.
_SECRET = re.compile(r"(prec_[A-Za-z0-9_-]{8,}|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+|xox[abposr]-[A-Za-z0-9-]+)")


class RedactSecrets(logging.Filter):
    """Replace tokens and bearer credentials in a record's message with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub("[redacted]", message), None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and a record's structured ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


_CHATTY = ("httpx", "httpcore", "sentence_transformers")
"""Libraries whose INFO lines repeat what Precedent logs itself, or say nothing a reader needs:
sentence-transformers tells where it loads the model from on every command that embeds
(``precedent evaluate`` printed it amid its tables)."""

_RETRYING = ("neo4j.session",)
"""Libraries whose WARNING lines announce a retry (the Neo4j driver's "Transaction failed and will
be retried in 1.1s" while the server is down): a failure that outlasts them is logged by Precedent
in one line saying what to do, so they only multiply an outage's lines."""

_ROUTING = ("neo4j.pool",)
"""Libraries whose ERROR lines repeat, on every attempt, a failure Precedent says in its own words:
while Neo4j is down the driver's pool logs "Unable to retrieve routing information" (its only line
above DEBUG) several times per request or start-up attempt, beside Precedent's one WARNING per
request ("request refused ... status=503 ... StoreUnavailable: ...", which quotes that reason) or
per attempt ("waiting for the store: ..."). Anyone alerting on ERROR lines was paged by the
driver's; they are left out below DEBUG, and kept at DEBUG."""


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is when a record is emitted, as logging's last resort does.

    A plain ``StreamHandler`` keeps the stream it was made with: once that stream is replaced and
    closed (a caller capturing output, ``main`` run again in one process, as tests do), every
    later record is a "Logging error" traceback instead of a line.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # under the handler's lock: handle() holds it around emit()
        super().emit(record)


def configure_logging(level: str, log_format: Literal["json", "text"]) -> None:
    """Send every logger's records to stderr in ``log_format``, replacing earlier handlers.

    Args:
        level: The root level (``INFO``, ``DEBUG``...).
        log_format: ``json`` for one object a line, ``text`` for a readable line.
    """
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(_TEXT_FORMAT))
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request at INFO with its whole URL (a sync makes thousands): Precedent's
    # own client logs each incident.io call at DEBUG, path, status and time, which says enough.
    # The model's loading line is the same on every run. At DEBUG, everything is wanted.
    quiet = logging.getLogger().level > logging.DEBUG
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    for name in _RETRYING:
        logging.getLogger(name).setLevel(logging.ERROR if quiet else logging.NOTSET)
    for name in _ROUTING:
        logging.getLogger(name).setLevel(logging.CRITICAL if quiet else logging.NOTSET)
