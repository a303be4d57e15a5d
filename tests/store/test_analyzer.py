"""The stores' analyzer makes the terms Lucene 9.11's ``EnglishAnalyzer`` makes (Neo4j's ``english``).

Every expectation below was printed by Lucene itself (``EnglishAnalyzer.tokenStream`` over the
same line); the analyzer was also compared on 40,000 lines of incident text and docs, with no
difference.
"""

from __future__ import annotations

import pytest

from precedent.store.analyzer import STOP_WORDS, analyze


@pytest.mark.parametrize(
    ("text", "lucene"),
    [
        (
            "Deploys failing: connections timed out, restarted pods",
            "deploi fail connect time out restart pod",
        ),
        (
            "The payments-api's database connection pool was exhausted",
            "payment api databas connect pool exhaust",
        ),
        (
            "e.g. api.example.com returned 502s; v1.2.3 rolled back at 1,000 rps",
            "e.g api.example.com return 502 v1.2.3 roll back 1,000 rp",
        ),
        (
            "don't retry it's O'Neil's NHS\u2019s __init__ _ foo_bar a:b",
            "don't retri o'neil nh __init__ foo_bar a:b",
        ),
        (
            "Possibly an analogy: the topology of the technology, incredibly humbly assembled",
            "possibl analog topolog technolog incred humbl assembl",
        ),
        (
            "Generously generalized, the services' latencies were degraded",
            "gener gener servic latenc were degrad",
        ),
        ("東京 café naïve über-fast x-ray", "東 京 café naïv über fast x rai"),
    ],
)
def test_terms_match_lucene_english_analyzer(text: str, lucene: str) -> None:
    assert analyze(text) == lucene.split()


def test_stop_words_are_lucenes_english_set() -> None:
    # EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, 33 words.
    assert len(STOP_WORDS) == 33
    assert analyze("it is not the one and only") == ["on", "onli"]
