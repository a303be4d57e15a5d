"""``precedent demo``: the declared incident, its signed webhook, and the story the demo prints."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from rich.console import Console
from standardwebhooks import Webhook

from precedent.auth import TokenRegistry
from precedent.cli.demo import _declared, _demo_tokens, _explained, _report
from precedent.cli.demo_scenario import declare_repeat, signed_delivery
from precedent.cli.main import main
from precedent.config import Settings
from precedent.runtime import Runtime
from precedent.sources.synthetic import generate
from precedent.store.embedded import EmbeddedStore
from tests.support.cli_process import ROOT, cli_env

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _thread_of(export: Path, reference: str) -> set[str]:
    """The references of the planted recurrence whose newest incident is ``reference``."""
    data = json.loads((export / "v2_incidents.json").read_text(encoding="utf-8"))
    pages = data if isinstance(data, list) else [data]
    by_id = {i["id"]: i["reference"] for page in pages for i in page["incidents"]}
    for line in (export / "judgments.jsonl").read_text(encoding="utf-8").splitlines():
        judged = json.loads(line)
        if by_id.get(judged["query_id"]) == reference:
            return {reference, *(by_id[r["id"]] for r in judged["relevant"] if r["id"] in by_id)}
    raise AssertionError(f"{reference} is not a planted recurrence")


def test_declaring_again_is_the_same_incident_in_a_newer_state(tmp_path: Path) -> None:
    export = tmp_path / "export"
    now = datetime.now(UTC).replace(microsecond=0)
    generate(export, incidents=60, seed=7, end_at=now)

    first = declare_repeat(export, now=now)
    again = declare_repeat(export, now=now + timedelta(minutes=5))

    # A second run must not add a second INC-61 that the next one would find as its own precedent.
    assert (again.id, again.reference) == (first.id, first.reference)
    assert again.payload["created_at"] > first.payload["created_at"]
    assert first.repeats in _thread_of(export, first.repeats)
    assert first.payload["incident_status"]["category"] == "live"
    number = first.reference.removeprefix("INC-")
    assert first.payload["permalink"].endswith(f"/incidents/{number}")
    assert first.payload["slack_channel_name"].startswith(f"inc-{number}-")

    body, headers = signed_delivery(first, "whsec_" + "A" * 32, now=now)
    delivered = Webhook("whsec_" + "A" * 32).verify(body, headers)
    assert delivered["event_type"] == "public_incident.incident_created_v2"
    assert delivered["public_incident.incident_created_v2"]["id"] == first.id


@pytest.fixture
def root_level() -> Iterator[None]:
    # The CLI sets logging up (on this test's captured stderr) and the demo quiets it for its
    # story; later tests in this process expect logging as it was.
    loggers = [logging.getLogger(name) for name in ("", "precedent.api.access", "httpx")]
    levels = [logger.level for logger in loggers]
    handlers = list(loggers[0].handlers)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    loggers[0].handlers[:] = handlers


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.usefixtures("root_level")
def test_the_demo_names_its_deploy_and_the_planted_recurrence_and_a_second_run_reuses_the_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PRECEDENT_LOG_LEVEL", raising=False)

    stories = []
    for _ in range(2):
        assert main(["demo", "--incidents", "60", "--no-wait", "--port", "0"]) == 0
        stories.append(capsys.readouterr())

    first, second = stories
    assert "generating an organisation of 60 incidents" in first.err
    assert "reusing the map" in second.err
    for story in stories:
        declared = re.search(r"incident\.io declared (INC-\d+): .*? it repeats (INC-\d+)", story.err, re.S)
        assert declared is not None, story.err
        reference, repeated = declared.groups()
        out = story.out
        hypothesis = re.search(r"^Top hypothesis \(\d+%, change\): (.*)$", out, re.M)
        assert hypothesis is not None, out
        assert "v2.14.1" in hypothesis.group(1)
        assert re.search(r"^  evidence: deploy of \S+ v2\.14\.1 \(deploy 7 min before", out, re.M), out
        precedent = re.search(r"^Top precedent \(score \d\.\d{3}\): (INC-\d+) ", out, re.M)
        assert precedent is not None, out
        assert precedent.group(1) in _thread_of(tmp_path / "export", repeated)
        assert precedent.group(1) != reference
        assert re.search(r"^  why similar: \w+", out, re.M)
        assert "built by the webhook worker" in out
        token = re.search(r"Token:\s+(prec_\S+)", out)
        assert token is not None
        # Log lines would bury the story; the token is printed once, for the user, on stdout only.
        assert " INFO " not in story.err
        assert token.group(1) not in story.err
        # Declared again on the second run, the same deploy moved: still one in its recent changes.
        service = re.search(r"CI recorded a deploy of (\S+) v2\.14\.1", story.err)
        assert service is not None
        # The summary is rendered for the terminal: no Markdown marks, and its lines wrapped.
        summary = " ".join(out.split("Top hypothesis")[0].split())
        assert "**" not in summary, summary
        assert " \\ " not in summary, summary
        # Each likely cause is whole, wrapped rather than cropped at the console's width.
        assert "roll it back if the symptoms started after it" in summary, summary
        changes = summary.split("Recent changes:")[1]
        assert changes.count(f"deploy of {service.group(1)} v2.14.1") == 1, changes
        # Its links are under the address this run serves (the second run's port is another),
        # and the incident's investigation is linked by its reference, not the build's opaque id.
        base = re.search(r"serving on (http://\S+) \(", story.err)
        assert base is not None, story.err
        latest = f"{base.group(1)}/ui/incidents/{reference}/investigation"
        assert f"Read it:   {latest}" in out
        assert f"Read the whole investigation ({latest})" in summary, summary
        assert "/ui/investigations/" not in out
        assert all(link.startswith(base.group(1)) for link in re.findall(r"http://[^\s)]+/ui/", out))


@pytest.mark.parametrize("waiting", [True, False])
def test_the_closing_lines_say_whether_the_demo_is_still_serving(
    waiting: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --no-wait used to end with "Ctrl-C stops the demo" and "beside the running demo" after it had stopped.
    export = tmp_path / "export"
    now = datetime.now(UTC)
    generate(export, incidents=20, seed=7, end_at=now)
    declared = declare_repeat(export, now=now)
    investigation = {
        "incident": {"reference": declared.reference, "name": declared.name},
        "summary_markdown": f"**{declared.reference}**",
        "hypotheses": [],
        "similar": [],
        "build_ms": 12.0,
    }
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    base = "http://127.0.0.1:8731"
    page = f"{base}/ui/investigations/inv:1"
    tokens = ("prec_x", "prec_admin")
    _report(Console(stderr=True), base, tokens, declared, investigation, 3.0, page, settings, waiting=waiting)
    out = capsys.readouterr().out
    assert f"Read it:   {page}" in out
    # Deliveries need admin, and `token create` is refused while the demo holds the map.
    assert (
        "Admin token (webhook deliveries, sync; not for the browser or agents):\n             prec_admin"
        in out
    )
    assert f"curl -s -H 'Authorization: Bearer prec_admin' {base}/v1/webhooks/deliveries" in out
    if waiting:
        assert "beside the running demo" in out
        # Where the secret is, to sign a delivery of one's own (docs/incident-io.md said to use it).
        assert f"{base}/v1/webhooks/incident-io, signed with the secret in" in out
        assert str(tmp_path / "data" / "demo-webhook-secret") in out
        assert out.rstrip().endswith("Ctrl-C stops the demo.")
    else:
        assert "Ctrl-C" not in out
        assert "beside the running demo" not in out
        assert "The demo stops here (--no-wait): the links above answer only while it runs." in out
        assert f"The map stays in {tmp_path / 'data'}" in out


def test_the_top_precedent_is_given_its_score_not_a_similarity_percentage(tmp_path: Path) -> None:
    # "Top precedent (65% similar)" under "Top hypothesis (67%, ...)" read as two comparable
    # percentages; the CLI's similar table and the MCP text write the same number as a score.
    export = tmp_path / "export"
    now = datetime.now(UTC)
    generate(export, incidents=20, seed=7, end_at=now)
    declared = declare_repeat(export, now=now)
    top = {
        "incident_id": "i",
        "reference": "INC-3",
        "name": "x",
        "score": 0.6514,
        "reasons": ["shares words: checkout"],
    }
    lines = _explained(declared, {"hypotheses": [], "similar": [top]})
    assert lines[0] == "Top precedent (score 0.651): INC-3 x"


def test_the_declaration_keeps_its_phrases_together_at_80_columns(tmp_path: Path) -> None:
    # One long line, rich wrapped it wherever 80 columns fell: "(signed webhook" / "sent)".
    export = tmp_path / "export"
    now = datetime.now(UTC)
    generate(export, incidents=20, seed=7, end_at=now)
    declared = declare_repeat(export, now=now)
    console = Console(width=80, record=True)
    lines = _declared(declared)
    for line in lines[1:]:  # the first ends with the incident's own name, as long as it is
        console.print(line)
    printed = console.export_text().splitlines()
    assert printed == lines[1:]
    assert "signed webhook" in printed[0]
    assert lines[0] == f"==> incident.io declared {declared.reference}: {declared.name}"


def _wait_for(text: str, log: Path, process: subprocess.Popen[bytes], everything: Path) -> None:
    deadline = time.monotonic() + 600  # torch, the import and the model load first, on a shared machine
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, everything.read_text(errors="replace")
        assert time.monotonic() < deadline, everything.read_text(errors="replace")
        time.sleep(0.2)


@pytest.mark.model
@pytest.mark.slow
def test_a_second_ctrl_c_while_the_demo_stops_ends_it_cleanly(tmp_path: Path) -> None:
    # `uv run` forwards Ctrl-C and the terminal sends it too: a SIGINT arriving after the demo said
    # it stopped raised KeyboardInterrupt in torch's exit handler, a traceback under "==> stopped".
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "precedent.cli.main", "demo", "--incidents", "20", "--port", "0"],
            cwd=ROOT,
            env=cli_env(tmp_path / "data"),
            stdout=stdout,
            stderr=stderr,
        )
    try:
        _wait_for("Ctrl-C stops the demo.", out, process, err)
        process.send_signal(signal.SIGINT)
        _wait_for("==> stopped", err, process, err)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    said = err.read_text(errors="replace")
    assert code == 0, said
    assert "Traceback" not in said
    assert "KeyboardInterrupt" not in said
    assert "interrupted" not in said
    # With the collector frozen once serving, triton's bindings listed thousands of objects as
    # leaked at exit (triton is kept out: the model runs on the CPU).
    assert "leaked" not in said


async def test_the_demo_issues_a_sign_in_token_and_a_separate_admin_one(tmp_path: Path) -> None:
    # Nobody could read the demo's webhook deliveries: they need admin, the demo's one token had
    # read and write, and `token create` is refused while the demo holds the embedded map.
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    await _demo_tokens(settings)
    token, admin_token = await _demo_tokens(settings)
    async with Runtime.from_settings(settings, model=False) as runtime:
        registry = TokenRegistry(runtime.store)
        signed_in = await registry.authenticate(token)
        admin = await registry.authenticate(admin_token)
        live = {t.name for t in await registry.tokens() if t.revoked_at is None}
    # The sign-in token, pasted into browsers and agents, stays without admin.
    assert "admin" not in signed_in.scopes
    assert "admin" in admin.scopes
    assert live == {"demo", "demo-admin"}  # the previous run's are revoked


@pytest.mark.usefixtures("root_level")
async def test_a_second_demo_on_a_map_in_use_says_how_to_run_one_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was told the command line's advice, "run a command that only reads beside it (search,
    # similar, ...)", which is not what someone starting a second demo wants.
    (tmp_path / ".demo-loaded").touch()
    holder = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await holder.open()
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path))
    try:
        code = await asyncio.to_thread(main, ["demo", "--port", "0", "--no-wait"])
    finally:
        await holder.close()
    # Without spaces: rich folds a path longer than the console anywhere.
    said = "".join(capsys.readouterr().err.split())
    assert code == 1
    assert "Thatprocesskeepsthemapuntilitstops(Ctrl-Cwhereitruns;ademoprinteditslinkandtokenthere)" in said
    assert f"PRECEDENT_DATA_DIR={tmp_path}-2./scripts/demo--port" in said
    assert "onlyreadsbesideit" not in said
