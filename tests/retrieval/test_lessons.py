"""What a past incident's status updates said: the finding, without the status chatter around it.

The updates quoted are GitHub's, from its public status history (githubstatus.com, 2022-2025).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from precedent.model import Node
from precedent.retrieval.lessons import causes_agree, informative_part, said_in_updates

_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "update",
    [
        "A fix has been implemented and we are monitoring the results.",
        "A fix has been deployed and we are monitoring the results",
        "We have deployed a potential fix and are monitoring resolution.",
        "The degradation has been mitigated. We are monitoring to ensure stability.",
        "The issue has been identified and a fix is being implemented.",
        "We are continuing to monitor.",
        "Identified: we are continuing to investigate.",
        "This has been fixed.",
        "We have fixed the issue.",
        "Fixed.",
        "All systems operational.",
        "We are seeing improvement.",
    ],
)
def test_an_update_that_only_says_where_the_work_stands_says_no_cause(update: str) -> None:
    assert informative_part(update) is None


def test_the_finding_is_kept_and_the_chatter_around_it_dropped() -> None:
    routing = (
        "We hit an issue with the main request routing service which is causing errors with running "
        "jobs, and retrieving logs/artifacts. The team has identified the cause and is actively mitigating."
    )
    assert informative_part(routing) == (
        "We hit an issue with the main request routing service which is causing errors with running "
        "jobs, and retrieving logs/artifacts."
    )
    assert informative_part("Identified: a bad config push to the load balancers.") == (
        "a bad config push to the load balancers."
    )
    assert informative_part(
        "We've identified the cause: the node pool max was too low. Working on a fix now."
    ) == ("the node pool max was too low.")
    # What was fixed, or undone, is the finding.
    race = "We fixed the race in the session cache."
    assert informative_part(race) == race
    assert informative_part("Rolled back.") == "Rolled back."
    # A time is not a lead-in.
    assert informative_part("Since 14:05 UTC, webhooks were delayed by a full queue.") == (
        "Since 14:05 UTC, webhooks were delayed by a full queue."
    )


def test_said_in_updates_gives_no_cause_or_fix_for_status_chatter() -> None:
    identified, fixed = _AT + timedelta(minutes=20), _AT + timedelta(minutes=40)
    incident = Node(
        "inc-1",
        "Incident",
        {"identified_at": identified.isoformat(), "fixed_at": fixed.isoformat()},
        _AT,
    )
    mitigated = "The degradation affecting Actions has been mitigated. We are monitoring to ensure stability."
    updates = [
        Node(
            "u-1",
            "IncidentUpdate",
            {"message": "The issue has been identified and a fix is being implemented."},
            identified,
        ),
        Node("u-2", "IncidentUpdate", {"message": mitigated}, fixed),
    ]
    # "Actions" is the service it affected: naming it says nothing of the fix.
    assert said_in_updates(incident, updates, ["Actions"]) == (None, None)
    told = [
        Node(
            "u-1",
            "IncidentUpdate",
            {"message": "Identified: a bad config push to the load balancers."},
            identified,
        ),
        Node(
            "u-2",
            "IncidentUpdate",
            {"message": "Mitigation applied: we reverted the config. Monitoring."},
            fixed,
        ),
    ]
    assert said_in_updates(incident, told, ["Actions"]) == (
        "a bad config push to the load balancers.",
        "we reverted the config.",
    )


@pytest.mark.parametrize(
    "update",
    [
        "原因はデータベースの接続プールの枯渇でした。",
        "Причина: переполнение пула соединений.",
        "Identified: 配置变更导致负载均衡器失败",
    ],
)
def test_an_update_in_another_script_is_kept(update: str) -> None:
    # ``terms`` reads ASCII words only: a finding in Japanese, Russian or Chinese has none, and was
    # taken for status chatter, so the cause its responders posted was never shown.
    kept = informative_part(update)
    assert kept is not None
    assert kept.removeprefix("Identified: ") in update


def test_a_japanese_update_is_read_sentence_by_sentence() -> None:
    # Japanese ends a sentence with "。" and no space: the paragraph was one sentence, so the status
    # chatter before the finding ("Fix deployed, monitoring.") was kept with it.
    finding = "原因はノードプールの上限が低すぎたことでした。"
    assert informative_part(f"Fix deployed、monitoringしています。{finding}") == finding
    # Two findings stay as they were written, without a space between them.
    both = f"{finding}ノードを追加しました\uff01"
    assert informative_part(both) == both
    # A space-separated update splits as it did: only after ". ", "! " or "? ".
    assert (
        informative_part("Rolled back v2.1.3 at 14:05.Monitoring.")
        == "Rolled back v2.1.3 at 14:05.Monitoring."
    )


@pytest.mark.parametrize("update", ["...", "!!!", "🔥🔥", "—"])
def test_an_update_of_punctuation_or_emoji_alone_says_nothing(update: str) -> None:
    assert informative_part(update) is None


def test_causes_in_another_script_agree_by_their_words() -> None:
    # Two incidents whose responders wrote the same cause in Russian are the same failure again.
    pool = "Переполнение пула соединений базы данных"
    assert causes_agree(pool, pool.lower() + " после релиза", ["платежи"])
    assert not causes_agree(pool, "Истёк сертификат балансировщика нагрузки")


def test_a_service_named_in_another_script_says_nothing_of_the_fix() -> None:
    fixed = _AT + timedelta(minutes=40)
    incident = Node("inc-1", "Incident", {"fixed_at": fixed.isoformat()}, _AT)
    update = Node(
        "u-1", "IncidentUpdate", {"message": "The degradation affecting Платежи has been mitigated."}, fixed
    )
    assert said_in_updates(incident, [update], ["Платежи"]) == (None, None)


def test_causes_in_japanese_agree_by_their_words_though_written_without_spaces() -> None:
    # Each phrase between punctuation was one word: two responders who both said the node pool
    # was too small, in their own words, were two different failures.
    pool_too_small = "ノードプールの上限が低すぎたため、クラスタのノードが不足しました。"
    assert causes_agree(
        pool_too_small,
        "クラスタのノードが足りなくなりました。ノードプールの最大数が小さすぎました。",
        ["auth-api"],
    )
    assert causes_agree(
        "payments-api のデータベース接続プールが枯渇しました (v2.3 のリリース後)。",
        "バッチジョブが接続を保持し続けたため、接続プールが枯渇した。",
        ["payments-api"],
    )
    # Particles and endings ("の", "が", "しました") are in every sentence: not a shared cause.
    assert not causes_agree(pool_too_small, "TLS証明書の有効期限が切れていました。")
    # Nor is one shared word, however many characters it has ("データベース", database).
    assert not causes_agree(
        "データベースの接続プールが枯渇しました。", "データベースのディスクが満杯になりました。"
    )


def test_causes_in_chinese_count_a_shared_word_once() -> None:
    # Bigrams alone made "数据库" (database) two shared terms: any two causes naming it agreed.
    assert causes_agree("数据库连接池耗尽", "批处理任务一直占用连接导致数据库连接池耗尽")
    assert not causes_agree("数据库连接池耗尽", "数据库磁盘已满")
