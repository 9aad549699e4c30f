"""Follow-up: action items (`incident action ...`, also after stop), their Jira issues, and the
review reminders after `incident stop`.

An action item with a Jira issue follows it: every `jira.sync_seconds` a durable timer
(`SYNC`) asks for the issues' states (`ReadIssues`, a background effect); an item whose issue
is done in Jira is done here, and one that Jira closed is open again when its issue reopens.
An item done in chat stays done whatever its issue says (the issue is not changed)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import OpenTicket, Post, ReadIssues
from warroom.commands import slo as cmds
from warroom.core import actions as core
from warroom.core.doc import Doc, Line, Mention, Text, code, line
from warroom.core.incident import Event, EventKind, Incident
from warroom.ports import IssueState
from warroom.store import actions as store
from warroom.store import incidents as repo
from warroom.store import timers
from warroom.telemetry import TRACKER_READS_FAILED

log = logging.getLogger(__name__)

REVIEW = "review"
REVIEW_ACTIONS = "review_actions"
SYNC = "action_sync"
TRACKER = "Jira"  # who closed an item its issue closed (`done_by`), on the timeline too
FOLLOW_CLOSED = timedelta(days=30)  # how long an item Jira closed is watched for a reopen
READ_BATCH = 500  # issues in one `ReadIssues`
FIRST_TRY = timedelta(minutes=5)  # an item's first try to open its issue is over by then
_TICKET_KEY = re.compile(r"^warroom-inc(\d+)-action(\d+)$")


def _target(ctx: Ctx, incident_id: int | None) -> Incident:
    from warroom.app.incidents import target  # incidents imports this module

    return target(ctx, incident_id)


def action_line(action: core.Action) -> Line:
    box = "✅" if not action.open else "☐"
    parts: list[Text | Mention] = [Text(f"{box} {action.number}. "), Text(action.text)]
    if action.owner:
        parts += [Text(" — "), Mention(action.owner)]
    if action.link:
        parts += [Text(f" ({action.link})")]
    return tuple(parts)


def add(cmd: cmds.AddAction, ctx: Ctx) -> None:
    incident = _target(ctx, cmd.incident_id)
    number = store.next_number(incident.id, session=ctx.session)
    action = core.new(
        incident_id=incident.id, number=number, text=cmd.text, owner=cmd.owner,
        actor=ctx.message.user, now=ctx.now,
    )  # fmt: skip
    store.add(action, session=ctx.session)
    text = f"Action item {number}: {action.text}" + (f" (@{action.owner})" if action.owner else "")
    repo.add_event(
        incident.id,
        Event(ctx.now, ctx.message.user, EventKind.ACTION, text, str(number)),
        session=ctx.session,
    )
    ctx.reply(
        Doc((line(f"📌 Action item {number} of INC-{incident.id}: ", *action_line(action)[1:]),))
    )
    if ctx.settings.jira.enabled:
        ticket = _ticket(action, incident, ctx.message.platform, ctx.message.channel)
        ctx.emit(ticket, "tracker")


def _ticket(
    action: core.Action, incident: Incident, platform: str, channel: str, *, retry: bool = False
) -> OpenTicket:
    """The Jira issue of an action item (its key makes every try the same issue)."""
    return OpenTicket(
        incident_id=incident.id,
        key=ticket_key(incident.id, action.number),
        summary=f"INC-{incident.id} follow-up: {action.text}"[:250],
        description="\n".join(
            [
                action.text,
                f"Action item {action.number} of INC-{incident.id} ({incident.summary}).",
                f"Owner: @{action.owner}" if action.owner else "No owner yet.",
            ]
        ),
        reply_platform=platform,
        reply_channel=channel,
        retry=retry,
    )


def done(cmd: cmds.ActionDone, ctx: Ctx) -> None:
    incident = _target(ctx, cmd.incident_id)
    found = core.find(store.of_incident(incident.id, session=ctx.session), incident.id, cmd.number)
    finished = core.done(found, actor=ctx.message.user, now=ctx.now)
    store.mark_done(finished, session=ctx.session)
    repo.add_event(
        incident.id,
        Event(
            ctx.now,
            ctx.message.user,
            EventKind.ACTION,
            f"Action item {cmd.number} done",
            str(cmd.number),
        ),
        session=ctx.session,
    )
    done_line = line(
        f"✅ Action item {cmd.number} of INC-{incident.id} is done: ", Text(found.text)
    )
    if found.link:  # said, so nobody believes the issue was closed too
        ctx.reply(Doc.of(done_line, line("Its Jira issue is unchanged: ", Text(found.link))))
    else:
        ctx.reply(Doc.of(done_line))


def listing(cmd: cmds.ListActions, ctx: Ctx) -> None:
    incident = _target(ctx, cmd.incident_id)
    found = [a for a in store.of_incident(incident.id, session=ctx.session) if a.open]
    if not found:
        ctx.reply(
            Doc.of(
                line(
                    f"No open action items on INC-{incident.id}. Add one: ",
                    code("incident action <text> [@owner]"),
                    ".",
                )
            )
        )
        return
    ctx.reply(
        Doc((line(f"Open action items of INC-{incident.id}:"), *(action_line(a) for a in found)))
    )


def report_lines(incident_id: int, *, session: Session) -> list[str]:
    """The report's action items: `- [ ] text (@owner, link)`."""
    out = []
    for action in store.of_incident(incident_id, session=session):
        box = "[x]" if not action.open else "[ ]"
        extra = ", ".join(
            x for x in (f"@{action.owner}" if action.owner else "", action.link or "") if x
        )
        out.append(f"- {box} {action.number}. {action.text}" + (f" ({extra})" if extra else ""))
    return out


