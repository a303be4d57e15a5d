"""CommonMark to Slack mrkdwn: marks, lists, links, escapes, and the investigation summary's shape."""

from __future__ import annotations

import pytest

from precedent.notify import to_mrkdwn


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and _em_ and *em* and ~~gone~~", "*bold* and _em_ and _em_ and ~gone~"),
        ("[the page](https://p.example/ui?a=1&b=2)", "<https://p.example/ui?a=1&b=2|the page>"),
        ("[**bold link**](https://x.example/a|b)", "<https://x.example/a%7Cb|bold link>"),
        ("use `kubectl get <pod>`", "use `kubectl get &lt;pod&gt;`"),
        ("a & b <!channel> c > d", "a &amp; b &lt;!channel&gt; c &gt; d"),
        (r"payments\_api \*not bold\*", "payments_api *not bold*"),
        ("# Heading", "*Heading*"),
        ("line one\nline two\\\nline three", "line one\nline two\nline three"),
        ("- a\n- b\n  - nested", "• a\n• b\n    • nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("3. third\n4. fourth", "3. third\n4. fourth"),
        ("> quoted\n> more", "> quoted\n> more"),
        ("```\nx = a < b\n```", "```\nx = a &lt; b\n```"),
        ("para one\n\npara two", "para one\npara two"),
    ],
)
def test_commonmark_becomes_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_the_investigation_summary_shape_reads_as_slack_expects() -> None:
    summary = (
        "**INC-20: Checkout failing** (Major)\n\n"
        "**Likely causes**\n"
        "1. A config change to payments\\_api 20 min before (82%)\n"
        "2. Like INC-10 (3 weeks ago) (55%)\n\n"
        "**Precedents**\n"
        "- **INC-10** (3 weeks ago) Pool exhausted: cause: pool halved; fix: rolled back\n\n"
        "**Owners**: checkout: web (on call: Alice) \\\n"
        "**Recent changes**: cfg-118 (20 min before)"
    )
    assert to_mrkdwn(summary).split("\n") == [
        "*INC-20: Checkout failing* (Major)",
        "*Likely causes*",
        "1. A config change to payments_api 20 min before (82%)",
        "2. Like INC-10 (3 weeks ago) (55%)",
        "*Precedents*",
        "• *INC-10* (3 weeks ago) Pool exhausted: cause: pool halved; fix: rolled back",
        "*Owners*: checkout: web (on call: Alice)",
        "*Recent changes*: cfg-118 (20 min before)",
    ]
