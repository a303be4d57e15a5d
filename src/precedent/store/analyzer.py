"""The stores' text analyzer: Lucene's ``EnglishAnalyzer``, as Neo4j's ``english`` index runs it.

The embedded store indexes with it; the Neo4j store reads a query's terms with it, to ask Lucene
for each once. Both stores must agree on which nodes a query matches, so this reproduces Lucene 9's chain:

* ``StandardTokenizer`` (Unicode word boundaries, UAX #29): runs of letters, digits and ``_``;
  letters stay joined across ``. : ' · U+2019`` and digits across ``. , ; ' U+2019`` (``e.g``, ``x.io``,
  ``don't``, ``1,000``, ``v1.2.3``); each CJK ideograph is a token of its own.
* ``EnglishPossessiveFilter``: a trailing ``'s`` goes.
* ``LowerCaseFilter``, then ``StopFilter`` with ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET``.
* ``PorterStemFilter``: Snowball's ``porter`` (PyStemmer) plus the three places where Lucene's
  port of Porter's C code departs from the published algorithm: words of one or two letters are
  left alone, and step 2 maps ``-logi`` to ``-log`` and ``-bli`` to ``-ble``.

``tests/store/embedded/test_analyzer.py`` holds words whose expected terms were produced by
Lucene 9.11's ``EnglishAnalyzer`` itself.
"""

from __future__ import annotations

import re
import threading

import Stemmer

__all__ = ["STOP_WORDS", "analyze", "analyzed_words"]

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
        "they", "this", "to", "was", "will", "with",
    }
)  # fmt: skip

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = rf"[^\W{_CJK}]"
_LETTER = rf"[^\W\d_{_CJK}]"
_TOKEN = re.compile(
    rf"{_WORD}+(?:(?<={_LETTER})[.:'\u2019\u00b7](?={_LETTER}){_WORD}+|(?<=\d)[.,;'\u2019](?=\d){_WORD}+)*"
    rf"|[{_CJK}]"
)
_POSSESSIVE = ("'s", "\u2019s", "\uff07s")
_VOWELS = frozenset("aeiou")
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    # PyStemmer objects keep a cache and are not safe to share between threads; writers analyze
    # in worker threads while queries analyze on the event loop.
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    return stemmer


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in ``stem`` (y after a consonant is a vowel)."""
    count = 0
    previous_vowel = False
    for position, char in enumerate(stem):
        vowel = char in _VOWELS or (char == "y" and position > 0 and not previous_vowel)
        if previous_vowel and not vowel:
            count += 1
        previous_vowel = vowel
    return count


def _porter(token: str) -> str:
    if len(token) <= 2:
        return token
    stemmer = _stemmer()
    stem: str = stemmer.stemWord(token)
    # The published algorithm left these endings alone where Lucene's step 2 rewrites them (when
    # the part before has m > 0); the rewritten word then goes through steps 3-5, which is what
    # stemming it again does (steps 1-2 leave a word ending -log or -ble as it is).
    for ending, replacement in (("logi", "log"), ("bli", "ble")):
        published = ending == "bli" and stem.endswith("abli")  # -abli was the published rule
        if stem.endswith(ending) and not published and _measure(stem[: -len(ending)]) > 0:
            return str(stemmer.stemWord(stem[: -len(ending)] + replacement))
    return stem


def analyze(text: str) -> list[str]:
    """Split ``text`` into index terms the way Neo4j's ``english`` full-text analyzer does."""
    return [term for _, term in analyzed_words(text)]


def analyzed_words(text: str) -> list[tuple[str, str]]:
    """Each word of ``text`` that makes an index term, as written, with its term (as ``analyze``)."""
    words = []
    for word in _TOKEN.findall(text):
        token = word[:-2] if word[-2:].lower() in _POSSESSIVE else word
        token = token.lower()
        # A run of underscores alone is no word to the tokenizer (UAX #29 needs a letter or digit).
        if token.strip("_") and token not in STOP_WORDS:
            words.append((word, _porter(token)))
    return words
