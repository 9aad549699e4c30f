"""What the web dashboard shows: read-only queries, one per page, and its actions, which run the
chat commands' own use cases (app/api.py's `run`) as the person signed in.

Every function opens a plain read session and writes nothing; the web layer only renders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.app import api, oncall
from warroom.app.api_slo import DetailView, ServiceView, levels_csv, overview, service_detail
from warroom.app.dashboard_charts import (
    CHARTS,
    RosterLine,
    RotationView,
    Series,
    charts,
    rotation_view,
    week_of,
)
from warroom.app.dashboard_history import (
    Filters,
    HistoryPage,
    duration,
    history,
    history_csv,
    team_of,
)
from warroom.app.service import App
from warroom.core.actions import Action
from warroom.core.incident import Event, EventKind, Incident
from warroom.core.locks import Lock
from warroom.core.oncall import Contact
from warroom.store import actions as action_store
from warroom.store import incidents as repo
from warroom.store import locks as lock_store
from warroom.store import paging as page_store
from warroom.store import slo as slo_store
from warroom.store.tables import EventRow

__all__ = [
    "CHARTS",
    "DetailView",
    "Filters",
    "HistoryPage",
    "IncidentView",
    "Line",
    "NowView",
    "RosterLine",
    "RotationView",
    "Series",
    "ServiceView",
    "TeamOnCall",
    "act",
    "charts",
    "contacts_of",
    "duration",
    "history",
    "history_csv",
    "incident_view",
    "levels_csv",
    "now_view",
    "overview",
    "report_markdown",
    "rotation_view",
    "service_detail",
    "team_of",
    "timeline_after",
    "unlock",
    "week_of",
]

MILESTONE_KINDS = (EventKind.FAILURES_STARTED, EventKind.MITIGATED)


@dataclass(frozen=True)
class TeamOnCall:
    team: str
    people: list[Contact]
    error: str | None


@dataclass(frozen=True)
class NowView:
    incidents: list[Incident]
    pages: list[page_store.Page]
    locks: list[Lock]
    oncall: list[TeamOnCall]
    now: datetime


@dataclass(frozen=True)
class Line:
    """One timeline event with its row id (the live view asks for what came after an id)."""

    id: int
    event: Event


@dataclass(frozen=True)
class IncidentView:
    """An incident with a window of its timeline: the latest `limit` events, or those before
    an event id (paging back); `earlier` events come before the window."""

    incident: Incident
    lines: list[Line]
    earlier: int
    notes: list[Line]
    locks: list[Lock]
    pages: list[page_store.Page]
    now: datetime
    latest: bool
    severity_meaning: str | None = None
    impacts: list[tuple[str, str]] = field(default_factory=list)  # (service, level)
    actions: list[Action] = field(default_factory=list)

    @property
    def last_id(self) -> int:
        return self.lines[-1].id if self.lines else 0

    @property
    def first_id(self) -> int:
        return self.lines[0].id if self.lines else 0


def _read(app: App) -> Session:
    return app.sessions()


# Now -----------------------------------------------------------------------------------------


def now_view(app: App, *, contacts: bool) -> NowView:
    now = app.clock.now()
    with _read(app) as session:
        active = repo.active(session=session)
        pages = page_store.open_pages(200, session=session)
        held = lock_store.held(session=session)
        teams: list[TeamOnCall] = []
        for team, (provider, schedule) in oncall.paged_teams(app.settings).items():
            answer = oncall.lookup(app.settings, provider, schedule, now=now, session=session)
            people = answer.people if contacts else [_no_phone(c) for c in answer.people]
            teams.append(TeamOnCall(team, people, answer.error))
    return NowView(active, pages, held, teams, now)


def _no_phone(contact: Contact) -> Contact:
    return Contact(name=contact.name, handle=contact.handle, timezone=contact.timezone)


# One incident --------------------------------------------------------------------------------


def incident_view(
    app: App, incident_id: int, *, before: int | None = None, limit: int = 200
) -> IncidentView:
    with _read(app) as session:
        found = repo.get(incident_id, session=session)
        if found is None:
            raise api.NotFound(f"There is no incident INC-{incident_id}.")
        lines = _lines(session, incident_id, after=0, before=before, limit=limit)
        first = lines[0].id if lines else 0
        earlier = (
            session.scalar(
                select(func.count())
                .select_from(EventRow)
                .where(EventRow.incident_id == incident_id, EventRow.id < first)
            )
            if lines
            else 0
        )
        notes = _lines(session, incident_id, after=0, kind=EventKind.NOTE, limit=100)
        held = lock_store.of_incident(incident_id, session=session)
        pages = [
            p for p in page_store.open_pages(200, session=session) if p.incident_id == incident_id
        ]
        impacts = slo_store.impacts_of(incident_id, session=session)
        items = action_store.of_incident(incident_id, session=session)
    return IncidentView(
        found, lines, earlier or 0, notes, held, pages, app.clock.now(), latest=before is None,
        severity_meaning=api.severity_meaning(app.settings, found.severity),
        impacts=impacts, actions=items,
    )  # fmt: skip


def _lines(
    session: Session,
    incident_id: int,
    *,
    after: int,
    before: int | None = None,
    kind: EventKind | None = None,
    limit: int | None = None,
) -> list[Line]:
    """Events after `after` (and before `before`), oldest first; with `limit`, the latest."""
    query = select(
        EventRow.id, EventRow.at, EventRow.actor, EventRow.kind, EventRow.text, EventRow.subject
    ).where(EventRow.incident_id == incident_id, EventRow.id > after)
    if before is not None:
        query = query.where(EventRow.id < before)
    if kind is not None:
        query = query.where(EventRow.kind == kind.value)
    if limit is not None:
        rows = list(session.execute(query.order_by(EventRow.id.desc()).limit(limit)))[::-1]
    else:
        rows = list(session.execute(query.order_by(EventRow.id)))
    return [Line(r[0], Event(r[1], r[2], EventKind(r[3]), r[4], r[5])) for r in rows]


def timeline_after(app: App, incident_id: int, after: int) -> tuple[Incident, list[Line]]:
    """The incident as it is now and the events after `after` (the live timeline's poll)."""
    with _read(app) as session:
        found = repo.get(incident_id, session=session)
        if found is None:
            raise api.NotFound(f"There is no incident INC-{incident_id}.")
        return found, _lines(session, incident_id, after=after)


def report_markdown(app: App, incident_id: int) -> str:
    return api.report(app, incident_id)


# Actions -------------------------------------------------------------------------------------


def act(app: App, command: Any, *, who: str, platform: str) -> api.Done:
    """A button: the chat command's use case, as `who` typed it to the bot in a DM (so the use
    case's answer to them is the response)."""
    return api.run(app, command, token="dashboard", platform=platform, who=who)


def unlock(app: App, *, stack: str, who: str) -> api.Done:
    return api.unlock(app, stack=stack, token="dashboard", who=who)


def contacts_of(pages: Iterable[page_store.Page]) -> list[Contact]:
    return [c for p in pages for c in p.people]
