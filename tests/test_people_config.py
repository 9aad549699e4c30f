"""One place per person: `oncall.people` holds a person's details, `rotation.members` refers to
them by handle; the configuration seeds an empty roster and never undoes `roster import`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers import run_warroom
from warroom import config
from warroom.config import ConfigError, load


def test_the_example_has_one_place_per_person() -> None:
    """Everyone the example rotates, commands or supports has a contact in `oncall.people`,
    and the rotation's details are theirs (alice's time zone is Toronto's in both)."""
    settings, _ = load(config.EXAMPLE_CONFIG)
    people = settings.oncall.people
    roster = {m.handle: m for m in settings.rotation_roster()}
    scheduled = {p for s in settings.oncall.schedules.values() for p in s.people}
    for handle in set(roster) | scheduled | set(settings.rotation.managers):
        assert handle in people, f"{handle} has no contact in oncall.people"
        assert people[handle].phone, f"{handle} has no phone"
    for handle, member in roster.items():
        assert (people[handle].name, people[handle].timezone) == (member.name, member.tz)
    assert "America/Toronto" == roster["alice"].tz
    raw = yaml.safe_load(config.EXAMPLE_CONFIG.read_text())
    for entry in raw["rotation"]["members"]:
        assert {"name", "email", "tz"}.isdisjoint(entry), entry


def test_a_detail_given_in_two_places_stops_the_start(tmp_path: Path) -> None:
    raw = yaml.safe_load(config.EXAMPLE_CONFIG.read_text())
    raw["rotation"]["members"][0]["tz"] = "Europe/Amsterdam"
    file = tmp_path / "warroom.yml"
    file.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as refused:
        load(file)
    assert (
        "rotation.members.0.tz: alice is in oncall.people, which says 'America/Toronto'; a "
        "person's details live there only: drop `tz` here"
    ) in str(refused.value)


def test_roster_import_replace_is_not_undone_at_the_next_start(tmp_path: Path) -> None:
    """The first start seeds the roster from `rotation.members`; a `--replace` import after
    that is the roster, also after the next start."""
    db = f"sqlite:///{tmp_path / 'w.db'}"

    def roster() -> str:
        result = run_warroom(
            "shell", "--db", db, "--user", "zed", "--no-web", tmp_path=tmp_path,
            stdin=["/dm", "roster"],
        )  # fmt: skip
        assert 0 == result.returncode, result.stderr
        return result.stdout

    first = roster()
    assert "• alice (Alice Archer; America/Toronto CA" in first
    assert "• chen" in first
    csv = tmp_path / "oncall.csv"
    csv.write_text("handle,name,email,tz,country,manager\nbob,Bob Baker,,UTC,DE,no\n")
    imported = run_warroom("roster", "import", str(csv), "--replace", "--db", db, tmp_path=tmp_path)
    assert 0 == imported.returncode, imported.stderr
    after = roster()
    assert "• bob" in after
    assert "• alice" not in after, after
    assert "• chen" not in after, after
