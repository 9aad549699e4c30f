"""Service levels: impacts, `slo`, probes sampled on durable timers, burn-rate alerts.

Probing is I/O: a probe timer only promises a status check (`CheckStatus`, purpose
`probe:<every>`), and `probed` records the snapshot's health checks as per-minute counts.
Burn rates are evaluated on their own timer, once a minute; an alert opens once per episode
(`slo_alerts.open_key`) and is resolved when the burn stops.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.app import paging
from warroom.app.context import Ctx
from warroom.app.effects import CheckStatus, Post
from warroom.commands import slo as cmds
from warroom.commands import types as t
from warroom.config import Settings
from warroom.config.services import ServiceSettings
from warroom.core import slo as core
from warroom.core.doc import Doc
from warroom.core.errors import WarroomError
from warroom.core.incident import Event, EventKind, Incident, IncidentError
from warroom.core.status import Health, Snapshot
from warroom.ports import ChatMessage
from warroom.render import slo as words
from warroom.store import incidents as repo
from warroom.store import slo as store
from warroom.store import timers

PROBE = "slo_probe"
BURN = "slo_burn"
BURN_EVERY = timedelta(minutes=1)


def _service(ctx: Ctx, name: str) -> ServiceSettings:
    found = ctx.settings.services.get(name)
    if found is None:
        known = ", ".join(sorted(ctx.settings.services)) or "none configured"
        raise IncidentError(f"I don't know the service `{name}`. Services: {known}.")
    return found


# Impact ----------------------------------------------------------------------------------------


def record_impact(ctx: Ctx, incident: Incident, service: str, level: str, actor: str) -> bool:
    _service(ctx, service)
    if not store.set_impact(incident.id, service, level, ctx.now, session=ctx.session):
        return False
    text = f"Impact on {service}: {level}"
    repo.add_event(
        incident.id, Event(ctx.now, actor, EventKind.IMPACT, text, service), session=ctx.session
    )
    return True


def set_impact(cmd: cmds.SetImpact, ctx: Ctx) -> None:
    from warroom.app.incidents import target  # incidents imports this module

    found = target(ctx, cmd.incident_id)
    if not record_impact(ctx, found, cmd.service, cmd.level, ctx.message.user):
        raise IncidentError(f"INC-{found.id} has {cmd.level} impact on {cmd.service} already.")
    counted = _service(ctx, cmd.service).incidents
    ctx.reply(words.impact_recorded(found.id, cmd.service, cmd.level, counted=counted))


# Levels ----------------------------------------------------------------------------------------


def spans(settings: Settings, service: str, impacts: list[core.ImpactSpan]) -> list[core.Impact]:
    partial = settings.services[service].partial
    return [
        core.Impact(s.incident_id, s.start, s.end, 1.0 if s.level == "full" else partial)
        for s in impacts
        if s.service == service
    ]


def levels(
    settings: Settings, now: datetime, *, session: Session, only: str | None = None
) -> tuple[list[core.ServiceLevel], list[core.ImpactSpan]]:
    """Every configured service (or `only`) over its own window, ending at `now`."""
    names = [only] if only else sorted(settings.services)
    if not names:
        return [], []
    longest = max(settings.services[n].window for n in names)
    since = now - timedelta(seconds=longest)
    impacts = store.impacts_since(names, since, session=session)
    found: list[core.ServiceLevel] = []
    by_window: dict[int, list[str]] = {}
    for name in names:
        if settings.services[name].probes:
            by_window.setdefault(settings.services[name].window, []).append(name)
    counts: dict[str, core.Counts] = {}
    for window, group in by_window.items():
        counts.update(store.counts(group, now - timedelta(seconds=window), now, session=session))
    grouped: dict[str, list[core.ImpactSpan]] = {}
    for span in impacts:
        grouped.setdefault(span.service, []).append(span)
    for name in names:
        service = settings.services[name]
        start = now - timedelta(seconds=service.window)
        mine = grouped.get(name, [])
        measures = measures_of(settings, name, mine, counts.get(name), start, now)
        found.append(
            core.ServiceLevel(
                name, service.objective, service.sla, timedelta(seconds=service.window), measures
            )
        )
    return found, impacts


def measures_of(
    settings: Settings,
    name: str,
    impacts: list[core.ImpactSpan],
    counts: core.Counts | None,
    start: datetime,
    end: datetime,
) -> tuple[core.Measure, ...]:
    service = settings.services[name]
    found: list[core.Measure] = []
    if service.probes:
        span = (end - start).total_seconds() / 60
        found.append(core.probe_measure(counts or core.NO_COUNTS, span_minutes=span))
    if service.incidents:
        found.append(core.incident_measure(spans(settings, name, impacts), start=start, end=end))
    return tuple(found)


def burn_rates(
    settings: Settings, name: str, now: datetime, windows: list[timedelta], *, session: Session
) -> dict[timedelta, float | None]:
    """The service's burn rate over each window ending now (the worse source decides)."""
    service = settings.services[name]
    longest = max(windows)
    impacts = store.impacts_since([name], now - longest, session=session)
    rates: dict[timedelta, float | None] = {}
    for window in windows:
        start = now - window
        counts = None
        if service.probes:
            counts = store.counts([name], start, now, session=session)[name]
        measure = core.worst(list(measures_of(settings, name, impacts, counts, start, now)))
        rates[window] = core.burn_rate(measure, service.objective) if measure else None
    return rates


