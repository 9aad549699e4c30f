"""The effects themselves: one frozen dataclass per kind, and `Effect`, their union. How each
is stored and applied is its `EffectSpec` in app/effects.py, which re-exports these."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.core.doc import Doc
from warroom.core.oncall import Contact, PageAction


@dataclass(frozen=True)
class Post:
    channel: str
    doc: Doc
    thread: str | None = None
    only_to: str | None = None
    # Set when the app needs the posted message's ref back (`App.message_posted`): a rotation
    # ping, whose 👀 acknowledges the page.
    ref_key: str | None = None
    # A confirmation, delivered only once this post succeeded ("📣 Told support"): never
    # before, and not at all when the platform refused this post.
    then: Post | Direct | None = None


@dataclass(frozen=True)
class Direct:
    user: str
    doc: Doc


@dataclass(frozen=True)
class SetTopic:
    channel: str
    topic: Doc | None


@dataclass(frozen=True)
class WriteFile:
    path: str
    content: str


@dataclass(frozen=True)
class CheckStatus:
    """Check the status sources, then post to `channel` (or DM `user`) per `purpose`:
    `report` (components), `incidents` (unresolved), `summary` (both, at incident start/stop,
    after `lead`), `stalk` (only what changed since the stalk's last look)."""

    channel: str
    purpose: str
    lead: Doc | None = None
    thread: str | None = None
    user: str | None = None
    stalk_id: int | None = None


@dataclass(frozen=True)
class CreateChannel:
    """A war room; `name` is also its identifier where the platform allows."""

    name: str


@dataclass(frozen=True)
class Invite:
    """Invite `users` (chat handles or IDs) to `channel`; and `emails`, people known only to a
    pager vendor, where the platform can find them by e-mail (`ports.FindsUsers`)."""

    channel: str
    users: tuple[str, ...]
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageCall:
    """Trigger, acknowledge or resolve page `page_id` through `provider` under `key`. Delivered
    off the delivery queue; the outcome goes back through `App.page_outcome`, which schedules
    the next try of a trigger that failed (`attempt` counts them) until `paging.deadline`.
    `war_room`: the channel the paged people should join, when there is one."""

    page_id: int
    provider: str
    action: PageAction
    key: str
    summary: str
    schedules: tuple[str, ...] = ()
    people: tuple[Contact, ...] = ()
    war_room: str | None = None
    attempt: int = 1


@dataclass(frozen=True)
class OpenTicket:
    """Open a tracker issue for `incident_id` (`key`: once per intent); the outcome goes back
    through `App.ticket_outcome`. `retry`: a later try for an action item (app/actions.py),
    whose failure is not told again."""

    incident_id: int
    key: str
    summary: str
    description: str
    reply_platform: str
    reply_channel: str
    retry: bool = False


@dataclass(frozen=True)
class ReadIssues:
    """Read the state of the tracker issues opened for `keys` (action items' `OpenTicket`
    keys); the answer goes back through `App.issues_read`, which closes (or reopens) the
    action items whose issues were done (or reopened) in the tracker."""

    keys: tuple[str, ...]


@dataclass(frozen=True)
class PickResponder:
    """Find who to ping for step `step` of rotation page `page_id`: presence is I/O, so the
    runtime asks it for the head of the queue, then `App.rotation_presence` picks and pings."""

    page_id: int
    step: int


@dataclass(frozen=True)
class RunPlugin:
    """Run plugin `plugin` with `document` (JSON) on its stdin: a command someone typed
    (`user` in `channel`, answered there) or an event (`user` None). Background work; the
    outcome goes back through the plugin host (plugins/host.py), which records it and marks
    this row delivered in one transaction. `key` is the idempotency key the document carries."""

    plugin: str
    key: str
    document: str
    channel: str | None = None
    thread: str | None = None
    user: str | None = None
    is_dm: bool = False
    incident_id: int | None = None
    ref: str | None = None  # the command's message: a thread starts on it


Effect = (
    Post
    | Direct
    | SetTopic
    | WriteFile
    | CheckStatus
    | CreateChannel
    | Invite
    | PageCall
    | OpenTicket
    | ReadIssues
    | PickResponder
    | RunPlugin
)
