"""What the web dashboard shows: read-only queries, one per page, and its actions, which run the
chat commands' own use cases (app/api.py's `run`) as the person signed in.

Every function opens a plain read session and writes nothing; the web layer only renders."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from warroom.app import api, oncall
from warroom.app import rotation as rotation_cases
from warroom.app.context import Ctx
from warroom.app.service import App
from warroom.core import rotation as core_rotation
from warroom.core.incident import Event, EventKind, Incident
from warroom.core.locks import Lock
from warroom.core.oncall import Contact
from warroom.core.rotation import Member, percentile
from warroom.store import incidents as repo
from warroom.store import locks as lock_store
from warroom.store import paging as page_store
from warroom.store import rotation as rotation_store
from warroom.store.tables import EventRow, IncidentRow, RotationPageRow

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

    @property
    def last_id(self) -> int:
        return self.lines[-1].id if self.lines else 0

    @property
    def first_id(self) -> int:
        return self.lines[0].id if self.lines else 0


def _read(app: App) -> Session:
    return app.sessions()


def team_of(app: App, channel: str) -> str | None:
    for name, team in app.settings.teams.items():
        if team.channel == channel:
            return name
    return None


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
    return IncidentView(
        found, lines, earlier or 0, notes, held, pages, app.clock.now(), latest=before is None
    )


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
    with _read(app) as session:
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
    with _read(app) as session:
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


# Rotation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    member: Member
    why_not: str | None  # holiday, excluded, hours, snoozed; None: may be paged now


@dataclass(frozen=True)
class RotationView:
    queue: list[Member]
    roster: list[RosterLine]
    stats: core_rotation.Stats


def rotation_view(app: App, *, limit: int = 25) -> RotationView:
    now = app.clock.now()
    with _read(app) as session:
        members = rotation_store.members(session=session)
        ctx = Ctx(session=session, msg=None, now=now, settings=app.settings)
        rules = rotation_cases.rules(ctx)
        facts = rotation_store.facts(session=session)
    roster = [RosterLine(m, core_rotation.why_not(m, rules, now)) for m in members]
    return RotationView(core_rotation.queue(members)[:limit], roster, core_rotation.stats(facts))


# Charts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """A chart's numbers: one row per label, one column per name."""

    title: str
    unit: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["label", *self.columns])
        for label, values in self.rows:
            writer.writerow([label, *("" if v is None else _num(v) for v in values)])
        return out.getvalue()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def week_of(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _weeks(first: datetime, last: datetime) -> list[str]:
    """Every ISO week from `first` to `last`, so quiet weeks show as zero."""
    start = first - timedelta(days=first.weekday())
    out: list[str] = []
    at = start
    while at <= last:
        out.append(week_of(at))
        at += timedelta(days=7)
    return out


def _p50_p90(groups: dict[str, list[float]], labels: Sequence[str]) -> tuple[Any, ...]:
    return tuple(
        (label, (percentile(groups.get(label, []), 50), percentile(groups.get(label, []), 90)))
        for label in labels
    )


CHARTS = ("incidents", "mitigate", "acknowledge", "timezones", "pings")


def charts(app: App, *, weeks: int = 26) -> dict[str, Series]:
    """Incidents per week, time to mitigate and time to acknowledge per week (p50, p90),
    acknowledged pages per responder time zone, pings per person."""
    now = app.clock.now()
    since = now - timedelta(weeks=weeks)
    with _read(app) as session:
        rows = session.execute(
            select(
                IncidentRow.started_at, IncidentRow.failures_started_at, IncidentRow.mitigated_at
            ).where(IncidentRow.started_at >= since)
        ).all()
        pages = session.execute(
            select(RotationPageRow.created_at, RotationPageRow.acked_at).where(
                RotationPageRow.created_at >= since
            )
        ).all()
        facts = rotation_store.facts(session=session)
    stats = core_rotation.stats(facts)
    starts = [r[0] for r in rows] + [p[0] for p in pages]
    labels = _weeks(min(starts), now) if starts else [week_of(now)]
    per_week: Counter[str] = Counter(week_of(r[0]) for r in rows)
    mitigate: dict[str, list[float]] = {}
    for started, failures, mitigated in rows:
        if mitigated is not None:
            minutes = (mitigated - (failures or started)).total_seconds() / 60
            mitigate.setdefault(week_of(started), []).append(max(0.0, minutes))
    ack: dict[str, list[float]] = {}
    for created, acked in pages:
        if acked is not None:
            ack.setdefault(week_of(created), []).append((acked - created).total_seconds())
    return {
        "incidents": Series(
            "Incidents per week",
            "incidents",
            ("incidents",),
            tuple((w, (float(per_week.get(w, 0)),)) for w in labels),
        ),
        "mitigate": Series(
            "Time to mitigate (failures started → mitigated)",
            "minutes",
            ("p50", "p90"),
            _p50_p90(mitigate, labels),
        ),
        "acknowledge": Series(
            "Time to acknowledge pages", "seconds", ("p50", "p90"), _p50_p90(ack, labels)
        ),
        "timezones": Series(
            "Acknowledged pages per responder time zone",
            "pages",
            ("pages",),
            tuple((tz, (float(n),)) for tz, n in stats.per_tz),
        ),
        "pings": Series(
            "Pings per person (fairness)",
            "pings",
            ("pings",),
            tuple((who, (float(n),)) for who, n in stats.pings),
        ),
    }


# Actions -------------------------------------------------------------------------------------


def act(app: App, command: Any, *, who: str, platform: str) -> api.Done:
    """A button: the chat command's use case, as `who` typed it to the bot in a DM (so the use
    case's answer to them is the response)."""
    return api.run(app, command, token="dashboard", platform=platform, who=who)


def unlock(app: App, *, stack: str, who: str) -> api.Done:
    return api.unlock(app, stack=stack, token="dashboard", who=who)


def contacts_of(pages: Iterable[page_store.Page]) -> list[Contact]:
    return [c for p in pages for c in p.people]
