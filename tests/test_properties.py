"""Round-trip properties: effects through the outbox, `Doc` JSON, and durations."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, get_args, get_origin

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from warroom.app import effects
from warroom.core.doc import ChannelRef, Doc, Mention, Text
from warroom.core.oncall import Contact, PageAction
from warroom.core.timeref import MAX_SECONDS, format_duration, parse_duration

FAST = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# --- Doc ------------------------------------------------------------------------------------

texts = st.text(max_size=40)
segments = st.one_of(
    st.builds(Text, texts, st.sampled_from(["plain", "bold", "code", "italic"])),
    st.builds(Mention, texts),
    st.builds(ChannelRef, texts),
)
docs = st.builds(Doc, st.lists(st.lists(segments, max_size=5).map(tuple), max_size=4).map(tuple))


@FAST
@given(docs)
@example(Doc(()))
@example(Doc(((),)))
@example(Doc.of('a "quoted" <!channel> @here', "ünïcødé 🔥\nsecond\\line"))
def test_doc_json_round_trips(doc: Doc) -> None:
    assert doc == Doc.from_json(doc.to_json())


def test_doc_json_refuses_an_unknown_segment_kind() -> None:
    with pytest.raises(ValueError, match="unknown segment kind 'blink'"):
        Doc.from_json('[[["blink", "x"]]]')


# --- Effects --------------------------------------------------------------------------------

optional_text = st.none() | texts
contacts = st.builds(Contact, texts, optional_text, optional_text, optional_text, optional_text)
ids = st.integers(min_value=0, max_value=2**31 - 1)

EFFECTS: dict[type[Any], st.SearchStrategy[Any]] = {
    effects.Post: st.builds(effects.Post, texts, docs, optional_text, optional_text, optional_text),
    effects.Direct: st.builds(effects.Direct, texts, docs),
    effects.SetTopic: st.builds(effects.SetTopic, texts, st.none() | docs),
    effects.WriteFile: st.builds(effects.WriteFile, texts, st.text(max_size=200)),
    effects.CheckStatus: st.builds(
        effects.CheckStatus,
        texts,
        st.sampled_from(["report", "incidents", "summary", "stalk"]),
        st.none() | docs,
        optional_text,
        optional_text,
        st.none() | ids,
    ),
    effects.CreateChannel: st.builds(effects.CreateChannel, texts),
    effects.Invite: st.builds(effects.Invite, texts, st.lists(texts, max_size=4).map(tuple)),
    effects.PageCall: st.builds(
        effects.PageCall,
        page_id=ids,
        provider=texts,
        action=st.sampled_from(PageAction),
        key=texts,
        summary=texts,
        schedules=st.lists(texts, max_size=3).map(tuple),
        people=st.lists(contacts, max_size=3).map(tuple),
    ),
    effects.OpenTicket: st.builds(
        effects.OpenTicket, ids, texts, texts, st.text(max_size=200), texts, texts, st.booleans()
    ),
    effects.ReadIssues: st.builds(effects.ReadIssues, st.lists(texts, max_size=5).map(tuple)),
    effects.PickResponder: st.builds(effects.PickResponder, ids, ids),
    effects.RunPlugin: st.builds(
        effects.RunPlugin,
        texts,
        texts,
        st.text(max_size=200),
        optional_text,
        optional_text,
        optional_text,
        st.booleans(),
        st.none() | ids,
        optional_text,
    ),
}


def _effect_types() -> set[type[Any]]:
    """The members of the `Effect` union (unwrapping `Annotated`, as a discriminated union is)."""
    union: Any = effects.Effect
    if get_origin(union) is typing.Annotated:
        union = get_args(union)[0]
    return set(get_args(union))


def test_every_effect_has_a_strategy() -> None:
    """A new effect kind must be added above, so that its dump/load is checked too."""
    assert _effect_types() == set(EFFECTS)
    assert all(dataclasses.is_dataclass(kind) for kind in EFFECTS)


@FAST
@given(st.one_of(*EFFECTS.values()))
def test_effects_round_trip_through_the_outbox_payload(effect: effects.Effect) -> None:
    kind, payload = effects.dump(effect)
    assert isinstance(kind, str)
    assert isinstance(payload, str)
    assert effect == effects.load(kind, payload)


@FAST
@given(st.one_of(*EFFECTS.values()), st.one_of(*EFFECTS.values()))
def test_effect_kinds_tell_the_effects_apart(first: effects.Effect, second: effects.Effect) -> None:
    """Two effects of different classes are stored under different kinds."""
    if type(first) is not type(second):
        assert effects.dump(first)[0] != effects.dump(second)[0]


def test_an_unknown_outbox_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="fax"):
        effects.load("fax", "{}")


# --- Durations ------------------------------------------------------------------------------

seconds = st.integers(min_value=0, max_value=MAX_SECONDS)


def _resolution(total: int) -> int:
    """What `format_duration` keeps: seconds under an hour, minutes under a day, then hours."""
    if total < 3600:
        return 1
    if total < 86400:
        return 60
    return 3600


@FAST
@given(seconds)
@example(0)
@example(59)
@example(3599)
@example(3600)
@example(86399)
@example(86400)
@example(MAX_SECONDS)
def test_parse_of_format_recovers_the_duration_at_its_resolution(total: int) -> None:
    """`12m 05s` is exact; `3h 07m` drops the seconds and `2d 4h` the minutes: parse(format(d))
    is d truncated to that resolution, and exactly d below an hour."""
    from datetime import timedelta

    parsed = parse_duration(format_duration(timedelta(seconds=total)))
    assert parsed == total - total % _resolution(total)
    if total < 3600:
        assert parsed == total


@FAST
@given(seconds)
def test_compact_and_spelled_forms_parse_to_the_seconds(total: int) -> None:
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    assert total == parse_duration(f"{days}d{hours}h{minutes}m{secs}s")
    assert total == parse_duration(f"{days} days {hours} hours {minutes} min {secs} sec")
    assert total == parse_duration(str(total))
    if total < 10**7:  # see the 8-digit regression test below
        assert total == parse_duration(f"  {total}S  ")


@FAST
@given(st.integers(min_value=MAX_SECONDS + 1, max_value=10 * MAX_SECONDS))
def test_durations_over_a_year_are_not_durations(total: int) -> None:
    assert parse_duration(str(total)) is None
    assert parse_duration(f"{total}s") is None


@FAST
@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_negative_durations_format_with_a_sign_and_do_not_parse(total: int) -> None:
    from datetime import timedelta

    shown = format_duration(timedelta(seconds=-total))
    assert shown.startswith("-")
    assert shown[1:] == format_duration(timedelta(seconds=total))
    assert parse_duration(shown) is None


def _superscript_bug(text: str) -> bool:
    """The bug the regression test below keeps: all digits, one of them not a decimal one."""
    text = text.strip().lower()
    return text.isdigit() and not text.isdecimal()


@FAST
@given(st.text(max_size=30) | st.from_regex(r"\A[0-9 dhmsinourecay]{0,20}\Z"))
@example("1h 30m")
@example("١٢m")  # Arabic-Indic digits are decimal digits: 12 minutes
def test_parse_duration_answers_any_text_with_seconds_or_none(text: str) -> None:
    """Any text a user types gives an int within a year, or None; never an exception."""
    assume(not _superscript_bug(text))
    parsed = parse_duration(text)
    assert parsed is None or (isinstance(parsed, int) and 0 <= parsed <= MAX_SECONDS)


@pytest.mark.parametrize("text", ["²", "5²", " 1⁰ "])
def test_regression_a_superscript_digit_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


def test_regression_eight_digit_seconds_with_a_unit_parse_like_bare_seconds() -> None:
    assert 10_000_000 == parse_duration("10000000")
    assert 10_000_000 == parse_duration("10000000s")
