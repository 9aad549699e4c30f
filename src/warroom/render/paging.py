"""The words of `!ir`, `page` and `pager` replies, as Docs."""

from __future__ import annotations

from dataclasses import dataclass, field
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


def who_is(contact: Contact) -> str:
    """`@alice`, or for someone known only to a vendor, `Carol Chen (carol@example.com)`."""
    if contact.handle:
        return f"@{contact.handle}"
    return f"{contact.name} ({contact.email})" if contact.email else contact.name


def any_of(contacts: list[Contact]) -> str:
    names = [who_is(c) for c in contacts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def did_you_mean(word: str, near: list[Contact], *, bang: bool) -> str:
    """The question asked instead of paging when the first word looks like a person's name:
    `!ir page alcie …` (bang) or `page alcie …`."""
    first = near[0]
    head = f"Did you mean {any_of(near)}?"
    if first.handle:
        prefix = "!ir page" if bang else "page"
        how = f" `{prefix} @{first.handle} …` pages them"
    else:
        how = (
            f" {who_is(first)} has no chat handle I know; `!ir who {first.email or first.name}` "
            "shows how to reach them"
        )
    if bang:
        return f"{head}{how}; `!ir page -- {word} …` pages the commanders with that text."
    return f"{head}{how}."


def primary_not_imoc(primary: Contact, imoc: str) -> Line:
    return line(
        f"⚠ {who_is(primary)}, the primary on call, has no chat handle I know, so I could not "
        "make them IMOC: ", Mention(imoc), " is IMOC for now (", code("incident imoc @…"),
        " hands it over).",
    )  # fmt: skip


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


@dataclass(frozen=True)
class ToCall:
    """Who to call by hand when a page is not confirmed: the paged people; `fallback` when
    the vendor gave us nobody (nothing cached): the roster's people with a phone."""

    people: list[Contact]
    fallback: list[Contact] = field(default_factory=list)


def _call_them(to_call: ToCall, provider: str) -> list[Line]:
    phones = [c for c in to_call.people if c.phone]
    if phones:
        return [line("Call them: ", *people(phones))]
    if to_call.fallback:
        return [
            line(
                f"Nothing from {provider_name(provider)} is cached, so I don't know who is "
                "on call; people with a phone in ", code("oncall.people"), ": ",
                *people(to_call.fallback),
            )
        ]  # fmt: skip
    return [line("I have no phone number for them: ", code("!ir who <user>"), " shows anyone's.")]


def page_failed(target: str, provider: str, reason: str, to_call: ToCall, page_id: int) -> Doc:
    lines: list[Line] = [
        line(
            f"⚠ Could not page {target} via {provider_name(provider)} ({reason}), page #{page_id}."
        )
    ]
    return Doc(tuple(lines + _call_them(to_call, provider)))


def still_trying(
    target: str, provider: str, reason: str, to_call: ToCall, page_id: int, until: datetime
) -> Doc:
    """The seed's fallback, said the moment a first try fails or is slow: who to call now."""
    return Doc(
        (
            line(f"⚠ {provider_name(provider)} has not confirmed the page yet; still trying. ")
            + _call_them(to_call, provider)[0],
            line(f"(Page #{page_id} to {target}: {reason}. I keep trying until {when(until)}.)"),
        )
    )


def page_confirmed_late(target: str, provider: str, page_id: int, after: timedelta) -> Doc:
    return Doc.of(
        f"✅ {provider_name(provider)} confirmed page #{page_id} ({target}) after "
        f"{format_duration(after)}."
    )


def page_given_up(target: str, provider: str, reason: str, page_id: int, after: timedelta) -> Doc:
    return Doc.of(
        f"⚠ Gave up on page #{page_id} ({target}): {provider_name(provider)} did not confirm it "
        f"in {format_duration(after)} ({reason}). Call them by phone if nobody has."
    )


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
