"""Tracker issues (Jira): opened for incidents paged with `!ir page`, link told and recorded."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.app import actions
from warroom.app.context import Ctx
from warroom.app.effects import Delivery, OpenTicket, Post
from warroom.core.doc import Doc, Text, line
from warroom.core.incident import Event, EventKind, Incident
from warroom.core.timeref import format_utc
from warroom.store import incidents as repo

log = logging.getLogger(__name__)


def open_for(ctx: Ctx, incident: Incident) -> None:
    """Promise an issue for `incident` when a tracker is configured (`jira.*`)."""
    if not ctx.settings.jira.enabled:
        return
    where = "a DM" if ctx.message.is_dm else f"#{ctx.message.channel}"
    description = "\n".join(
        [
            incident.summary,
            f"Paged by @{ctx.message.user} from {where} at {format_utc(incident.started_at)}.",
            f"War room: #{incident.channel} (INC-{incident.id}).",
        ]
    )
    ctx.emit(
        OpenTicket(
            incident_id=incident.id,
            key=f"warroom-inc{incident.id}",
            summary=f"INC-{incident.id}: {incident.summary}",
            description=description,
            reply_platform=ctx.message.platform,
            reply_channel=ctx.message.channel,
        ),
        "tracker",
    )


def ticket_outcome(
    ticket: OpenTicket, *, link: str | None, error: str | None, now: datetime, session: Session
) -> list[Delivery]:
    """Put the link on the timeline (so in the report) and tell the war room and the channel
    where it was asked for; or say why there is no issue."""
    incident = repo.get(ticket.incident_id, session=session)
    if incident is None:
        return []
    if link is None and ticket.retry:  # told at the first try; the next sync tries again
        log.warning("Jira issue %s: still not opened (%s)", ticket.key, error)
        return []
    subject = actions.ticket_subject(ticket.key)  # an action item's issue, or None
    what = subject or f"INC-{incident.id}"
    if link is not None:
        actions.ticket_opened(ticket.key, link, session=session)
        text = f"Jira issue{f' for {subject}' if subject else ''}: {link}"
        repo.add_event(
            incident.id,
            Event(now, incident.reporter, EventKind.TICKET, text, link),
            session=session,
        )
        doc = Doc.of(line(f"🎫 Jira issue for {what}: ", Text(link)))
    else:
        text = f"Could not open a Jira issue{f' for {subject}' if subject else ''} ({error})"
        repo.add_event(
            incident.id, Event(now, incident.reporter, EventKind.TICKET, text), session=session
        )
        doc = Doc.of(f"⚠ Could not open a Jira issue for {what} ({error}).")
    out = [Delivery(incident.platform, Post(incident.channel, doc))]
    if (ticket.reply_platform, ticket.reply_channel) != (incident.platform, incident.channel):
        out.append(Delivery(ticket.reply_platform, Post(ticket.reply_channel, doc)))
    return out
