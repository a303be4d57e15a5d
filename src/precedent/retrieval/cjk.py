"""Words of Chinese and Japanese text, written without spaces: what a phrase in them says, term by term.

A tokenizer that splits at spaces and punctuation reads "データベースの接続プールが枯渇しました" as
one word, so two causes in Japanese agreed only when worded alike to the character. The usual way
to match such text lexically (Lucene's ``CJKBigramFilter``) is overlapping character bigrams of
each run of ideographs. Here:

* a run of kanji or hanzi gives its bigrams (a single character, itself);
* a run of katakana is one word, as Unicode's word boundaries (UAX #29) keep it: katakana spells
  long loanwords ("データベース", database), whose bigrams would count one word five times;
* hiragana separate runs: they write Japanese particles and inflections ("の", "が", "しました"),
  which every sentence shares and which say nothing of what broke.

The store's full-text analyzer (``store.analyzer``, Lucene's ``StandardTokenizer``) reads
the same characters one ideograph at a time and stems English: it serves ranking, not agreement.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Container

__all__ = ["cjk_terms", "cjk_words_in", "is_cjk", "without_cjk"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KATAKANA = re.compile("[\u30a1-\u30fa\u30fc-\u30ff]+")  # the middle dot separates words
_RUN = re.compile(f"[{_HAN}]+|{_KATAKANA.pattern}")
_ANY = re.compile(f"[\u3040-\u30ff{_HAN}]+")


def _run_terms(run: str) -> list[str]:
    if _KATAKANA.fullmatch(run) or len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def cjk_terms(text: str) -> list[str]:
    """The terms of ``text``'s Chinese and Japanese: katakana words, bigrams of kanji and hanzi, in order."""
    return [term for run in _RUN.findall(text) for term in _run_terms(run)]


def is_cjk(character: str) -> bool:
    """Whether ``character`` is a kana, kanji or hanzi: Chinese or Japanese, written without spaces."""
    return _ANY.fullmatch(character) is not None


def without_cjk(text: str) -> str:
    """``text`` with its Chinese and Japanese (kana too) replaced by spaces: what is left is spaced words."""
    return _ANY.sub(" ", text)


def cjk_words_in(text: str, known: Container[str]) -> int:
    """How many words of the Chinese and Japanese in ``text`` have their terms in ``known``.

    Bigrams count a word more than once ("数据库", database, is "数据" and "据库"), so a run of
    consecutive bigrams in ``known`` counts as the two-character words that tile it: most Chinese
    words and Japanese kanji compounds have two characters. "数据库连接池耗尽" (database connection
    pool exhausted) counts four; "数据库" alone, one. A katakana word or a lone character, one.

    Args:
        text: The text the terms came from (``cjk_terms``).
        known: The terms to count, such as those ``text`` shares with another text.
    """
    count = 0
    for run in _RUN.findall(text):
        chain = 0
        for term in [*_run_terms(run), None]:
            if term is not None and term in known:
                chain += 1
            elif chain:
                # ``chain`` consecutive bigrams span ``chain + 1`` characters.
                count += (chain + 1) // 2
                chain = 0
    return count
