"""Severity use cases: set at start or with `incident severity`, on the timeline, shown in the
topic; each severity's rules (page the commanders, lock stacks, notify teams, Spy's
high-impact question) applied once per incident."""

from __future__ import annotations

from datetime import timedelta

from warroom.app import locks, paging, slo
from warroom.app.context import Ctx
from warroom.app.effects import Post, SetTopic
from warroom.commands import slo as cmds
from warroom.commands import types as t
from warroom.core import severity as core
from warroom.core.doc import ChannelRef, Doc, Line, Mention, Text, line
from warroom.core.errors import WarroomError
from warroom.core.incident import Incident
from warroom.core.locks import LockError
from warroom.render import incident as words
from warroom.store import incidents as repo
from warroom.store import timers

ASK = "severity_ask"


def _levels(ctx: Ctx) -> list[core.Severity]:
    return ctx.settings.severities.core()


def level_of(ctx: Ctx, incident: Incident) -> core.Severity | None:
    if incident.severity is None:
        return None
    for level in _levels(ctx):
        if level.name == incident.severity:
            return level
    return None  # dropped from the configuration since: no rules apply


def opened(
    ctx: Ctx, incident: Incident, *, severity: str | None, services: tuple[str, ...]
) -> Incident:
    """`incident start sev1 ... --service checkout`: record both before anything is posted."""
    if severity is not None:
        level = core.find(severity, _levels(ctx))
        incident, event = core.change(incident, severity=level, actor=ctx.message.user, now=ctx.now)
        repo.save(incident, session=ctx.session)
        repo.add_event(incident.id, event, session=ctx.session)
    for service in services:
        slo.record_impact(ctx, incident, service, "full", ctx.message.user)
    if ctx.settings.severities.ask_unset:
        timers.schedule(
            key=f"inc{incident.id}:ask", kind=ASK, platform=incident.platform,
            due_at=incident.started_at + timedelta(seconds=ctx.settings.severities.ask_after),
            incident_id=incident.id, now=ctx.now, session=ctx.session,
        )  # fmt: skip
    return incident


def fire_ask(timer: timers.Claimed, ctx: Ctx) -> None:
    """Spy's high-impact question, to an incident still unset (or of a severity that asks)."""
    incident = ctx.incident(timer.incident_id or 0)
    if incident is None or not incident.active:
        return
    level = level_of(ctx, incident)
    if level is None or level.ask:
        apply_rules(ctx, incident, ask_unset=True)


def set_severity(cmd: cmds.SetSeverity, ctx: Ctx) -> None:
    from warroom.app.incidents import target  # incidents imports this module

    old = target(ctx, cmd.incident_id)
    level = core.find(cmd.level, _levels(ctx))
    new, event = core.change(old, severity=level, actor=ctx.message.user, now=ctx.now)
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    before = old.severity or "unset"
    doc = Doc.of(
        line(f"🚦 {words.inc(new)} is now {level.name} (was {before}): ", Text(level.meaning))
    )
    ctx.emit(Post(new.channel, doc), new.platform)
    if ctx.message.is_dm or (ctx.message.platform, ctx.message.channel) != (
        new.platform,
        new.channel,
    ):
        ctx.reply(doc)
    ctx.emit(SetTopic(new.channel, words.topic(new)), new.platform)
    apply_rules(ctx, new)


def apply_rules(ctx: Ctx, incident: Incident, *, ask_unset: bool = False) -> None:
    """The rules of the incident's severity not applied yet; each goes on the timeline.
    An unset severity gets the high-impact question only from its reminder (`ask_unset`)."""
    level = level_of(ctx, incident)
    applied = core.applied_rules(repo.timeline(incident.id, session=ctx.session))
    keys = core.to_apply(level, applied, ask_unset=ask_unset)
    said: list[Line] = []
    for key in keys:
        kind, _, arg = key.partition(":")
        text = key
        if kind == "page":
            said += _page_commanders(ctx, incident)
            text = "Paged the commanders"
        elif kind == "lock":
            said.append(_lock(ctx, incident, arg))
            text = f"Locked deploys of {arg}"
        elif kind == "notify":
            said.append(_notify(ctx, incident, arg))
            text = f"Told {arg}"
        elif kind == "ask":
            said.append(line(core.HIGH_IMPACT_QUESTION))
            text = core.HIGH_IMPACT_QUESTION
        event = core.rule_event(key, actor=ctx.settings.bot.name, now=ctx.now, text=text)
        repo.add_event(incident.id, event, session=ctx.session)
    if said:
        ctx.emit(Post(incident.channel, Doc(tuple(said))), incident.platform)


def _page_commanders(ctx: Ctx, incident: Incident) -> list[Line]:
    summary = f"{incident.severity or 'incident'}: {incident.summary}"
    try:
        return paging.page_each(t.PageSomeone("commanders", summary), ctx, incident)
    except WarroomError as exc:
        return [line(f"⚠ Could not page the commanders: {exc}")]


def _lock(ctx: Ctx, incident: Incident, stack: str) -> Line:
    try:
        lock = locks.take(
            ctx, stack=stack, reason=f"INC-{incident.id}: {incident.summary}",
            holder=incident.imoc, incident=incident, platform=incident.platform,
        )  # fmt: skip
    except LockError as exc:
        return line(str(exc))
    return locks.locked_line(lock)


def _notify(ctx: Ctx, incident: Incident, team_name: str) -> Line:
    team = ctx.settings.teams.get(team_name)
    if team is None:
        return line(f"⚠ No `{team_name}` team is configured: nobody was told.")
    told = Doc.of(
        line(
            f"📣 {words.inc(incident)} is {incident.severity}: ", Text(incident.summary),
            " — in ", ChannelRef(incident.channel), ", IMOC ", Mention(incident.imoc),
        )
    )  # fmt: skip
    ctx.emit(Post(team.channel, told), incident.platform)
    return line(f"📣 Told {team_name} in ", ChannelRef(team.channel), ".")
