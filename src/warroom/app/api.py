"""What the HTTP API asks of the app. Writes run the chat commands' own use cases (the same
rules and the same words) with a message from `via API (token NAME)`; what the use case would
answer the sender comes back as the response, the rest goes to the outbox like any command's
effects. Reads are plain queries."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.app import effects as fx
from warroom.app import incidents, oncall
from warroom.app import locks as lock_cases
from warroom.app.context import Ctx
from warroom.app.handlers import handler_for
from warroom.app.service import App
from warroom.app.uow import commit_effects
from warroom.commands.types import UsageError
from warroom.config import Settings
from warroom.core.actions import Action
from warroom.core.doc import Line, render_line, render_plain
from warroom.core.incident import Event, Incident, IncidentError
from warroom.core.locks import Lock
from warroom.core.oncall import Contact
from warroom.ports import ChatMessage
from warroom.render.rotation import stats_csv
from warroom.store import actions as action_store
from warroom.store import incidents as repo
from warroom.store import locks as lock_store
from warroom.store import paging as page_store
from warroom.store import rotation as rotation_store
from warroom.store import slo as slo_store
from warroom.store.tables import IncidentRow


class Refused(Exception):
    """The use case refused (the message its chat command would have answered); nothing saved."""


class NotFound(Exception):
    pass


def actor(token: str) -> str:
    return f"via API (token {token})"


@dataclass(frozen=True)
class Done:
    """A write's answer (the words the chat command would have answered) and its committed
    effects, for the runtime to deliver."""

    said: list[str]
    deliveries: list[fx.Delivery]


def run(
    app: App, command: Any, *, token: str, platform: str, channel: str | None = None,
    who: str | None = None,
) -> Done:  # fmt: skip
    """Run a chat command's use case as `via API (token NAME)` (or `who`: the dashboard's
    signed-in person). With `channel` it runs as if typed there (an incident start); without,
    as a DM, so its answer is the response."""
    who = who or actor(token)
    msg = ChatMessage(
        platform=platform,
        user=who,
        channel=channel or f"@{who}",
        text="",
        is_dm=channel is None,
    )
    handler = handler_for(command)
    try:
        with app.sessions.begin() as session:
            ctx = Ctx(session=session, msg=msg, now=app.clock.now(), settings=app.settings)
            handler(command, ctx)
            said, rest = _split(ctx.effects, who)
            ctx.effects = rest
            return Done(said, commit_effects(ctx))
    except (IncidentError, UsageError) as exc:
        raise Refused(str(exc)) from None


def _split(deliveries: list[fx.Delivery], who: str) -> tuple[list[str], list[fx.Delivery]]:
    said: list[str] = []
    rest: list[fx.Delivery] = []
    for d in deliveries:
        if isinstance(d.effect, fx.Direct) and d.effect.user == who:
            said.append(render_plain(d.effect.doc))
        else:
            rest.append(d)
    return said, rest


def _read(app: App) -> Session:
    return app.sessions()


def incident_json(
    incident: Incident, settings: Settings, impacts: list[tuple[str, str]]
) -> dict[str, Any]:
    """An incident as the API shows it: `impacts` are its (service, level) pairs."""
    return {
        "id": incident.id,
        "status": "active" if incident.active else "stopped",
        "summary": incident.summary,
        "platform": incident.platform,
        "channel": incident.channel,
        "imoc": incident.imoc,
        "srm": incident.srm,
        "reporter": incident.reporter,
        "severity": incident.severity,
        "severity_meaning": severity_meaning(settings, incident.severity),
        "impacts": [{"service": s, "level": level} for s, level in impacts],
        "started_at": incident.started_at,
        "failures_started_at": incident.failures_started_at,
        "mitigated_at": incident.mitigated_at,
        "stopped_at": incident.stopped_at,
    }


def severity_meaning(settings: Settings, severity: str | None) -> str | None:
    """What a severity means, from the configuration (None if unset or no longer configured)."""
    for level in settings.severities.levels:
        if level.name == severity:
            return level.meaning
    return None


def action_json(action: Action) -> dict[str, Any]:
    return {
        "number": action.number,
        "text": action.text,
        "owner": action.owner,
        "open": action.open,
        "done_at": action.done_at,
        "done_by": action.done_by,
        "link": action.link,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "at": event.at,
        "actor": event.actor,
        "kind": str(event.kind),
        "text": event.text,
        "subject": event.subject,
    }


def list_incidents(
    app: App, *, status: str | None, channel: str | None, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """Active first, then the most recent."""
    query = select(IncidentRow)
    if status == "active":
        query = query.where(IncidentRow.stopped_at.is_(None))
    elif status == "stopped":
        query = query.where(IncidentRow.stopped_at.is_not(None))
    if channel:
        query = query.where(IncidentRow.channel == channel)
    if since is not None:
        query = query.where(IncidentRow.started_at >= since)
    query = query.order_by(IncidentRow.stopped_at.is_not(None), IncidentRow.id.desc()).limit(limit)
    with _read(app) as session:
        found = [repo._to_core(row) for row in session.scalars(query)]
        impacts = slo_store.impacts_of_many([i.id for i in found], session=session)
    return [incident_json(i, app.settings, impacts[i.id]) for i in found]


def team_channel(app: App, team: str) -> str:
    found = app.settings.teams.get(team)
    if found is None:
        known = ", ".join(sorted(app.settings.teams)) or "none configured"
        raise Refused(f"I don't know the team `{team}`. Teams: {known}.")
    return found.channel


def one_incident(app: App, incident_id: int) -> dict[str, Any]:
    with _read(app) as session:
        found = repo.get(incident_id, session=session)
        if found is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
        events = repo.timeline(incident_id, session=session)
        held = lock_store.of_incident(incident_id, session=session)
        impacts = slo_store.impacts_of(incident_id, session=session)
        items = action_store.of_incident(incident_id, session=session)
    out = incident_json(found, app.settings, impacts)
    out["timeline"] = [event_json(e) for e in events]
    out["roles"] = {"imoc": found.imoc, "srm": found.srm, "reporter": found.reporter}
    out["milestones"] = {
        "started": found.started_at,
        "failures_started": found.failures_started_at,
        "mitigated": found.mitigated_at,
        "stopped": found.stopped_at,
    }
    out["locks"] = [lock_json(lock) for lock in held]
    out["actions"] = [action_json(a) for a in items]
    return out


def report(app: App, incident_id: int) -> str:
    """The service-disruption report as `incident report` words it (the budget each impacted
    service lost, the action items), from the data as it is now (stored nowhere: a read
    writes nothing)."""
    with _read(app) as session:
        found = repo.get(incident_id, session=session)
        if found is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
        ctx = Ctx(session=session, msg=None, now=app.clock.now(), settings=app.settings)
        return incidents.report_markdown(ctx, found)


def bound_incident(app: App, platform: str, channel: str) -> dict[str, Any] | None:
    with _read(app) as session:
        found = repo.active_in(platform, channel, session=session)
        if found is None:
            return None
        impacts = slo_store.impacts_of(found.id, session=session)
    return incident_json(found, app.settings, impacts)


def rotation_stats(app: App) -> list[dict[str, str]]:
    """The figures of `warroom stats --csv`, as rows."""
    rows = list(csv.DictReader(io.StringIO(stats_csv(app.rotation_stats()))))
    return [dict(r) for r in rows]


def lock_json(lock: Lock) -> dict[str, Any]:
    return {
        "locked": True,
        "stack": lock.stack,
        "by": lock.holder,
        "reason": lock.reason,
        "since": lock.since,
        "incident": lock.incident_id,
    }


def get_lock(app: App, stack: str) -> Lock | None:
    with _read(app) as session:
        return lock_store.get(stack, session=session)


def all_locks(app: App) -> list[Lock]:
    with _read(app) as session:
        return lock_store.held(session=session)


def lock(app: App, *, stack: str, reason: str, token: str, platform: str) -> Done:
    """`shipit lock` through the API; the lock is noted on the incident named or none."""
    try:
        with app.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=app.clock.now(), settings=app.settings)
            taken = lock_cases.take(
                ctx, stack=stack, reason=reason, holder=actor(token), incident=None,
                platform=platform,
            )  # fmt: skip
            return Done([render_plain_line(lock_cases.locked_line(taken))], [])
    except IncidentError as exc:
        raise Refused(str(exc)) from None


def unlock(app: App, *, stack: str, token: str, who: str | None = None) -> Done:
    try:
        with app.sessions.begin() as session:
            ctx = Ctx(session=session, msg=None, now=app.clock.now(), settings=app.settings)
            released = lock_cases.release(ctx, stack=stack, actor=who or actor(token))
            return Done([render_plain_line(lock_cases.unlocked_line(released.stack))], [])
    except IncidentError as exc:
        raise Refused(str(exc)) from None


def render_plain_line(segments: Line) -> str:
    return render_line(segments)


def page_json(page: page_store.Page, *, contacts: bool) -> dict[str, Any]:
    return {
        "id": page.id,
        "incident": page.incident_id,
        "provider": page.provider,
        "target": page.target,
        "summary": page.summary,
        "status": str(page.status.value),
        "created_by": page.created_by,
        "created_at": page.created_at,
        "error": page.error,
        "people": [contact_json(c, phone=contacts) for c in page.people],
    }


def contact_json(contact: Contact, *, phone: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": contact.name, "handle": contact.handle}
    if phone:
        out.update(phone=contact.phone, email=contact.email, timezone=contact.timezone)
    return out


def open_pages(app: App, *, contacts: bool) -> list[dict[str, Any]]:
    with _read(app) as session:
        return [
            page_json(p, contacts=contacts) for p in page_store.open_pages(200, session=session)
        ]


def team_oncall(app: App, *, contacts: bool) -> dict[str, Any]:
    """Who is on call now, per team with a schedule, and the commanders."""
    now = app.clock.now()
    out: dict[str, Any] = {}
    with _read(app) as session:
        for team, (provider, schedule) in oncall.paged_teams(app.settings).items():
            answer = oncall.lookup(app.settings, provider, schedule, now=now, session=session)
            out[team] = {
                "provider": provider,
                "schedule": schedule,
                "people": [contact_json(c, phone=contacts) for c in answer.people],
                "error": answer.error,
            }
    return out


def rotation_queue(app: App, limit: int) -> list[dict[str, Any]]:
    with _read(app) as session:
        return [
            {"handle": m.handle, "name": m.name, "tz": m.tz, "turns": m.turns, "pings": m.pings}
            for m in rotation_store.queue_head(offset=0, limit=limit, session=session)
        ]
