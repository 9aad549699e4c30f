"""Reminders: scheduled as timers when an incident starts, fired through the same app path."""

from __future__ import annotations

from typing import Any

from warroom.app.context import Ctx
from warroom.app.effects import CheckStatus, Post
from warroom.core import reminder
from warroom.core.incident import Event, EventKind, Incident
from warroom.render import reminder as words
from warroom.store import incidents as repo
from warroom.store import paging as store_paging
from warroom.store import timers
from warroom.store.timers import Claimed

KIND = "reminder"


def _payload(rule: reminder.Rule, occurrence: int) -> dict[str, Any]:
    return {
        "command": rule.command,
        "message": rule.message,
        "team": rule.team,
        "every": rule.every,
        "at_stop": rule.at_stop,
        "index": rule.index,
        "occurrence": occurrence,
    }


def _rule(payload: dict[str, Any]) -> reminder.Rule:
    return reminder.Rule(
        index=payload["index"],
        command=payload["command"],
        every=payload["every"],
        message=payload["message"],
        team=payload["team"],
    )


def _timer(incident: Incident, due: reminder.Due, rule: reminder.Rule, n: int) -> timers.NewTimer:
    return timers.NewTimer(
        key=f"inc{incident.id}:{due.key}",
        kind=KIND,
        due_at=due.at,
        platform=incident.platform,
        incident_id=incident.id,
        payload={**_payload(rule, n), "stop": due.key.endswith("@stop")},
    )


def on_start(ctx: Ctx, incident: Incident) -> None:
    rules = {r.index: r for r in ctx.settings.reminder_rules()}
    new = [
        _timer(incident, due, rules[due.rule], 1)
        for due in reminder.on_start(list(rules.values()), incident.started_at)
    ]
    timers.schedule_many(new, now=ctx.now, session=ctx.session)


def on_stop(ctx: Ctx, incident: Incident) -> None:
    """Cancel what was pending; the `stop` reminders come due now."""
    assert incident.stopped_at is not None
    timers.cancel(incident_id=incident.id, now=ctx.now, session=ctx.session)
    rules = {r.index: r for r in ctx.settings.reminder_rules()}
    new = [
        _timer(incident, due, rules[due.rule], 1)
        for due in reminder.on_stop(list(rules.values()), incident.stopped_at)
    ]
    timers.schedule_many(new, now=ctx.now, session=ctx.session)


def snoozed(ctx: Ctx, platform: str, user: str | None) -> bool:
    """Has `user` asked not to be pinged (`pager stfu`)? Then reminders name them without a ping."""
    if user is None:
        return False
    return store_paging.snoozed_until(platform, user, ctx.now, session=ctx.session) is not None


def fire(timer: Claimed, ctx: Ctx) -> None:
    incident = ctx.incident(timer.incident_id or 0)
    if incident is None:
        return
    at_stop = bool(timer.payload.get("stop"))
    if incident.active == at_stop:
        return  # a start reminder after stop, or a stop reminder of an incident restarted
    rule = _rule(timer.payload)
    if not _applies(ctx, incident.severity, rule.command):
        return  # the incident's severity leaves this reminder out
    platform = incident.platform
    what = rule.command
    team = None
    if rule.command in ("notify_support", "notify_imoc_team"):
        # The reminder says what it did: a team that is not configured was not told.
        team = ctx.settings.teams.get(words.team_name(rule))
        if team is not None:
            what += f" (told #{team.channel})"
        else:
            what += f" (no `{words.team_name(rule)}` team configured: nobody was told)"
    team_channel = team.channel if team is not None else None
    doc = words.in_channel(
        rule,
        incident,
        ctx.now,
        imoc_snoozed=snoozed(ctx, incident.platform, incident.imoc),
        srm_snoozed=snoozed(ctx, incident.platform, incident.srm),
        team_channel=team_channel,
    )
    if rule.command == "check_status_page":
        ctx.emit(CheckStatus(incident.channel, "summary", lead=doc), platform)
    else:
        ctx.emit(Post(incident.channel, doc), platform)
    if team is not None:
        ctx.emit(Post(team.channel, words.to_team(rule, incident, ctx.now)), platform)
    event = Event(ctx.now, ctx.settings.bot.name, EventKind.REMINDER, what, subject=rule.message)
    repo.add_event(incident.id, event, session=ctx.session)
    occurrence = int(timer.payload.get("occurrence", 1))
    following = reminder.next_repeat(rule, incident.started_at, occurrence)
    if following is not None and incident.active:
        timers.schedule_many(
            [_timer(incident, following, rule, occurrence + 1)], now=ctx.now, session=ctx.session
        )


def _applies(ctx: Ctx, severity: str | None, command: str) -> bool:
    """Whether a reminder applies to an incident of `severity` (`severities.levels[].reminders`;
    an incident without a severity, or a level without the list, gets every reminder)."""
    for level in ctx.settings.severities.levels:
        if level.name == severity:
            return level.reminders is None or command in level.reminders
    return True
