"""The words of `!ir`, `page` and `pager` replies, as Docs."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.core.doc import ChannelRef, Doc, Line, Mention, Segment, Text, code, line
from warroom.core.oncall import Contact
from warroom.core.timeref import format_duration, format_utc

PROVIDER_NAMES = {"builtin": "the builtin roster", "pagerduty": "PagerDuty", "opsgenie": "Opsgenie"}


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def person(contact: Contact) -> Line:
    """`Alice Archer (@alice) +1 555 0100`: name, handle, phone; what to call when paging fails."""
    out: list[Segment] = [Text(contact.name)]
    if contact.handle:
        out += [Text(" ("), Mention(contact.handle), Text(")")]
    out.append(Text(f" {contact.phone}" if contact.phone else " (no phone number)"))
    return tuple(out)


def people(contacts: list[Contact]) -> Line:
    out: list[Segment] = []
    for i, contact in enumerate(contacts):
        if i:
            out.append(Text(", "))
        out.extend(person(contact))
    return tuple(out) or (Text("nobody"),)


def handles(contacts: list[Contact]) -> Line:
    """Mentions where a chat handle is known, else names."""
    out: list[Segment] = []
    for i, contact in enumerate(contacts):
        if i:
            out.append(Text(", "))
        out.append(Mention(contact.handle) if contact.handle else Text(contact.name))
    return tuple(out) or (Text("nobody on call"),)


def cache_note(provider: str, age: timedelta | None, error: str | None) -> Line | None:
    """Said when the provider did not answer and the cache did."""
    if error is None:
        return None
    if age is None:
        return line(f"⚠ {provider_name(provider)} did not answer ({error}) and nothing is cached.")
    return line(
        f"⚠ {provider_name(provider)} did not answer ({error}); "
        f"this is from the cache, {format_duration(age)} old."
    )


def how_to_page() -> Line:
    return line(
        "To page them: ", code("!ir page <what is broken>"), " (pages them, opens a war room and "
        "an incident) or ", code('page imoc "<message>"'), ".",
    )  # fmt: skip


def page_failed(
    target: str, provider: str, reason: str, contacts: list[Contact], page_id: int
) -> Doc:
    callable_ = [c for c in contacts if c.phone]
    lines: list[Line] = [
        line(
            f"⚠ Could not page {target} via {provider_name(provider)} ({reason}), page #{page_id}."
        )
    ]
    if callable_:
        lines.append(line("Call them: ", *people(callable_)))
    else:
        lines.append(
            line("I have no phone number for them: ", code("!ir who <user>"), " shows anyone's.")
        )
    return Doc(tuple(lines))


def page_dm(summary: str, *, war_room: str | None = None) -> Doc:
    """The DM a paged person gets: what is broken and where to go; never the dedup key, which
    is the provider's business, not theirs."""
    if war_room:
        where = line(
            "Join the war room ", ChannelRef(war_room), "; ", code("pager list"),
            " shows the open pages.",
        )  # fmt: skip
    else:
        where = line(
            code("pager list"), " shows the open pages; ", code("pager ack <page>"),
            " acknowledges.",
        )  # fmt: skip
    return Doc.of(line("📟 You are paged: ", Text(summary)), where)


def war_room(channel: str, incident_id: int) -> Line:
    return line("🔥 War room: ", ChannelRef(channel), f" (INC-{incident_id}).")


def local_time(timezone: str | None, now: datetime) -> str | None:
    if not timezone:
        return None
    try:
        from zoneinfo import ZoneInfo

        local = now.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError, OSError):
        return None
    return f"{local:%H:%M} there"


def when(at: datetime) -> str:
    return format_utc(at)
