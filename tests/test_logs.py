"""Logs: one format for our records and our libraries', with the bound incident/page/event."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from warroom import logs
from warroom.cli import parser


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_a_json_line_parses_and_carries_the_bound_fields() -> None:
    """Our records, a library's records and structlog's all render as one JSON object a line,
    with the fields bound around them."""
    out = io.StringIO()
    logs.configure("json", level="INFO", stream=out)
    with logs.bound(incident_id=7, page_id=None, event_id="Ev1", platform="slack"):
        logging.getLogger("warroom.app").info("handled %s", "help")
        logging.getLogger("slack_bolt.App").warning("a library speaks")
        structlog.get_logger("warroom.x").info("structured", step=2)
    logging.getLogger("warroom.app").info("after")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert ["handled help", "a library speaks", "structured", "after"] == [
        line["event"] for line in lines
    ]
    for line in lines[:3]:
        assert {"incident_id": 7, "event_id": "Ev1", "platform": "slack"}.items() <= line.items()
        assert "page_id" not in line
        assert line["timestamp"].endswith("Z")
    assert ["info", "warning", "info"] == [line["level"] for line in lines[:3]]
    assert "slack_bolt.App" == lines[1]["logger"]
    assert 2 == lines[2]["step"]
    assert "incident_id" not in lines[3]


@pytest.mark.usefixtures("restore_logging")
def test_the_rotation_event_is_a_json_object() -> None:
    """The rotation's event log (`warroom.rotation`) puts its fields in the line, not as JSON
    text inside a message."""
    out = io.StringIO()
    logs.configure("json", level="INFO", stream=out)
    with logs.bound(platform="shell"):
        logging.getLogger("warroom.rotation").info(
            "ack", extra={"page": 3, "channel": "war-room", "user": "bob", "waited_s": 2.0}
        )
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert "ack" == line["event"]
    assert 3 == line["page"]
    assert "bob" == line["user"]
    assert 2.0 == line["waited_s"]
    assert "shell" == line["platform"]
    assert "warroom.rotation" == line["logger"]


@pytest.mark.usefixtures("restore_logging")
def test_console_on_a_tty_and_json_otherwise() -> None:
    tty = Tty()
    logs.configure(None, level="INFO", stream=tty)
    logging.getLogger("warroom").info("to a person", extra={"page": 1})
    text = tty.getvalue()
    assert "to a person" in text
    assert "page=1" in text
    assert not text.startswith("{")
    pipe = io.StringIO()
    logs.configure(None, level="INFO", stream=pipe)  # replaces its own handler
    logging.getLogger("warroom").info("to a machine")
    assert "to a machine" == json.loads(pipe.getvalue())["event"]
    assert "to a machine" not in tty.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_an_exception_stays_inside_its_json_line() -> None:
    out = io.StringIO()
    logs.configure("json", stream=out)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("warroom").exception("failed")
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert "failed" == line["event"]
    assert "RuntimeError" == line["exception"][0]["exc_type"]


def test_shell_and_run_take_a_log_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert "json" == parser().parse_args(["shell", "--log-format", "json"]).log_format
    assert "console" == parser().parse_args(["run", "--log-format", "console"]).log_format
    assert None is parser().parse_args(["run"]).log_format
    with pytest.raises(SystemExit):
        parser().parse_args(["shell", "--log-format", "xml"])
    assert "invalid choice: 'xml'" in capsys.readouterr().err
