"""The root of warroom's exceptions: every error the bot means to report derives from it.

WarroomError
├── ConfigError      (config)      the configuration is invalid
├── RosterError      (app.people)  a roster CSV or rules file cannot be read
├── DatabaseError    (store.db)    the database cannot be reached or upgraded
├── ChatError        (ports)       a chat platform refused or failed
├── PagerError       (ports)       a pager or tracker refused or failed
├── IncidentError    (core)        an illegal transition of an incident
└── UsageError       (commands)    a command that cannot be parsed
"""

from __future__ import annotations


class WarroomError(Exception):
    """An error warroom reports to the user with its message, never with a traceback."""
