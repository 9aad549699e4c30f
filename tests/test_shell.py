"""`warroom shell` as users run it: a subprocess reading a script on stdin."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from helpers import run_warroom, start_warroom

pytestmark = pytest.mark.slow

SPY = [
    "spy incident start me checkout is down",
    "spy incident tldr",
    "/user camilo",
    "spy incident note rolled back deploy 1234",
    "/user daniella",
    "spy incident failures started 10m ago",
    "spy incident srm @charlie",
    "spy incident mitigated",
    "spy incident handoff @hormoz",
    "/user hormoz",
    "spy incident tell support please hold the refunds queue",
    "spy incident stop",
    "spy incident report 1",
]


def shell(
    script: list[str], db: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_warroom(
        "shell", "--db", db, "--user", "daniella", *args, tmp_path=tmp_path, stdin=script, env=env
    )


def without_times(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<T>", text)


def check_spy_transcript(out: str, tmp_path: Path) -> None:
    out = without_times(out)
    expected = [
        "[#war-room] warroom: 🔥 An incident was reported at <T>. @daniella is the IMOC. (INC-1)",
        "[#war-room] warroom: Status summary: checkout is down",
        "[#war-room] topic: 🔥 @daniella is IMOC for incident: checkout is down",
        "[#war-room] warroom: 📝 Noted on INC-1.",
        "[#war-room] warroom: 📉 Failures started at <T> (INC-1).",
        "[#war-room] warroom: 🎧 @charlie is the SRM of INC-1.",
        "[#war-room] warroom: 🤝 @daniella handed off the IMOC role to @hormoz. INC-1: checkout is down",
        "[#war-room] topic: 🔥 @hormoz is IMOC for incident: checkout is down",
        "[#support] warroom: 📣 @hormoz from INC-1 (checkout is down) in #war-room: please hold the refunds queue",
        "[#war-room] warroom: ✅ Incident stopped at <T>. Thanks for letting us know.",
        "[#war-room] topic cleared",
        "[#war-room] warroom: # Service disruption: checkout is down",
        "[#war-room] warroom: - **SRM:** @charlie",
        "[#war-room] warroom: - **IMOC:** @hormoz",
        "[#war-room] warroom: - <T> @camilo: rolled back deploy 1234",
        "[#war-room] warroom: - <T>: @hormoz: Told support: please hold the refunds queue",
    ]
    lines = out.splitlines()
    for line in expected:
        assert line in lines, f"missing: {line}\n--- transcript ---\n{out}"
    assert any("Time to mitigate" in line for line in lines)
    assert "Traceback" not in out
    reports = list((tmp_path / "reports").glob("*-inc-1-checkout-is-down.md"))
    assert 1 == len(reports)
    assert "## Action items" in reports[0].read_text()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shell_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shell.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def test_the_spy_conversation_through_the_shell(shell_db: str, tmp_path: Path) -> None:
    result = shell(SPY, shell_db, tmp_path)
    assert 0 == result.returncode, result.stderr
    check_spy_transcript(result.stdout, tmp_path)


def test_restarting_between_every_two_commands_loses_nothing(shell_db: str, tmp_path: Path) -> None:
    """Each process sees only two lines of the script; the database carries everything."""
    out = []
    user = "/user daniella"
    for i in range(0, len(SPY), 2):
        chunk = SPY[i : i + 2]
        result = shell([user, *chunk], shell_db, tmp_path)
        assert 0 == result.returncode, result.stderr
        out.append(result.stdout)
        user = next((line for line in reversed([user, *chunk]) if line.startswith("/user")), user)
    check_spy_transcript("".join(out), tmp_path)


def test_directives_dm_channel_and_react(tmp_path: Path) -> None:
    script = [
        "/channel #ops",
        "warroom incident start me api is down",
        "/react eyes",
        "/dm",
        "incidents",
        "/channel general",
        "/frobnicate",
        "/sleep 0.1",
        "warroom incident tldr 1",
    ]
    result = shell(script, f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    assert 0 == result.returncode, result.stderr
    lines = without_times(result.stdout).splitlines()
    assert "[#ops] topic: 🔥 @daniella is IMOC for incident: api is down" in lines
    assert "[dm @daniella] warroom: 1 active:" in lines
    assert (
        "[shell] usage: /user NAME, /channel NAME, /dm, /react EMOJI, /sleep SECONDS, "
        "/presence NAME away|active"
    ) in lines
    assert "[#general] warroom: Channel: #ops" in lines


def test_a_database_that_cannot_be_opened_is_named_with_exit_code_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = shell(["help"], f"sqlite:///{blocker}/sub/w.db", tmp_path)
    assert 1 == result.returncode
    assert f"cannot open database {blocker}/sub/w.db" in result.stderr
    assert "Traceback" not in result.stderr

    result = shell(["help"], "postgresql+psycopg://nobody:secret@127.0.0.1:1/none", tmp_path)
    assert 1 == result.returncode
    assert "cannot open database postgresql+psycopg://nobody:***@127.0.0.1:1/none" in result.stderr
    assert "secret" not in result.stderr


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    result = shell(["help"], f"sqlite:///{garbage}", tmp_path)
    assert 1 == result.returncode
    assert str(garbage) in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_config_names_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yml"
    config.write_text("bot:\n  name: 'Not A Name'\nteams:\n  support: {}\nslack_token: xoxb-1\n")
    result = shell(["help"], f"sqlite:///{tmp_path / 'w.db'}", tmp_path, "--config", str(config))
    assert 2 == result.returncode
    assert "bot.name: Value error, a lowercase word" in result.stderr
    assert "teams.support.channel: Field required" in result.stderr
    assert "slack_token: unknown key (secrets belong in the environment" in result.stderr


def test_interactive_on_a_tty_with_prompt_and_history(tmp_path: Path) -> None:
    """On a terminal the prompt shows user and channel, and history is kept between runs."""
    import pty
    import select

    main, secondary = pty.openpty()
    proc = start_warroom(
        "shell", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--user", "alice", "--channel", "#ops",
        tmp_path=tmp_path, stdin=secondary, stdout=secondary, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(secondary)

    def read_until(marker: bytes, timeout: float = 20.0) -> bytes:
        seen = b""
        while marker not in seen:
            ready, _, _ = select.select([main], [], [], timeout)
            assert ready, f"timed out waiting for {marker!r}; got {seen!r}"
            seen += os.read(main, 4096)
        return seen

    try:
        # prompt_toolkit draws the prompt's trailing blank as a cursor move: match up to ">"
        read_until(b"alice@#ops>")
        os.write(main, b"warroom incidents\n")
        assert b"[#ops] warroom: No incidents right now." in read_until(b"No incidents right now.")
        read_until(b"alice@#ops>")
        os.write(main, b"\x04")  # end of input
        assert 0 == proc.wait(timeout=20)
    finally:
        proc.kill()
        os.close(main)
    assert "warroom incidents" in (tmp_path / ".warroom_history").read_text()


def test_db_upgrade_brings_a_new_database_to_the_current_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run_warroom("db", "upgrade", "--db", url, tmp_path=tmp_path)
    assert 0 == result.returncode, result.stderr
    assert f"database {url} is at the current schema" in result.stdout


def test_a_reader_that_goes_away_stops_the_shell_and_loses_no_reply(tmp_path: Path) -> None:
    """`warroom shell < script | head -1`: the shell stops at the closed pipe with exit code 1
    and one log line (no traceback per reply), and what it could not print is printed by the
    next start."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    # The reader reads the first line and goes; the shell is asleep meanwhile, then goes on.
    script = "warroom incident start me outage 0\n/channel c0\n/sleep 1\n" + "".join(
        f"warroom incident start me outage {i}\n/channel c{i}\n" for i in range(1, 30)
    )
    proc = start_warroom(
        "shell", "--db", db, "--user", "daniella", tmp_path=tmp_path,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdin.write(script.encode())
    proc.stdin.close()
    assert b"(INC-1)" in proc.stdout.readline()
    proc.stdout.close()
    assert 1 == proc.wait(timeout=60)
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert "Traceback" not in err
    assert 1 == err.count("nobody is reading")

    out = shell(["warroom incidents"], db, tmp_path)
    assert 0 == out.returncode
    started = re.findall(r"INC-(\d+) outage", out.stdout)  # the listing: every start committed
    assert started
    # Every incident the first run started had its 🔥 reply printed, then or now.
    printed = set(re.findall(r"\(INC-(\d+)\)", out.stdout)) | {"1"}
    assert set(started) == printed
