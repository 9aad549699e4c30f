#!/usr/bin/env python3
"""warroom plugin (contract 1) with no commands: on `incident.started` and `incident.stopped`
it posts a line to another channel (ANNOUNCE_CHANNEL, default `incidents`), so people outside
the war room know. The event's `key` is the same on every redelivery: a plugin with side
effects elsewhere uses it to act once."""

from __future__ import annotations

import json
import os
import sys

DESCRIPTION = {
    "name": "announce",
    "contract": 1,
    "commands": [],
    "events": ["incident.started", "incident.stopped"],
}


def main() -> int:
    if sys.argv[1:] == ["describe"]:
        print(json.dumps(DESCRIPTION))
        return 0
    doc = json.load(sys.stdin)
    incident = doc.get("incident")
    if doc.get("type") != "event" or incident is None:
        return 0
    channel = os.environ.get("ANNOUNCE_CHANNEL", "incidents")
    ref, summary, imoc = incident["ref"], incident["summary"], incident["roles"]["imoc"]
    if doc["event"] == "incident.started":
        text = f"🔥 {ref} started in #{incident['channel']}: {summary} (IMOC: {imoc})"
    else:
        text = f"✅ {ref} stopped: {summary}"
    print(json.dumps({"type": "message", "channel": channel, "text": text}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
