"""Every response model writes its times in the one shape the API documents."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel

import precedent.responses
from precedent.model import Node
from precedent.responses.base import ResponseModel, time_text, utc_text
from precedent.responses.graph import NodeResponse

if TYPE_CHECKING:
    from collections.abc import Iterator


def test_every_response_model_writes_times_as_the_others_do() -> None:
    # A model on pydantic's BaseModel would write "10:00:00Z" on a whole second again.
    models = [getattr(precedent.responses, name) for name in precedent.responses.__all__]
    plain = [m.__name__ for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
    assert plain
    assert [n for n in plain if not issubclass(getattr(precedent.responses, n), ResponseModel)] == []


def test_a_time_is_written_in_utc_with_six_digits_whatever_its_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_text(datetime(2026, 12, 5, 11, 0, tzinfo=paris)) == "2026-12-05T10:00:00.000000Z"
    assert utc_text(datetime(2026, 12, 5, 10, 0, 0, 500, tzinfo=UTC)) == "2026-12-05T10:00:00.000500Z"
    assert utc_text(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"


@pytest.fixture
def local_time_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone, which ``astimezone`` reads a time without a zone in, is New York's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_in_new_york")
def test_a_time_without_a_zone_is_read_as_utc_for_people_as_for_clients() -> None:
    # time_text read it as the server's local time, utc_text beside it as UTC: on a host off UTC
    # the page and the API gave one stored time five hours apart.
    naive = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).replace(tzinfo=None)  # as a map may hold one
    assert utc_text(naive) == "2026-12-05T10:00:00.000000Z"
    assert time_text(naive) == "2026-12-05 10:00 UTC"
    assert time_text(naive.replace(tzinfo=timezone(timedelta(hours=1)))) == "2026-12-05 09:00 UTC"
    assert time_text(None) == "unknown"


def test_a_node_property_shaped_like_a_time_but_none_is_kept_as_written() -> None:
    # A stored text time is rewritten in the one shape; text that only looks like one (a custom
    # field's impossible date, digits of another script) failed every answer holding the node.
    properties = {
        "stored": "2026-12-05T10:00:00+00:00",
        "impossible": "2026-02-30T10:00:00Z",
        "hour_25": "2026-12-05T25:00Z",
        # Arabic-Indic digits, which the pattern's \d matched.
        "other_digits": "2026-12-05T10:00Z".translate(
            str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
        ),
    }
    node = Node(id="inc-1", label="Incident", properties=properties, visibility="public")
    written = NodeResponse.from_node(node).model_dump(mode="json")["properties"]
    assert written == {**properties, "stored": "2026-12-05T10:00:00.000000Z"}
