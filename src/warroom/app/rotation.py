"""Rotation use cases: `devoncall`, the pick, ACK by reaction, escalation, `top`, `position`.

`devoncall` stores the page and promises a pick (`PickResponder` in the outbox). Presence is
I/O: the runtime asks `candidates` for the queue's head, checks presence outside any
transaction, and hands the answers to `pick`, which claims the step (once, whoever asks
twice), pings, and schedules the escalation timer `rot<page>#<step>` in the same transaction.
An ACK cancels the page's pending timers; the first ACK wins (a conditional UPDATE).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping
from datetime import timedelta

from warroom.app.context import Ctx
from warroom.app.effects import PickResponder, Post
from warroom.app.roster import RulesFiles
from warroom.commands import types as t
from warroom.core import rotation as core
from warroom.core.incident import IncidentError
from warroom.core.rotation import Member
from warroom.ports import Reaction
from warroom.render import rotation as words
from warroom.store import paging as store_paging
from warroom.store import rotation as store
from warroom.store import timers
from warroom.store.tables import RotationPageRow

KIND = "escalation"
# A pick looks this far down the eligible queue for someone online: with the cache warm that is
# cheap; past it (everyone at the head away) the managers are the last resort.
HEAD = 100
REF_KEY = "rotation:"
FILES = RulesFiles()
log = logging.getLogger("warroom.rotation")


def is_snoozed(ctx: Ctx) -> frozenset[str]:
    """Handles (lowercase) snoozed with `pager stfu` now: the rotation does not ping them."""
    return store_paging.snoozed_users(ctx.now, session=ctx.session)


def rules(ctx: Ctx) -> core.Rules:
    cfg = ctx.settings.rotation
    hours = core.WorkingHours.parse(cfg.working_hours) if cfg.working_hours else None
    return core.Rules(
        excluded=FILES.exclusions(cfg.exclusions),
        holidays=FILES.holidays(cfg.holidays),
        working_hours=hours,
        snoozed=is_snoozed(ctx),
    )


def timeline(kind: str, page: RotationPageRow, actor: str, ctx: Ctx, **extra: object) -> None:
    """One row on the page's timeline and one log line (for log-based reporting): the step as
    the message, the page, channel, time and `extra` as fields, one JSON object under
    `--log-format json` (see warroom.logs)."""
    subject = extra.get("user")
    store.add_event(
        page.id,
        kind,
        actor,
        ctx.now,
        subject=str(subject) if subject is not None else None,
        text=str(extra.get("text", "")),
        session=ctx.session,
    )
    fields = {"page": page.id, "channel": page.channel, "at": ctx.now.isoformat()}
    fields.update({k: v for k, v in extra.items() if k != "text"})
    log.info(kind, extra=fields)


# Commands ------------------------------------------------------------------------------------


def devoncall(cmd: t.DevOnCall, ctx: Ctx) -> None:
    msg = ctx.message
    cfg = ctx.settings.rotation
    if msg.is_dm:
        raise IncidentError("Call the rotation from its channel, where everyone sees the ping.")
    if cfg.channels and msg.channel not in cfg.channels:
        where = ", ".join(f"#{c}" for c in cfg.channels)
        raise IncidentError(f"`devoncall` works in the rotation channel: {where}.")
    if not store.has_engineers(session=ctx.session):
        raise IncidentError(
            "The rotation has no engineers yet: `warroom roster import oncall.csv`."
        )
    thread = msg.thread or msg.ref
    page = store.add_page(
        platform=msg.platform,
        channel=msg.channel,
        thread=thread,
        text=cmd.text,
        by=msg.user,
        now=ctx.now,
        session=ctx.session,
    )
    if msg.ref:
        store.add_ref(page.id, msg.platform, msg.ref, session=ctx.session)
    timeline("triggered", page, msg.user, ctx, text=cmd.text)
    ctx.emit(PickResponder(page.id, 1))


def show_roster(cmd: t.ShowRoster, ctx: Ctx) -> None:
    members = store.members(session=ctx.session)
    current = rules(ctx)
    unavailable = {}
    for m in members:
        reason = core.why_not(m, current, ctx.now)
        if reason and reason != "manager":
            unavailable[m.handle.lower()] = reason
    ctx.reply(words.roster(members, unavailable))


def top(cmd: t.Top, ctx: Ctx) -> None:
    ctx.reply(words.queue(core.queue(store.members(session=ctx.session))))


def position(cmd: t.Position, ctx: Ctx) -> None:
    members = store.members(session=ctx.session)
    found = core.position(members, ctx.message.user)
    size = len(core.queue(members))
    ctx.reply(words.position(ctx.message.user, found[0] if found else None, size))


def show_stats(cmd: t.RotationStats, ctx: Ctx) -> None:
    ctx.reply(words.stats(core.stats(store.facts(session=ctx.session))))


# The pick ------------------------------------------------------------------------------------


def candidates(effect: PickResponder, ctx: Ctx) -> list[str]:
    """Handles that may be pinged for this step, in queue order; empty when it is moot."""
    page = store.get_page(effect.page_id, session=ctx.session)
    if page is None or page.acked_at is not None or page.step != effect.step - 1:
        return []
    skip = store.pinged(page.id, session=ctx.session)
    return [m.handle for m in eligible_head(ctx, skip)]


def eligible_head(ctx: Ctx, skip: list[str]) -> list[Member]:
    """The first `HEAD` members who may be pinged."""
    return list(itertools.islice(eligible(ctx, skip), HEAD))


def eligible(ctx: Ctx, skip: list[str]) -> Iterator[Member]:
    """Members who may be pinged, in queue order, read from the queue a page at a time and
    only as far as the caller looks."""
    current = rules(ctx)
    offset = 0
    while offset < HEAD:
        chunk = store.queue_head(offset=offset, limit=HEAD, session=ctx.session)
        yield from core.candidates(chunk, current, ctx.now, skip=skip)
        if len(chunk) < HEAD:
            return
        offset += HEAD


def pick(effect: PickResponder, platform: str, presence: Mapping[str, str], ctx: Ctx) -> None:
    """Ping the first eligible online engineer, or the managers when nobody is online."""
    store.serialise_picks(session=ctx.session)
    page = store.claim_step(effect.page_id, effect.step, session=ctx.session)
    if page is None:
        return  # acknowledged meanwhile, or this step was taken already
    previous = store.pinged(page.id, session=ctx.session)
    chosen = core.pick(eligible(ctx, previous), presence)
    if chosen is None:
        members = store.members(session=ctx.session)
        counts = core.unavailable(members, rules(ctx), ctx.now, presence, skip=previous)
        reason = words.nobody(counts, escalation=bool(previous))
        timeline("nobody online", page, "warroom", ctx, step=effect.step)
        if previous:  # an escalation that found nobody: it goes to the managers
            timeline("escalated", page, "warroom", ctx, step=effect.step, to="managers")
        _managers(page, platform, ctx, reason=reason)
        return
    if previous:
        timeline("escalated", page, "warroom", ctx, user=chosen.handle, step=effect.step)
    store.record_turn(chosen, core.pinged(chosen, ctx.now), ack=False, session=ctx.session)
    page.engineers += 1
    timeline("ping", page, "warroom", ctx, user=chosen.handle, step=effect.step)
    cfg = ctx.settings.rotation
    doc = words.ping(chosen, page.text, step=effect.step, emoji=cfg.ack_emoji, previous=previous)
    ctx.emit(Post(page.channel, doc, thread=page.thread, ref_key=f"{REF_KEY}{page.id}"), platform)
    timers.schedule(
        key=f"rot{page.id}#{effect.step}",
        kind=KIND,
        due_at=ctx.now + timedelta(seconds=cfg.escalate_after),
        platform=platform,
        channel=page.channel,
        payload={"page": page.id, "step": effect.step},
        now=ctx.now,
        session=ctx.session,
    )


def _managers(page: RotationPageRow, platform: str, ctx: Ctx, *, reason: str) -> None:
    cfg = ctx.settings.rotation
    handles = list(dict.fromkeys(cfg.managers))
    known = {h.lower() for h in handles}
    for handle in store.managers(session=ctx.session):
        if handle.lower() not in known:
            handles.append(handle)
    page.managers_at = ctx.now
    timeline("managers", page, "warroom", ctx, text=reason, managers=handles)
    ctx.emit(
        Post(
            page.channel,
            words.managers(handles, reason=reason, text=page.text, emoji=cfg.ack_emoji),
            thread=page.thread,
            ref_key=f"{REF_KEY}{page.id}",
        ),
        platform,
    )


def fire_escalation(timer: timers.Claimed, ctx: Ctx) -> None:
    """No ACK within `rotation.escalate_after`: the next engineer, or the managers."""
    page = store.get_page(int(timer.payload["page"]), session=ctx.session)
    step = int(timer.payload["step"])
    if page is None or page.acked_at is not None or page.step != step:
        return
    if core.next_step(page.engineers, ctx.settings.rotation.max_engineers).managers:
        if store.claim_step(page.id, step + 1, session=ctx.session) is None:
            return
        n = page.engineers
        timeline("escalated", page, "warroom", ctx, step=step + 1, to="managers")
        _managers(page, timer.platform, ctx, reason=words.no_ack(n))
        return
    ctx.emit(PickResponder(page.id, step + 1), timer.platform)


# ACK -----------------------------------------------------------------------------------------


def acknowledge(reaction: Reaction, ctx: Ctx) -> None:
    if reaction.emoji.strip(":") != ctx.settings.rotation.ack_emoji:
        return
    page_id = store.page_for_ref(reaction.platform, reaction.message_ref, session=ctx.session)
    if page_id is None:
        return
    member = store.member(reaction.user, session=ctx.session)
    if member is None:
        return  # only the roster acknowledges
    page = store.get_page(page_id, session=ctx.session)
    if page is None or not store.acknowledge(page_id, member.handle, ctx.now, session=ctx.session):
        return  # acknowledged already: two reactions count once
    timers.cancel(key_prefix=f"rot{page_id}#", now=ctx.now, session=ctx.session)
    pinged = store.pinged(page_id, session=ctx.session)
    was_pinged = member.handle.lower() in {p.lower() for p in pinged}
    if not member.manager:
        after = core.acknowledged(member, ctx.now, was_pinged=was_pinged)
        store.record_turn(member, after, ack=True, session=ctx.session)
    # Late: the reaction is on a ping other than the newest, after escalation moved on.
    late = bool(pinged) and was_pinged and pinged[-1].lower() != member.handle.lower()
    waited = (ctx.now - page.created_at).total_seconds()
    timeline("ack", page, member.handle, ctx, user=member.handle, waited_s=waited, late=late)
    ctx.emit(
        Post(page.channel, words.acked(member.handle, waited, late=late), thread=page.thread),
        page.platform,
    )


def posted(page_id: int, platform: str, ref: str, ctx: Ctx) -> None:
    """A ping was posted: its 👀 acknowledges the page from now on."""
    if store.get_page(page_id, session=ctx.session) is not None:
        store.add_ref(page_id, platform, ref, session=ctx.session)
