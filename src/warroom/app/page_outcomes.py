"""What the provider answered to a page, as the runtime reports it (`page_outcome`, `page_slow`),
and the page's retries: a trigger that failed and may work later is a stored `page_retry` timer
(one per page and try) whose firing (`fire_retry`) promises the `PageCall` again, with backoff,
jitter and the provider's Retry-After, until the provider confirms or `paging.deadline` passes.
The first failed or slow try tells the channel at once who to call; then one line says how it
ended."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import PageCall, Post
from warroom.app.oncall import roster as oncall_roster
from warroom.app.page_command import PAGER
from warroom.config import Settings
from warroom.core import oncall as core
from warroom.core.doc import Doc
from warroom.core.incident import Event, EventKind, Incident
from warroom.core.oncall import PENDING, PageAction, PageStatus
from warroom.render import paging as words
from warroom.store import incidents as repo
from warroom.store import paging as store
from warroom.store import timers
from warroom.telemetry import PAGE_RETRIES, PAGES_GIVEN_UP

log = logging.getLogger(__name__)
RETRY = "page_retry"  # the timer kind of a page's next try


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
        deadline = page_deadline(ctx.settings, found)
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
    until = page_deadline(ctx.settings, found)
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


def page_deadline(settings: Settings, found: store.Page) -> datetime:
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
