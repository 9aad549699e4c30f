"""The rotation's words: pings, acknowledgements, escalations, the queue, the stats."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import timedelta

from warroom.core.doc import Doc, Line, Mention, Text, bold, code, line
from warroom.core.rotation import Member, Stats
from warroom.core.timeref import format_duration
from warroom.render.plural import plural

TOP = 25


def ping(member: Member, text: str, *, step: int, emoji: str, previous: Sequence[str]) -> Doc:
    lead: Line = line("📟 ", Mention(member.handle), " you're on call for: ", Text(text))
    if previous:
        names: list[Mention | str] = []
        for i, handle in enumerate(previous):
            names += [", " if i else "", Mention(handle)]
        return Doc(
            (
                lead,
                line("(no ACK from ", *names, f"; escalation step {step})"),
                line(f"React with :{emoji}: to acknowledge."),
            )
        )
    return Doc((lead, line(f"React with :{emoji}: to acknowledge.")))


_REASONS = (
    ("on holiday", "on holiday"),
    ("excluded", "excluded"),
    ("outside working hours", "outside working hours"),
    ("snoozed", "snoozed (`pager stfu`)"),
    ("away", "away"),
    ("presence unknown", "whose presence I could not check"),
)


def nobody(counts: Mapping[str, int], *, escalation: bool) -> str:
    """Why nobody was pinged, for the managers: `nobody is online` when everyone who may be
    paged is simply away, else the count per reason (`2 on holiday, 1 outside working hours`)."""
    others = {k: v for k, v in counts.items() if k != "pinged already" and v}
    if not others and counts.get("pinged already"):
        return "everyone in the rotation was pinged already"
    if set(others) <= {"away"}:
        return "nobody else in the rotation is online" if escalation else "nobody is online"
    parts = [f"{others[key]} {label}" for key, label in _REASONS if others.get(key)]
    parts += [f"{n} {key}" for key, n in sorted(others.items()) if key not in dict(_REASONS)]
    if escalation and counts.get("pinged already"):
        parts.append(f"{counts['pinged already']} pinged already")
    head = "nobody else in the rotation" if escalation else "nobody in the rotation"
    return f"{head} can be pinged now: {', '.join(parts)}"


def no_ack(engineers: int) -> str:
    return f"no ACK from {plural(engineers, 'engineer')}"


def managers(handles: Sequence[str], *, reason: str, text: str, emoji: str) -> Doc:
    if not handles:
        return Doc.of(
            f"🆘 {reason}, and no engineering managers are configured "
            "(`rotation.managers`, or the roster's manager column). Nobody else to ping."
        )
    mentions: list[Mention | str] = []
    for i, handle in enumerate(handles):
        mentions += [" " if i else "", Mention(handle)]
    return Doc(
        (
            line("🆘 ", *mentions, f": {reason}. Please find someone for: ", Text(text)),
            line(f"React with :{emoji}: here once someone has it."),
        )
    )


def acked(user: str, waited_s: float, *, late: bool) -> Doc:
    wait = format_duration(timedelta(seconds=int(waited_s)))
    tail = " (on an earlier ping; no one else will be pinged)" if late else ""
    return Doc((line("👀 ", Mention(user), f" acknowledged after {wait}{tail}. Thanks!"),))


def queue(order: Sequence[Member], *, limit: int = TOP) -> Doc:
    if not order:
        return Doc.of("The queue is empty: `warroom roster import oncall.csv` fills the roster.")
    lines: list[Line] = [line(bold(f"Next {min(limit, len(order))} in the queue:"))]
    for i, m in enumerate(order[:limit], 1):
        lines.append(line(f"{i}. {m.handle} ({plural(m.turns, 'turn')}, {m.tz})"))
    return Doc(tuple(lines))


def position(handle: str, place: int | None, size: int) -> Doc:
    if place is None:
        return Doc.of(f"You ({handle}) are not in the rotation queue.")
    return Doc.of(
        f"You are number {place} of {size} in the queue "
        "(a higher number means you are less likely to be pinged next)."
    )


def roster(members: Sequence[Member], unavailable: dict[str, str]) -> Doc:
    if not members:
        return Doc.of("The roster is empty: `warroom roster import oncall.csv` fills it.")
    engineers = [m for m in members if not m.manager]
    bosses = [m for m in members if m.manager]
    counted = f"{plural(len(engineers), 'engineer')}, {plural(len(bosses), 'manager')}"
    lines: list[Line] = [line(bold(f"Roster: {counted}"))]
    for m in members:
        role = "manager" if m.manager else plural(m.pings, "ping")
        why = unavailable.get(m.handle.lower())
        note = f", {why}" if why else ""
        where = f"{m.tz}{' ' + m.country if m.country else ''}"
        lines.append(line(f"• {m.handle} ({m.name or m.handle}; {where}; {role}{note})"))
    return Doc(tuple(lines))


def _secs(value: float | None) -> str:
    return "–" if value is None else format_duration(timedelta(seconds=round(value)))


def stats(s: Stats) -> Doc:
    def pairs(items: Sequence[tuple[str, int]]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in items) or "none"

    return Doc(
        (
            line(bold("Rotation stats")),
            line(f"Pages: {s.pages}, acknowledged: {s.acked}, escalations: {s.escalations}"),
            line(f"Time to ACK: average {_secs(s.mean_ack_s)}, p90 {_secs(s.p90_ack_s)}"),
            line("Per week: ", code(pairs(s.per_week))),
            line("Per month: ", code(pairs(s.per_month))),
            line("By responder time zone: ", code(pairs(s.per_tz))),
            line("Pings per person: ", code(pairs(s.pings))),
        )
    )


def stats_csv(s: Stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "key", "value"])
    writer.writerow(["pages", "", s.pages])
    writer.writerow(["acknowledged", "", s.acked])
    writer.writerow(["escalations", "", s.escalations])
    writer.writerow(["ack_seconds_mean", "", "" if s.mean_ack_s is None else f"{s.mean_ack_s:.1f}"])
    writer.writerow(["ack_seconds_p90", "", "" if s.p90_ack_s is None else f"{s.p90_ack_s:.1f}"])
    for name, items in (
        ("pages_per_week", s.per_week),
        ("pages_per_month", s.per_month),
        ("pages_per_responder_tz", s.per_tz),
        ("pings_per_person", s.pings),
    ):
        for key, value in items:
            writer.writerow([name, key, value])
    return out.getvalue()
