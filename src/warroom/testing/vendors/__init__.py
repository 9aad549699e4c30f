"""Fake Opsgenie, PagerDuty and Jira servers: real HTTP on 127.0.0.1, in a thread, with state.

They answer the calls warroom makes in the vendors' shapes, keep alerts by their dedup key the
way the vendors do (a second trigger with the same key is the same alert), record every
request, and refuse what the vendors refuse: PagerDuty an unknown routing key (400 "Invalid
routing key") or service (404), REST changes without a `From` header, a second open incident
with the same key on a service; Opsgenie processes alert requests after answering 202 and
reports each one's outcome at `/v2/alerts/requests/{id}` (404 until processed; an action on an
alias it does not know fails there); Jira answers 410 on the removed `/rest/api/3/search`.
They fail on demand: `faults` is a queue of status codes for the next requests (answered with
`fault_headers`, e.g. `{"Retry-After": "20"}`), `delay` makes
every answer slow, `gate` holds answers until it is set, and `close()` makes the provider
unreachable. The server and its faults are `base.py`; each vendor has its module.

    with FakeOpsgenie(key="k") as og:
        og.schedule("IMOC Primary", og.user("alice@example.com", "Alice Archer", "1-5550100"))
        pager = OpsgeniePager(api_url=og.url, api_key="k", timeout=5)
"""

from warroom.testing.vendors.base import Alert, Answer, FakeVendor, Request
from warroom.testing.vendors.jira import FakeJira
from warroom.testing.vendors.opsgenie import FakeOpsgenie
from warroom.testing.vendors.pagerduty import FakePagerDuty, Service

__all__ = [
    "Alert",
    "Answer",
    "FakeJira",
    "FakeOpsgenie",
    "FakePagerDuty",
    "FakeVendor",
    "Request",
    "Service",
]
