#!/usr/bin/env python3
"""warroom plugin (contract 1): `runbook [service...]` posts the runbook of each service named,
or of each service the incident of the channel names in its summary, and notes on the timeline
which runbooks were posted. RUNBOOKS: `service=url` pairs, comma-separated."""

from __future__ import annotations

import json
import os
import re
import sys

DESCRIPTION = {
    "name": "runbooks",
    "contract": 1,
    "commands": [
        {
            "words": ["runbook", "runbooks"],
            "usage": "runbook [service...]",
            "help": "Runbook links for the services named, or those the incident names.",
            "where": "channel",
        }
    ],
    "events": [],
}


def runbooks() -> dict[str, str]:
    pairs = (p.split("=", 1) for p in os.environ.get("RUNBOOKS", "").split(",") if "=" in p)
    return {name.strip().lower(): url.strip() for name, url in pairs}


def emit(kind: str, text: str, **extra: object) -> None:
    print(json.dumps({"type": kind, "text": text, **extra}))


def main() -> int:
    if sys.argv[1:] == ["describe"]:
        print(json.dumps(DESCRIPTION))
        return 0
    doc = json.load(sys.stdin)
    known = runbooks()
    incident = doc.get("incident")
    if doc.get("dry_run"):
        return 0
    asked = [a.lower() for a in doc["args"]]
    if not asked and incident is not None:
        words = set(re.findall(r"[a-z0-9][a-z0-9-]*", incident["summary"].lower()))
        asked = [name for name in known if name in words]
    if not asked:
        where = "its summary names none I know" if incident else "no incident is open here"
        emit("error", f"Which service? {where}; I know: {', '.join(sorted(known)) or 'none'}.")
        return 0
    unknown = [name for name in asked if name not in known]
    if unknown:
        emit("error", f"No runbook for {', '.join(unknown)}; I know: {', '.join(sorted(known))}.")
        return 0
    lines = [f"📘 {name}: {known[name]}" for name in asked]
    head = f"Runbooks for {incident['ref']}:" if incident else "Runbooks:"
    emit("message", "\n".join([head, *lines]))
    if incident is not None:
        emit("note", f"Runbooks posted: {', '.join(asked)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
