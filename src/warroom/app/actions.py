"""Follow-up: action items (`incident action ...`, also after stop), their Jira issues, and the
review reminders after `incident stop`."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import OpenTicket, Post
from warroom.commands import slo as cmds
from warroom.core import actions as core
from warroom.core.doc import Doc, Line, Mention, Text, code, line
from warroom.core.incident import Event, EventKind, Incident
from warroom.store import actions as store
from warroom.store import incidents as repo
from warroom.store import timers

REVIEW = "review"
REVIEW_ACTIONS = "review_actions"
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
        ctx.emit(
            OpenTicket(
                incident_id=incident.id,
                key=f"warroom-inc{incident.id}-action{number}",
                summary=f"INC-{incident.id} follow-up: {action.text}"[:250],
                description="\n".join(
                    [
                        action.text,
                        f"Action item {number} of INC-{incident.id} ({incident.summary}).",
                        f"Owner: @{action.owner}" if action.owner else "No owner yet.",
                    ]
                ),
                reply_platform=ctx.message.platform,
                reply_channel=ctx.message.channel,
            ),
            "tracker",
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
    ctx.reply(
        Doc.of(
            line(f"✅ Action item {cmd.number} of INC-{incident.id} is done: ", Text(found.text))
        )
    )


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


def ticket_opened(key: str, link: str, *, session: Session) -> bool:
    """A tracker issue for an action item: link it from the action (and so the report)."""
    match = _TICKET_KEY.match(key)
    if match is None:
        return False
    return store.set_link(int(match[1]), int(match[2]), link, session=session)


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


def _note(ctx: Ctx, incident: Incident, text: str) -> None:
    event = Event(ctx.now, ctx.settings.bot.name, EventKind.REMINDER, text)
    repo.add_event(incident.id, event, session=ctx.session)
