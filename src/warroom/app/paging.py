"""Paging use cases: `!ir page`, `page`, `pager`, in three parts.

A page is decided in the command's transaction (`page_command.py`): a `pages` row, a timeline
event and a `PageCall` effect in the outbox. The runtime tries the call and reports back through
`page_outcome` (and `page_slow` when the try is slow) (`page_outcomes.py`). A trigger that failed
and may work later is a stored job: a `page_retry` timer (one per page and try, so replicas and
restarts fire each once) whose firing promises the `PageCall` again, with backoff, jitter and the
provider's Retry-After, until the provider confirms or `paging.deadline` passes. The dedup key
keeps it one alert. The first failed or slow try tells the channel at once who to call; then one
line says how it ended. Nothing says "paged" before the provider did. `pager ack/res/list/stfu`
are `pager.py`. This module names them all, for the handlers, timers and outcomes.
"""

from __future__ import annotations

from warroom.app.page_command import PAGER, Target, page, page_each
from warroom.app.page_outcomes import RETRY, fire_retry, page_deadline, page_outcome, page_slow
from warroom.app.pager import PAGER_LIST_LIMIT, is_snoozed, list_pages, snooze, update

__all__ = [
    "PAGER",
    "PAGER_LIST_LIMIT",
    "RETRY",
    "Target",
    "fire_retry",
    "is_snoozed",
    "list_pages",
    "page",
    "page_deadline",
    "page_each",
    "page_outcome",
    "page_slow",
    "snooze",
    "update",
]