def ticket_key(incident_id: int, number: int) -> str:
    return f"warroom-inc{incident_id}-action{number}"


def _item_of(key: str) -> tuple[int, int] | None:
    """(incident ID, number) of an action item's issue key, else None."""
    match = _TICKET_KEY.match(key)
    return (int(match[1]), int(match[2])) if match else None


def ticket_subject(key: str) -> str | None:
    """`action item 2 of INC-7` for an action item's issue key, else None."""
    item = _item_of(key)
    return f"action item {item[1]} of INC-{item[0]}" if item else None


def ticket_opened(key: str, link: str, *, session: Session) -> bool:
    """A tracker issue for an action item: link it from the action (and so the report)."""
    item = _item_of(key)
    return item is not None and store.set_link(*item, link, session=session)


def on_stop(ctx: Ctx, incident: Incident) -> None:
    """The review reminders: schedule the review after `review.after_stop`, then the action
    items still open after `review.actions_after`."""
    assert incident.stopped_at is not None
    review = ctx.settings.review
    for kind, after in ((REVIEW, review.after_stop), (REVIEW_ACTIONS, review.actions_after)):
        if after > 0:
            timers.schedule(
                key=f"inc{incident.id}:{kind}", kind=kind,
                due_at=incident.stopped_at + timedelta(seconds=after), platform=incident.platform,
                incident_id=incident.id, now=ctx.now, session=ctx.session,
            )  # fmt: skip


def fire_review(timer: timers.Claimed, ctx: Ctx) -> None:
    incident = ctx.incident(timer.incident_id or 0)
    if incident is None or incident.active:
        return
    doc = Doc.of(
        line(
            "📅 ", Mention(incident.imoc), f": INC-{incident.id} (", Text(incident.summary),
            "), is stopped; schedule its review. Record follow-ups with ",
            code("incident action <text> [@owner]"), ".",
        )
    )  # fmt: skip
    ctx.emit(Post(incident.channel, doc), incident.platform)
    _note(ctx, incident, "Asked the IMOC to schedule the review")


def fire_open_actions(timer: timers.Claimed, ctx: Ctx) -> None:
    incident = ctx.incident(timer.incident_id or 0)
    if incident is None or incident.active:
        return
    still = [a for a in store.of_incident(incident.id, session=ctx.session) if a.open]
    if not still:
        return
    doc = Doc(
        (
            line(
                f"📌 Action items of INC-{incident.id} still open (",
                code(f"incident {incident.id} action done N"),
                "):",
            ),
            *(action_line(a) for a in still),
        )
    )
    ctx.emit(Post(incident.channel, doc), incident.platform)
    _note(ctx, incident, f"Listed {len(still)} open action items")


# Reading the issues back ------------------------------------------------------------------------


