"""Alerts in: a monitoring system's alert group becomes a page of the team its labels route to
(`alerts.routes`), and for `action: incident` an incident in the team's channel too. One page
per dedup key (Alertmanager's groupKey) however often it is re-sent; `resolved` resolves the
page and notes it on the incident. The page is the `page <team>` use case itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warroom.app import effects as fx
from warroom.app import incidents, oncall, paging
from warroom.app.api import Done, Refused, actor
from warroom.app.context import Ctx
from warroom.app.service import App
from warroom.app.uow import commit_effects
from warroom.commands import types as t
from warroom.config import Settings
from warroom.core.doc import Doc, Text, line
from warroom.core.incident import Event, EventKind, IncidentError
from warroom.core.oncall import OPEN, PENDING
from warroom.ports import ChatMessage
from warroom.store import alerts as store
from warroom.store import incidents as repo
from warroom.store import paging as pages

MAX_TITLE = 300


class RetryLater(Exception):
    """The page is still being sent; the monitoring system should send the resolve again."""


@dataclass(frozen=True)
class AlertIn:
    source: str
    key: str
    status: Literal["firing", "resolved"]
    title: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Route:
    name: str
    team: str
    action: Literal["page", "incident"]


def route_for(settings: Settings, labels: dict[str, str]) -> Route:
    for i, route in enumerate(settings.alerts.routes):
        if all(labels.get(k) == v for k, v in route.match.items()):
            return Route(route.name or f"{route.team}#{i}", route.team, route.action)
    if settings.alerts.default_team:
        return Route("default", settings.alerts.default_team, "page")
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())[:10]) or "no labels"
    raise Refused(f"No route in `alerts.routes` matches {shown}, and `alerts.default_team` "
                  "is not set.")  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    route: str
    result: Literal["paged", "duplicate", "resolved", "ignored"]
    page_id: int | None
    incident_id: int | None
    done: Done


def receive(app: App, alert: AlertIn, *, token: str, platform: str) -> Outcome:
    """One transaction: the alert's row, the page (and incident), their outbox rows."""
    route = route_for(app.settings, alert.labels)
    team = app.settings.teams.get(route.team)
    if team is None:
        raise Refused(f"The route `{route.name}` names the team `{route.team}`, which is not in "
                      "`teams`.")  # fmt: skip
    title = " ".join(alert.title.split())[:MAX_TITLE] or f"alert from {alert.source}"
    who = actor(token)
    msg = ChatMessage(platform=platform, user=who, channel=team.channel, text="")
    try:
        with app.sessions.begin() as session:
            ctx = Ctx(session=session, msg=msg, now=app.clock.now(), settings=app.settings)
            found = store.get(alert.source, alert.key, session=session, lock=True)
            if alert.status == "resolved":
                if found is None or not store.resolve(found.id, ctx.now, session=session):
                    return Outcome(route.name, "ignored", None, None, Done([], []))
                _resolve(ctx, found, title)
                done = Done([], commit_effects(ctx))
                return Outcome(route.name, "resolved", found.page_id, found.incident_id, done)
            if found is not None:
                if not store.refire(found.id, title, ctx.now, session=session):
                    return Outcome(route.name, "duplicate", found.page_id, found.incident_id,
                                   Done([], []))  # fmt: skip
                alert_id = found.id
            else:
                added = store.add(source=alert.source, key=alert.key, route=route.name,
                                     team=route.team, title=title, now=ctx.now,
                                     session=session)  # fmt: skip
                if added is None:  # the same group, sent twice at once
                    return Outcome(route.name, "duplicate", None, None, Done([], []))
                alert_id = added
            incident_id = _incident(ctx, route, team.channel, title)
            paging.page(t.PageSomeone("team", title, name=route.team), ctx)
            page_ids = [d.effect.page_id for d in ctx.effects if isinstance(d.effect, fx.PageCall)]
            page_id = page_ids[0] if page_ids else None
            store.set_links(alert_id, page_id=page_id, incident_id=incident_id, session=session)
            done = Done([], commit_effects(ctx))
            return Outcome(route.name, "paged", page_id, incident_id, done)
    except IncidentError as exc:
        raise Refused(str(exc)) from None


def _incident(ctx: Ctx, route: Route, channel: str, title: str) -> int | None:
    bound = repo.active_in(ctx.message.platform, channel, session=ctx.session)
    if bound is not None or route.action != "incident":
        return bound.id if bound else None
    return incidents.open_incident(ctx, channel=channel, summary=title, imoc=_imoc(ctx, route)).id


def _imoc(ctx: Ctx, route: Route) -> str:
    """The team's on-call person leads until someone takes over; else the alert's sender."""
    teams = oncall.paged_teams(ctx.settings)
    if route.team in teams:
        provider, schedule = teams[route.team]
        people = oncall.on_call(ctx, provider, schedule).people
        if people and people[0].handle:
            return people[0].handle
    return ctx.message.user


def _resolve(ctx: Ctx, found: store.Alert, title: str) -> None:
    page = pages.get_page(found.page_id, session=ctx.session) if found.page_id else None
    if page is not None and page.status in PENDING:
        raise RetryLater(f"Page #{page.id} is still being sent; send the resolve again.")
    if page is not None and page.status in OPEN:  # else someone resolved it (`pager res`)
        paging.update(t.PagerUpdate("resolve", page.id), ctx)
    said = f"✅ Alert resolved: {title}" + (f" (page #{found.page_id})" if found.page_id else "")
    if found.incident_id is not None and repo.get(found.incident_id, session=ctx.session):
        event = Event(ctx.now, ctx.message.user, EventKind.NOTE, said)
        repo.add_event(found.incident_id, event, session=ctx.session)
    ctx.emit(fx.Post(ctx.message.channel, Doc((line(Text(said)),))))
