"""Text to a typed command, or a `UsageError` that says what was expected.

`parse` raises nothing but `UsageError`, whatever the text (a property test holds it to that).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from warroom.commands import slo
from warroom.commands import types as t
from warroom.commands.help import ID_NOTE
from warroom.commands.registry import REGISTRY, Args, Cursor, lookup, usage_of
from warroom.commands.timespec import parse_time
from warroom.core.incident import is_broadcast
from warroom.core.timeref import TimeRef, format_duration, parse_duration

_USER = re.compile(r"^(?:@([\w.\-]{1,80})|<@([A-Z0-9]{1,40})(?:\|[^>]*)?>)$")
_CHANNEL = re.compile(r"^(?:#([\w.\-]{1,80})|<#([A-Z0-9]{1,40})(?:\|[^>]*)?>)$")
_ID = re.compile(r"^(?:inc-)?(\d{1,9})$", re.IGNORECASE)
_BROADCAST = re.compile(r"^<!(?:[\w^]{1,60})(?:\|[^>]*)?>$")
_LONG_ID = re.compile(r"^(?:inc-)?\d{10,}$", re.IGNORECASE)  # no incident has such a number
_DURATION = re.compile(r"^(?:\d+\s*(?:[a-z]+)?\s*)+$")
MAX_STALK = 86400  # `status stalk`: at most a poll a day
MAX_SNOOZE = 7 * 86400  # `pager stfu`: at most a week
_TEAM = re.compile(r"^[\w.\-]{1,80}$")
_HANDLE_OR_EMAIL = re.compile(r"^[\w.\-+]{1,80}(?:@[\w.\-]{1,120})?$")


def parse_user(token: str, *, usage: str) -> t.User:
    if token.lower() == "me":
        return t.Me()
    match = _USER.match(token)
    if not match and is_broadcast(token) and _BROADCAST.match(token):
        return token.strip("<>!").split("|")[0]  # `<!here>` is `@here`: refused as no person
    if not match:
        what = f"`{token}` is not a user" if token else "Who?"
        raise t.UsageError(f"{what}: write `@name` or `me`.", usage=usage)
    return match[1] or match[2]


def parse_channel(token: str, *, usage: str) -> str:
    match = _CHANNEL.match(token)
    if not match:
        what = f"`{token}` is not a channel" if token else "Which channel?"
        raise t.UsageError(f"{what}: write `#name`.", usage=usage)
    return match[1] or match[2]


def parse_incident_id(token: str) -> int | None:
    match = _ID.match(token)
    if match:
        return int(match[1])
    if _LONG_ID.match(token):  # a number no incident has: unknown, not a subcommand
        digits = token.lower().removeprefix("inc-")[:30]
        raise t.UsageError(f"There is no incident INC-{digits}.", usage="incidents")
    return None


def _days(seconds: int) -> str:
    days = seconds // 86400
    if days * 86400 != seconds:
        return format_duration(timedelta(seconds=seconds))
    return "1 day" if days == 1 else f"{days} days"


def parse_bounded_duration(text: str, *, most: int, usage: str, what: str) -> int:
    """Seconds, from 1 to `most`; a duration that is too long says what the maximum is."""
    seconds = parse_duration(text)
    if seconds is None and _DURATION.match(text.strip().lower()):
        seconds = most + 1  # a duration past what parse_duration counts
    if seconds is None or seconds < 1:
        raise t.UsageError(f"`{text[:40]}` is not {what}.", usage=usage)
    if seconds > most:
        raise t.UsageError(
            f"`{text[:40]}` is too long: at most {_days(most)}.",
            usage=usage,
        )
    return seconds


def parse(text: str) -> t.Command:
    """The registry's parser of the first word reads the rest."""
    cur = Cursor(text)
    word = cur.word().lower()
    if not word:
        raise t.UsageError("Yes? Try `help` for the commands.")
    found = REGISTRY.word(word)
    if found is None:
        raise t.UsageError(f"I don't know the command `{word[:40]}`.", usage="help")
    command: t.Command = found.parser(cur, Args(word))
    return command


