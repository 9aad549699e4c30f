"""The words of reminders: each mentions the role it is for."""

from __future__ import annotations

from datetime import datetime

from warroom.core.doc import ChannelRef, Doc, Line, Mention, Segment, Text, code, line
from warroom.core.incident import Incident
from warroom.core.reminder import Rule
from warroom.core.timeref import format_duration
from warroom.render.incident import inc


def _who(user: str | None, snoozed: bool) -> Segment:
    """A mention, unless that person said `pager stfu`: then just the name, no ping."""
    if user is None:
        return Text("nobody")
    return Text(f"{user} (snoozed)") if snoozed else Mention(user)


def after_comma(message: str) -> str:
    """`Please create …` reads `@daniella, please create …`; `SRM …` and `I …` keep their case."""
    word = message.split(" ", 1)[0]
    if len(word) > 1 and word[0].isupper() and word[1:].islower() and word.isalpha():
        return message[0].lower() + message[1:]
    return message


def team_name(rule: Rule) -> str:
    """The team a notify_* reminder tells: its `team:`, else `support` or `imoc`."""
    return rule.team or ("support" if rule.command == "notify_support" else "imoc")


def in_channel(
    rule: Rule,
    incident: Incident,
    now: datetime,
    *,
    imoc_snoozed: bool,
    srm_snoozed: bool,
    team_channel: str | None,
) -> Doc:
    """The reminder in the incident's channel. For notify_support and notify_imoc_team,
    `team_channel` is where the team was told, or None when no such team is configured: then
    the reminder says nobody was told, and what to do."""
    imoc = _who(incident.imoc, imoc_snoozed)
    srm = _who(incident.srm, srm_snoozed) if incident.srm else None
    team = team_name(rule)
    lines: list[Line] = []
    match rule.command:
        case "check_status_page":
            lines.append(line("📊 ", imoc, ", is the status page up to date for this incident?"))
        case "notify_support":
            lines.append(_support(rule, imoc, team, team_channel))
        case "srm_fill_out_doc" if srm:
            lines.append(
                line("📝 ", srm, f", please fill out the incident document for {inc(incident)}.")
            )
        case "srm_fill_out_doc":
            lines.append(line(
                "📝 ", imoc, ", there is no SRM yet to fill out the incident document: ",
                code("incident srm @user"), ".",
            ))  # fmt: skip
        case "srm_checking_in":
            who = srm or imoc
            lines.append(
                line("👋 ", who, ", checking in: are support and external comms up to date?")
            )
        case "notify_imoc_team":
            lines.extend(_imoc_team(incident, now, imoc, team, team_channel))
        case _:
            lines.append(line("🔔 ", imoc, ", ", Text(after_comma(rule.message or ""))))
    if rule.message and rule.command not in ("message", "notify_support"):
        lines.append(line(Text(rule.message)))
    return Doc(tuple(lines))


def _support(rule: Rule, imoc: Segment, team: str, team_channel: str | None) -> Line:
    """notify_support: who was asked for an SRM, or that nobody could be, and what to do."""
    if team_channel is None:
        return line(
            "🆘 ", imoc, f", I could not ask the {team} team for a Support Response ",
            "Manager (SRM): no ", code(team), " team is configured (",
            code(f"teams.{team}.channel"), "). Ask them yourself, then ",
            code("incident srm @user"), ".",
        )  # fmt: skip
    if rule.message:
        return line("🆘 ", imoc, ", ", Text(after_comma(rule.message)))
    return line(
        "🆘 ", imoc, f", I asked the {team} team in ", ChannelRef(team_channel),
        " for a Support Response Manager (SRM).",
    )  # fmt: skip


def _imoc_team(
    incident: Incident, now: datetime, imoc: Segment, team: str, team_channel: str | None
) -> list[Line]:
    """notify_imoc_team: how long it has run, and whether the IMOC team was told."""
    running = line(
        f"⏱ {inc(incident)} has been running for "
        f"{format_duration(now - incident.started_at)}. ", imoc,
        ", do you need relief? ", code("incident handoff @user"), " hands over.",
    )  # fmt: skip
    if team_channel is None:
        told = line(
            "No ", code(team), " team is configured (", code(f"teams.{team}.channel"),
            "), so nobody else was told.",
        )  # fmt: skip
    else:
        told = line(f"I told the {team} team in ", ChannelRef(team_channel), " too.")
    return [running, told]


def to_team(rule: Rule, incident: Incident, now: datetime) -> Doc:
    """What notify_support and notify_imoc_team post in the team's own channel."""
    where = ChannelRef(incident.channel)
    if rule.command == "notify_support":
        return Doc.of(line(
            f"🆘 {inc(incident)} (", Text(incident.summary), ") is active in ", where,
            "; the IMOC is ", Mention(incident.imoc),
            ". A Support Response Manager (SRM) is needed: ", code("incident srm me"), " there.",
        ))  # fmt: skip
    return Doc.of(line(
        f"⏱ {inc(incident)} (", Text(incident.summary), ") in ", where, " has been running for ",
        f"{format_duration(now - incident.started_at)}; its IMOC ", Mention(incident.imoc),
        " may need relief.",
    ))  # fmt: skip
