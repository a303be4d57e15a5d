"""Precedent's settings, read once at an entry point (CLI, app factory) and passed down as values.

Every setting is an environment variable ``PRECEDENT_<FIELD>`` (for example
``PRECEDENT_NEO4J_URI``). Precedence, highest first: explicit arguments to ``Settings(...)``,
environment variables, a ``.env`` file in the working directory, the defaults below.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from precedent.errors import ConfigError
from precedent.links import Links

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "Settings",
    "describe_invalid",
    "metrics_dir_hidden",
    "metrics_dir_problem",
    "refuse_unusable_metrics_dir",
    "share_with_workers",
]

log = logging.getLogger("precedent.config")

_PREFIX = "PRECEDENT_"
# What each web address setting should look like: the public URL is Precedent's own address,
# not incident.io's (one example for all three sent an operator to set it to incident.io's API).
_URL_EXAMPLES = {
    "incidentio_base_url": "https://api.incident.io",
    "slack_api_url": "https://slack.com/api/",
    "public_url": "https://precedent.example.com",
}
# incident.io retries a failed delivery "over the next 24 hours"; Svix's schedule (immediately,
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: https://docs.svix.com/retries) adds up to 27.6 hours.
# A delivery's id is what makes a repeat a duplicate, so the inbox keeps it at least this long
# after it finished (most of a day's margin).
_MIN_WEBHOOK_RETENTION_DAYS = 2
# Read by the shell snippets in the docs (curl, CI steps), not by Precedent: no warning for them.
_CLIENT_SIDE = frozenset({"PRECEDENT_TOKEN", "PRECEDENT_URL"})


class Settings(BaseSettings):
    """Every setting Precedent reads. Build it once, at the entry point."""

    model_config = SettingsConfigDict(
        env_prefix="PRECEDENT_",
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    store: Literal["embedded", "neo4j"] = "embedded"
    """Which graph store to use."""
    data_dir: Path = Path(".precedent")
    """Where the embedded store and the embedding cache live."""
    embedded_exact_search: bool = False
    """Scan every embedding for kNN (exact, linear cost) instead of the HNSW index with exact re-scoring."""

    neo4j_uri: str = "neo4j://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    neo4j_exact_search: bool = False
    """Scan every embedding for kNN (exact, linear cost) instead of the HNSW index with exact re-scoring."""
    neo4j_max_concurrency: int = Field(default=8, ge=1)
    """Neo4j transactions one process runs at once; the rest wait their turn, first come first served."""
    neo4j_request_retry_seconds: float = Field(default=3.0, ge=0)
    """Seconds an API request's Neo4j read is retried on transient failures before it answers 503;
    background work (the webhook worker, a sync) retries for 30 s, to ride out a restart."""
    neo4j_start_wait_seconds: float = Field(default=30.0, ge=0)
    """Seconds ``serve`` (and ``worker``, ``mcp``, the notebook's ``connect``) waits for Neo4j to come
    up at start-up (started beside it by compose or systemd) before it gives up; 0 gives up at the
    first failure."""

    embedding_model: str = "all-MiniLM-L6-v2"
    """A model name or a local sentence-transformers directory; never downloaded at run time."""
    embedding_batch_size: int = Field(default=64, ge=1)

    incidentio_api_key: SecretStr | None = None
    incidentio_base_url: str = "https://api.incident.io"
    incidentio_requests_per_minute: int = Field(default=1200, ge=1)
    incidentio_webhook_secret: SecretStr | None = None
    webhook_retention_days: int = 30
    """Days a finished webhook delivery (body included) stays in the inbox before the worker deletes
    it; at least 2, so that incident.io's retries of it are still recognised as duplicates."""
    incidentio_live_timeout: float = Field(default=3.0, gt=0)
    """Seconds an investigation waits for incident.io's live on-call answer before using what is synced."""
    incidentio_live_ttl: float = Field(default=60.0, ge=0)
    """Seconds a live on-call answer (per schedule and hour) is reused, so a burst asks once."""
    incidentio_whole_list_minutes: float = Field(default=0.0, ge=0)
    """Least minutes between the incremental syncs that read incident.io's whole incident list (a
    call per 250 incidents) to find incidents made private or deleted; 0: every sync does."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    """Processes ``serve`` runs (Neo4j only: the embedded store has one writer process)."""
    metrics_dir: Path | None = None
    """Where ``serve --workers N`` (N > 1) keeps each process's metric files, emptied at start-up;
    a temporary directory, removed at exit, when unset."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "text"
    """``json`` writes one JSON object per log line (with a request's fields as keys), for collectors."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        # `debug` and `DEBUG` mean one thing; logging's own names are upper case.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("store", "log_format", mode="before")
    @classmethod
    def _choice_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("webhook_retention_days")
    @classmethod
    def _outlasts_incidentio_retries(cls, value: int) -> int:
        # Fewer days would forget a delivery while incident.io may still send it again, and a
        # repeat not recognised is processed twice.
        if value < _MIN_WEBHOOK_RETENTION_DAYS:
            raise ValueError(
                f"must be at least {_MIN_WEBHOOK_RETENTION_DAYS} days: incident.io retries a delivery for "
                "about 28 hours, and one deleted before its last retry would be processed again"
            )
        return value

    @field_validator("incidentio_base_url", "slack_api_url", "public_url")
    @classmethod
    def _web_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A value without http(s):// and a host reached the HTTP client, which tried it six
        # times and then blamed the network.
        if value is None:
            return value
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            example = _URL_EXAMPLES[str(info.field_name)]
            raise ValueError(f"must be an http:// or https:// URL with a host, e.g. {example}")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _site_root(cls, value: str | None) -> str | None:
        # Under a path (a proxy's https://example.com/precedent/ stripped before Precedent), the
        # links built from it worked but every page's own links and redirects (/ui/...) left it.
        if value is None:
            return value
        parts = urlsplit(value)
        if "@" in parts.netloc:
            # https://user@host (or user:password@) was taken as it was, and printed in every link
            # Slack, the CLI and the demo give: a password for all to read, a user name for nothing.
            raise ValueError(
                "must not hold a user name or password, e.g. https://precedent.example.com: it is "
                "the address printed in every link responders are given, so give it as they open it "
                "and let the proxy or the sign-in ask who they are"
            )
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ValueError(
                "must be the root of a site, e.g. https://precedent.example.com: the pages link to "
                "/ui/... and the API is /v1/..., so serve Precedent on a host name (or port) of its "
                "own rather than under a path"
            )
        return value

    metrics_public: bool = False
    """Serve ``/metrics`` without a token (a scraper on a private network); otherwise it needs ``read``."""
    slack_bot_token: SecretStr | None = None
    """A Slack bot token (``xoxb-…``, scope ``chat:write``): when set, each investigation the webhook
    worker builds is posted to the incident's Slack channel, and that message is updated on rebuilds."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack's Web API root (a local stand-in for tests or an egress proxy)."""
    public_url: str | None = None
    """Where responders reach this service (``https://precedent.example.com``), for the links that
    Slack messages, the CLI and the demo print; ``http://HOST:PORT`` when unset. The web sign-in
    accepts forms posted from this origin, whatever ``Host`` a reverse proxy passes on."""

    def model_post_init(self, context: object, /) -> None:
        """Warn about each ``PRECEDENT_*`` variable no setting reads: a typo would otherwise be
        silently ignored (``PRECEDENT_SOTRE=neo4j`` serving an empty embedded map)."""
        unknown = self.unknown_variables(os.environ)
        known = [f"{_PREFIX}{field.upper()}" for field in type(self).model_fields] if unknown else []
        for name in unknown:
            close = difflib.get_close_matches(name.upper(), known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see the README's Configuration table"
            log.warning("%s is not a Precedent setting and is ignored; %s", name, hint)

    @classmethod
    def unknown_variables(cls, environ: Mapping[str, str]) -> list[str]:
        """The ``PRECEDENT_*`` names in ``environ`` no setting reads (the docs' client-side ones aside)."""
        known = {f"{_PREFIX}{field.upper()}" for field in cls.model_fields} | _CLIENT_SIDE
        return sorted(k for k in environ if k.upper().startswith(_PREFIX) and k.upper() not in known)

    def map_location(self) -> str:
        """Where the map is, for a log line: the data directory, or the Neo4j server and database.

        A URI's user and password, if someone wrote them into it, are left out.
        """
        if self.store == "embedded":
            return f"data_dir={self.data_dir}"
        uri = urlsplit(self.neo4j_uri)
        port = f":{uri.port}" if uri.port else ""
        return f"neo4j={uri.scheme}://{uri.hostname or ''}{port} database={self.neo4j_database}"

    def links(self, *, host: str | None = None, port: int | None = None) -> Links:
        """Links to the web pages: under ``public_url``, else the address the server binds.

        Args:
            host: The interface actually bound, when a command overrides ``host``.
            port: The port actually bound, when a command overrides ``port``.
        """
        if self.public_url:
            return Links(self.public_url)
        bound = host or self.host
        # A wildcard bind is reachable on this machine at the loopback address.
        reachable = "127.0.0.1" if bound in ("0.0.0.0", "::", "") else bound  # noqa: S104
        return Links(f"http://{reachable}:{port if port is not None else self.port}")


def share_with_workers(*, host: str, port: int, metrics_dir: Path) -> None:
    """Hand what ``serve --workers N`` decided to the worker processes it is about to start.

    Workers are new interpreters that read ``Settings()`` from this environment; the address the
    command line chose must reach them (their page links use it), and prometheus-client switches
    to its multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set before it is imported.
    """
    os.environ["PRECEDENT_HOST"] = host
    os.environ["PRECEDENT_PORT"] = str(port)
    os.environ["PRECEDENT_METRICS_DIR"] = str(metrics_dir)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


_METRICS_DIR_NAMES = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
"""The variables prometheus-client reads its multiprocess directory from, the first one set winning.

It still honours the lower-case spelling (deprecated) when the other is unset.
"""


def metrics_dir_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """What is wrong with ``PROMETHEUS_MULTIPROC_DIR``, or ``None`` when it is unset or usable.

    prometheus-client reads it when ``precedent.metrics`` is first imported and writes a file per
    metric there: a directory that is not there made that import fail with a traceback. It is not
    created for the user: prometheus-client expects the deployment to provide it (empty, "wiped
    before startup"), and one that is missing is most often a typo or a leftover from another
    application's environment, whose files this process should not write to. ``serve --workers``
    sets and creates its own (``share_with_workers``).

    Args:
        environ: The environment to read (this process's when omitted).
    """
    env = os.environ if environ is None else environ
    name = next((n for n in _METRICS_DIR_NAMES if n in env), None)
    if name is None:
        return None
    value = env[name]
    if not value:
        # Set is enough for prometheus-client's multiprocess mode: it writes its files in the
        # working directory then, and cannot read them back for /metrics ("not a directory").
        return (
            f"{name} is set but empty: prometheus-client still keeps its metrics in files then, "
            f"written in the working directory, and cannot add them up for /metrics. Unset {name}, "
            "or set it to a directory created empty"
        )
    if os.path.isdir(value) and os.access(value, os.W_OK | os.X_OK):
        return None
    found = "not a directory this user can write" if os.path.isdir(value) else "not a directory"
    return (
        f"{name}={value!r} is {found}: prometheus-client keeps the metrics of several processes there "
        f"(`precedent serve --workers N` sets its own). Unset {name}, or create that directory empty"
    )


@contextlib.contextmanager
def metrics_dir_hidden() -> Iterator[None]:
    """Hide ``PROMETHEUS_MULTIPROC_DIR`` from prometheus-client for the block: its metrics stay in memory.

    For ``precedent --help`` and ``--version`` beside an unusable one (``metrics_dir_problem``): the
    parser imports the commands, which import ``precedent.metrics``, and prometheus-client opens a
    file in that directory as it is imported; they write no metric, so they need none.
    """
    hidden = {name: os.environ.pop(name) for name in _METRICS_DIR_NAMES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def refuse_unusable_metrics_dir() -> None:
    """Refuse this process's ``PROMETHEUS_MULTIPROC_DIR`` before ``precedent.metrics`` is imported.

    The API and the notebook API call it as their package is imported, so a server importing the
    app factory (``uvicorn --factory precedent.api.app:create_app``) or a notebook importing
    ``precedent.notebook`` stops on this error rather than on prometheus-client's traceback
    about a file it could not open.

    Raises:
        ConfigError: saying what is wrong with it and what to do (``metrics_dir_problem``).
    """
    problem = metrics_dir_problem()
    if problem is not None:
        raise ConfigError(f"invalid setting: {problem}")


def _without_password(value: object) -> object:
    """``value``, a web address's password starred out: the refusal is printed, and logged."""
    if not isinstance(value, str) or "@" not in value:
        return value
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # an unclosed IPv6 bracket
        return value
    if parts.password is None:
        return value
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def describe_invalid(error: ValidationError) -> str:
    """A settings error as the variables a user sets: ``PRECEDENT_STORE: Input should be ... (got 'x')``."""
    lines = []
    for problem in error.errors():
        name = _PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
        got = _without_password(problem.get("input"))
        shown = "" if got is None or isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{name}: {problem['msg']}{shown}")
    return "; ".join(lines)
