"""Pre-on-call reminders and handoffs, from the builtin roster's shift schedules.

Before each change of who is on call (a shift handover, an override starting or ending) the
incoming person gets a DM `oncall.pre_shift_notice` ahead; at the change itself an incoming
incident commander gets the handoff summary: open incidents and open pages. Both are durable
timers keyed by (schedule, moment), so each is sent once however often they are scheduled.
Vendors' schedules (PagerDuty, Opsgenie) are left to the vendors' own shift notifications.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.app.context import Ctx
from warroom.app.effects import Direct
from warroom.app.oncall import builtin_schedule
from warroom.core import oncall as core
from warroom.core.doc import ChannelRef, Doc, Line, Mention, Text, code, line
from warroom.core.timeref import format_duration, format_utc
from warroom.store import incidents as repo
from warroom.store import paging as store_paging
from warroom.store import timers
from warroom.store.timers import Claimed

PRESHIFT = "preshift"
# The payload key naming the shift schedule; stored timers keep the name it had before.
SCHEDULE = "rotation"
HANDOFF = "handoff"


def ensure(ctx: Ctx, platform: str) -> None:
    """Make sure every builtin shift schedule has its next pre-shift reminder scheduled."""
    if ctx.settings.oncall.pre_shift_notice <= 0 and not ctx.settings.oncall.handoff_summary:
        return
    for name in ctx.settings.oncall.schedules:
        _schedule_next(ctx, name, platform, after=ctx.now)


def _schedule_next(ctx: Ctx, name: str, platform: str, *, after: datetime) -> None:
    at = core.next_change(builtin_schedule(ctx.settings, name), after)
    lead = timedelta(seconds=ctx.settings.oncall.pre_shift_notice)
    timers.schedule(
        key=f"preshift:{name}:{at.isoformat()}",
        kind=PRESHIFT,
        due_at=max(at - lead, ctx.now),
        platform=platform,
        payload={SCHEDULE: name, "at": at.isoformat()},
        now=ctx.now,
        session=ctx.session,
    )


def _commander_roles(ctx: Ctx, name: str) -> list[str]:
    commanders = ctx.settings.oncall.commanders
    if commanders.provider != "builtin":
        return []
    return [role for role, schedule in commanders.schedules() if schedule == name]


def fire_preshift(timer: Claimed, ctx: Ctx) -> None:
    name = str(timer.payload[SCHEDULE])
    if name not in ctx.settings.oncall.schedules:
        return  # the schedule was removed from the config since
    at = datetime.fromisoformat(str(timer.payload["at"]))
    schedule = builtin_schedule(ctx.settings, name)
    incoming = core.on_call(schedule, at)
    outgoing = core.on_call(schedule, at - timedelta(microseconds=1))
    if incoming is not None and incoming != outgoing:
        if ctx.settings.oncall.pre_shift_notice > 0:
            doc = Doc.of(
                line(
                    f"⏰ You are on call for {name} from {format_utc(at)} "
                    f"(in {format_duration(at - ctx.now)}). ",
                    code("!ir"), " shows who is on call now; ", code("pager stfu"),
                    " does not silence pages.",
                )
            )  # fmt: skip
            ctx.emit(Direct(incoming, doc), timer.platform)
        if ctx.settings.oncall.handoff_summary and _commander_roles(ctx, name):
            timers.schedule(
                key=f"handoff:{name}:{at.isoformat()}",
                kind=HANDOFF,
                due_at=at,
                platform=timer.platform,
                payload={SCHEDULE: name, "at": at.isoformat(), "to": incoming},
                now=ctx.now,
                session=ctx.session,
            )
    _schedule_next(ctx, name, timer.platform, after=at)


def fire_handoff(timer: Claimed, ctx: Ctx) -> None:
    name = str(timer.payload[SCHEDULE])
    roles = " and ".join(_commander_roles(ctx, name)) or "incident"
    lines: list[Line] = [line(f"🤝 Handoff: you are now the {roles} commander ({name}).")]
    active = repo.active(session=ctx.session)
    if active:
        lines.append(line(f"Open incidents ({len(active)}):"))
        for incident in active:
            lines.append(
                line(
                    f"INC-{incident.id} ", Text(incident.summary), " in ",
                    ChannelRef(incident.channel), ", IMOC ", Mention(incident.imoc),
                    f", for {format_duration(ctx.now - incident.started_at)}",
                )
            )  # fmt: skip
    else:
        lines.append(line("No open incidents."))
    pages = store_paging.open_pages(25, session=ctx.session)
    if pages:
        lines.append(line(f"Open pages ({len(pages)}):"))
        for page in pages:
            lines.append(
                line(f"#{page.id} {page.target} via {page.provider}: ", Text(page.summary),
                     f" ({page.status.value})")
            )  # fmt: skip
    else:
        lines.append(line("No open pages."))
    lines.append(line(code("incident tldr <ID>"), " has the details."))
    ctx.emit(Direct(str(timer.payload["to"]), Doc(tuple(lines))), timer.platform)
