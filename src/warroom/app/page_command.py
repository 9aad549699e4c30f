"""`!ir page` and `page`: who a page is for (commanders, a team, a person), the war room it may
open, and the page decided in the command's transaction: a `pages` row, a timeline event and a
`PageCall` effect in the outbox. How the provider answered is `page_outcomes.py`."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.app.context import Ctx
from warroom.app.effects import CreateChannel, Invite, PageCall
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
from warroom.app.tickets import open_for
from warroom.commands import types as t
from warroom.core import oncall as core
from warroom.core.doc import Doc, Line, line
from warroom.core.incident import Event, EventKind, Incident, IncidentError
from warroom.core.oncall import Contact, PageAction
from warroom.render import paging as words
from warroom.store import incidents as repo
from warroom.store import paging as store
from warroom.store.installation import installation_id

PAGER = "pager"  # the platform page calls are emitted on (they go to a provider, not a chat)


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


def page_each(cmd: t.PageSomeone, ctx: Ctx, incident: Incident | None) -> list[Line]:
    """Page whom `cmd` names, as `page` would (the same targets, keys and rules), from rules
    rather than a person's command (a severity, a burn-rate alert): a line each saying what was
    done. `WarroomError` when there is nobody to page (the valid choices in its words)."""
    return [_page_one(ctx, target, cmd.message, incident) for target in _targets(cmd, ctx)]


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
