"""What the app needs from the outside world, as small Protocols with keyword-only methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from warroom.core.doc import Doc
from warroom.core.errors import WarroomError
from warroom.core.oncall import Contact
from warroom.core.status import Snapshot
from warroom.core.text import clean


@dataclass(frozen=True)
class ChatMessage:
    """A message as every adapter hands it to the app.

    `user` and `channel` are the platform's own identifiers; `ref` identifies the message
    itself (to thread replies or match reactions); `mentioned` means the adapter found and
    removed a mention of the bot. `event_id` identifies the delivery for de-duplication: a
    platform that re-sends the same event sets the same `event_id`, and the app acts once.
    `user_names`: (user ID, username) of the people mentioned in the text, where the platform
    writes mentions as IDs (Slack's `<@U0ALICE001>` for @alice), so that a name the app looks
    up in the roster (`!ir who <@U0ALICE001>`) can be found.
    """

    platform: str
    user: str
    channel: str
    text: str
    is_dm: bool = False
    mentioned: bool = False
    ref: str | None = None
    thread: str | None = None
    event_id: str | None = None
    user_names: tuple[tuple[str, str], ...] = ()
    # User IDs mentioned in the text that the platform does not know (not in the workspace).
    unknown_users: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every door builds one of these: the one place hostile text is made safe.
        object.__setattr__(self, "text", clean(self.text))


@dataclass(frozen=True)
class Reaction:
    platform: str
    user: str
    channel: str
    emoji: str
    message_ref: str
    event_id: str | None = None


class ChatError(WarroomError):
    """The platform refused an action. `str(exc)` is for the people in chat; `fix` is for the
    operator's log (the missing scope, the invitation to send)."""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


class ChatDelayed(ChatError):
    """The platform keeps refusing for now (rate limits, for minutes): what was committed is
    in the outbox and is sent later. `unsent` says it for an answer that nothing will send
    later (a read-only command's, which has no outbox row)."""

    def __init__(self, message: str, *, unsent: str, fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.unsent = unsent


class ChatGone(ChatError):
    """Nobody is there to read any more (the terminal closed its end of the pipe). Deliveries
    stop without being marked failed: what was not delivered stays in the outbox for the next
    start."""


class Chat(Protocol):
    """One chat platform. Adapters translate; they keep no state the database lacks."""

    platform: str

    async def post(
        self, *, channel: str, doc: Doc, thread: str | None = None, only_to: str | None = None
    ) -> str | None:
        """Post `doc`; `only_to` makes it visible to one user (ephemeral). Returns a ref."""
        ...

    async def direct(self, *, user: str, doc: Doc) -> str | None:
        """A direct message to `user`."""
        ...

    async def set_topic(self, *, channel: str, topic: Doc | None) -> None:
        """Set the channel topic, or clear it with None."""
        ...

    async def create_channel(self, *, name: str) -> str:
        """Create a channel (a war room) named `name`, or find it; returns its identifier."""
        ...

    async def invite(self, *, channel: str, users: list[str]) -> None:
        """Invite `users` to `channel`; people already there are no error."""
        ...


class FindsUsers(Protocol):
    """Optional on a `Chat`: find a person by e-mail (people known only to a pager vendor)."""

    async def find_user(self, *, email: str) -> str | None:
        """The platform's identifier of the person with `email`, or None."""
        ...


class StatusSource(Protocol):
    """Where the components report comes from (health checks, status pages)."""

    async def snapshot(self) -> Snapshot:
        """Check every source; one that fails or hangs is reported as unable to check."""
        ...


class PagerError(WarroomError):
    """A provider refused or failed. `retryable`: a timeout, a 429 or a 5xx, worth another try;
    `retry_after`: the seconds the provider asked us to wait (its Retry-After), when it said.
    The message is for users and never contains a key."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Pager(Protocol):
    """One paging provider (builtin roster, PagerDuty, Opsgenie). `key` is the dedup key: the
    provider folds every call with the same key into one alert."""

    name: str

    async def on_call(self, *, schedule: str) -> list[Contact]:
        """Who is on call for `schedule` now."""
        ...

    async def trigger(
        self,
        *,
        key: str,
        summary: str,
        schedules: list[str],
        people: list[Contact],
        war_room: str | None = None,
    ) -> None:
        """Page `schedules` (or, for a person, `people`) under `key`; `war_room` is the channel
        the paged people should join, when there is one."""
        ...

    async def acknowledge(self, *, key: str) -> None: ...

    async def resolve(self, *, key: str) -> None: ...


@dataclass(frozen=True)
class IssueState:
    """A tracker issue as it is now: its own key (`OPS-12`), its status's name (`Done`,
    `Won't Do`, `In Progress`) and whether that status counts as done (Jira: the status's
    category is `done`)."""

    issue: str
    status: str
    done: bool


class Tracker(Protocol):
    """An issue tracker (Jira). `key` is our intent's key: one issue per key."""

    async def open_issue(self, *, key: str, summary: str, description: str) -> str:
        """Open the issue for `key` unless it exists; returns its link."""
        ...

    async def issue_states(self, *, keys: Sequence[str]) -> dict[str, IssueState]:
        """The state of the issues opened for `keys`, by key; a key whose issue is not found
        (never opened, or deleted) is left out."""
        ...


class Presence(Protocol):
    """Is a person online? The rotation pings only people who are."""

    async def presence(self, *, user: str) -> str:
        """`active` or `away` (anything else counts as away)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
