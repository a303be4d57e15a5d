"""``precedent token``: the secret printed once on the last line, listed without it, revoked by name."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING

import pytest

from precedent.cli.main import main
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path))
    return tmp_path


def _listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["token", "list", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_create_list_revoke(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["token", "create", "--scope", "read", "--scope", "read:private", "--name", "ci"]) == 0
    out = capsys.readouterr()
    secret = out.out.strip().splitlines()[-1]
    assert secret.startswith("prec_")
    assert out.out.strip() == secret  # stdout holds the secret alone, for $(...) and pipes
    assert "shown once" in out.err

    assert main(["token", "create", "--scope", "admin", "--expires", "90d"]) == 0
    capsys.readouterr()
    listed = _listed(capsys)
    assert listed[0]["name"] == "ci"
    assert listed[0]["scopes"] == ["read", "read:private"]
    assert (listed[0]["expires_at"], listed[0]["revoked_at"]) == (None, None)
    assert listed[1]["expires_at"] is not None
    # The one shape of every --json and API time ("+00:00" and no fraction here before).
    times = [listed[0]["created_at"], listed[1]["created_at"], listed[1]["expires_at"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", str(t)) for t in times), times
    assert secret not in json.dumps(listed)

    assert main(["token", "list"]) == 0
    table = capsys.readouterr().out
    assert "ci" in table
    assert "never" in table
    assert secret not in table
    # Uses are written at most hourly: the column may lag, and the table says so.
    assert "last used: recorded at most every 1h per token, so it may be up to 1h behind" in table

    assert main(["token", "revoke", "ci"]) == 0
    assert "revoked ci" in capsys.readouterr().out
    assert _listed(capsys)[0]["revoked_at"] is not None
    assert not any(secret in p.read_text(errors="ignore") for p in data_dir.rglob("*") if p.is_file())


def test_errors_say_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as bad_expiry:
        main(["token", "create", "--scope", "read", "--expires", "tomorrow"])
    assert bad_expiry.value.code == 2
    assert "12h, 90d" in capsys.readouterr().err

    with pytest.raises(SystemExit):
        main(["token", "create", "--scope", "root"])
    assert "invalid choice" in capsys.readouterr().err

    assert main(["token", "revoke", "nobody"]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "token 'nobody' not found; `precedent token list` shows each name and id" in said


def test_list_works_beside_the_maps_writer(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["token", "create", "--scope", "read", "--name", "grafana"]) == 0
    capsys.readouterr()
    # A running `serve` holds the embedded map's write lock; listing only reads, so it still works.
    writer = EmbeddedStore(data_dir / "graph", dimensions=384)
    asyncio.run(writer.open())
    try:
        assert [t["name"] for t in _listed(capsys)] == ["grafana"]
    finally:
        asyncio.run(writer.close())


def test_the_creation_line_is_one_line_with_the_name_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    name = "[ci] deploy recorder for the payments platform's release pipeline"
    assert main(["token", "create", "--scope", "write", "--name", name]) == 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1  # a script's log keeps it whole
    assert f"created {name} (" in err


def test_revoke_help_says_what_to_pass(capsys: pytest.CaptureFixture[str]) -> None:
    # NAME_OR_ID stood alone in `precedent token revoke --help`.
    with pytest.raises(SystemExit):
        main(["token", "revoke", "--help"])
    assert "its id (tok_...), as `precedent token list` shows" in " ".join(capsys.readouterr().out.split())
