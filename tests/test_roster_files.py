"""oncall.csv, holidays.yml and exclusions.yml: documented formats, clear errors, reloads."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from warroom.app.roster import (
    RosterError,
    RulesFiles,
    parse_csv,
    parse_exclusions,
    parse_holidays,
)


def test_csv_columns_any_order_aliases_and_manager_flag() -> None:
    people = parse_csv(
        "Time zone,Chat handle,Name,Manager,E-mail\n"
        "Europe/Amsterdam,@alice,Alice,,a@x\n\n"
        "UTC,erin,Erin,yes,e@x\n"
    )
    assert [("alice", "Europe/Amsterdam", False), ("erin", "UTC", True)] == [
        (p.handle, p.tz, p.manager) for p in people
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "roster: empty"),
        ("name,tz\nA,UTC\n", "roster:1: columns must include handle,"),
        ("handle,shoe\na,42\n", "unknown: shoe"),
        ("handle\na\nA\n", "roster:3: @A is listed twice"),
        ("handle,tz\nbad name,UTC\n", "roster:2: `bad name` is not a chat handle"),
    ],
)
def test_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_csv(text)
    assert message in str(caught.value)


def test_holidays_per_country_and_person_with_ranges() -> None:
    holidays = parse_holidays(
        "countries:\n  nl: [2026-12-25, '2026-12-26']\npeople:\n  '@Alice': ['2026-12-01..2026-12-03']\n"
    )
    assert frozenset({date(2026, 12, 25), date(2026, 12, 26)}) == holidays.countries["NL"]
    assert 3 == len(holidays.people["alice"])
    with pytest.raises(RosterError, match="not a date"):
        parse_holidays("people:\n  bob: [tomorrow]\n")
    with pytest.raises(RosterError, match="expected the sections"):
        parse_holidays("- 2026-12-25\n")


def test_exclusions_list_or_people_section() -> None:
    assert frozenset({"bob", "cy"}) == parse_exclusions("- '@Bob'\n- cy\n")
    assert frozenset({"dee"}) == parse_exclusions("people: [dee]\n")
    with pytest.raises(RosterError):
        parse_exclusions("just a string")


def test_rules_files_reload_on_change_and_keep_the_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "exclusions.yml"
    path.write_text("- bob\n")
    files = RulesFiles()
    assert frozenset({"bob"}) == files.exclusions(path)
    path.write_text("- cy\n")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))
    assert frozenset({"cy"}) == files.exclusions(path)
    path.write_text("[unclosed\n")
    os.utime(path, ns=(1, 2_000_000_000_100_000_000))
    assert frozenset({"cy"}) == files.exclusions(path)
    path.unlink()
    assert frozenset() == files.exclusions(path)
    assert frozenset() == files.exclusions(None)
