"""Who is on call: `!ir`, `!ir responders`, `!ir who`.

Builtin shift schedules are computed from the configuration at the moment of asking; vendors'
schedules come from the on-call cache, which the runtime refreshes in the background, so a slow
or down provider never slows these answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.app.context import Ctx
from warroom.commands import types as t
from warroom.config import Settings
from warroom.core import oncall as core
from warroom.core.doc import Doc, Line, code, line
from warroom.core.incident import IncidentError
from warroom.core.oncall import Contact
from warroom.render import paging as words
from warroom.store import paging as store


@dataclass(frozen=True)
class OnCall:
    """The answer for one schedule. `error`: the provider's last refresh failed (then `age` is
    how old the cached answer is, or None when nothing is cached)."""

    provider: str
    schedule: str
    people: list[Contact]
    age: timedelta | None = None
    error: str | None = None


def roster(settings: Settings) -> dict[str, Contact]:
    """The people of `oncall.people`, by chat handle."""
    return {
        handle: Contact(p.name, handle, p.phone, p.email, p.timezone)
        for handle, p in settings.oncall.people.items()
    }


def builtin_schedule(settings: Settings, name: str) -> core.ShiftSchedule:
    return settings.oncall.schedules[name].schedule()


def on_call(ctx: Ctx, provider: str, schedule: str) -> OnCall:
    """Builtin shift schedules are computed from the configuration; vendors' come from the cache,
    which the runtime refreshes in the background (a down provider never slows `!ir`)."""
    return lookup(ctx.settings, provider, schedule, now=ctx.now, session=ctx.session)


def lookup(
    settings: Settings, provider: str, schedule: str, *, now: datetime, session: Session
) -> OnCall:
    if provider == "builtin":
        handle = core.on_call(builtin_schedule(settings, schedule), now)
        people = [roster(settings)[handle]] if handle else []
        return OnCall(provider, schedule, people)
    cached = store.cached(provider, schedule, session=session)
    if cached is None:
        return OnCall(provider, schedule, [], None, "not fetched yet")
    if cached.people is None or cached.fetched_at is None:
        return OnCall(provider, schedule, [], None, cached.error or "not fetched yet")
    age = now - cached.fetched_at if cached.error else None
    return OnCall(provider, schedule, cached.people, age, cached.error)


def commanders(ctx: Ctx) -> list[tuple[str, OnCall]]:
    config = ctx.settings.oncall.commanders
    return [(role, on_call(ctx, config.provider, s)) for role, s in config.schedules()]


def no_commanders() -> IncidentError:
    return IncidentError(
        "No incident commanders are configured: set `oncall.commanders` "
        "(see docs/configuration.md)."
    )


def show_oncall(cmd: t.ShowOnCall, ctx: Ctx) -> None:
    if cmd.responders:
        _show_responders(ctx)
        return
    found = commanders(ctx)
    if not found:
        raise no_commanders()
    lines: list[Line] = [line("🚨 Incident commanders on call:")]
    lines += _oncall_lines([(role.capitalize(), answer) for role, answer in found])
    lines.append(words.how_to_page())
    ctx.reply(Doc(tuple(lines)))


def _oncall_lines(rows: list[tuple[str, OnCall]]) -> list[Line]:
    lines: list[Line] = []
    notes: dict[str, Line] = {}
    for label, answer in rows:
        lines.append(line(f"{label}: ", *words.people(answer.people)))
        note = words.cache_note(answer.provider, answer.age, answer.error)
        if note is not None:
            notes.setdefault(answer.provider, note)
    return lines + list(notes.values())


def paged_teams(settings: Settings) -> dict[str, tuple[str, str]]:
    return {n: (t.provider, t.schedule) for n, t in sorted(settings.teams.items()) if t.schedule}


def _show_responders(ctx: Ctx) -> None:
    teams = paged_teams(ctx.settings)
    if not teams:
        raise IncidentError("No team has an on-call schedule: set `teams.<name>.schedule`.")
    rows = [(name, on_call(ctx, p, s)) for name, (p, s) in teams.items()]
    ctx.reply(Doc((line("📟 On call now:"), *_oncall_lines(rows))))


def known_people(ctx: Ctx) -> list[Contact]:
    """The roster, then everyone the vendors' caches know (on call in PagerDuty or Opsgenie,
    with or without a chat handle), each once: by handle, else by e-mail."""
    people = list(roster(ctx.settings).values())
    handles = {c.handle.lower() for c in people if c.handle} | {""}
    emails = {c.email.lower() for c in people if c.email} | {""}
    for provider, schedule in vendor_schedules(ctx.settings):
        cached = store.cached(provider, schedule, session=ctx.session)
        for contact in (cached.people or []) if cached else []:
            handle, email = (contact.handle or "").lower(), (contact.email or "").lower()
            if (handle and handle in handles) or (email and email in emails):
                continue  # the same person again (a second schedule, or the roster's)
            people.append(contact)
            handles.add(handle)
            emails.add(email)
    return people


def find_person(ctx: Ctx, user: str) -> Contact:
    """A person by chat handle, e-mail, full name or first name (case-insensitive), from the
    roster and the vendors' on-call caches; an unknown one is refused with the people who look
    like it and the people known."""
    people = known_people(ctx)
    if ctx.msg is not None:  # a platform's user ID (Slack's <@U0ALICE001>): its username
        user = dict(ctx.msg.user_names).get(user.lstrip("@"), user)
    wanted = user.lower().lstrip("@")
    for contact in people:
        if wanted in ((contact.handle or "").lower(), (contact.email or "").lower()):
            return contact
    named = [c for c in people if wanted in (c.name.lower(), c.name.lower().split(" ")[0])]
    if len(named) == 1:
        return named[0]
    if named:
        who_ = ", ".join(words.who_is(c) for c in named)
        raise IncidentError(f"Several people are called `{user}`: {who_}. Ask by e-mail.")
    near = near_people(people, user)
    maybe = f" Did you mean {words.any_of(near)}?" if near else ""
    known = ", ".join(sorted(c.handle or c.email or c.name for c in people))
    raise IncidentError(
        f"I don't know `{user}`.{maybe} People: {known or 'nobody (set `oncall.people`)'}."
    )


def near_people(people: list[Contact], word: str) -> list[Contact]:
    """The people `word` may be a typo of: within a couple of edits of their handle, a word of
    their name, or their e-mail (`core.oncall.looks_like`)."""
    found = []
    for contact in people:
        names = [contact.handle or "", contact.email or "", *contact.name.split(" ")]
        if any(core.looks_like(word, name) for name in names if name):
            found.append(contact)
    return found


def who(cmd: t.Who, ctx: Ctx) -> None:
    contact = find_person(ctx, cmd.user)
    lines: list[Line] = [words.person(contact)]
    details = []
    if contact.email:
        details.append(f"e-mail {contact.email}")
    if contact.timezone:
        local = words.local_time(contact.timezone, ctx.now)
        details.append(f"time zone {contact.timezone}" + (f" ({local})" if local else ""))
    if details:
        text = ", ".join(details)
        lines.append(line(text[0].upper() + text[1:] + "."))
    duties = _duties(ctx, contact)
    if duties:
        lines.append(line("On call now: " + ", ".join(duties) + "."))
    if contact.handle:
        lines.append(line("To page them: ", code(f"!ir page @{contact.handle} <message>"), "."))
    elif duties:
        lines.append(
            line(
                "They have no chat handle I know: page their team (", code("page <team>"),
                ") or call them.",
            )
        )  # fmt: skip
    ctx.reply(Doc(tuple(lines)))


def _duties(ctx: Ctx, contact: Contact) -> list[str]:
    duties = [f"incident commander ({role})" for role, a in commanders(ctx) if contact in a.people]
    for name, (provider, schedule) in paged_teams(ctx.settings).items():
        if contact in on_call(ctx, provider, schedule).people:
            duties.append(name)
    return duties


def vendor_schedules(settings: Settings) -> list[tuple[str, str]]:
    """Every (provider, schedule) that the background refresh keeps in the cache."""
    refs = [(p, s) for p, s in paged_teams(settings).values()]
    config = settings.oncall.commanders
    refs += [(config.provider, s) for _, s in config.schedules()]
    return sorted({(p, s) for p, s in refs if p != "builtin"})


def enrich(settings: Settings, people: list[Contact]) -> list[Contact]:
    """Give vendor contacts the chat handle of the roster person with the same e-mail."""
    by_email = {
        (p.email or "").lower(): handle for handle, p in settings.oncall.people.items() if p.email
    }
    return [replace(c, handle=c.handle or by_email.get((c.email or "").lower())) for c in people]
