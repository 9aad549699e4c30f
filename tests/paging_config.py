"""The roster the paging tests use: two commanders' rotations, a trainee, two teams."""

from __future__ import annotations

from typing import Any

from warroom.config import Settings

ROSTER: dict[str, Any] = {
    "people": {
        "alice": {"name": "Alice Archer", "phone": "+1 555 0100", "email": "alice@example.com",
                  "timezone": "America/Toronto"},
        "bob": {"name": "Bob Baker", "phone": "+1 555 0101", "email": "bob@example.com",
                "timezone": "Europe/Berlin"},
        "carol": {"name": "Carol Chen", "phone": "+1 555 0102", "email": "carol@example.com"},
        "dave": {"name": "Dave Diaz", "email": "dave@example.com"},
        "erin": {"name": "Erin Evans", "phone": "+1 555 0104"},
    },
    "rotations": {
        # T0 (2017-02-23, a Thursday) is in the first week: alice primary, bob backup.
        "imoc-primary": {"shift": "weekly", "start": "2017-02-20T14:00:00Z",
                         "people": ["alice", "bob"]},
        "imoc-backup": {"shift": "weekly", "start": "2017-02-20T14:00:00Z",
                        "people": ["bob", "alice"]},
        "imoc-trainees": {"shift": "weekly", "start": "2017-02-20T14:00:00Z",
                          "people": ["erin"]},
        "datastores": {"shift": "daily", "start": "2017-02-23T09:00:00Z",
                       "people": ["carol", "dave"],
                       "overrides": [{"person": "dave", "start": "2017-02-24T00:00:00Z",
                                      "end": "2017-02-24T06:00:00Z"}]},
    },
    "commanders": {"provider": "builtin", "primary": "imoc-primary", "backup": "imoc-backup",
                   "trainees": ["imoc-trainees"]},
}  # fmt: skip


def with_roster(
    settings: Settings,
    *,
    teams: dict[str, Any] | None = None,
    paging: dict[str, Any] | None = None,
    **commanders: Any,
) -> Settings:
    """`settings` with the roster above; `datastores` on call by rotation, `support` not.
    `teams` and `paging` change those sections; other keywords change the commanders."""
    data = settings.model_dump()
    data["oncall"] = {**ROSTER, "commanders": {**ROSTER["commanders"], **commanders}}
    data["teams"]["datastores"].update(provider="builtin", schedule="datastores")
    for name, changes in (teams or {}).items():
        data["teams"][name].update(changes)
    data["paging"] = {"timeout_seconds": 2, "retries": 2, "backoff_seconds": 0, **(paging or {})}
    return Settings.model_validate(data)
