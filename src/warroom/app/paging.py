"""Paging use cases: `!ir page`, `page`, `pager`.

A page is decided here, in the command's transaction: a `pages` row, a timeline event and a
`PageCall` effect in the outbox. The runtime tries the call and reports back through
`page_outcome` (and `page_slow` when the try is slow). A trigger that failed and may work later
is a stored job: a `page_retry` timer (one per page and try, so replicas and restarts fire each
once) whose firing promises the `PageCall` again, with backoff, jitter and the provider's
Retry-After, until the provider confirms or `paging.deadline` passes. The dedup key keeps it one
alert. The first failed or slow try tells the channel at once who to call; then one line says
how it ended. Nothing says "paged" before the provider did.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import CreateChannel, Invite, PageCall, Post
from warroom.app.incidents import open_incident
from warroom.app.oncall import (
    commanders,
    find_person,
    known_people,
    near_people,
    no_commanders,
    on_call,
    paged_teams,
)
from warroom.app.oncall import roster as oncall_roster
from warroom.app.tickets import open_for
from warroom.commands import types as t
from warroom.config import Settings
from warroom.core import oncall as core
from warroom.core.doc import Doc, Line, Mention, Text, code, line
from warroom.core.incident import Event, EventKind, Incident, IncidentError
from warroom.core.oncall import PENDING, Contact, PageAction, PageStatus
from warroom.core.timeref import format_duration
from warroom.render import paging as words
from warroom.store import incidents as repo
from warroom.store import paging as store
from warroom.store import timers
from warroom.store.installation import installation_id
from warroom.telemetry import PAGE_RETRIES, PAGES_GIVEN_UP

log = logging.getLogger(__name__)
PAGER_LIST_LIMIT = 30
RETRY = "page_retry"  # the timer kind of a page's next try
PAGER = "pager"  # the platform page calls are emitted on (they go to a provider, not a chat)


# -- paging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str  # how users read it: "the incident commanders", "datastores", "@alice"
    slug: str  # stable, for the dedup key: commanders, team-datastores, user-alice
    provider: str
    schedules: list[str]
    people: list[Contact]


def _targets(cmd: t.PageSomeone, ctx: Ctx) -> list[Target]:
    if cmd.kind == "commanders":
        found = commanders(ctx)
        if not found:
            raise no_commanders()
        config = ctx.settings.oncall.commanders
        return [
            Target(
                "the incident commanders",
                "commanders",
                config.provider,
                [a.schedule for _, a in found],
                _unique([p for _, a in found for p in a.people]),
            )
        ]
    if cmd.kind == "responders":
        teams = paged_teams(ctx.settings)
        if not teams:
            raise IncidentError("No team has an on-call schedule: set `teams.<name>.schedule`.")
        return [_team_target(ctx, name) for name in teams]
    if cmd.kind == "team":
        assert cmd.name is not None
        return [_team_target(ctx, cmd.name)]
    assert cmd.name is not None
    contact = find_person(ctx, cmd.name)
    if contact.handle is None:  # on call in a vendor, unknown to the chat: no DM can reach them
        raise IncidentError(
            f"{words.who_is(contact)} has no chat handle I know, so I cannot page them myself: "
            "page their team (`page <team> …`), or add them to `oncall.people`."
        )
    handle = contact.handle
    return [Target(f"@{handle}", f"user-{handle}", "builtin", [], [contact])]


def _team_target(ctx: Ctx, name: str) -> Target:
    teams = paged_teams(ctx.settings)
    if name not in teams:
        near = near_people(known_people(ctx), name)
        if near:  # `page alcie "…"`: a person's name where a team was expected
            raise IncidentError(words.did_you_mean(name, near, bang=False))
        similar = [team for team in teams if core.looks_like(name, team)]
        if similar:
            raise IncidentError(f"I can't page `{name}`. Did you mean {' or '.join(similar)}?")
        known = ", ".join(["imoc", *teams]) if teams else "imoc"
        raise IncidentError(f"I can't page `{name}`. Teams with an on-call schedule: {known}.")
    provider, schedule = teams[name]
    return Target(
        name, f"team-{name}", provider, [schedule], on_call(ctx, provider, schedule).people
    )


def _unique(contacts: list[Contact]) -> list[Contact]:
    return list(dict.fromkeys(contacts))


def _first_word(cmd: t.PageSomeone, ctx: Ctx) -> t.PageSomeone:
    """`!ir page <word> …`: a handle pages that person; `--` pages the commanders with the rest;
    a word that looks like a person (a typo of a handle or name, an e-mail) is a question, never
    a page of every commander."""
    first, _, rest = cmd.message.partition(" ")
    if first == "--":
        return t.PageSomeone(cmd.kind, rest.strip(), cmd.name, cmd.war_room)
    if first.lstrip("@") in ctx.settings.oncall.people:  # `!ir page alice db is down`
        return t.PageSomeone("person", rest.strip(), name=first.lstrip("@"))
    near = near_people(known_people(ctx), first)
    wanted = first.lower().lstrip("@")
    exact = [c for c in near if c.handle and wanted in (c.handle.lower(), (c.email or "").lower())]
    if len(exact) == 1 and exact[0].handle:  # `Alice`, `alice@example.com`
        return t.PageSomeone("person", rest.strip(), name=exact[0].handle)
    if near:
        raise IncidentError(words.did_you_mean(first, near, bang=True))
    return cmd


def page(cmd: t.PageSomeone, ctx: Ctx) -> None:
    if cmd.kind == "commanders" and cmd.message:
        cmd = _first_word(cmd, ctx)
    targets = _targets(cmd, ctx)
    incident = None
    if not ctx.message.is_dm:
        incident = repo.active_in(ctx.message.platform, ctx.message.channel, session=ctx.session)
    summary = cmd.message or _default_summary(ctx)
    said: list[Line] = []
    if incident is None and cmd.war_room:
        incident, imoc_note = _open_war_room(ctx, summary, targets, _primary(cmd, ctx, targets))
        said.append(words.war_room(incident.channel, incident.id))
        if imoc_note is not None:
            said.append(imoc_note)
        open_for(ctx, incident)
    for target in targets:
        said.append(_page_one(ctx, target, summary, incident))
    ctx.reply(Doc(tuple(said)))


def _default_summary(ctx: Ctx) -> str:
    where = "a DM" if ctx.message.is_dm else f"#{ctx.message.channel}"
    return f"Paged by @{ctx.message.user} from {where}"


def _primary(cmd: t.PageSomeone, ctx: Ctx, targets: list[Target]) -> Contact | None:
    """Who should be IMOC: the primary commander on call (or the first responder paged)."""
    if cmd.kind == "commanders":
        found = commanders(ctx)
        if found and found[0][1].people:
            return found[0][1].people[0]
    return next((p for target in targets for p in target.people), None)


def _open_war_room(
    ctx: Ctx, summary: str, targets: list[Target], primary: Contact | None
) -> tuple[Incident, Line | None]:
    """A new channel with the paged people in it where the platform can (`paging.war_rooms`),
    else this channel; an incident bound to it, with the primary commander as IMOC. People
    known only to a vendor are invited by e-mail where the platform can look them up. When the
    primary has no chat handle, someone else is IMOC and the returned line says so."""
    paged = [p for target in targets for p in target.people]
    handles = [p.handle for p in paged if p.handle]
    emails = tuple(dict.fromkeys(p.email for p in paged if not p.handle and p.email))
    note = None
    if primary is not None and primary.handle:
        imoc = primary.handle
    else:
        imoc = handles[0] if handles else ctx.message.user
        if primary is not None:
            note = words.primary_not_imoc(primary, imoc)
    if ctx.settings.paging.war_rooms:
        channel = _free_channel(ctx, f"ir-{ctx.now:%Y%m%d-%H%M}")
        ctx.emit(CreateChannel(channel))
        ctx.emit(Invite(channel, tuple(dict.fromkeys([ctx.message.user, *handles])), emails))
    elif ctx.message.is_dm:
        raise IncidentError("Page from the channel the incident should be bound to.")
    else:
        channel = ctx.message.channel
    return open_incident(ctx, channel=channel, summary=summary, imoc=imoc), note


def _free_channel(ctx: Ctx, base: str) -> str:
    for n in range(1, 100):
        name = base if n == 1 else f"{base}-{n}"
        if repo.active_in(ctx.message.platform, name, session=ctx.session) is None:
            return name
    raise IncidentError("Too many war rooms this minute; start the incident by hand.")


def _page_one(ctx: Ctx, target: Target, summary: str, incident: Incident | None) -> Line:
    incident_id = incident.id if incident else None
    if incident_id is not None:
        key = core.dedup_key(
            installation=installation_id(ctx.session),
            incident_id=incident_id,
            page_id=0,
            target=target.slug,
        )
        already = store.open_with_key(key, session=ctx.session)
        if already is not None:
            return line(
                f"📟 {target.label} {'are' if target.slug == 'commanders' else 'is'} paged "
                f"already for INC-{incident_id}: page #{already.id}, {already.status.value}."
            )
    row = store.add_page(
        incident_id=incident_id,
        platform=ctx.message.platform,
        channel=ctx.message.channel,
        provider=target.provider,
        target=target.label,
        summary=summary,
        people=target.people,
        schedules=target.schedules,
        created_by=ctx.message.user,
        now=ctx.now,
        session=ctx.session,
    )
    row.dedup_key = core.dedup_key(
        installation=installation_id(ctx.session),
        incident_id=incident_id,
        page_id=row.id,
        target=target.slug,
    )
    text = f"Paged {target.label} via {words.provider_name(target.provider)} (page #{row.id})"
    _on_timeline(ctx, incident_id, EventKind.PAGE, text, target.label)
    ctx.emit(
        PageCall(
            page_id=row.id,
            provider=target.provider,
            action=PageAction.TRIGGER,
            key=row.dedup_key,
            summary=summary,
            schedules=tuple(target.schedules),
            people=tuple(target.people),
            war_room=incident.channel if incident is not None else None,
        ),
        PAGER,
    )
    via = f" via {words.provider_name(target.provider)}: page #{row.id}."
    if target.slug.startswith("user-"):
        return line(f"📟 Paging {target.label}{via}")
    return line(f"📟 Paging {target.label} (", *words.handles(target.people), ")" + via)


def _on_timeline(
    ctx: Ctx, incident_id: int | None, kind: EventKind, text: str, subject: str
) -> None:
    if incident_id is not None:
        repo.add_event(
            incident_id, Event(ctx.now, ctx.message.user, kind, text, subject), session=ctx.session
        )


def update(cmd: t.PagerUpdate, ctx: Ctx) -> None:
    found = store.get_page(cmd.page_id, session=ctx.session)
    if found is None:
        raise IncidentError(f"There is no page #{cmd.page_id}. Open pages: `pager list`.")
    if cmd.team is not None and not _is_target(found, cmd.team):
        raise IncidentError(f"Page #{found.id} is for {found.target}, not {cmd.team}.")
    if found.status in (PageStatus.RESOLVED, PageStatus.FAILED):
        raise IncidentError(f"Page #{found.id} is {found.status.value} already.")
    if found.status is PageStatus.TRIGGERING:  # its outcome would be lost behind the ack
        raise IncidentError(f"Page #{found.id} is still being sent; try again in a moment.")
    if found.status is PageStatus.RETRYING:
        raise IncidentError(
            f"{words.provider_name(found.provider)} has not confirmed page #{found.id} yet, so "
            "there is nothing there to acknowledge or resolve; I keep trying until "
            f"{words.when(_deadline(ctx.settings, found))}."
        )
    if cmd.action == "acknowledge" and found.status is PageStatus.ACKNOWLEDGED:
        raise IncidentError(f"Page #{found.id} is acknowledged already.")
    action = PageAction.ACKNOWLEDGE if cmd.action == "acknowledge" else PageAction.RESOLVE
    ctx.emit(
        PageCall(found.id, found.provider, action, found.dedup_key, found.summary),
        PAGER,
    )
    verb = "Acknowledging" if action is PageAction.ACKNOWLEDGE else "Resolving"
    ctx.reply(
        Doc.of(
            f"{verb} page #{found.id} ({found.target}) in {words.provider_name(found.provider)}…"
        )
    )


def _is_target(found: store.Page, team: str) -> bool:
    if team in ("imoc", "commanders", "ir"):
        return found.target == "the incident commanders"
    return found.target in (team, f"@{team}")


def list_pages(cmd: t.PagerList, ctx: Ctx) -> None:
    pages = store.open_pages(PAGER_LIST_LIMIT, session=ctx.session)
    if not pages:
        ctx.reply(Doc.of("No open pages."))
        return
    lines: list[Line] = [line(f"📟 {len(pages)} open:")]
    for p in pages:
        where = f"INC-{p.incident_id}, " if p.incident_id else ""
        lines.append(
            line(
                f"#{p.id} {p.target} via {words.provider_name(p.provider)} — ", Text(p.summary),
                f" — {where}{p.status.value}, {format_duration(ctx.now - p.created_at)} ago, by ",
                Mention(p.created_by),
            )
        )  # fmt: skip
    lines.append(
        line(
            "Acknowledge or resolve: ",
            code("pager ack <page>"),
            ", ",
            code("pager res <page>"),
            ".",
        )
    )
    ctx.reply(Doc(tuple(lines)))


def snooze(cmd: t.Snooze, ctx: Ctx) -> None:
    platform, user = ctx.message.platform, ctx.message.user
    if cmd.seconds is None:
        if store.unsnooze(platform, user, session=ctx.session):
            ctx.reply(Doc.of(line("🔔 ", Mention(user), ", I may ping you again.")))
        else:
            ctx.reply(Doc.of(line("🔔 ", Mention(user), ", you were not snoozed.")))
        return
    until = ctx.now + timedelta(seconds=cmd.seconds)
    store.snooze(platform, user, until, session=ctx.session)
    ctx.reply(
        Doc.of(
            line(
                "🤫 ", Mention(user), f", I won't ping you (reminders, rotation pings) until "
                f"{words.when(until)} ({format_duration(until - ctx.now)}). Pages still reach "
                "you. ", code("pager unstfu"), " ends it.",
            )
        )
    )  # fmt: skip


def is_snoozed(platform: str, user: str, *, now: datetime, session: Session) -> bool:
    """For reminders and rotation pings: has this person asked for quiet (`pager stfu`)?"""
    return store.snoozed_until(platform, user, now, session=session) is not None


# -- outcomes reported by the runtime ---------------------------------------------------------


def page_outcome(
    call: PageCall,
    *,
    error: str | None,
    ctx: Ctx,
    retryable: bool = False,
    retry_after: float | None = None,
    jitter: float | None = None,
) -> None:
    """Record what the provider answered to `call`, on the page and the incident's timeline,
    and say it (`ctx` effects) where the page was asked for and in the incident's channel.

    A trigger that failed but may work later (a timeout, a 429, a 5xx) is tried again by a
    `page_retry` timer, until `paging.deadline`; the first such failure shows the phones at once
    (as `page_slow` does). A trigger that is refused, or still fails at the deadline, fails the
    page: with the phones when nobody was told yet, else one line. A trigger confirmed after
    the channel was told to call says so in one line."""
    session, now = ctx.session, ctx.now
    found = store.get_page(call.page_id, session=session, for_update=True)
    if found is None:
        return
    if call.action is PageAction.TRIGGER and found.status not in PENDING:
        return  # a redelivered or overtaken try, already recorded: say nothing twice
    ok = error is None
    incident = repo.get(found.incident_id, session=session) if found.incident_id else None
    if call.action is PageAction.TRIGGER and not ok:
        deadline = _deadline(ctx.settings, found)
        if retryable and now < deadline:
            _retry_later(ctx, call, found, error or "", retry_after, jitter, deadline)
            return
    status = core.after(found.status, call.action, ok=ok)
    store.set_status(found.id, status, error, now, session=session)
    provider = words.provider_name(found.provider)
    kind, text = _outcome_event(call.action, ok, found, provider, error)
    _timeline(ctx, found, kind, text)
    if call.action is PageAction.TRIGGER:
        warned = found.status is PageStatus.RETRYING
        if ok and not warned:
            return  # the reply said "Paging…"; the provider's yes needs no second line
        if ok:
            after = now - found.created_at
            doc = words.page_confirmed_late(found.target, found.provider, found.id, after)
        elif warned:
            _count_on_commit(ctx.session, PAGES_GIVEN_UP, found.provider)
            doc = words.page_given_up(
                found.target, found.provider, error or "", found.id, now - found.created_at
            )
        else:
            doc = words.page_failed(
                found.target, found.provider, error or "", _callable(ctx, found), found.id
            )
    else:
        doc = Doc.of(("✅ " if ok else "⚠ ") + text + ".")
    _tell(ctx, found, incident, doc)


def page_slow(call: PageCall, ctx: Ctx) -> None:
    """The first try of a trigger has not answered within `paging.slow_after`: show the phones
    now, once per page; the try goes on and its outcome is recorded as usual."""
    found = store.get_page(call.page_id, session=ctx.session, for_update=True)
    if found is None or call.action is not PageAction.TRIGGER:
        return
    if found.status is not PageStatus.TRIGGERING:
        return  # answered meanwhile, or the channel was told already
    reason = f"no answer after {ctx.settings.paging.slow_after:g}s"
    _still_trying(ctx, found, reason)


def _retry_later(
    ctx: Ctx,
    call: PageCall,
    found: store.Page,
    error: str,
    retry_after: float | None,
    jitter: float | None,
    deadline: datetime,
) -> None:
    config = ctx.settings.paging
    delay = core.retry_delay(
        call.attempt,
        base=config.backoff_seconds,
        cap=config.backoff_max_seconds,
        retry_after=retry_after,
        jitter=random.random() if jitter is None else jitter,
    )
    due = min(ctx.now + timedelta(seconds=delay), deadline)
    timers.schedule(
        key=f"page-retry-{found.id}-{call.attempt + 1}",
        kind=RETRY,
        due_at=due,
        platform=found.platform,
        channel=found.channel,
        # No incident_id: stopping the incident cancels its timers; this one must fire to end
        # the page in words (`fire_retry`).
        payload={"page_id": found.id, "attempt": call.attempt + 1},
        now=ctx.now,
        session=ctx.session,
    )
    log.info("page %d: try %d failed (%s); next try at %s", found.id, call.attempt, error, due)
    store.set_status(found.id, found.status, error, ctx.now, session=ctx.session)
    if found.status is PageStatus.TRIGGERING:
        _still_trying(ctx, found, error)


def _still_trying(ctx: Ctx, found: store.Page, reason: str) -> None:
    store.set_status(found.id, PageStatus.RETRYING, reason, ctx.now, session=ctx.session)
    provider = words.provider_name(found.provider)
    until = _deadline(ctx.settings, found)
    _timeline(
        ctx, found, EventKind.PAGE,
        f"{provider} had not confirmed page #{found.id} ({found.target}) ({reason}); "
        f"retrying until {words.when(until)}",
    )  # fmt: skip
    incident = ctx.incident(found.incident_id) if found.incident_id else None
    doc = words.still_trying(
        found.target, found.provider, reason, _callable(ctx, found), found.id, until
    )
    _tell(ctx, found, incident, doc)


def fire_retry(timer: timers.Claimed, ctx: Ctx) -> None:
    """A `page_retry` timer: promise the trigger again (a new `PageCall` in the outbox), unless
    the page was answered meanwhile."""
    found = store.get_page(int(timer.payload["page_id"]), session=ctx.session, for_update=True)
    if found is None or found.status not in PENDING:
        return
    incident = ctx.incident(found.incident_id) if found.incident_id else None
    if incident is not None and incident.stopped_at is not None:
        _stop_trying(ctx, found, incident)
        _count_on_commit(ctx.session, PAGES_GIVEN_UP, found.provider)
        return
    _count_on_commit(ctx.session, PAGE_RETRIES, found.provider)
    ctx.emit(
        PageCall(
            page_id=found.id,
            provider=found.provider,
            action=PageAction.TRIGGER,
            key=found.dedup_key,
            summary=found.summary,
            schedules=tuple(found.schedules),
            people=tuple(found.people),
            war_room=incident.channel if incident is not None else None,
            attempt=int(timer.payload.get("attempt", 2)),
        ),
        PAGER,
    )


def _stop_trying(ctx: Ctx, found: store.Page, incident: Incident) -> None:
    """The incident ended while its page was still unconfirmed: no more tries; said once."""
    provider = words.provider_name(found.provider)
    reason = f"INC-{incident.id} was stopped before {provider} confirmed it"
    store.set_status(found.id, PageStatus.FAILED, reason, ctx.now, session=ctx.session)
    _timeline(ctx, found, EventKind.PAGE_FAILED, f"Stopped trying page #{found.id}: {reason}")
    doc = Doc.of(f"Stopped trying page #{found.id} ({found.target}): {reason}.")
    _tell(ctx, found, incident, doc)


def _count_on_commit(session: Session, counter: Counter, provider: str) -> None:
    """Count for /metrics once the transaction commits (a rolled-back try counts nothing)."""
    event.listen(session, "after_commit", lambda _: counter.labels(provider).inc(), once=True)


def _deadline(settings: Settings, found: store.Page) -> datetime:
    return found.created_at + timedelta(seconds=settings.paging.deadline)


def _callable(ctx: Ctx, found: store.Page) -> words.ToCall:
    """Who to call by hand: the paged people; when a vendor gave us nobody (nothing cached),
    the people of `oncall.people` who have a phone number."""
    if found.people or found.provider == "builtin":
        return words.ToCall(found.people)
    roster = [c for c in oncall_roster(ctx.settings).values() if c.phone]
    return words.ToCall([], fallback=roster)


def _timeline(ctx: Ctx, found: store.Page, kind: EventKind, text: str) -> None:
    if found.incident_id is not None and repo.get(found.incident_id, session=ctx.session):
        event = Event(ctx.now, found.created_by, kind, text, found.target)
        repo.add_event(found.incident_id, event, session=ctx.session)


def _tell(ctx: Ctx, found: store.Page, incident: Incident | None, doc: Doc) -> None:
    ctx.emit(Post(found.channel, doc), found.platform)
    if incident is not None and incident.channel != found.channel:
        ctx.emit(Post(incident.channel, doc), incident.platform)


def _outcome_event(
    action: PageAction, ok: bool, found: store.Page, provider: str, error: str | None
) -> tuple[EventKind, str]:
    what = f"page #{found.id} ({found.target})"
    if not ok:
        if action is PageAction.TRIGGER:
            text = f"Could not page {found.target} via {provider} ({error}), page #{found.id}"
        else:
            text = f"Could not {action.value} {what} in {provider} ({error})"
        return EventKind.PAGE_FAILED, text
    if action is PageAction.TRIGGER:
        return EventKind.PAGE_SENT, f"Page #{found.id} ({found.target}) reached {provider}"
    if action is PageAction.ACKNOWLEDGE:
        return EventKind.PAGE_ACKED, f"Page #{found.id} ({found.target}) acknowledged in {provider}"
    return EventKind.PAGE_RESOLVED, f"Page #{found.id} ({found.target}) resolved in {provider}"
