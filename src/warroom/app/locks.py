"""Deploy locks (Spy's `shipit lock`): chat and API use cases, and the locks an incident takes
when it starts and offers to release when it stops (`deploy.lock_on_incident`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warroom.app.context import Ctx
from warroom.app.effects import Post
from warroom.commands.deploy import ListLocks, LockStack, UnlockStack
from warroom.core import incident as core
from warroom.core.doc import Doc, Line, Mention, Text, line
from warroom.core.incident import Incident
from warroom.core.locks import Lock, LockError, check_reason, check_stack
from warroom.core.timeref import format_utc
from warroom.store import incidents as repo
from warroom.store import locks as store


def locked_line(lock: Lock) -> Line:
    """Spy's `🔒 <stack> locked by @x: <reason>` (`locked via API (token NAME)` for a pipeline)."""
    parts: list[Text | Mention]
    if is_api(lock.holder):
        parts = [Text(f"🔒 {lock.stack} locked {lock.holder}")]
    else:
        parts = [Text(f"🔒 {lock.stack} locked by "), Mention(lock.holder)]
    if lock.reason:
        parts += [Text(": "), Text(lock.reason)]
    return tuple(parts)


def unlocked_line(stack: str) -> Line:
    return line(f"🔓 {stack} unlocked")


def take(
    ctx: Ctx, *, stack: str, reason: str, holder: str, incident: Incident | None, platform: str
) -> Lock:
    """Lock `stack` or raise `LockError` naming who holds it; notes it on the incident."""
    stack = check_stack(stack, ctx.settings.deploy.stacks)
    lock = Lock(stack, holder, check_reason(reason), ctx.now, incident.id if incident else None)
    if not store.take(lock, platform, session=ctx.session):
        held = store.get(stack, session=ctx.session)
        if held is None:  # released between the two statements: say so rather than guess
            raise LockError(f"{stack} was being unlocked just now; try again.")
        raise LockError(already(held))
    if incident is not None:
        text = f"🔒 Locked deploys of {stack}" + (f": {lock.reason}" if lock.reason else "")
        repo.add_event(incident.id, _note(ctx, text, holder), session=ctx.session)
    return lock


def release(ctx: Ctx, *, stack: str, actor: str) -> Lock:
    stack = check_stack(stack, ())  # unlocking a stack since dropped from the list must work
    lock = store.release(stack, session=ctx.session)
    if lock is None:
        raise LockError(f"{stack} is not locked.")
    if lock.incident_id is not None and repo.get(lock.incident_id, session=ctx.session):
        note = _note(ctx, f"🔓 Unlocked deploys of {stack}", actor)
        repo.add_event(lock.incident_id, note, session=ctx.session)
    return lock


def already(lock: Lock) -> str:
    why = f": {lock.reason}" if lock.reason else ""
    inc = f", INC-{lock.incident_id}" if lock.incident_id else ""
    since = format_utc(lock.since)
    who = lock.holder if is_api(lock.holder) else f"by @{lock.holder}"
    return f"🔒 {lock.stack} is already locked {who}{why} (since {since}{inc})."


def is_api(holder: str) -> bool:
    """Locks taken through the API are held by `via API (token NAME)`, not a person."""
    return holder.startswith("via API (")


def lock(cmd: LockStack, ctx: Ctx) -> None:
    msg = ctx.message
    bound = None if msg.is_dm else repo.active_in(msg.platform, msg.channel, session=ctx.session)
    taken = take(
        ctx, stack=cmd.stack, reason=cmd.reason, holder=msg.user, incident=bound,
        platform=msg.platform,
    )  # fmt: skip
    ctx.reply(Doc((locked_line(taken),)))


def unlock(cmd: UnlockStack, ctx: Ctx) -> None:
    released = release(ctx, stack=cmd.stack, actor=ctx.message.user)
    ctx.reply(Doc((unlocked_line(released.stack),)))


def list_locks(cmd: ListLocks, ctx: Ctx) -> None:
    held = store.held(session=ctx.session)
    if not held:
        ctx.reply(Doc.of("🔓 No stack is locked."))
        return
    lines = [
        (*locked_line(h), Text(f" (since {format_utc(h.since)}"
                               + (f", INC-{h.incident_id})" if h.incident_id else ")")))
        for h in held
    ]  # fmt: skip
    ctx.reply(Doc(tuple(lines)))


def incident_stacks(ctx: Ctx, incident: Incident) -> list[str]:
    deploy = ctx.settings.deploy
    stacks = list(deploy.lock_on_incident)
    for team, more in deploy.team_locks.items():
        settings = ctx.settings.teams.get(team)
        if settings is not None and settings.channel == incident.channel:
            stacks += [s for s in more if s not in stacks]
    return stacks


def on_start(ctx: Ctx, incident: Incident) -> None:
    """`deploy.lock_on_incident`: lock the stacks for the incident, on its timeline."""
    taken: list[Line] = []
    for stack in incident_stacks(ctx, incident):
        reason = f"INC-{incident.id}: {incident.summary}"
        try:
            lock = take(
                ctx, stack=stack, reason=reason, holder=incident.imoc, incident=incident,
                platform=incident.platform,
            )  # fmt: skip
        except LockError as exc:  # held already (by a person, or another incident): keep it
            taken.append(line(str(exc)))
            continue
        taken.append(locked_line(lock))
    if taken:
        ctx.emit(Post(incident.channel, Doc(tuple(taken))), incident.platform)


def on_stop(ctx: Ctx, incident: Incident) -> None:
    """The incident's locks at `incident stop`: unlock them, or ask (`deploy.on_stop`)."""
    held = store.of_incident(incident.id, session=ctx.session)
    if not held or ctx.settings.deploy.on_stop == "keep":
        return
    if ctx.settings.deploy.on_stop == "unlock":
        actor = ctx.message.user if ctx.msg else incident.imoc
        for lock in held:
            release(ctx, stack=lock.stack, actor=actor)
        doc = Doc(tuple(unlocked_line(lock.stack) for lock in held))
    else:
        names = ", ".join(lock.stack for lock in held)
        doc = Doc.of(
            f"🔒 Still locked for INC-{incident.id}: {names}. Unlock deploys when it is safe: "
            + ", ".join(f"`shipit unlock {lock.stack}`" for lock in held)
        )
    ctx.emit(Post(incident.channel, doc), incident.platform)


def _note(ctx: Ctx, text: str, actor: str) -> core.Event:
    return core.Event(ctx.now, actor, core.EventKind.NOTE, text)


HANDLERS: dict[type[Any], Callable[[Any, Ctx], None]] = {
    LockStack: lock,
    UnlockStack: unlock,
    ListLocks: list_locks,
}
