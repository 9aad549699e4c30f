"""`pager ack`, `pager res`, `pager list` and `pager stfu`/`pager unstfu`: the open pages, and
quiet for one person (reminders and rotation pings, never pages)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import PageCall
from warroom.app.page_command import PAGER
from warroom.app.page_outcomes import page_deadline
from warroom.commands import types as t
from warroom.core.doc import Doc, Line, Mention, Text, code, line
from warroom.core.incident import IncidentError
from warroom.core.oncall import PageAction, PageStatus
from warroom.core.timeref import format_duration
from warroom.render import paging as words
from warroom.store import paging as store

PAGER_LIST_LIMIT = 30


def update(cmd: t.PagerUpdate, ctx: Ctx) -> None:
    found = store.get_page(cmd.page_id, session=ctx.session)
    if found is None:
        raise IncidentError(f"There is no page #{cmd.page_id}. Open pages: `pager list`.")
    if cmd.team is not None and not _is_target(found, cmd.team):
        raise IncidentError(f"Page #{found.id} is for {found.target}, not {cmd.team}.")
    if found.status in (PageStatus.RESOLVED, PageStatus.FAILED):
        raise IncidentError(f"Page #{found.id} is {found.status.value} already.")
    if found.status is PageStatus.TRIGGERING:  # its outcome would be lost behind the ack
        raise IncidentError(f"Page #{found.id} is still being sent; try again in a moment.")
    if found.status is PageStatus.RETRYING:
        raise IncidentError(
            f"{words.provider_name(found.provider)} has not confirmed page #{found.id} yet, so "
            "there is nothing there to acknowledge or resolve; I keep trying until "
            f"{words.when(page_deadline(ctx.settings, found))}."
        )
    if cmd.action == "acknowledge" and found.status is PageStatus.ACKNOWLEDGED:
        raise IncidentError(f"Page #{found.id} is acknowledged already.")
    action = PageAction.ACKNOWLEDGE if cmd.action == "acknowledge" else PageAction.RESOLVE
    ctx.emit(
        PageCall(found.id, found.provider, action, found.dedup_key, found.summary),
        PAGER,
    )
    verb = "Acknowledging" if action is PageAction.ACKNOWLEDGE else "Resolving"
    ctx.reply(
        Doc.of(
            f"{verb} page #{found.id} ({found.target}) in {words.provider_name(found.provider)}…"
        )
    )


def _is_target(found: store.Page, team: str) -> bool:
    if team in ("imoc", "commanders", "ir"):
        return found.target == "the incident commanders"
    return found.target in (team, f"@{team}")


def list_pages(cmd: t.PagerList, ctx: Ctx) -> None:
    pages = store.open_pages(PAGER_LIST_LIMIT, session=ctx.session)
    if not pages:
        ctx.reply(Doc.of("No open pages."))
        return
    lines: list[Line] = [line(f"📟 {len(pages)} open:")]
    for p in pages:
        where = f"INC-{p.incident_id}, " if p.incident_id else ""
        lines.append(
            line(
                f"#{p.id} {p.target} via {words.provider_name(p.provider)} — ", Text(p.summary),
                f" — {where}{p.status.value}, {format_duration(ctx.now - p.created_at)} ago, by ",
                Mention(p.created_by),
            )
        )  # fmt: skip
    lines.append(
        line(
            "Acknowledge or resolve: ",
            code("pager ack <page>"),
            ", ",
            code("pager res <page>"),
            ".",
        )
    )
    ctx.reply(Doc(tuple(lines)))


def snooze(cmd: t.Snooze, ctx: Ctx) -> None:
    platform, user = ctx.message.platform, ctx.message.user
    if cmd.seconds is None:
        if store.unsnooze(platform, user, session=ctx.session):
            ctx.reply(Doc.of(line("🔔 ", Mention(user), ", I may ping you again.")))
        else:
            ctx.reply(Doc.of(line("🔔 ", Mention(user), ", you were not snoozed.")))
        return
    until = ctx.now + timedelta(seconds=cmd.seconds)
    store.snooze(platform, user, until, session=ctx.session)
    ctx.reply(
        Doc.of(
            line(
                "🤫 ", Mention(user), f", I won't ping you (reminders, rotation pings) until "
                f"{words.when(until)} ({format_duration(until - ctx.now)}). Pages still reach "
                "you. ", code("pager unstfu"), " ends it.",
            )
        )
    )  # fmt: skip


def is_snoozed(platform: str, user: str, *, now: datetime, session: Session) -> bool:
    """For reminders and rotation pings: has this person asked for quiet (`pager stfu`)?"""
    return store.snoozed_until(platform, user, now, session=session) is not None
