"""``SearchQuery``: what every surface's search accepts, and the words it refuses the rest in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from precedent.errors import InvalidQuery
from precedent.retrieval import SEARCH_DEFAULT_LIMIT, SEARCH_MAX_CHARS, SearchQuery


def test_the_defaults_are_every_surfaces() -> None:
    query = SearchQuery("  pool exhausted ")
    assert (query.text, query.kinds, query.mode, query.limit) == (
        "pool exhausted",
        (),
        "hybrid",
        SEARCH_DEFAULT_LIMIT,
    )


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"text": " \t"}, "nothing to search for: give some words"),
        # As sent, spaces and all: the API's schema publishes the bound on what is sent.
        (
            {"text": "x" + " " * SEARCH_MAX_CHARS},
            f"at most {SEARCH_MAX_CHARS} characters, not {SEARCH_MAX_CHARS + 1}",
        ),
        ({"text": "x", "limit": 0}, "limit must be a whole number from 1 to 100, not 0"),
        ({"text": "x", "kinds": ("tickets",)}, "unknown kind 'tickets'; use any of incident, postmortem"),
        (
            {
                "text": "x",
                "after": datetime(2026, 2, 1, tzinfo=UTC),
                "before": datetime(2026, 1, 1, tzinfo=UTC),
            },
            "is not earlier than before",
        ),
        ({"text": "x", "after": datetime(2026, 2, 1)}, "after needs a time zone"),  # noqa: DTZ001
    ],
)
def test_bad_input_is_refused_with_what_to_send(fields: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidQuery, match=says):
        SearchQuery(**fields)  # type: ignore[arg-type]
