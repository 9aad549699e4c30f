"""The JSON documents a plugin reads on stdin (contract 1): a command, or an event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from warroom.core.incident import Incident
from warroom.plugins.contract import CONTRACT


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def incident_doc(incident: Incident | None, link: str | None) -> dict[str, Any] | None:
    if incident is None:
        return None
    return {
        "id": incident.id,
        "ref": f"INC-{incident.id}",
        "summary": incident.summary,
        "platform": incident.platform,
        "channel": incident.channel,
        "roles": {"imoc": incident.imoc, "srm": incident.srm, "reporter": incident.reporter},
        "milestones": {
            "started": _at(incident.started_at),
            "failures_started": _at(incident.failures_started_at),
            "mitigated": _at(incident.mitigated_at),
            "stopped": _at(incident.stopped_at),
        },
        "link": link.replace("{id}", str(incident.id)) if link else None,
    }


def new_key(plugin: str) -> str:
    """The idempotency key of one intent: the same on every redelivery of its outbox row."""
    return f"{plugin}-{uuid.uuid4().hex}"


def command_doc(
    *,
    key: str,
    word: str,
    text: str,
    who: str,
    platform: str,
    channel: str,
    thread: str | None,
    dm: bool,
    incident: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "contract": CONTRACT,
        "type": "command",
        "key": key,
        "dry_run": False,
        "command": word,
        "args": text.split(),
        "text": text,
        "who": who,
        "where": {"platform": platform, "channel": channel, "thread": thread, "dm": dm},
        "incident": incident,
    }


def event_doc(
    *, key: str, event: str, at: datetime, data: dict[str, Any], incident: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "contract": CONTRACT,
        "type": "event",
        "key": key,
        "event": event,
        "at": at.isoformat(),
        "incident": incident,
        **data,
    }
