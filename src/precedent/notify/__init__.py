"""Notifications out of Precedent: investigations posted to the incident's Slack channel.

Built by the runtime from settings (this package reads none) and handed to the webhook worker's
investigation builder, which calls it after each investigation is stored (and lists it in the map
first, ``notify/unpublished.py``, so a stop before it is posted loses no message). ``CitationEdits``
posts what a stopped process left unpublished (finding, by its metadata, a message it posted but
never recorded: ``notify/history.py``) and edits the messages that name an incident made private
since they were posted. The Slack app's scopes: docs/slack.md.
"""

from precedent.notify.blocks import SlackMessage, investigation_message
from precedent.notify.client import SLACK_API_URL, slack_client
from precedent.notify.made_private import CitationEdits
from precedent.notify.mrkdwn import escape_mrkdwn, to_mrkdwn
from precedent.notify.records import MessageRecord, MessageRecords
from precedent.notify.slack import SlackNotifier

__all__ = [
    "SLACK_API_URL",
    "CitationEdits",
    "MessageRecord",
    "MessageRecords",
    "SlackMessage",
    "SlackNotifier",
    "escape_mrkdwn",
    "investigation_message",
    "slack_client",
    "to_mrkdwn",
]
