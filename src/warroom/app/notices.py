"""Spy's notices: someone outside an incident's channel talks about it; tell them where it is.

Once per person per incident, in a thread on what they wrote:
`⚠ Hey @x, an incident (<summary>) is active and has been bound to #war-room. You may contact
the IMOC (@y) for more details.` When the incident stops, the same people hear it in the same
threads: `✅ Hey @x, incident in #war-room is closed.` Who was told, and where, is a row in
`notices`, so a restart forgets nobody.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.app.effects import Post
from warroom.config import Settings
from warroom.core.doc import ChannelRef, Doc, Mention, Text, line
from warroom.core.incident import Incident
from warroom.ports import ChatMessage
from warroom.store import incidents as repo
from warroom.store.tables import NoticeRow

# Words that say nothing about *which* thing is broken: "the site is down" must not match
# every incident whose summary says "down", nor "I'm here" one that says "here", nor "users are
# asking about pricing" one about "users" who cannot log in.
_STOP = """a an and are as at be been but by can could did do does for from had has have how i if
    in into is it its just me my no not now of on or our out so some still than that the their
    them then there these they this to too up us was we were what when where which who why will
    with you your yes any all also again getting get got seems seem like very really please
    down broken slow error errors outage outages issue issues problem problems failing failed
    fail fails failure failures working work works incident incidents bad high low
    here about new ask asks asking asked anyone anybody someone somebody everyone else see
    seeing seen saw cannot cant won don doesn isn aren didn wasn weren haven couldn wouldn
    shouldn unable able
    user users customer customers people person folks team thing things something anything
    everything nothing know think look looks looking thanks thank hey hello okay sure going
    need needs want help today right back more less much many other same only one wrong
    update updates news question questions"""
STOP_WORDS = frozenset(_STOP.split())
_WORD = re.compile(r"[a-z0-9][a-z0-9_\-]*")
# Not words people wrote about the incident: Slack's markup (<@U123>, <!here>, <https://…>),
# links, e-mail addresses, and @mentions and #channels as other platforms write them.
_NOT_WORDS = re.compile(
    r"<[^>]*>|\b[a-z][a-z0-9+.\-]*://\S+|\bwww\.\S+|\S+@\S+|(?<![\w])[@#][\w.\-]+",
    re.IGNORECASE,
)


def significant_words(text: str) -> set[str]:
    """Words that name something: not stop words, at least three characters, plural folded."""
    words = _WORD.findall(_NOT_WORDS.sub(" ", text).lower())
    return {_fold(w) for w in words if len(w) >= 3 and w not in STOP_WORDS}


def _fold(word: str) -> str:
    return word[:-1] if len(word) >= 4 and word.endswith("s") and not word.endswith("ss") else word


def overlap_needed(summary: set[str], written: set[str]) -> int:
    """One shared word for a summary of one or two significant words; two for a longer one
    (where a single common word like `order` or `page` says little), unless the message is
    itself a single word (`Storefront?`)."""
    return min(len(written), 1 if len(summary) <= 2 else 2)


def about(msg: ChatMessage, incidents: list[Incident], settings: Settings) -> Incident | None:
    """The active incident `msg` talks about, if it was written outside every incident's
    channel (a war room talks about its own incident): enough significant words of its
    summary, or one of the configured keywords (which point at the most recent active
    incident)."""
    if msg.is_dm:
        return None
    here = [i for i in incidents if i.platform == msg.platform]
    if not here or any(i.channel == msg.channel for i in here):
        return None
    written = significant_words(msg.text)
    if not written:
        return None
    for incident in sorted(here, key=lambda i: i.id, reverse=True):
        summary = significant_words(incident.summary)
        if summary and len(written & summary) >= overlap_needed(summary, written):
            return incident
    keywords = {_fold(k.lower()) for k in settings.notices.keywords}
    if written & keywords:
        return max(here, key=lambda i: i.id)
    return None


def active_incidents(session: Session) -> list[Incident]:
    return repo.active(session=session)


def notice(ctx: Ctx, incident: Incident) -> None:
    """Tell the sender once about `incident`, in a thread on their message. A second message
    from them (or the same event re-sent) finds the row and says nothing."""
    msg = ctx.message
    found = ctx.session.get(NoticeRow, (incident.id, msg.user))
    if found is not None:
        return
    thread = msg.thread or msg.ref
    ctx.session.add(
        NoticeRow(
            incident_id=incident.id,
            user=msg.user,
            platform=msg.platform,
            channel=msg.channel,
            thread=thread,
            at=ctx.now,
        )
    )
    try:
        ctx.session.flush()
    except IntegrityError:  # told a moment ago by another replica
        raise AlreadyTold from None
    said = line(
        "⚠ Hey ", Mention(msg.user), ", an incident (", Text(incident.summary),
        ") is active and has been bound to ", ChannelRef(incident.channel),
        ". You may contact the IMOC (", Mention(incident.imoc), ") for more details.",
    )  # fmt: skip
    ctx.emit(Post(msg.channel, Doc.of(said), thread=thread))


class AlreadyTold(Exception):
    pass


def closed(ctx: Ctx, incident: Incident) -> None:
    """The incident stopped: tell everyone who was told about it, where they were told."""
    rows = ctx.session.scalars(
        select(NoticeRow).where(NoticeRow.incident_id == incident.id).order_by(NoticeRow.at)
    )
    for row in rows:
        said = line(
            "✅ Hey ", Mention(row.user), ", incident in ", ChannelRef(incident.channel),
            " is closed.",
        )  # fmt: skip
        ctx.emit(Post(row.channel, Doc.of(said), thread=row.thread), row.platform)