def _incidents(cur: Cursor, args: Args) -> t.Command:
    arg = cur.word().lower()
    if arg not in ("", "all") or cur.rest:
        raise t.UsageError("`incidents` takes only `all`.", usage=usage_of("incidents"))
    return t.ListIncidents(all=arg == "all")


def _cmd(cur: Cursor, args: Args) -> t.Command:
    raise t.UsageError("`cmd #channel <command>` works in a DM with me.", usage=usage_of("cmd"))


def _devoncall(cur: Cursor, args: Args) -> t.Command:
    if not cur.rest:
        raise t.UsageError(
            "Which incident? Give its URL or say what is wrong.", usage=usage_of("devoncall")
        )
    if len(cur.rest) > 1000:
        raise t.UsageError("Keep it under 1,000 characters.", usage=usage_of("devoncall"))
    return t.DevOnCall(" ".join(cur.rest.split()))


def _rotation(cur: Cursor, args: Args) -> t.Command:
    _no_more(cur, usage_of(args.word))
    return _ROTATION[args.word]()


def _help(cur: Cursor, args: Args) -> t.Command:
    topic = tuple(w.lower() for w in cur.rest.split())
    if topic and not lookup(topic):
        raise t.UsageError(f"There is no command `{' '.join(topic)}`.", usage="help")
    return t.Help(topic)


def _status(cur: Cursor, args: Args) -> t.Command:
    sub = cur.word()
    low = sub.lower()
    if not sub:
        return t.StatusReport()
    if low in ("incidents", "stalk", "unstalk"):
        if low == "stalk":
            interval = None
            if cur.rest:
                interval = parse_bounded_duration(
                    cur.rest,
                    most=MAX_STALK,
                    usage=usage_of("status", "stalk"),
                    what="an interval like `30s` or `2m`",
                )
            return t.Stalk(interval)
        _no_more(cur, usage_of("status", low))
        return t.StatusIncidents() if low == "incidents" else t.Unstalk()
    usage = usage_of("status", "<provider>")
    sub = _placeholder(sub)
    status, sep, feature = cur.rest.partition(" for ")
    status, feature = _placeholder(status.strip()), _placeholder(feature.strip())
    if not sep or not status.strip() or not feature.strip():
        raise t.UsageError(
            f"`status {sub[:40]}` is not a status command.",
            usage=f"status, status incidents, status stalk [INTERVAL], status unstalk, {usage}",
        )
    if not _TEAM.match(sub) or len(status) > 100 or len(feature) > 200:
        raise t.UsageError("Name the provider in one word, and keep it short.", usage=usage)
    return t.ProviderStatus(sub.lower(), " ".join(status.split()), " ".join(feature.split()))


_PLACEHOLDER = re.compile(r"^:([\w.\-]{1,80})$")


def _placeholder(word: str) -> str:
    """Spy's docs write arguments as `:team`, `:provider`; people type them so: `:support` is
    `support`. An emoji code (`:fire:`) stays as it is."""
    match = _PLACEHOLDER.match(word)
    return match[1] if match else word


def parse_cmd(text: str) -> tuple[str, str]:
    """`cmd #channel <command>` (in a DM) -> (channel, command)."""
    cur = Cursor(text)
    cur.word()
    usage = usage_of("cmd")
    channel = parse_channel(cur.word(), usage=usage)
    command = cur.rest.removeprefix("!").strip()  # `cmd #war-room !ir page ...`, as typed there
    if not command:
        raise t.UsageError(f"Which command should I run in #{channel}?", usage=usage)
    return channel, command


def _incident(cur: Cursor, args: Args) -> t.Command:
    sub = cur.word().lower()
    incident_id = parse_incident_id(sub)
    if incident_id is not None:
        sub = cur.word().lower()
    if not sub:
        raise t.UsageError(
            "Which incident command?", usage=", ".join(e.usage for e in lookup(("incident",)))
        )
    entry = REGISTRY.sub("incident", sub)
    if entry is None or entry.parser is None:
        raise t.UsageError(
            f"`incident {sub[:40]}` is not a command.",
            usage=", ".join(e.usage for e in lookup(("incident",))),
        )
    command: t.Command = entry.parser(cur, Args("incident", incident_id))
    return command


