"""Slack's refusals as a `ChatError`: a message for the people in the channel, a fix for the log."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from warroom.ports import ChatDelayed, ChatError
from warroom.render import slack as render

_ERRORS: dict[str, tuple[str, str]] = {
    "channel_not_found": (
        "I can't find {where}, or can't see it (a private channel I am not in).",
        "check the channel name or ID (configuration, command), or invite the bot to the "
        "private channel",
    ),
    "not_in_channel": (
        "I am not a member of {where}. Invite me there with `/invite @{bot}`.",
        "invite the bot to {where} (/invite @{bot})",
    ),
    "is_archived": (
        "{where} is archived, so I can't act there.",
        "unarchive {where}, or point the incident or team at another channel",
    ),
    "missing_scope": (
        "My Slack app lacks the permission `{needed}` for this; ask whoever runs me to add it.",
        "add the OAuth scope `{needed}` to the Slack app (see manifest.yml) and reinstall it",
    ),
    "not_authed": ("My Slack token is missing.", "set SLACK_BOT_TOKEN"),
    "invalid_auth": ("My Slack token is not valid.", "check SLACK_BOT_TOKEN (xoxb-...)"),
    "account_inactive": ("My Slack token was revoked.", "reinstall the app and update the token"),
    # Said after minutes of waiting out 429s (client.RATE_LIMIT_PATIENCE). What the bot had
    # to say is in the outbox, which the sweep posts later: "delayed", never "try again".
    "ratelimited": (
        "Slack has been rate limiting me for minutes, so what I had to say in {where} is "
        "delayed; I keep trying.",
        "wait; lower the load (posts per channel: slack.posts_per_second)",
    ),
}


def names_where(exc: SlackApiError) -> bool:
    """Whether the message for this refusal names the channel (worth looking its name up)."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    said, fix = _ERRORS.get(str(data.get("error") or ""), ("", ""))
    return not said or "{where}" in said + fix


def chat_error(method: str, exc: SlackApiError, *, where: str, bot: str) -> ChatError:
    """A Slack refusal as a message for users and a fix for the operator's log."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = str(data.get("error") or "unknown_error")
    needed = str(data.get("needed") or "?")
    said, fix = _ERRORS.get(
        error, (f"Slack refused `{method}` ({error}).", f"see Slack's documentation of {method}")
    )
    values = {"where": where, "bot": bot, "needed": needed}
    message = said.format(**values)
    message = message[:1].upper() + message[1:]
    fix = f"{method}: {error}: " + fix.format(**values)
    if error == "ratelimited":
        unsent = (
            f"Slack has been rate limiting me for minutes, so what I had to say in {where} was "
            "not sent; ask me again in a minute."
        )
        return ChatDelayed(message, unsent=unsent, fix=fix)
    return ChatError(message, fix=fix)


def where(channel: str) -> str:
    """A channel as plain words: the message is escaped like any text."""
    if render.is_user_id(channel):
        return "our DM"
    return f"channel {channel}" if render.is_channel_id(channel) else f"#{channel}"
