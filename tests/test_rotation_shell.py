"""The rotation through `warroom shell` in a subprocess, with real time: 1 s escalations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import run_warroom

pytestmark = pytest.mark.slow

# 2 s escalations; the script sleeps 3 s to see one step (a second of slack for a busy machine).
FAST = {"WARROOM_ROTATION__ESCALATE_AFTER": "2", "WARROOM_ROTATION__MAX_ENGINEERS": "2"}


def test_escalation_ack_presence_and_managers_in_the_shell(tmp_path: Path) -> None:
    """The example roster (alice, bob, chen; erin manages): alice is pinged, no ACK in 2 s
    escalates to bob, whose 👀 acknowledges. Then chen is away: alice is next; nobody answers,
    bob after 2 s, and after two engineers the manager."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    script = [
        "/channel dev-oncall",
        "devoncall https://gitlab.example/incidents/7",
        "/sleep 3",
        "/user bob",
        "/react eyes",
        "/presence chen away",
        "devoncall the second one",
        "/sleep 5",
    ]
    result = run_warroom(
        "shell",
        "--db",
        db,
        "--user",
        "zed",
        tmp_path=tmp_path,
        stdin="\n".join(script) + "\n",
        env=FAST,
    )
    assert 0 == result.returncode, result.stderr
    said = [
        re.sub(r"after \d+s", "after Ns", line)
        for line in result.stdout.splitlines()
        if line.startswith("[#dev-oncall]")
    ]
    assert [
        "[#dev-oncall] warroom (thread): 📟 @alice you're on call for: "
        "https://gitlab.example/incidents/7",
        "[#dev-oncall] warroom (thread): React with :eyes: to acknowledge.",
        "[#dev-oncall] warroom (thread): 📟 @bob you're on call for: "
        "https://gitlab.example/incidents/7",
        "[#dev-oncall] warroom (thread): (no ACK from @alice; escalation step 2)",
        "[#dev-oncall] warroom (thread): React with :eyes: to acknowledge.",
        "[#dev-oncall] warroom (thread): 👀 @bob acknowledged after Ns. Thanks!",
        "[#dev-oncall] warroom (thread): 📟 @alice you're on call for: the second one",
        "[#dev-oncall] warroom (thread): React with :eyes: to acknowledge.",
        "[#dev-oncall] warroom (thread): 📟 @bob you're on call for: the second one",
        "[#dev-oncall] warroom (thread): (no ACK from @alice; escalation step 2)",
        "[#dev-oncall] warroom (thread): React with :eyes: to acknowledge.",
        "[#dev-oncall] warroom (thread): 🆘 @erin: no ACK from 2 engineers. "
        "Please find someone for: the second one",
        "[#dev-oncall] warroom (thread): React with :eyes: here once someone has it.",
    ] == said

    stats = run_warroom("stats", "--csv", "--db", db, tmp_path=tmp_path)
    assert 0 == stats.returncode, stats.stderr
    rows = stats.stdout.splitlines()
    assert "metric,key,value" == rows[0]
    assert {"pages,,2", "acknowledged,,1", "escalations,,3", "pings_per_person,alice,2"} <= set(
        rows
    )


def test_roster_import_merges_or_replaces_and_names_bad_lines(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    csv = tmp_path / "oncall.csv"
    csv.write_text("handle,name,email,tz,manager\nana,Ana,ana@x,Europe/Lisbon,\nbo,Bo,,UTC,yes\n")
    done = run_warroom("roster", "import", str(csv), "--db", db, tmp_path=tmp_path)
    assert (0, "roster: 2 in " + str(csv) + "; 2 added, 0 updated, 0 removed\n") == (
        done.returncode,
        done.stdout,
    )
    csv.write_text("handle,tz\nana,Europe/Paris\ncy,UTC\n")
    done = run_warroom("roster", "import", str(csv), "--replace", "--db", db, tmp_path=tmp_path)
    assert "2 in " + str(csv) + "; 1 added, 1 updated, 1 removed\n" == done.stdout[8:]
    csv.write_text("handle,tz\nana,Mars/Olympus\n")
    bad = run_warroom("roster", "import", str(csv), "--db", db, tmp_path=tmp_path)
    assert 2 == bad.returncode
    assert f"{csv}:2: `Mars/Olympus` is not a time zone" in bad.stderr
