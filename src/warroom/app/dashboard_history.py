"""The dashboard's history page: incidents filtered by text, team, dates and duration, as a
page or as CSV. Read-only, like the rest of app/dashboard.py."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from warroom.app import api
from warroom.app.service import App
from warroom.core.incident import Incident
from warroom.store import incidents as repo
from warroom.store.tables import EventRow, IncidentRow


def team_of(app: App, channel: str) -> str | None:
    for name, team in app.settings.teams.items():
        if team.channel == channel:
            return name
    return None


# History -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    text: str = ""
    team: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None


@dataclass(frozen=True)
class HistoryPage:
    incidents: list[Incident]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(app: App, f: Filters) -> Any:
    query = select(IncidentRow)
    if f.text:
        word = f.text.lower()  # LIKE's % and _ in it are literal (autoescape)
        query = query.where(
            or_(
                func.lower(IncidentRow.summary).contains(word, autoescape=True),
                func.lower(IncidentRow.channel).contains(word, autoescape=True),
                func.lower(IncidentRow.imoc).contains(word, autoescape=True),
                IncidentRow.id.in_(
                    select(EventRow.incident_id).where(
                        func.lower(EventRow.text).contains(word, autoescape=True)
                    )
                ),
            )
        )
    if f.team:
        team = app.settings.teams.get(f.team)
        if team is None:
            known = ", ".join(sorted(app.settings.teams)) or "none configured"
            raise api.Refused(f"I don't know the team `{f.team}`. Teams: {known}.")
        query = query.where(IncidentRow.channel == team.channel)
    if f.since is not None:
        query = query.where(IncidentRow.started_at >= f.since)
    if f.until is not None:
        query = query.where(IncidentRow.started_at < f.until)
    return query


def _duration_ok(incident: Incident, f: Filters, now: datetime) -> bool:
    minutes = duration(incident, now).total_seconds() / 60
    if f.min_minutes is not None and minutes < f.min_minutes:
        return False
    return not (f.max_minutes is not None and minutes > f.max_minutes)


def duration(incident: Incident, now: datetime) -> timedelta:
    return (incident.stopped_at or now) - incident.started_at


def history(app: App, f: Filters, *, page: int, per_page: int = 25) -> HistoryPage:
    """Most recent first. Durations are filtered in Python (the databases differ on interval
    arithmetic); the text and dates narrow the rows first."""
    now = app.clock.now()
    query = _filtered(app, f).order_by(IncidentRow.id.desc())
    with app.sessions() as session:
        if f.min_minutes is None and f.max_minutes is None:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
            found = [repo._to_core(r) for r in rows]
            return HistoryPage(found, total, page, per_page)
        every = [repo._to_core(r) for r in session.scalars(query)]
    kept = [i for i in every if _duration_ok(i, f, now)]
    start = (page - 1) * per_page
    return HistoryPage(kept[start : start + per_page], len(kept), page, per_page)


def history_csv(app: App, f: Filters) -> str:
    now = app.clock.now()
    with app.sessions() as session:
        every = [
            repo._to_core(r)
            for r in session.scalars(_filtered(app, f).order_by(IncidentRow.id.desc()))
        ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "id",
            "summary",
            "team",
            "channel",
            "imoc",
            "srm",
            "started_at",
            "failures_started_at",
            "mitigated_at",
            "stopped_at",
            "duration_s",
        ]
    )
    for i in every:
        if not _duration_ok(i, f, now):
            continue
        writer.writerow(
            [
                f"INC-{i.id}",
                i.summary,
                team_of(app, i.channel) or "",
                i.channel,
                i.imoc,
                i.srm or "",
                _iso(i.started_at),
                _iso(i.failures_started_at),
                _iso(i.mitigated_at),
                _iso(i.stopped_at),
                int(duration(i, now).total_seconds()),
            ]
        )
    return out.getvalue()


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""