def detail(settings: Settings, name: str, now: datetime, *, session: Session) -> core.Detail:
    found, impacts = levels(settings, now, session=session, only=name)
    level = found[0]
    start = now - level.window
    partial = settings.services[name].partial
    counted = settings.services[name].incidents
    spent = []
    for span in impacts if counted else []:  # a probes-only service's budget is its probes'
        weight = 1.0 if span.level == "full" else partial
        minutes = core.spent_by(
            core.Impact(span.incident_id, span.start, span.end, weight), start=start, end=now
        )
        if minutes > 0:
            spent.append((span, minutes))
    rates = burn_rates(
        settings, name, now, [timedelta(hours=1), timedelta(hours=6)], session=session
    )
    return core.Detail(
        level,
        spent,
        {"1h": rates[timedelta(hours=1)], "6h": rates[timedelta(hours=6)]},
        counts_incidents=counted,
    )


def show(cmd: cmds.ShowSlo, ctx: Ctx) -> None:
    if not ctx.settings.services:
        raise IncidentError("No services are configured: add `services:` (docs/slo.md).")
    if cmd.service is None:
        found, _ = levels(ctx.settings, ctx.now, session=ctx.session)
        ctx.reply(words.overview(found))
        return
    _service(ctx, cmd.service)
    ctx.reply(words.detail(detail(ctx.settings, cmd.service, ctx.now, session=ctx.session)))


def report_lines(ctx: Ctx, incident: Incident) -> list[str]:
    """What the incident spent of each impacted service's budget, for the report."""
    out = []
    for service, level in store.impacts_of(incident.id, session=ctx.session):
        settings = ctx.settings.services.get(service)
        if settings is None:
            out.append(f"{service}: {level} impact (not a configured service)")
            continue
        if not settings.incidents:
            out.append(words.probes_only_line(service, level))
            continue
        start = incident.failures_started_at or incident.started_at
        end = incident.mitigated_at or incident.stopped_at
        weight = 1.0 if level == "full" else settings.partial
        minutes = core.spent_by(
            core.Impact(incident.id, start, end, weight), start=start, end=end or ctx.now
        )
        budget = (1 - settings.objective / 100) * settings.window / 60
        out.append(words.spent_line(service, level, minutes, budget, settings.objective))
    return out


# Probes ----------------------------------------------------------------------------------------


def ensure(ctx: Ctx, platform: str) -> None:
    """Schedule the next probe of every sampling interval, and the burn-rate check
    (idempotent: keys name the slot)."""
    everies = {s.every for s in ctx.settings.services.values() if s.probes}
    for every in sorted(everies):
        _schedule_probe(ctx, platform, every, ctx.now)
    if ctx.settings.services:
        _schedule_burn(ctx, platform, ctx.now)


def _schedule_probe(ctx: Ctx, platform: str, every: int, after: datetime) -> None:
    timers.schedule_next_slot(
        prefix=f"slo-probe{every}", kind=PROBE, every=every, after=after, platform=platform,
        payload={"every": every}, now=ctx.now, session=ctx.session,
    )  # fmt: skip


def _schedule_burn(ctx: Ctx, platform: str, after: datetime) -> None:
    timers.schedule_next_slot(
        prefix="slo-burn", kind=BURN, every=int(BURN_EVERY.total_seconds()), after=after,
        platform=platform, now=ctx.now, session=ctx.session,
    )  # fmt: skip


