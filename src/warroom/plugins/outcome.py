"""A run's outcome back into the database, in one transaction: the note on the incident's
timeline and the messages into the outbox, with the run's own outbox row marked delivered. A
run that failed, or whose plugin reported an error, tells the sender once and changes nothing
else."""

from __future__ import annotations

import logging

from warroom.app import effects as fx
from warroom.app.uow import UnitOfWork, to_outbox
from warroom.core.doc import Doc
from warroom.core.incident import Event, EventKind
from warroom.plugins.contract import Error, Message, Note
from warroom.plugins.host import Outcome
from warroom.store import incidents as repo
from warroom.store import outbox

log = logging.getLogger(__name__)


def _to_sender(platform: str, run: fx.RunPlugin, text: str) -> fx.Delivery:
    assert run.user is not None
    assert run.channel is not None
    doc = Doc.of(text)
    if run.is_dm:
        return fx.Delivery(platform, fx.Direct(run.user, doc))
    return fx.Delivery(platform, fx.Post(run.channel, doc, thread=run.thread, only_to=run.user))


def decide(
    platform: str, run: fx.RunPlugin, outcome: Outcome, word: str
) -> tuple[list[fx.Delivery], list[str]]:
    """(messages to post, notes to add). Failures and errors go to the sender alone."""
    what = f"`{word}` (plugin {run.plugin})" if word else f"plugin {run.plugin}"
    errors = [o.text for o in outcome.outputs if isinstance(o, Error)]
    if outcome.failure is not None or errors:
        reason = f"⚠ {what} {outcome.failure}." if outcome.failure else f"⚠ {' '.join(errors)}"
        if run.user is None:
            log.warning("plugin %s on %s: %s", run.plugin, run.key, reason)
            return [], []
        return [_to_sender(platform, run, reason)], []
    posts: list[fx.Delivery] = []
    notes: list[str] = []
    for out in outcome.outputs:
        if isinstance(out, Note):
            notes.append(out.text)
        elif isinstance(out, Message):
            doc = Doc.of(out.text)
            if out.dm:
                posts.append(fx.Delivery(platform, fx.Direct(out.dm, doc)))
                continue
            channel = out.channel or run.channel
            if channel is None:
                log.warning("plugin %s: an event's message names no channel", run.plugin)
                continue
            if run.is_dm and out.channel is None:
                assert run.user is not None
                posts.append(fx.Delivery(platform, fx.Direct(run.user, doc)))
                continue
            thread = (run.thread or run.ref) if out.thread and channel == run.channel else None
            posts.append(fx.Delivery(platform, fx.Post(channel, doc, thread=thread)))
    if notes and run.incident_id is None:
        if run.user is not None:
            posts.append(
                _to_sender(platform, run, f"⚠ {what} left a note, but no incident is open here.")
            )
        notes = []
    return posts, notes


def record(
    uow: UnitOfWork, delivery: fx.Delivery, run: fx.RunPlugin, outcome: Outcome, word: str
) -> list[fx.Delivery]:
    posts, notes = decide(delivery.platform, run, outcome, word)
    with uow.begin() as ctx:
        actor = run.user or f"plugin:{run.plugin}"
        for text in notes:
            assert run.incident_id is not None
            if repo.get(run.incident_id, session=ctx.session) is None:
                continue
            event = Event(ctx.now, actor, EventKind.NOTE, text, subject=f"plugin:{run.plugin}")
            repo.add_event(run.incident_id, event, session=ctx.session)
        if delivery.outbox_id is not None:
            outbox.mark_delivered([delivery.outbox_id], ctx.now, session=ctx.session)
        return to_outbox(posts, ctx.now, ctx.session)