def _start(cur: Cursor, args: Args) -> t.Command:
    usage = usage_of("incident", "start")
    if args.incident_id is not None:
        raise t.UsageError("A new incident has no ID yet.", usage=usage)
    services, rest = slo.start_options(cur.rest, usage)
    cur = Cursor(rest)
    severity = cur.word().lower() if slo.START_SEVERITY.match(cur.peek()) else None
    first = cur.peek()
    imoc: t.User = t.Me()
    if first.lower() == "me" or _USER.match(first):
        imoc = parse_user(cur.word(), usage=usage)
    if severity is None and slo.START_SEVERITY.match(cur.peek()):
        severity = cur.word().lower()
    if not cur.rest:
        raise t.UsageError("What is broken? Give a summary.", usage=usage)
    return t.StartIncident(imoc=imoc, summary=cur.rest, severity=severity, services=services)


def _channel(cur: Cursor, args: Args) -> t.Command:
    incident_id = args.incident_id
    usage = usage_of("incident", "channel")
    channel = parse_channel(cur.word(), usage=usage)
    _no_more(cur, usage)
    return t.Rebind(channel=channel, incident_id=incident_id)


def _role(handoff: bool, srm: bool = False) -> Callable[[Cursor, Args], t.Command]:
    def parse_role(cur: Cursor, args: Args) -> t.Command:
        incident_id = args.incident_id
        name = "srm" if srm else "handoff" if handoff else "imoc"
        usage = usage_of("incident", name)
        token = cur.word()
        if not token:
            raise t.UsageError("To whom? Name a person.", usage=usage)
        user = parse_user(token, usage=usage)
        _no_more(cur, usage)
        if srm:
            return t.SetSrm(user=user, incident_id=incident_id)
        return t.SetImoc(user=user, handoff=handoff, incident_id=incident_id)

    return parse_role


def _failures(cur: Cursor, args: Args) -> t.Command:
    incident_id = args.incident_id
    usage = usage_of("incident", "failures")
    if cur.word().lower() != "started":
        raise t.UsageError("Did you mean `incident failures started`?", usage=usage)
    return t.Milestone("failures_started", parse_time_arg(cur.rest, usage), incident_id)


def _mitigated(cur: Cursor, args: Args) -> t.Command:
    incident_id = args.incident_id
    return t.Milestone(
        "mitigated", parse_time_arg(cur.rest, usage_of("incident", "mitigated")), incident_id
    )


def parse_time_arg(text: str, usage: str) -> TimeRef:
    try:
        return parse_time(text)
    except t.UsageError as exc:
        raise t.UsageError(f"{exc.message} Times: {exc.usage}", usage=usage) from None


def _note(cur: Cursor, args: Args) -> t.Command:
    incident_id = args.incident_id
    if not cur.rest:
        raise t.UsageError("A note needs some text.", usage=usage_of("incident", "note"))
    return t.Note(text=cur.rest, incident_id=incident_id)


def _tell(cur: Cursor, args: Args) -> t.Command:
    incident_id = args.incident_id
    usage = usage_of("incident", "tell")
    team = _placeholder(cur.word()).lstrip("@#")
    if not team or not _TEAM.match(team):
        raise t.UsageError("Which team?", usage=usage)
    if not cur.rest:
        raise t.UsageError(f"Tell {team} what? Give a message.", usage=usage)
    return t.Tell(team=team.lower(), message=cur.rest, incident_id=incident_id)


def _bare(
    make: Callable[[int | None], t.Command], name: str
) -> Callable[[Cursor, Args], t.Command]:
    """Commands without arguments, which also accept the ID at the end: `incident stop 12`."""

    def parse_bare(cur: Cursor, args: Args) -> t.Command:
        incident_id = args.incident_id
        if cur.rest:
            trailing = parse_incident_id(cur.word())
            if trailing is None or incident_id is not None or cur.rest:
                raise t.UsageError(
                    f"`incident {name}` takes only an incident ID. {ID_NOTE}",
                    usage=usage_of("incident", name),
                )
            incident_id = trailing
        return make(incident_id)

    return parse_bare


def _no_more(cur: Cursor, usage: str) -> None:
    if cur.rest:
        raise t.UsageError(f"I don't understand `{cur.rest[:60]}` there.", usage=usage)


