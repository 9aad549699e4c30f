"""Status use cases: the report, unresolved incidents, stalking, third parties' statuses.

Checking the sources is I/O, so a command only promises it (a `CheckStatus` effect in the
outbox); the runtime checks and hands the snapshot back to `checked`, which words the answer
and, for stalking, compares with what the stalk saw last, in one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from warroom.app import slo
from warroom.app.context import Ctx
from warroom.app.effects import CheckStatus, Direct, Post
from warroom.commands import types as t
from warroom.core.doc import Doc, line
from warroom.core.incident import Event, EventKind, IncidentError
from warroom.core.status import Component, Health, Snapshot, changes
from warroom.render import status as words
from warroom.store import incidents as repo
from warroom.store import status as store
from warroom.store import timers

STALK = "stalk"
PROVIDER_WINDOW = timedelta(hours=24)
_WORDS = {
    "operational": Health.OPERATIONAL, "ok": Health.OPERATIONAL, "up": Health.OPERATIONAL,
    "resolved": Health.OPERATIONAL, "fine": Health.OPERATIONAL, "normal": Health.OPERATIONAL,
    "degraded": Health.DEGRADED, "slow": Health.DEGRADED,
    "partial": Health.PARTIAL, "partial outage": Health.PARTIAL,
    "down": Health.MAJOR, "outage": Health.MAJOR, "major outage": Health.MAJOR,
    "maintenance": Health.MAINTENANCE,
}  # fmt: skip


def _check(ctx: Ctx, purpose: str) -> None:
    msg = ctx.message
    user = msg.user if msg.is_dm else None
    ctx.emit(CheckStatus(msg.channel, purpose, thread=msg.thread, user=user))


def report(cmd: t.StatusReport, ctx: Ctx) -> None:
    _check(ctx, "report")


def incidents(cmd: t.StatusIncidents, ctx: Ctx) -> None:
    _check(ctx, "incidents")


def stalk(cmd: t.Stalk, ctx: Ctx) -> None:
    msg = ctx.message
    if msg.is_dm:
        raise IncidentError("Stalk the status in a channel, where everyone sees the changes.")
    interval = cmd.interval or ctx.settings.status.stalk_interval
    existing = store.active_stalk(msg.platform, msg.channel, session=ctx.session)
    if existing is not None:
        raise IncidentError(
            f"I'm already stalking the status here every {existing.interval_s}s; "
            "`status unstalk` stops it."
        )
    row = store.add_stalk(
        msg.platform, msg.channel, interval, msg.user, ctx.now, session=ctx.session
    )
    _schedule_poll(ctx, row.id, msg.platform, msg.channel, 1, ctx.now)
    ctx.reply(
        Doc.of(
            f"👀 Stalking the status here every {interval}s: I'll post only what changes. "
            "`status unstalk` stops it."
        )
    )


def unstalk(cmd: t.Unstalk, ctx: Ctx) -> None:
    msg = ctx.message
    row = store.active_stalk(msg.platform, msg.channel, session=ctx.session)
    if row is None:
        raise IncidentError("I'm not stalking the status here.")
    row.stopped_at = ctx.now
    timers.cancel(key_prefix=f"stalk{row.id}#", now=ctx.now, session=ctx.session)
    ctx.reply(Doc.of("🙈 Stopped stalking the status here."))


def provider_status(cmd: t.ProviderStatus, ctx: Ctx) -> None:
    msg = ctx.message
    store.add_provider_status(
        cmd.provider, cmd.status, cmd.feature, msg.user, ctx.now, session=ctx.session
    )
    active = repo.active(session=ctx.session)
    for incident in active:
        text = f"{cmd.status} for {cmd.feature}"
        event = Event(ctx.now, msg.user, EventKind.PROVIDER_STATUS, text, subject=cmd.provider)
        repo.add_event(incident.id, event, session=ctx.session)
    on = f" (on the timeline of {', '.join(f'INC-{i.id}' for i in active)})" if active else ""
    ctx.reply(Doc.of(f"📝 Recorded: {cmd.provider} is {cmd.status} for {cmd.feature}{on}."))


def _schedule_poll(
    ctx: Ctx, stalk_id: int, platform: str, channel: str, n: int, at: datetime
) -> None:
    timers.schedule(
        key=f"stalk{stalk_id}#{n}",
        kind=STALK,
        due_at=at,
        platform=platform,
        channel=channel,
        payload={"stalk": stalk_id, "n": n},
        now=ctx.now,
        session=ctx.session,
    )


def fire_poll(timer: timers.Claimed, ctx: Ctx) -> None:
    """A stalking timer: promise a check, and schedule the next poll."""
    row = store.get_stalk(int(timer.payload["stalk"]), session=ctx.session)
    if row is None or row.stopped_at is not None:
        return
    ctx.emit(CheckStatus(row.channel, "stalk", stalk_id=row.id), row.platform)
    n = int(timer.payload["n"]) + 1
    _schedule_poll(
        ctx, row.id, row.platform, row.channel, n, ctx.now + timedelta(seconds=row.interval_s)
    )


def with_providers(ctx: Ctx, snapshot: Snapshot) -> Snapshot:
    """Third parties' statuses, as people reported them, join the components report."""
    extra = []
    for row in store.recent_provider_statuses(ctx.now, PROVIDER_WINDOW, session=ctx.session):
        health = _WORDS.get(row.status.lower(), Health.DEGRADED)
        extra.append(
            Component(f"{row.provider} ({row.feature})", health, f"reported by @{row.reported_by}")
        )
    return replace(snapshot, components=snapshot.components + tuple(extra))


def configured(ctx: Ctx, snapshot: Snapshot) -> Snapshot:
    """What was asked, from the config: no source means nothing is known, and only
    Statuspage sources report incidents."""
    sources = ctx.settings.status.sources
    pages = tuple(s.name for s in sources if s.kind == "statuspage")
    return replace(snapshot, configured=bool(sources), statuspages=pages)


def checked(effect: CheckStatus, platform: str, snapshot: Snapshot, ctx: Ctx) -> None:
    if effect.purpose.startswith("probe:"):
        return slo.probed(effect.purpose, snapshot, ctx)  # service levels' samples, no answer
    snapshot = with_providers(ctx, configured(ctx, snapshot))
    doc: Doc | None
    if effect.purpose == "stalk":
        row = store.get_stalk(effect.stalk_id or 0, session=ctx.session)
        if row is None or row.stopped_at is not None:
            return
        marks = snapshot.fingerprint()
        before = store.fingerprint(row)
        store.set_fingerprint(row, marks)
        if before is None:
            doc = Doc((line("📡 Stalking; the status now:"), *words.components(snapshot)))
        else:
            diff = changes(before, marks)
            doc = words.changed(diff) if diff else None
    elif effect.purpose == "incidents":
        doc = Doc(tuple(words.unresolved(snapshot)))
    elif effect.purpose == "summary":
        doc = words.summary(snapshot, lead=effect.lead)
    else:
        doc = words.report(snapshot)
    if doc is None:
        return
    if effect.user:
        ctx.emit(Direct(effect.user, doc), platform)
    else:
        ctx.emit(Post(effect.channel, doc, thread=effect.thread), platform)
