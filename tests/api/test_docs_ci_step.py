"""docs/changes.md's GitHub Actions step, run by bash as a runner would, with any commit message.

GitHub substitutes ``${{ ... }}`` into a ``run:`` script as text before the shell reads it, so an
expression holding a commit message there is shell code: a backtick or a quote in the message
(common in commit messages) runs a command or breaks the request. Values reach ``env:`` intact.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = 'Fix `make ci` quoting in "checkout"\n\nCo-authored-by: $USER <me@example.com>'
CONTEXT = {
    "vars.PRECEDENT_URL": "http://precedent.invalid",
    "secrets.PRECEDENT_TOKEN": "prec_test",
    "github.ref_name": "v1.4.2",
    "github.event.head_commit.message": MESSAGE,
    "github.actor": "octocat",
    "github.server_url": "https://github.com",
    "github.repository": "acme/payments",
    "github.run_id": "42",
    "github.run_attempt": "1",
    "github.sha": "0123abc",
}
# The runner's default variables mirroring the context above.
RUNNER_ENV = {
    "GITHUB_REF_NAME": "v1.4.2",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/payments",
    "GITHUB_RUN_ID": "42",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SHA": "0123abc",
}
FAKE_CURL = """#!/usr/bin/env bash
# Saves the request body (-d @- or --data-binary @-, read from stdin) where the test reads it.
cat > "$BODY_FILE"
"""


def _step() -> tuple[dict[str, str], str]:
    """The step's ``env:`` (expressions evaluated) and its ``run:`` script (expressions substituted)."""
    text = (ROOT / "docs" / "changes.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert block, "docs/changes.md has no yaml block"
    step = textwrap.dedent(block.group(1))
    env_block, run_block = re.split(r"^\s*run: \|\n", step, maxsplit=1, flags=re.MULTILINE)

    def evaluate(value: str) -> str:
        return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: CONTEXT[m.group(1)], value)

    env_lines = env_block.split("env:\n", 1)[1].splitlines()
    env = {k: evaluate(v) for k, v in (line.strip().split(": ", 1) for line in env_lines if line.strip())}
    return env, evaluate(textwrap.dedent(run_block))


def test_the_ci_step_sends_the_commit_message_as_it_is(tmp_path: Path) -> None:
    env, script = _step()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    body = tmp_path / "body.json"
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "BODY_FILE": str(body),
        "USER": "runner",
        **RUNNER_ENV,
        **env,
    }
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr, done.stderr
    sent = json.loads(body.read_text())
    assert sent["summary"] == MESSAGE
    assert sent["service"] == "payments-api"
    assert sent["version"] == "v1.4.2"
    assert sent["commit_sha"] == "0123abc"
    assert sent["author"] == "octocat"
    assert sent["id"] == "gha-42-1"
    assert sent["url"] == "https://github.com/acme/payments/actions/runs/42"
