"""Every response model writes its times in the one shape the API documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pydantic import BaseModel

import precedent.responses
from precedent.responses.base import ResponseModel, utc_text


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
