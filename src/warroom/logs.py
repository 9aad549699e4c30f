"""Logs: one format for every record, ours and our libraries' (slack_bolt, SQLAlchemy, httpx).

structlog renders the standard library's records: JSON lines for machines, or a console
rendering for people (the default on a TTY). Fields bound with `bound(...)` (the incident, the
page, the event, the platform) are on every line logged inside the block, in this thread or
task and in the threads it hands work to (`asyncio.to_thread` copies the context).

    logs.configure("json")                      # once, at start
    with logs.bound(platform="slack", event_id="Ev1"):
        log.info("handled")                     # {"event": "handled", "platform": "slack", ...}

Extra fields given with `extra={...}` become keys of the line too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

import structlog
from structlog.typing import Processor

Format = Literal["json", "console"]
FORMATS: tuple[Format, ...] = ("json", "console")
_HANDLER_NAME = "warroom"


def _pre_chain() -> list[Processor]:
    """What every record goes through, whoever logged it."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(format: Format) -> logging.Formatter:
    """A formatter that renders any standard library record as one JSON object or one console
    line, with the bound fields and the record's extras."""
    renderer: Processor
    if format == "json":
        renderer = structlog.processors.JSONRenderer(default=str)
        tail: list[Processor] = [structlog.processors.dict_tracebacks]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        tail = []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            renderer,
        ],
    )


def configure(
    format: Format | None = None,
    *,
    level: int | str = logging.WARNING,
    stream: TextIO | None = None,
) -> None:
    """Send every record to `stream` (stderr) in `format`: console on a TTY, JSON otherwise.
    Called again, it replaces its own handler and leaves others alone."""
    stream = stream or sys.stderr
    if format is None:
        format = "console" if stream.isatty() else "json"
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Every line logged inside the block carries `fields` (None values are left out):
    `incident_id`, `page_id`, `event_id`, `platform`."""
    given = {key: value for key, value in fields.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**given):
        yield