def _reading_back(ctx: Ctx) -> bool:
    return ctx.settings.jira.enabled and ctx.settings.jira.sync_seconds > 0


def ensure(ctx: Ctx, platform: str) -> None:
    """Schedule the next read of the action items' issues (idempotent: the key names the slot),
    when Jira is configured and `jira.sync_seconds` is not 0."""
    if _reading_back(ctx):
        _schedule_sync(ctx, platform, ctx.now)


def _schedule_sync(ctx: Ctx, platform: str, after: datetime) -> None:
    every = ctx.settings.jira.sync_seconds
    timers.schedule_next_slot(
        prefix=f"action-sync{every}", kind=SYNC, every=every, after=after, platform=platform,
        now=ctx.now, session=ctx.session,
    )  # fmt: skip


def fire_sync(timer: timers.Claimed, ctx: Ctx) -> None:
    if not _reading_back(ctx):
        return  # the configuration changed: nothing is read back any more
    _schedule_sync(ctx, timer.platform, max(ctx.now, timer.due_at))
    _open_missing(ctx)
    followed = store.to_follow(
        closed_by=TRACKER, since=ctx.now - FOLLOW_CLOSED, session=ctx.session
    )
    keys = [ticket_key(a.incident_id, a.number) for a in followed]
    for start in range(0, len(keys), READ_BATCH):
        ctx.emit(ReadIssues(tuple(keys[start : start + READ_BATCH])), "tracker")


def _open_missing(ctx: Ctx) -> None:
    """Open action items of the last `FOLLOW_CLOSED` without an issue (Jira was down or
    refused when they were recorded): tried again, quietly; the link is told when it works.
    Items younger than `FIRST_TRY` are left to their first try (two tries at once could both
    find no issue and both create one)."""
    found = store.unlinked(
        since=ctx.now - FOLLOW_CLOSED, before=ctx.now - FIRST_TRY, session=ctx.session
    )
    for action in found:
        incident = ctx.incident(action.incident_id)
        if incident is not None:
            ticket = _ticket(action, incident, incident.platform, incident.channel, retry=True)
            ctx.emit(ticket, "tracker")


def issues_read(
    effect: ReadIssues, states: Mapping[str, IssueState] | None, error: str | None, ctx: Ctx
) -> None:
    """The items follow their issues: done when the issue is done, open again when an issue
    Jira closed reopens; each change on the timeline and told in the war room. A failed read
    changes nothing (the next one tries again); an issue not found leaves its item as it is."""
    if states is None:
        log.warning("could not read %d Jira issues back: %s", len(effect.keys), error)
        TRACKER_READS_FAILED.inc()
        return
    told: dict[int, list[Line]] = {}
    wanted = {key: item for key in effect.keys if key in states and (item := _item_of(key))}
    items = store.many(wanted.values(), session=ctx.session)  # one query for the read
    for key, item in wanted.items():  # the oldest item first
        state, found = states[key], items.get(item)
        if found is None:
            continue
        if found.open and state.done:
            store.mark_done(core.done(found, actor=TRACKER, now=ctx.now), session=ctx.session)
            what = "done"
        elif not found.open and found.done_by == TRACKER and not state.done:
            store.reopen(found.incident_id, found.number, session=ctx.session)
            what = "open again"
        else:
            continue
        text = f"Action item {found.number} {what} in Jira ({state.issue}: {state.status})"
        event = Event(ctx.now, TRACKER, EventKind.ACTION, text, str(found.number))
        repo.add_event(found.incident_id, event, session=ctx.session)
        mark = "✅" if state.done else "☐"
        told.setdefault(found.incident_id, []).append(
            line(
                f"{mark} Action item {found.number} of INC-{found.incident_id} is {what} in Jira "
                f"({state.issue}: ", Text(state.status), "): ", Text(found.text),
            )
        )  # fmt: skip
    for incident_id, lines in told.items():
        incident = ctx.incident(incident_id)
        if incident is not None:
            ctx.emit(Post(incident.channel, Doc(tuple(lines))), incident.platform)


def _note(ctx: Ctx, incident: Incident, text: str) -> None:
    event = Event(ctx.now, ctx.settings.bot.name, EventKind.REMINDER, text)
    repo.add_event(incident.id, event, session=ctx.session)
