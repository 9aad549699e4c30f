"""`warroom oncall import FILE`: a CSV roster becomes the `oncall` YAML, validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warroom.cli import main
from warroom.config import Settings

CSV = """handle,name,phone,email,timezone,rotation
alice,Alice Archer,+1 555 0100,alice@example.com,America/Toronto,imoc-primary;support
@bob,Bob Baker,+1 555 0101,,,imoc-primary
carol,Carol Chen,,,,
"""


def test_import_prints_a_valid_oncall_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "roster.csv"
    file.write_text(CSV)
    assert 0 == main(
        ["oncall", "import", str(file), "--shift", "daily", "--start", "2026-01-05T09:00:00Z"]
    )
    data = yaml.safe_load(capsys.readouterr().out)
    assert {
        "name": "Alice Archer",
        "phone": "+1 555 0100",
        "email": "alice@example.com",
        "timezone": "America/Toronto",
    } == data["oncall"]["people"]["alice"]
    assert {"name": "Carol Chen"} == data["oncall"]["people"]["carol"]
    assert {
        "shift": "daily",
        "start": "2026-01-05T09:00:00Z",
        "people": ["alice", "bob"],
    } == data["oncall"]["schedules"]["imoc-primary"]
    assert ["alice"] == data["oncall"]["schedules"]["support"]["people"]
    settings = Settings.model_validate(data)  # pastes into a configuration as it is
    assert "Bob Baker" == settings.oncall.people["bob"].name


@pytest.mark.parametrize(
    ("csv_text", "says"),
    [
        ("name,phone\nA,1\n", "roster.csv:1: columns must include handle and name"),
        ("handle,name,pager\na,A,x\n", "unknown: pager"),
        ("handle,name\na,\n", "roster.csv:2: handle and name are required"),
        ("handle,name\na,A\na,B\n", "roster.csv:3: @a is listed twice"),
    ],
)
def test_bad_rows_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], csv_text: str, says: str
) -> None:
    file = tmp_path / "roster.csv"
    file.write_text(csv_text)
    assert 2 == main(["oncall", "import", str(file)])
    assert says in capsys.readouterr().err
