"""One cutter for every short form: between words in any script, Chinese and Japanese included."""

from __future__ import annotations

from precedent.retrieval.shortening import shortened

# "Cause: the database connection pool was exhausted and new connections timed out ..." in Japanese,
# its only space after the lead-in, as a write-up in Japanese has it.
JAPANESE = "原因: " + "データベースの接続プールが枯渇し新しい接続がタイムアウトしました" * 8


def test_japanese_with_one_space_near_the_start_is_cut_at_the_limit_not_at_that_space() -> None:
    # Cut back to the last space, 400 characters of write-up kept four.
    cut = shortened(JAPANESE, 100)
    assert len(cut) == 100
    assert cut.endswith("…")
    assert JAPANESE.startswith(cut.removesuffix("…"))


def test_a_word_after_a_clause_mark_is_not_split() -> None:
    text = "接続プールが枯渇しました、connection_pool_exhausted_in_the_session_handler"
    assert shortened(text, 30) == "接続プールが枯渇しました…"
    assert shortened("接続が切れた。" + "x" * 40, 20) == "接続が切れた。…"


def test_space_separated_text_is_cut_at_the_last_space_without_a_trailing_separator() -> None:
    assert (
        shortened("the node pool max was too low; we   added nodes", 33) == "the node pool max was too low…"
    )
    assert shortened("a short line", 36) == "a short line"
    # A single word longer than the limit is cut where it must be.
    assert shortened("x" * 50, 10) == "x" * 9 + "…"


def test_a_cut_never_ends_on_a_word_that_leads_into_what_was_cut_off() -> None:
    # Slack's short line read "…the refund workers, on…": the preposition left waiting for its object.
    text = "we restarted the refund workers, on the ledger hosts first and then the rest"
    assert shortened(text, 36) == "we restarted the refund workers…"
    assert shortened("the pool of the ledger service ran out", 20) == "the pool…"
    assert shortened("apply its fix and restart the workers", 15) == "apply its fix…"
    # Particles that end a phrase stay, and so does a lone word.
    assert shortened("we scaled up the ledger database", 16) == "we scaled up…"
    assert shortened("the " + "x" * 40, 10) == "the…"
