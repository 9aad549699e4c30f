"""Service levels for the HTTP API and the dashboard: the figures `slo` and `slo <service>` say
in chat (app/slo.py computes both), with the burn-rate alerts still open. Plain reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warroom.app import slo
from warroom.app.api import NotFound
from warroom.app.service import App
from warroom.core import slo as core
from warroom.render.slo import days, to_csv
from warroom.store import slo as store


class UnknownService(NotFound):
    """A service that is not configured; `services` are those that are."""

    def __init__(self, name: str, services: list[str]) -> None:
        known = ", ".join(services) or "none configured"
        super().__init__(f"I don't know the service `{name[:60]}`. Services: {known}.")
        self.services = services


@dataclass(frozen=True)
class ServiceView:
    """One service's level over its window and its burn-rate alerts still open."""

    level: core.ServiceLevel
    alerts: list[store.OpenAlert]


@dataclass(frozen=True)
class DetailView:
    """`slo <service>`: the level, burn rates, the incidents that spent the budget."""

    detail: core.Detail
    alerts: list[store.OpenAlert]

    @property
    def level(self) -> core.ServiceLevel:
        return self.detail.level


def overview(app: App) -> list[ServiceView]:
    """Every configured service, by name; none configured: an empty list."""
    with app.sessions() as session:
        levels, _ = slo.levels(app.settings, app.clock.now(), session=session)
        alerts = store.all_open_alerts(session=session)
    return [
        ServiceView(level, [a for a in alerts if a.service == level.service]) for level in levels
    ]


def service_detail(app: App, name: str) -> DetailView:
    if name not in app.settings.services:
        raise UnknownService(name, sorted(app.settings.services))
    with app.sessions() as session:
        found = slo.detail(app.settings, name, app.clock.now(), session=session)
        alerts = [a for a in store.all_open_alerts(session=session) if a.service == name]
    return DetailView(found, alerts)


def levels_csv(app: App) -> str:
    """The CSV of `warroom slo --csv`."""
    return to_csv([view.level for view in overview(app)])


def level_json(level: core.ServiceLevel, alerts: list[store.OpenAlert]) -> dict[str, Any]:
    budget = level.budget
    measure = level.measure
    return {
        "service": level.service,
        "objective": level.objective,
        "sla": level.sla,
        "window": days(level.window),
        "window_seconds": int(level.window.total_seconds()),
        "availability": level.availability,
        "state": level.state,
        "budget": None
        if budget is None
        else {
            "minutes": budget.minutes,
            "spent_minutes": budget.spent_minutes,
            "left_minutes": budget.left_minutes,
            "left_percent": budget.left_percent,
        },
        "unknown_minutes": None if measure is None else measure.unknown_minutes,
        "alerts": [{"rule": a.rule, "since": a.since, "burn": a.burn} for a in alerts],
    }


def detail_json(view: DetailView) -> dict[str, Any]:
    found = view.detail
    out = level_json(found.level, view.alerts)
    budget = found.level.budget
    out["sources"] = [
        {
            "source": m.source,
            "availability": m.availability,
            "known_minutes": m.known_minutes,
            "bad_minutes": m.bad_minutes,
            "unknown_minutes": m.unknown_minutes,
        }
        for m in found.level.measures
    ]
    out["burn_rates"] = dict(found.burn)
    out["incidents"] = [
        {
            "id": span.incident_id,
            "summary": span.summary,
            "level": span.level,
            "start": span.start,
            "end": span.end,
            "spent_minutes": spent,
            "budget_percent": 100 * spent / budget.minutes
            if budget is not None and budget.minutes > 0
            else None,
        }
        for span, spent in found.spent
    ]
    return out