def fire_probe(timer: timers.Claimed, ctx: Ctx) -> None:
    every = int(timer.payload["every"])
    if not any(s.every == every and s.probes for s in ctx.settings.services.values()):
        return  # the configuration changed: nothing samples at this interval any more
    ctx.emit(CheckStatus("", f"probe:{every}"), timer.platform)
    _schedule_probe(ctx, timer.platform, every, max(ctx.now, timer.due_at))


def probed(purpose: str, snapshot: Snapshot, ctx: Ctx) -> None:
    """A probe's snapshot: a sample is good when every health check of the service says
    operational (its HTTP status within its timeout). A check that got no answer in time, or
    none at all (`unable to check`: refused, reset, timed out) is a bad sample: the service did
    not answer, as a blackbox probe counts it. A check missing from the snapshot (warroom did
    not probe: no status source) gives no sample: unknown, never good."""
    every = int(purpose.partition(":")[2] or 0)
    health = {c.name: c.health for c in snapshot.components}
    samples: dict[str, tuple[int, int]] = {}
    for name, service in ctx.settings.services.items():
        if service.every != every or not service.probes:
            continue
        seen = [health[p] for p in service.probes if p in health]
        if not seen:
            continue  # nothing probed this time: no sample
        good = all(h is Health.OPERATIONAL for h in seen)
        samples[name] = (1 if good else 0, 1)
    if samples:
        store.record(samples, ctx.now, session=ctx.session)


# Burn-rate alerts ------------------------------------------------------------------------------


def fire_burn(timer: timers.Claimed, ctx: Ctx) -> None:
    _schedule_burn(ctx, timer.platform, max(ctx.now, timer.due_at))
    _forget_old_samples(ctx)
    for name, service in sorted(ctx.settings.services.items()):
        rules = service.rules()
        windows = sorted({w for r in rules for w in (r.long, r.short)})
        if not windows:
            continue
        rates = burn_rates(ctx.settings, name, ctx.now, windows, session=ctx.session)
        firing = {r.name for r in rules if core.firing(r, rates[r.long], rates[r.short])}
        opened = store.open_alerts(name, session=ctx.session)
        started, resolved = core.alert_changes(set(opened), firing)
        for rule in rules:
            if rule.name in started:
                burn = rates[rule.long] or 0.0
                if store.open_alert(name, rule.name, burn, ctx.now, session=ctx.session):
                    _alert(ctx, timer.platform, name, service, rule, burn)
        for rule_name in resolved:
            if store.resolve_alert(name, rule_name, ctx.now, session=ctx.session):
                _resolved(ctx, timer.platform, name, service, rule_name)


def _forget_old_samples(ctx: Ctx) -> None:
    """Probe samples older than every service's window (and a day to spare) are of no use:
    deleted, so storage stays at one window per service, not growing for ever."""
    longest = max((s.window for s in ctx.settings.services.values()), default=0)
    today, _ = store.day_of(ctx.now)
    store.forget_before(today - int(longest // 86400) - 1, session=ctx.session)


def _alert(
    ctx: Ctx, platform: str, name: str, service: ServiceSettings, rule: core.BurnRule, burn: float
) -> None:
    doc = words.burn_alert(name, rule, burn, service.objective)
    team = ctx.settings.teams.get(service.team) if service.team else None
    if team is None:
        return  # no team to tell: `slo` still shows the burn
    ctx.emit(Post(team.channel, doc), platform)
    if rule.action != "page":
        return
    as_bot = ChatMessage(
        platform=platform, user=ctx.settings.bot.name, channel=team.channel, text=""
    )
    paged = replace(ctx, msg=as_bot)  # the same transaction and effects, as the bot
    summary = f"{name} burns its error budget {burn:.1f}× too fast ({rule.name} burn)"
    try:
        team_page = t.PageSomeone("team", summary, name=service.team)
        for said in paging.page_each(team_page, paged, None):
            ctx.emit(Post(team.channel, Doc((said,))), platform)
    except WarroomError as exc:
        ctx.emit(Post(team.channel, Doc.of(f"⚠ Could not page {service.team}: {exc}")), platform)


def _resolved(ctx: Ctx, platform: str, name: str, service: ServiceSettings, rule: str) -> None:
    team = ctx.settings.teams.get(service.team) if service.team else None
    if team is not None:
        ctx.emit(Post(team.channel, words.burn_resolved(name, rule)), platform)
