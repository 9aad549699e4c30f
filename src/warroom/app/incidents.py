"""Incident use cases. Each loads state, lets the core decide, saves and emits effects."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from warroom.app import actions, locks, notices, reminders, slo
from warroom.app import severity as severities
from warroom.app.context import Ctx, reply_to
from warroom.app.effects import CheckStatus, Direct, Post, SetTopic, WriteFile
from warroom.commands import types as t
from warroom.commands.help import ID_NOTE
from warroom.core import incident as core
from warroom.core import report as core_report
from warroom.core.doc import ChannelRef, Doc, Mention, Text, line
from warroom.core.incident import Incident, IncidentError
from warroom.core.timeref import format_duration, format_utc, resolve
from warroom.render import incident as words
from warroom.render import report as report_md
from warroom.store import incidents as repo

HISTORY_LIMIT = 20


def _user(ctx: Ctx, user: t.User) -> str:
    """The person a role goes to; one the platform says does not exist (a Slack user ID not in
    the workspace) is refused rather than made IMOC or SRM."""
    if isinstance(user, t.Me):
        return ctx.message.user
    if user in ctx.message.unknown_users:
        raise IncidentError(
            f"I can't find {user} on {ctx.message.platform}: mention someone in this workspace."
        )
    return user


def target(ctx: Ctx, incident_id: int | None) -> Incident:
    """The incident a command is about: the given ID, else the one bound to this channel."""
    if incident_id is not None:
        found = repo.get(incident_id, session=ctx.session)
        if found is None:
            raise IncidentError(f"There is no incident INC-{incident_id}.")
        return found
    if not ctx.message.is_dm:
        bound = repo.active_in(ctx.message.platform, ctx.message.channel, session=ctx.session)
        if bound is not None:
            return bound
    actives = repo.active(session=ctx.session)
    where = "in a DM" if ctx.message.is_dm else "to this channel"
    listing = ", ".join(f"INC-{i.id} (#{i.channel})" for i in actives[:10]) or "none"
    raise IncidentError(f"No incident is bound {where}. {ID_NOTE} Active: {listing}.")


def _only_active_in_dm(ctx: Ctx) -> Incident | None:
    """In a DM, with exactly one active incident: that one (Spy's `incident tldr`)."""
    if not ctx.message.is_dm:
        return None
    actives = repo.active(session=ctx.session)
    return actives[0] if len(actives) == 1 else None


JUST_STOPPED = timedelta(hours=24)  # `incident report` in its channel after the stop


def _just_stopped_here(ctx: Ctx) -> Incident | None:
    """In a channel with no active incident: the one that was bound here and stopped within
    JUST_STOPPED (its report is what people ask for right after `incident stop`)."""
    msg = ctx.message
    if msg.is_dm or repo.active_in(msg.platform, msg.channel, session=ctx.session) is not None:
        return None
    for incident in repo.recent(50, session=ctx.session):
        if (incident.platform, incident.channel) != (msg.platform, msg.channel):
            continue
        stopped = incident.stopped_at
        return incident if stopped is not None and ctx.now - stopped <= JUST_STOPPED else None
    return None


def start(cmd: t.StartIncident, ctx: Ctx) -> None:
    if ctx.message.is_dm:
        raise IncidentError(
            "Start an incident in the channel it should be bound to, e.g. #war-room."
        )
    bound = repo.active_in(ctx.message.platform, ctx.message.channel, session=ctx.session)
    if bound is not None:
        raise IncidentError(
            f"INC-{bound.id} ({bound.summary}) is already bound to this channel. "
            "Stop it first, or start the new one in another channel."
        )
    open_incident(
        ctx, channel=ctx.message.channel, summary=cmd.summary, imoc=_user(ctx, cmd.imoc),
        severity=cmd.severity, services=cmd.services,
    )  # fmt: skip


def open_incident(
    ctx: Ctx,
    *,
    channel: str,
    summary: str,
    imoc: str,
    severity: str | None = None,
    services: tuple[str, ...] = (),
) -> Incident:
    """Start an incident bound to `channel` (on the sender's platform), announce it there and
    set the topic. `incident start` and `!ir page` (with its war room) both start this way."""
    new, event = core.start(
        platform=ctx.message.platform,
        channel=channel,
        summary=summary,
        imoc=imoc,
        reporter=ctx.message.user,
        now=ctx.now,
    )
    try:
        new = repo.add(new, session=ctx.session)
    except IntegrityError:  # another replica bound this channel a moment ago
        raise IncidentError("An incident was just bound to this channel by someone else.") from None
    repo.add_event(new.id, event, session=ctx.session)
    new = severities.opened(ctx, new, severity=severity, services=services)
    ctx.emit(Post(new.channel, words.started(new)))
    ctx.emit(SetTopic(new.channel, words.topic(new)))
    reminders.on_start(ctx, new)
    _status_summary(ctx, new)
    locks.on_start(ctx, new)
    severities.apply_rules(ctx, new)
    return new


def rebind(cmd: t.Rebind, ctx: Ctx) -> None:
    old = target(ctx, cmd.incident_id)
    other = repo.active_in(old.platform, cmd.channel, session=ctx.session)
    if other is not None and other.id != old.id:
        raise IncidentError(f"INC-{other.id} is already bound to #{cmd.channel}.")
    new, event = core.rebind(old, channel=cmd.channel, actor=ctx.message.user, now=ctx.now)
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    moved = Doc.of(line(f"🔀 {words.inc(new)} was rebound to ", ChannelRef(new.channel), "."))
    # "Rebound" once the new channel took the incident's first post: a channel the bot cannot
    # post in gets the platform's refusal (how to invite the bot) and no confirmation.
    arrived = Post(new.channel, words.started_here(new), then=Post(old.channel, moved))
    ctx.emit(arrived, new.platform)
    ctx.emit(SetTopic(new.channel, words.topic(new)), new.platform)
    ctx.emit(SetTopic(old.channel, None), old.platform)


def set_imoc(cmd: t.SetImoc, ctx: Ctx) -> None:
    old = target(ctx, cmd.incident_id)
    user = _user(ctx, cmd.user)
    new, event = core.assign_imoc(
        old, user=user, actor=ctx.message.user, now=ctx.now, handoff=cmd.handoff
    )
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    if cmd.handoff:
        said = words.handed_off(new, actor=ctx.message.user, previous=old.imoc)
    else:
        said = line("👑 ", Mention(user), f" is now the IMOC of {words.inc(new)}.")
    _to_incident(ctx, new, Doc.of(said))
    ctx.emit(SetTopic(new.channel, words.topic(new)), new.platform)


def set_srm(cmd: t.SetSrm, ctx: Ctx) -> None:
    old = target(ctx, cmd.incident_id)
    user = _user(ctx, cmd.user)
    new, event = core.assign_srm(old, user=user, actor=ctx.message.user, now=ctx.now)
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    _to_incident(ctx, new, Doc.of(line("🎧 ", Mention(user), f" is the SRM of {words.inc(new)}.")))


def milestone(cmd: t.Milestone, ctx: Ctx) -> None:
    old = target(ctx, cmd.incident_id)
    at = resolve(cmd.when, ctx.now)
    if cmd.kind == "failures_started":
        new, event = core.mark_failures_started(old, at=at, actor=ctx.message.user, now=ctx.now)
        said = f"📉 Failures started at {format_utc(at)} ({words.inc(new)})."
    else:
        new, event = core.mark_mitigated(old, at=at, actor=ctx.message.user, now=ctx.now)
        said = f"📈 Failures mitigated at {format_utc(at)} ({words.inc(new)})."
        if new.failures_started_at:
            said += f" Time to mitigate: {format_duration(at - new.failures_started_at)}."
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    ctx.reply(Doc.of(said))


def note(cmd: t.Note, ctx: Ctx) -> None:
    found = target(ctx, cmd.incident_id)
    event = core.add_note(found, text=cmd.text, actor=ctx.message.user, now=ctx.now)
    repo.add_event(found.id, event, session=ctx.session)
    ctx.reply(Doc.of(f"📝 Noted on {words.inc(found)}."))


def tldr(cmd: t.Tldr, ctx: Ctx) -> None:
    found = _only_active_in_dm(ctx) if cmd.incident_id is None else None
    found = found or target(ctx, cmd.incident_id)
    ctx.reply(words.tldr(found, repo.timeline(found.id, session=ctx.session), ctx.now))


def tell(cmd: t.Tell, ctx: Ctx) -> None:
    team = ctx.settings.teams.get(cmd.team)
    if team is None:
        known = ", ".join(sorted(ctx.settings.teams)) or "none configured"
        raise IncidentError(f"I don't know the team `{cmd.team}`. Teams: {known}.")
    found = target(ctx, cmd.incident_id)
    event = core.tell(
        found, team=cmd.team, message=cmd.message, actor=ctx.message.user, now=ctx.now
    )
    repo.add_event(found.id, event, session=ctx.session)
    told = Doc.of(
        line(
            "📣 ", Mention(ctx.message.user), f" from {words.inc(found)} (", Text(found.summary),
            ") in ", ChannelRef(found.channel), ": ", Text(cmd.message),
        )
    )  # fmt: skip
    # Confirmed once the team's channel took it: a bot that is not in there says so, only.
    confirm = reply_to(
        ctx.message, Doc.of(line(f"📣 Told {cmd.team} in ", ChannelRef(team.channel), "."))
    )
    assert isinstance(confirm.effect, Post | Direct)
    ctx.emit(Post(team.channel, told, then=confirm.effect), found.platform)


def stop(cmd: t.Stop, ctx: Ctx) -> None:
    old = target(ctx, cmd.incident_id)
    new, event = core.stop(old, actor=ctx.message.user, now=ctx.now)
    repo.save(new, session=ctx.session)
    repo.add_event(new.id, event, session=ctx.session)
    path = _write_report(ctx, new)
    _to_incident(ctx, new, words.stopped(new, path))
    ctx.emit(SetTopic(new.channel, None), new.platform)
    notices.closed(ctx, new)
    reminders.on_stop(ctx, new)
    actions.on_stop(ctx, new)
    _status_summary(ctx, new)
    locks.on_stop(ctx, new)


def report(cmd: t.Report, ctx: Ctx) -> None:
    found = _just_stopped_here(ctx) if cmd.incident_id is None else None
    found = found or target(ctx, cmd.incident_id)
    path = _write_report(ctx, found)
    markdown = repo.stored_report(found.id, session=ctx.session) or ""
    ctx.reply(Doc.of(line(f"Report of {words.inc(found)} ({path}):"), *markdown.splitlines()))


def list_incidents(cmd: t.ListIncidents, ctx: Ctx) -> None:
    if cmd.all:
        found = repo.recent(HISTORY_LIMIT, session=ctx.session)
    else:
        found = repo.active(session=ctx.session)
    ctx.reply(words.incident_list(found, ctx.now, history=cmd.all))


def report_markdown(ctx: Ctx, incident: Incident) -> str:
    """The service-disruption report from the data as it is at `ctx.now`: the timeline, what
    the incident spent of each impacted service's error budget, its action items. Chat, the
    API and the dashboard all word it here."""
    events = repo.timeline(incident.id, session=ctx.session)
    return report_md.markdown(
        core_report.build(incident, events, ctx.now),
        impact=slo.report_lines(ctx, incident),
        actions=actions.report_lines(incident.id, session=ctx.session),
    )


def _write_report(ctx: Ctx, incident: Incident) -> str:
    """Build the report from stored data, store it, and promise the file."""
    markdown = report_markdown(ctx, incident)
    repo.save_report(incident.id, markdown, ctx.now, session=ctx.session)
    path = ctx.settings.reports.resolved_dir() / report_filename(incident)
    ctx.emit(WriteFile(str(path), markdown), "files")
    return str(path)


def report_filename(incident: Incident) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", incident.summary.lower()).strip("-")[:50] or "incident"
    return f"{incident.started_at:%Y-%m-%d}-inc-{incident.id}-{slug}.md"


def _status_summary(ctx: Ctx, incident: Incident) -> None:
    """Spy posted the status page summary when an incident started and stopped."""
    status = ctx.settings.status
    if status.on_start_stop and status.sources:
        ctx.emit(CheckStatus(incident.channel, "summary"), incident.platform)


def _to_incident(ctx: Ctx, incident: Incident, doc: Doc) -> None:
    """Tell the incident channel; also answer the sender if they typed elsewhere."""
    ctx.emit(Post(incident.channel, doc), incident.platform)
    elsewhere = ctx.message.is_dm or ctx.message.channel != incident.channel
    if elsewhere or ctx.message.platform != incident.platform:
        ctx.reply(doc)