_ROTATION: dict[str, Callable[[], t.Command]] = {
    "roster": t.ShowRoster,
    "top": t.Top,
    "position": t.Position,
    "stats": t.RotationStats,
}


def _ir(cur: Cursor, args: Args) -> t.Command:
    word = args.word
    sub = cur.word().lower()
    if not sub:
        return t.ShowOnCall()
    if word == "ir" and sub == "responders" and not cur.rest:
        return t.ShowOnCall(responders=True)
    if word == "ir" and sub == "who":
        usage = usage_of("ir", "who")
        token = cur.word()
        if not token:
            raise t.UsageError("Who? Name a person.", usage=usage)
        _no_more(cur, usage)
        return t.Who(_person(token, usage))
    if word == "ir" and sub == "page":
        first = cur.peek()
        if first.lower() == "responders":
            cur.word()
            return t.PageSomeone("responders", _message(cur.rest), war_room=True)
        if _USER.match(first):
            user = _person(cur.word(), usage_of("ir", "page"))
            return t.PageSomeone("person", _message(cur.rest), name=user)
        return t.PageSomeone("commanders", _message(cur.rest), war_room=True)
    usage = ", ".join(e.usage for e in lookup(("ir",)))
    raise t.UsageError(f"`{word} {sub[:40]}` is not a command.", usage=usage)


def _person(token: str, usage: str) -> str:
    """`@alice`, a platform mention, or a bare handle `alice`."""
    match = _USER.match(token)
    if match:
        return match[1] or match[2]
    bare = token.lstrip("@")
    if not _HANDLE_OR_EMAIL.match(bare):
        raise t.UsageError(f"`{token[:40]}` is not a user.", usage=usage)
    return bare


def _message(text: str) -> str:
    """The message, without the quotes of `page imoc "..."`."""
    text = text.strip()
    pairs = {'"': '"', "'": "'", "“": "”"}
    if len(text) >= 2 and pairs.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def _page(cur: Cursor, args: Args) -> t.Command:
    usage = usage_of("page")
    token = cur.word()
    if not token:  # Spy's `spy page`: alert the IMOC (seed 002)
        return t.PageSomeone("commanders", "")
    message = _message(cur.rest)
    if _USER.match(token):
        return t.PageSomeone("person", message, name=_person(token, usage))
    team = token.lstrip("#").lower()
    if not _TEAM.match(team):
        raise t.UsageError(f"`{token[:40]}` is not a team.", usage=usage)
    if team in ("imoc", "commanders", "ir"):
        return t.PageSomeone("commanders", message)
    if team == "responders":
        return t.PageSomeone("responders", message)
    return t.PageSomeone("team", message, name=team)


_ACTIONS: dict[str, t.PagerAction] = {
    "ack": "acknowledge",
    "acknowledge": "acknowledge",
    "res": "resolve",
    "resolve": "resolve",
}


def _pager(cur: Cursor, args: Args) -> t.Command:
    sub = cur.word().lower()
    every = ", ".join(e.usage for e in lookup(("pager",)))
    if sub == "list" and not cur.rest:
        return t.PagerList()
    if sub == "stfu":
        if not cur.rest:
            return t.Snooze(3600)
        seconds = parse_bounded_duration(
            cur.rest,
            most=MAX_SNOOZE,
            usage=usage_of("pager", "stfu"),
            what="a duration (`30m`, `2h`, `1d`)",
        )
        return t.Snooze(seconds)
    if sub == "unstfu" and not cur.rest:
        return t.Snooze(None)
    team = None
    if sub and sub not in _ACTIONS and _TEAM.match(sub):
        team, sub = sub, cur.word().lower()  # `pager imoc res 123`, as in the seed
    action = _ACTIONS.get(sub)
    if action is None:
        typed = " ".join(w for w in (team, sub) if w)[:60]
        raise t.UsageError(f"`pager {typed}` is not a command." if typed else "Yes?", usage=every)
    usage = usage_of("pager", "ack" if action == "acknowledge" else "res")
    token = cur.word().lstrip("#")
    if not token.isdigit() or len(token) > 9:
        raise t.UsageError("Which page? Give its number (`pager list`).", usage=usage)
    _no_more(cur, usage)
    return t.PagerUpdate(action, int(token), team)
