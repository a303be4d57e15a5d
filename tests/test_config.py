from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from precedent.cli.main import main
from precedent.config import Settings

if TYPE_CHECKING:
    from pathlib import Path


def test_defaults_use_the_embedded_store() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.store == "embedded"
    assert settings.embedding_model == "all-MiniLM-L6-v2"
    assert settings.incidentio_base_url == "https://api.incident.io"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRECEDENT_STORE", "neo4j")
    monkeypatch.setenv("PRECEDENT_NEO4J_URI", "neo4j://db.internal:7687")
    monkeypatch.setenv("PRECEDENT_NEO4J_PASSWORD", "s3cret")
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_API_KEY", "inc_live_key")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.store == "neo4j"
    assert settings.neo4j_uri == "neo4j://db.internal:7687"
    assert settings.data_dir == tmp_path
    assert settings.neo4j_password.get_secret_value() == "s3cret"
    assert settings.incidentio_api_key is not None
    assert settings.incidentio_api_key.get_secret_value() == "inc_live_key"


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECEDENT_INCIDENTIO_API_KEY", "inc_live_key")
    monkeypatch.setenv("PRECEDENT_NEO4J_PASSWORD", "s3cret")
    text = repr(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "inc_live_key" not in text
    assert "s3cret" not in text


def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECEDENT_STORE", "neo4j")
    assert Settings(store="embedded", _env_file=None).store == "embedded"  # type: ignore[call-arg]


def test_an_invalid_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECEDENT_STORE", "sqlite")
    with pytest.raises(ValidationError, match="store"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_links_use_the_public_url_else_the_bound_address() -> None:
    public = Settings(public_url="https://precedent.example.com/", _env_file=None)  # type: ignore[call-arg]
    assert public.links().investigation("inv:1") == "https://precedent.example.com/ui/investigations/inv%3A1"
    local = Settings(host="0.0.0.0", port=9000, _env_file=None)  # type: ignore[call-arg]
    assert local.links().home() == "http://127.0.0.1:9000/ui/"
    assert (
        local.links(host="10.0.0.5", port=8081).incident("INC-7") == "http://10.0.0.5:8081/ui/incidents/INC-7"
    )


def test_neo4j_concurrency_bound_is_read_and_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).neo4j_max_concurrency == 8  # type: ignore[call-arg]
    monkeypatch.setenv("PRECEDENT_NEO4J_MAX_CONCURRENCY", "3")
    assert Settings(_env_file=None).neo4j_max_concurrency == 3  # type: ignore[call-arg]
    monkeypatch.setenv("PRECEDENT_NEO4J_MAX_CONCURRENCY", "0")
    with pytest.raises(ValidationError, match="neo4j_max_concurrency"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_misspelt_variable_is_named_with_the_setting_it_resembles(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PRECEDENT_SOTRE", "neo4j")
    monkeypatch.setenv("PRECEDENT_NEO4J_PASS", "s3cret")
    monkeypatch.setenv("PRECEDENT_TOKEN", "prec_for_curl")  # the docs' client-side variable
    monkeypatch.setenv("PRECEDENT_NEO4J_URI", "neo4j://db.internal:7687")
    with caplog.at_level("WARNING", logger="precedent.config"):
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.store == "embedded"
    warned = [r.getMessage() for r in caplog.records]
    ignored = "is not a Precedent setting and is ignored; did you mean"
    assert warned == [
        f"PRECEDENT_NEO4J_PASS {ignored} PRECEDENT_NEO4J_PASSWORD?",
        f"PRECEDENT_SOTRE {ignored} PRECEDENT_STORE?",
    ]
    assert all("s3cret" not in message for message in warned)


def test_map_location_names_the_directory_or_the_server_and_database(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).map_location() == f"data_dir={tmp_path}"
    uri = "neo4j+s://ana:hunter2@db.example.com:7687"  # credentials written into the URI: left out
    neo4j = Settings(store="neo4j", neo4j_uri=uri, neo4j_database="maps")
    assert neo4j.map_location() == "neo4j=neo4j+s://db.example.com:7687 database=maps"


def test_choices_are_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    # PRECEDENT_LOG_LEVEL=debug and PRECEDENT_STORE=Neo4j were refused with pydantic's raw text.
    monkeypatch.setenv("PRECEDENT_LOG_LEVEL", "debug")
    monkeypatch.setenv("PRECEDENT_STORE", "Neo4j")
    monkeypatch.setenv("PRECEDENT_LOG_FORMAT", " JSON ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.log_level, settings.store, settings.log_format) == ("DEBUG", "neo4j", "json")


def test_an_invalid_setting_is_named_as_the_variable_to_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRECEDENT_STORE", "mongo")
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "error: invalid setting: PRECEDENT_STORE: Input should be 'embedded' or 'neo4j' (got 'mongo')" in err
    )
    assert "validation error" not in err
    assert "pydantic" not in err


@pytest.mark.parametrize(
    ("variable", "value", "example"),
    [
        ("PRECEDENT_INCIDENTIO_BASE_URL", "api.incident.io", "https://api.incident.io"),
        ("PRECEDENT_INCIDENTIO_BASE_URL", "ftp://api.incident.io", "https://api.incident.io"),
        ("PRECEDENT_SLACK_API_URL", "slack.com/api/", "https://slack.com/api/"),
        # Its example was incident.io's API, which is not where responders reach Precedent.
        ("PRECEDENT_PUBLIC_URL", "precedent.example.com", "https://precedent.example.com"),
    ],
)
def test_a_web_address_without_its_scheme_is_refused_at_start(
    variable: str,
    value: str,
    example: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `sync` with PRECEDENT_INCIDENTIO_BASE_URL=api.incident.io tried six times, then said to
    # check the network access to '' (no host).
    monkeypatch.setenv(variable, value)
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{variable}: Value error, must be an http:// or https:// URL with a host, e.g. {example} " in err
    assert f"(got '{value}')" in err


@pytest.mark.parametrize("value", ["https://example.com/precedent", "https://example.com/precedent/ui/"])
def test_a_public_url_under_a_path_is_refused_at_start(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Behind a proxy serving it under /precedent, the Slack and CLI links opened, then every
    # link and redirect of the pages (/ui/...) left the prefix and hit the proxy's 404.
    monkeypatch.setenv("PRECEDENT_PUBLIC_URL", value)
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "PRECEDENT_PUBLIC_URL: Value error, must be the root of a site, e.g. https://precedent.example.com"
        in err
    )
    assert "rather than under a path" in err


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("https://ops@precedent.example.com", "https://ops@precedent.example.com"),
        ("https://ops:s3cret@precedent.example.com/", "https://ops:***@precedent.example.com/"),
        ("https://:s3cret@precedent.example.com", "https://:***@precedent.example.com"),
    ],
)
def test_a_public_url_with_a_user_is_refused_at_start_without_its_password(
    value: str, shown: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # https://user@host passed, and the user (or the password) was printed in every link the
    # Slack messages, the CLI and the demo give.
    monkeypatch.setenv("PRECEDENT_PUBLIC_URL", value)
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "PRECEDENT_PUBLIC_URL: Value error, must not hold a user name or password" in err
    assert f"(got '{shown}')" in err
    assert "s3cret" not in err


@pytest.mark.parametrize("days", ["1", "0", "-5"])
def test_a_webhook_retention_shorter_than_incidentio_retries_is_refused_at_start(
    days: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A delivery deleted while incident.io may still send it again would be processed twice.
    monkeypatch.setenv("PRECEDENT_WEBHOOK_RETENTION_DAYS", days)
    assert main(["stats"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "PRECEDENT_WEBHOOK_RETENTION_DAYS: Value error, must be at least 2 days: incident.io retries" in err
    )


def test_the_webhook_retention_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().webhook_retention_days == 30
    monkeypatch.setenv("PRECEDENT_WEBHOOK_RETENTION_DAYS", "2")
    assert Settings().webhook_retention_days == 2


def test_a_metrics_directory_that_is_not_there_is_named_with_what_to_do(tmp_path: Path) -> None:
    from precedent.config import metrics_dir_problem

    assert metrics_dir_problem({}) is None
    assert metrics_dir_problem({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) is None
    missing = str(tmp_path / "gone")
    assert metrics_dir_problem({"PROMETHEUS_MULTIPROC_DIR": missing}) == (
        f"PROMETHEUS_MULTIPROC_DIR={missing!r} is not a directory: prometheus-client keeps the metrics "
        "of several processes there (`precedent serve --workers N` sets its own). Unset "
        "PROMETHEUS_MULTIPROC_DIR, or create that directory empty"
    )
    # prometheus-client's older spelling.
    assert "prometheus_multiproc_dir='" in str(metrics_dir_problem({"prometheus_multiproc_dir": missing}))
    (tmp_path / "file").write_text("")
    assert "is not a directory" in str(
        metrics_dir_problem({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "file")})
    )


_EMPTY_METRICS_DIR = """
import os
from prometheus_client import CollectorRegistry, Counter, multiprocess
Counter("x_total", "x")
print(*sorted(os.listdir(".")))
try:
    multiprocess.MultiProcessCollector(CollectorRegistry())
except ValueError as exc:
    print(type(exc).__name__)
"""


def test_an_empty_metrics_directory_is_refused_for_what_it_does(tmp_path: Path) -> None:
    # An empty value was refused as "'' is not a directory", as if prometheus-client ignored it;
    # set is all it asks for multiprocess mode, and then it writes its files in the working
    # directory and cannot read them back to answer a scrape.
    from precedent.config import metrics_dir_problem

    said = subprocess.run(
        [sys.executable, "-c", _EMPTY_METRICS_DIR],
        cwd=tmp_path,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert said[0].startswith("counter_")  # written in the working directory
    assert said[1:] == ["ValueError"]  # and unreadable for /metrics
    assert metrics_dir_problem({"PROMETHEUS_MULTIPROC_DIR": ""}) == (
        "PROMETHEUS_MULTIPROC_DIR is set but empty: prometheus-client still keeps its metrics in "
        "files then, written in the working directory, and cannot add them up for /metrics. Unset "
        "PROMETHEUS_MULTIPROC_DIR, or set it to a directory created empty"
    )
