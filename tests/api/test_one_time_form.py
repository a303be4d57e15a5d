"""Every time in a response is written one way: UTC with ``Z``.

Found by a new-user trial: an incident's ``started_at`` said ``...Z`` and the times inside its
properties ``...+00:00``, within one response, so a client comparing them as text saw two forms.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api.conftest import Api

_TIME_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?\+00:00")


async def test_an_incidents_times_are_all_written_with_z(read_api: Api) -> None:
    headers = read_api.auth(read_api.tokens.read)
    for path in ("/v1/incidents/INC-1", "/v1/incidents", "/v1/incidents/INC-1/updates"):
        answer = await read_api.client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        assert "Z" in answer.text
        assert not _TIME_WITH_OFFSET.search(answer.text), (
            path,
            _TIME_WITH_OFFSET.findall(answer.text)[:3],
            answer.text[:2000],
        )
