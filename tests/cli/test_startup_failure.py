"""``precedent serve`` that cannot start says why in one line: no traceback after it."""

from __future__ import annotations

import pytest

from precedent.cli.main import main
from precedent.cli.startup_failure import Message, SaidStartupFailure
from precedent.errors import ConfigError


def test_a_neo4j_it_cannot_reach_is_one_line_not_a_traceback(
    unreachable_neo4j: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # The app logged "precedent cannot start: ..." and uvicorn then logged the forty-line
    # exception group Litestar formats, on every bad setting found at start-up.
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "0"])
    assert exited.value.code == 3  # uvicorn's start-up failure
    err = capsys.readouterr().err
    assert f"precedent cannot start: Neo4j at {unreachable_neo4j} is unreachable" in err
    # uvicorn's own lines, read as records: an earlier test in this process that ran uvicorn with
    # its default logging left its logger a handler on the stderr of that time, not this test's.
    uvicorn = [r for r in caplog.records if r.name.startswith("uvicorn")]
    said = "\n".join([err, *(r.getMessage() for r in uvicorn)])
    assert "Application startup failed" in said
    assert "Traceback" not in said, said
    assert not any(r.exc_info for r in uvicorn)


async def _lifespan(failure: BaseException) -> list[Message]:
    """What the server is sent when an app fails to start with ``failure``."""

    async def app(scope: object, receive: object, send: object) -> None:
        await send({"type": "lifespan.startup.failed", "message": "Traceback (most recent call last): ..."})  # type: ignore[operator]
        raise failure

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(type(failure)):
        await SaidStartupFailure(app)({"type": "lifespan"}, receive, send)
    return sent


async def test_a_failure_said_in_one_line_is_sent_without_its_traceback() -> None:
    group = ExceptionGroup("task group", [ConfigError("set PRECEDENT_X")])
    assert await _lifespan(group) == [{"type": "lifespan.startup.failed", "message": ""}]


async def test_a_bug_at_start_up_keeps_its_traceback() -> None:
    group = ExceptionGroup("task group", [ConfigError("set PRECEDENT_X"), KeyError("bug")])
    [sent] = await _lifespan(group)
    assert str(sent["message"]).startswith("Traceback")
